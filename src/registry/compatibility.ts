/**
 * Schema compatibility by the Avro specification's schema resolution rules: can a reader with
 * one schema read data written with another? Every incompatibility found is reported with the
 * place it sits in the schema, so `?verbose=true` can say why, not only that.
 *
 * BACKWARD: the new schema, as reader, reads data written with the old one.
 * FORWARD: the old schema, as reader, reads data written with the new one.
 * FULL: both. The *_TRANSITIVE levels check against every live version, the others against the
 * latest only.
 */
import type { Type } from 'avsc'
import type { types as avroTypes } from 'avsc'
import type { CompatibilityLevel } from './types.ts'

export interface Incompatibility {
  /** Where in the reader's schema, e.g. `Order.lines[].price`. */
  path: string
  message: string
}

export interface CompatibilityResult {
  compatible: boolean
  /** One line per incompatibility, naming the version and direction it was found in. */
  messages: string[]
}

/** A version to check against, oldest first in the list handed to `checkCompatibility`. */
export interface PreviousSchema {
  version: number
  type: Type
}

type Kind = 'null' | 'boolean' | 'int' | 'long' | 'float' | 'double' | 'bytes' | 'string'

/** Writer primitive types each reader primitive type can read (the spec's promotions). */
const PROMOTIONS: Record<Kind, readonly string[]> = {
  null: ['null'],
  boolean: ['boolean'],
  int: ['int'],
  long: ['int', 'long'],
  float: ['int', 'long', 'float'],
  double: ['int', 'long', 'float', 'double'],
  bytes: ['bytes', 'string'],
  string: ['string', 'bytes'],
}

function kindOf(type: Type): string {
  const name = type.typeName
  if (name.startsWith('union')) return 'union'
  if (name === 'error') return 'record'
  return name
}

function describe(type: Type): string {
  const kind = kindOf(type)
  if (kind === 'union')
    return `union [${(type as avroTypes.UnwrappedUnionType).types.map(describe).join(', ')}]`
  if (kind === 'record' || kind === 'enum' || kind === 'fixed') return `${kind} ${type.name ?? ''}`
  return kind
}

function unqualified(name: string | undefined): string {
  if (name === undefined) return ''
  const dot = name.lastIndexOf('.')
  return dot === -1 ? name : name.slice(dot + 1)
}

/**
 * Named types match when their unqualified names are equal (the spec compares unqualified names)
 * or when one of the reader's aliases names the writer.
 */
function namesMatch(reader: Type, writer: Type): boolean {
  if (unqualified(reader.name) === unqualified(writer.name)) return true
  const aliases = reader.aliases ?? []
  return aliases.includes(writer.name ?? '') || aliases.map(unqualified).includes(unqualified(writer.name))
}

class Checker {
  readonly problems: Incompatibility[] = []
  /** Record pairs being compared: a recursive schema meets itself again and is assumed fine. */
  readonly #inProgress: Set<string>

  constructor(inProgress = new Set<string>()) {
    this.#inProgress = inProgress
  }

  check(reader: Type, writer: Type, path: string): void {
    const readerKind = kindOf(reader)
    const writerKind = kindOf(writer)

    // A writer union is readable when every branch the writer may have chosen is.
    if (writerKind === 'union') {
      for (const branch of (writer as avroTypes.UnwrappedUnionType).types) this.check(reader, branch, path)
      return
    }
    if (readerKind === 'union') {
      const branches = (reader as avroTypes.UnwrappedUnionType).types
      const readable = branches.some((branch) => {
        // The probe shares the pairs in progress, or a recursive type would recurse forever.
        const probe = new Checker(this.#inProgress)
        probe.check(branch, writer, path)
        return probe.problems.length === 0
      })
      if (!readable) {
        this.problems.push({
          path,
          message: `reader ${describe(reader)} has no branch that can read the writer's ${describe(writer)}`,
        })
      }
      return
    }

    if (readerKind in PROMOTIONS) {
      if (!PROMOTIONS[readerKind as Kind].includes(writerKind)) this.mismatch(reader, writer, path)
      return
    }
    if (readerKind !== writerKind) {
      this.mismatch(reader, writer, path)
      return
    }
    switch (readerKind) {
      case 'record':
        this.record(reader as avroTypes.RecordType, writer as avroTypes.RecordType, path)
        return
      case 'enum':
        this.enum(reader as avroTypes.EnumType, writer as avroTypes.EnumType, path)
        return
      case 'fixed':
        this.fixed(reader as avroTypes.FixedType, writer as avroTypes.FixedType, path)
        return
      case 'array':
        this.check(
          (reader as avroTypes.ArrayType).itemsType,
          (writer as avroTypes.ArrayType).itemsType,
          `${path}[]`,
        )
        return
      case 'map':
        this.check(
          (reader as avroTypes.MapType).valuesType as Type,
          (writer as avroTypes.MapType).valuesType as Type,
          `${path}{}`,
        )
        return
      default:
        this.mismatch(reader, writer, path)
    }
  }

  private mismatch(reader: Type, writer: Type, path: string): void {
    this.problems.push({
      path,
      message: `reader type ${describe(reader)} cannot read writer type ${describe(writer)}`,
    })
  }

  private named(reader: Type, writer: Type, path: string): boolean {
    if (namesMatch(reader, writer)) return true
    this.problems.push({
      path,
      message: `reader ${describe(reader)} does not match writer ${describe(writer)}: names differ and no reader alias names the writer`,
    })
    return false
  }

  private record(reader: avroTypes.RecordType, writer: avroTypes.RecordType, path: string): void {
    if (!this.named(reader, writer, path)) return
    const pair = `${reader.name}\u0000${writer.name}`
    if (this.#inProgress.has(pair)) return
    this.#inProgress.add(pair)
    const base = path === '' ? unqualified(reader.name) : path
    for (const field of reader.fields) {
      const fieldPath = `${base}.${field.name}`
      const source =
        writer.fields.find((w) => w.name === field.name) ??
        writer.fields.find((w) => (field.aliases ?? []).includes(w.name))
      if (source) {
        this.check(field.type, source.type, fieldPath)
      } else if (field.defaultValue() === undefined) {
        this.problems.push({
          path: fieldPath,
          message: `reader field "${field.name}" has no default value and is missing from the writer's schema`,
        })
      }
    }
    this.#inProgress.delete(pair)
  }

  private enum(reader: avroTypes.EnumType, writer: avroTypes.EnumType, path: string): void {
    if (!this.named(reader, writer, path)) return
    // The enum default (Avro 1.9) lets a reader take symbols it does not know.
    if ((reader as unknown as { default?: string }).default !== undefined) return
    const missing = writer.symbols.filter((s) => !reader.symbols.includes(s))
    if (missing.length > 0) {
      this.problems.push({
        path: path === '' ? unqualified(reader.name) : path,
        message: `reader enum ${reader.name ?? ''} lacks the writer's symbols ${missing.join(', ')} and has no default`,
      })
    }
  }

  private fixed(reader: avroTypes.FixedType, writer: avroTypes.FixedType, path: string): void {
    if (!this.named(reader, writer, path)) return
    if (reader.size !== writer.size) {
      this.problems.push({
        path: path === '' ? unqualified(reader.name) : path,
        message: `reader fixed ${reader.name ?? ''} has size ${reader.size}, the writer's has size ${writer.size}`,
      })
    }
  }
}

/** Every reason a reader with `reader` cannot read data written with `writer`; empty when it can. */
export function resolutionProblems(reader: Type, writer: Type): Incompatibility[] {
  const checker = new Checker()
  checker.check(reader, writer, '')
  return checker.problems
}

function directions(level: CompatibilityLevel): Array<'BACKWARD' | 'FORWARD'> {
  if (level.startsWith('BACKWARD')) return ['BACKWARD']
  if (level.startsWith('FORWARD')) return ['FORWARD']
  if (level.startsWith('FULL')) return ['BACKWARD', 'FORWARD']
  return []
}

/**
 * Judges `candidate` against the previous versions (oldest first) under `level`. Non-transitive
 * levels look at the last of them only.
 */
export function checkCompatibility(
  level: CompatibilityLevel,
  candidate: Type,
  previous: readonly PreviousSchema[],
): CompatibilityResult {
  const against = level.endsWith('_TRANSITIVE') ? previous : previous.slice(-1)
  const messages: string[] = []
  for (const old of against) {
    for (const direction of directions(level)) {
      const problems =
        direction === 'BACKWARD'
          ? resolutionProblems(candidate, old.type)
          : resolutionProblems(old.type, candidate)
      const roles =
        direction === 'BACKWARD'
          ? `new schema reading data written with version ${old.version}`
          : `version ${old.version} reading data written with the new schema`
      for (const p of problems) {
        messages.push(`${direction} (${roles}): ${p.path === '' ? '' : `at ${p.path}: `}${p.message}`)
      }
    }
  }
  return { compatible: messages.length === 0, messages }
}
