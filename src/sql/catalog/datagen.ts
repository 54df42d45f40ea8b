/**
 * Flink 2.2's `datagen` connector: which `fields.<column>.*` options exist depends on the column's
 * type and generator kind, exactly as Flink declares them, so an option that does not apply is an
 * unsupported option.
 */
import type { SqlType } from '../ast.ts'
import { formatType } from '../types/index.ts'
import type { ConnectorContext } from './connectors.ts'
import { IMPLICIT_OPTIONS, type OptionReader } from './options.ts'
import type { DatagenConnector, DatagenField } from './types.ts'

const NUMBERS = new Set(['TINYINT', 'SMALLINT', 'INT', 'BIGINT', 'FLOAT', 'DOUBLE', 'DECIMAL'])
const DEFAULT_DATAGEN_LENGTH = 100

/**
 * The `fields.<column>.*` options Flink 2.2's datagen declares for a column of this type and
 * kind (printed by Flink for a table of every type): VARCHAR takes `length`, `var-len` and
 * `null-rate`, VARBINARY `length` and `var-len` but no `null-rate`, CHAR only `null-rate`, BINARY,
 * DATE and TIME nothing but `kind`; an ARRAY's element, a MAP's key and value and a ROW's fields
 * have their own options under `element.`, `key.`, `value.` and `<field>.`.
 */
function datagenFieldOptions(type: SqlType, kind: 'random' | 'sequence'): string[] {
  if (kind === 'sequence') return sequenceable(type) ? ['kind', 'start', 'end'] : ['kind']
  return ['kind', ...randomOptions(type)]
}

function randomOptions(type: SqlType): string[] {
  switch (type.kind) {
    case 'TINYINT':
    case 'SMALLINT':
    case 'INT':
    case 'BIGINT':
    case 'FLOAT':
    case 'DOUBLE':
    case 'DECIMAL':
      return ['min', 'max', 'null-rate']
    case 'VARCHAR':
      return ['length', 'var-len', 'null-rate']
    case 'VARBINARY':
      return ['length', 'var-len']
    case 'CHAR':
    case 'BOOLEAN':
      return ['null-rate']
    case 'TIMESTAMP':
    case 'TIMESTAMP_LTZ':
      return ['max-past', 'null-rate']
    case 'ARRAY':
    case 'MULTISET':
      return ['length', 'null-rate', ...nested('element', type.element)]
    case 'MAP':
      return ['length', 'null-rate', ...nested('key', type.key), ...nested('value', type.value)]
    case 'ROW':
      return ['null-rate', ...type.fields.flatMap((f) => nested(f.name, f.type))]
    default:
      return []
  }
}

function sequenceable(type: SqlType): boolean {
  return NUMBERS.has(type.kind) || type.kind === 'CHAR' || type.kind === 'VARCHAR'
}

/** The options of an array's element (`fields.<col>.element.min`), a map's key and value, a row's field. */
function nested(name: string, type: SqlType): string[] {
  return randomOptions(type).map((o) => `${name}.${o}`)
}

/** `'connector' = 'datagen'`: one generator per physical column, random unless `sequence`. */
export function readDatagen(reader: OptionReader, ctx: ConnectorContext): DatagenConnector {
  // Flink's datagen checks its options itself, without the options every other table accepts.
  reader.undeclare(...IMPLICIT_OPTIONS.filter((k) => k !== 'connector'))
  reader.declare('rows-per-second', 'number-of-rows', 'scan.parallelism')
  const fields: Record<string, DatagenField> = {}
  for (const column of ctx.physical) {
    const prefix = `fields.${column.name}.`
    const kind = reader.string(`${prefix}kind`) ?? 'random'
    if (kind !== 'random' && kind !== 'sequence') return ctx.fail(`Unsupported generator kind: ${kind}`)
    reader.declare(...datagenFieldOptions(column.type, kind).map((o) => prefix + o))
    if (kind === 'sequence') {
      if (!sequenceable(column.type)) {
        // Flink declares no start/end for such a column: they are reported as unsupported first.
        reader.checkUnsupported('datagen')
        ctx.fail(`Unsupported type for a sequence generator: ${column.name} ${formatType(column.type)}`)
      }
      for (const bound of ['start', 'end']) {
        if (!reader.has(prefix + bound)) {
          ctx.fail(`Could not find required property '${prefix}${bound}' for sequence generator.`)
        }
      }
      fields[column.name] = {
        kind,
        start: reader.string(`${prefix}start`)!,
        end: reader.string(`${prefix}end`)!,
        nullRate: 0,
      }
      continue
    }
    const allowed = datagenFieldOptions(column.type, kind)
    const option = (name: string): string | undefined => (allowed.includes(name) ? prefix + name : undefined)
    const read = <T>(name: string, parse: (key: string) => T | undefined): T | undefined => {
      const key = option(name)
      return key === undefined || !reader.has(key) ? undefined : parse(key)
    }
    const random: DatagenField = {
      kind,
      min: read('min', (k) => reader.string(k)),
      max: read('max', (k) => reader.string(k)),
      length:
        read('length', (k) => reader.int(k)) ??
        (allowed.includes('length') ? DEFAULT_DATAGEN_LENGTH : undefined),
      varLen: read('var-len', (k) => reader.boolean(k, false)) ?? false,
      maxPastMs: read('max-past', (k) => reader.durationMs(k)),
      nullRate: read('null-rate', (k) => reader.double(k)) ?? 0,
    }
    fields[column.name] = random
  }
  return {
    kind: 'datagen',
    rowsPerSecond: reader.long('rows-per-second') ?? 10_000,
    numberOfRows: reader.long('number-of-rows'),
    scanParallelism: reader.int('scan.parallelism'),
    fields,
  }
}
