/**
 * TypeScript types from Avro schemas. Each `schemas/<name>.avsc` (or schema given as it is, such
 * as one fetched from a registry by subject) becomes `src/schemas/generated/<name>.ts` with one declaration per named type (records as interfaces,
 * enums as string-literal unions plus a const array of their symbols) and the schema itself as a
 * `TypedSchema` constant; `generated/index.ts` re-exports them all and lists the schemas by file.
 * The folder imports nothing from outside itself: `typed-schema.ts` declares the shape of freshet's
 * `TypedSchema`, so it compiles wherever it is written, in freshet or in a project that uses it.
 *
 * The TypeScript types follow how avsc reads and writes values with its default options: `long`
 * and timestamp logical types are `number`, `bytes` and `fixed` are `Buffer`, `["null", T]` is
 * `T | null`. Unions avsc would wrap (two branches of one JavaScript kind) are rejected.
 */
import { readdir, readFile, rm, writeFile, mkdir } from 'node:fs/promises'
import { basename, join } from 'node:path'
import avro from 'avsc'
import { FreshetError } from '../errors/index.ts'
import { validateOptions } from '../options/index.ts'
import { requireOptions } from '../options/index.ts'
import { codegenOptionsSpec, type CodegenOptions, type CodegenSchema } from './options.ts'
import { printDoc, printUnion, printValue, quote } from './print.ts'
import type { AvroSchemaJson, JsonValue } from './types.ts'

export type { CodegenOptions, CodegenSchema } from './options.ts'

export interface CodegenResult {
  /** Files written (changed or new); empty with `check`. */
  written: string[]
  /** Files that were missing, out of date or orphaned before this run. */
  stale: string[]
  /** Orphaned generated files deleted (their .avsc is gone); empty with `check`. */
  removed: string[]
}

/** First line of every generated file; also how orphans are recognised. */
const HEADER_PREFIX = '// generated from '
const HEADER_SUFFIX = ' by `freshet schema codegen`; do not edit'

const PRIMITIVES: Record<string, string> = {
  null: 'null',
  boolean: 'boolean',
  int: 'number',
  long: 'number',
  float: 'number',
  double: 'number',
  bytes: 'Buffer',
  string: 'string',
}

/** How avsc tells union branches apart: two branches of one bucket make it wrap the union. */
const PRIMITIVE_BUCKETS: Record<string, string> = {
  null: 'null',
  boolean: 'boolean',
  int: 'number',
  long: 'number',
  float: 'number',
  double: 'number',
  bytes: 'buffer',
  string: 'string',
}

/** Global type names a generated declaration must not shadow. */
const RESERVED = new Set([
  'Buffer',
  'Record',
  'Array',
  'TypedSchema',
  'Object',
  'String',
  'Number',
  'Boolean',
])

type NamedKind = 'record' | 'enum' | 'fixed'

interface Declaration {
  fullName: string
  tsName: string
  kind: NamedKind
  /** Filled once the declaration is complete (records refer to themselves while being built). */
  text: string
}

type SchemaObject = { readonly [key: string]: JsonValue }

function invalid(source: string, message: string, cause?: unknown): FreshetError {
  return new FreshetError('SCHEMA_INVALID', `${source}: ${message}`, {
    ...(cause === undefined ? {} : { cause }),
    details: { source },
  })
}

function isSchemaObject(value: JsonValue): value is SchemaObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

function fullNameOf(name: string, namespace: string | undefined): string {
  if (name.includes('.')) return name
  return namespace === undefined || namespace === '' ? name : `${namespace}.${name}`
}

function namespaceOf(fullName: string): string | undefined {
  const dot = fullName.lastIndexOf('.')
  return dot < 0 ? undefined : fullName.slice(0, dot)
}

function simpleName(fullName: string): string {
  return fullName.slice(fullName.lastIndexOf('.') + 1)
}

function docOf(schema: SchemaObject): string | undefined {
  return typeof schema['doc'] === 'string' ? schema['doc'] : undefined
}

/** Walks one schema file and collects its declarations in the order they are met. */
class ModuleBuilder {
  readonly declarations = new Map<string, Declaration>()
  private readonly tsNames = new Set<string>()
  private readonly source: string

  constructor(source: string) {
    this.source = source
  }

  /** The TypeScript type of `schema`, declaring any named type it defines. */
  typeOf(schema: JsonValue, namespace: string | undefined): string {
    if (typeof schema === 'string') return this.reference(schema, namespace)
    if (Array.isArray(schema)) return this.union(schema, namespace)
    if (!isSchemaObject(schema)) throw invalid(this.source, `not a schema: ${JSON.stringify(schema)}`)
    const type = schema['type']
    if (typeof type !== 'string') return this.typeOf(type ?? null, namespace)
    switch (type) {
      case 'record':
      case 'error':
        return this.record(schema, namespace)
      case 'enum':
        return this.enumeration(schema, namespace)
      case 'fixed':
        return this.fixed(schema, namespace)
      case 'array': {
        const items = this.typeOf(schema['items'] ?? null, namespace)
        return items.includes(' | ') ? `(${items})[]` : `${items}[]`
      }
      case 'map':
        return `Record<string, ${this.typeOf(schema['values'] ?? null, namespace)}>`
      default:
        // A primitive, possibly annotated with a logicalType: avsc reads it as the primitive.
        return this.reference(type, namespace)
    }
  }

  /** The bucket avsc files a union branch under (see avsc's getTypeBucket). */
  private bucketOf(schema: JsonValue, namespace: string | undefined): string {
    if (typeof schema === 'string') {
      const primitive = PRIMITIVE_BUCKETS[schema]
      if (primitive !== undefined) return primitive
      const kind = this.resolve(schema, namespace).kind
      return kind === 'record' ? 'object' : kind === 'enum' ? 'string' : 'buffer'
    }
    if (Array.isArray(schema)) throw invalid(this.source, 'a union cannot directly contain another union')
    if (!isSchemaObject(schema)) return 'invalid'
    const type = schema['type']
    if (typeof type !== 'string') return this.bucketOf(type ?? null, namespace)
    switch (type) {
      case 'record':
      case 'error':
      case 'map':
        return 'object'
      case 'enum':
        return 'string'
      case 'fixed':
        return 'buffer'
      case 'array':
        return 'array'
      default:
        return this.bucketOf(type, namespace)
    }
  }

  private union(branches: readonly JsonValue[], namespace: string | undefined): string {
    return this.unionMembers(branches, namespace).join(' | ')
  }

  /** The members of a union type, `null` last as TypeScript code usually has it. */
  private unionMembers(branches: readonly JsonValue[], namespace: string | undefined): string[] {
    const seen = new Set<string>()
    const members: string[] = []
    let nullable = false
    for (const branch of branches) {
      const ts = this.typeOf(branch, namespace)
      const bucket = this.bucketOf(branch, namespace)
      if (seen.has(bucket)) {
        throw invalid(
          this.source,
          `union ${JSON.stringify(branches)} has two branches avsc reads as the same JavaScript kind (${bucket}); ` +
            'codegen supports unions whose branches are of distinct kinds',
        )
      }
      seen.add(bucket)
      if (ts === 'null') nullable = true
      else members.push(ts)
    }
    if (nullable) members.push('null')
    if (members.length === 0) throw invalid(this.source, 'empty union')
    return members
  }

  private reference(name: string, namespace: string | undefined): string {
    const primitive = PRIMITIVES[name]
    if (primitive !== undefined) return primitive
    return this.resolve(name, namespace).tsName
  }

  private resolve(name: string, namespace: string | undefined): Declaration {
    const found = this.declarations.get(fullNameOf(name, namespace)) ?? this.declarations.get(name)
    if (found === undefined) throw invalid(this.source, `unknown type "${name}"`)
    return found
  }

  private define(schema: SchemaObject, namespace: string | undefined, kind: NamedKind): Declaration {
    const name = schema['name']
    if (typeof name !== 'string' || name === '') throw invalid(this.source, `a ${kind} needs a name`)
    const ns = typeof schema['namespace'] === 'string' ? schema['namespace'] : namespace
    const fullName = fullNameOf(name, ns)
    if (this.declarations.has(fullName)) throw invalid(this.source, `type ${fullName} is defined twice`)
    const tsName = simpleName(fullName)
    this.claim(tsName, fullName)
    const declaration: Declaration = { fullName, tsName, kind, text: '' }
    this.declarations.set(fullName, declaration)
    return declaration
  }

  /** Reserves a TypeScript identifier; two Avro names with one simple name would clash. */
  claim(tsName: string, owner: string): void {
    if (RESERVED.has(tsName) || this.tsNames.has(tsName)) {
      throw invalid(this.source, `${owner} would be declared as ${tsName}, which is already taken`)
    }
    this.tsNames.add(tsName)
  }

  get identifiers(): ReadonlySet<string> {
    return this.tsNames
  }

  private record(schema: SchemaObject, namespace: string | undefined): string {
    const declaration = this.define(schema, namespace, 'record')
    const fields = schema['fields']
    if (!Array.isArray(fields))
      throw invalid(this.source, `record ${declaration.fullName} has no fields array`)
    const inner = namespaceOf(declaration.fullName)
    const members: string[] = []
    for (const field of fields as readonly JsonValue[]) {
      if (!isSchemaObject(field) || typeof field['name'] !== 'string') {
        throw invalid(this.source, `record ${declaration.fullName} has a field without a name`)
      }
      const type = field['type'] ?? null
      const union = Array.isArray(type) ? this.unionMembers(type, inner) : [this.typeOf(type, inner)]
      members.push(printDoc(docOf(field), '  ') + printUnion(`  ${field['name']}: `, union, '  '))
    }
    const body = members.length === 0 ? '{}' : `{\n${members.join('\n')}\n}`
    declaration.text = `${printDoc(docOf(schema), '')}export interface ${declaration.tsName} ${body}\n`
    return declaration.tsName
  }

  private enumeration(schema: SchemaObject, namespace: string | undefined): string {
    const declaration = this.define(schema, namespace, 'enum')
    const symbols = schema['symbols']
    if (!Array.isArray(symbols) || symbols.length === 0 || !symbols.every((s) => typeof s === 'string')) {
      throw invalid(this.source, `enum ${declaration.fullName} needs a non-empty symbols array`)
    }
    const name = declaration.tsName
    const constName = `${name}Symbols`
    this.claim(constName, declaration.fullName)
    const head = `export const ${constName}: readonly ${name}[] = `
    declaration.text =
      printDoc(docOf(schema), '') +
      printUnion(`export type ${name} = `, (symbols as readonly string[]).map(quote), '') +
      '\n\n' +
      `/** The symbols of ${name}, in schema order. */\n` +
      head +
      printValue(symbols as readonly string[], '', head.length, '') +
      '\n'
    return name
  }

  private fixed(schema: SchemaObject, namespace: string | undefined): string {
    const declaration = this.define(schema, namespace, 'fixed')
    const size = schema['size']
    const doc = docOf(schema) ?? `${String(size)} bytes.`
    declaration.text = `${printDoc(doc, '')}export type ${declaration.tsName} = Buffer\n`
    return declaration.tsName
  }
}

/** The header line of a generated file. */
export function headerFor(source: string): string {
  return `${HEADER_PREFIX}${source}${HEADER_SUFFIX}`
}

/**
 * The module every generated module imports its `TypedSchema` from, in the same folder: freshet's
 * `TypedSchema` and the JSON type of a schema, structurally the same as src/schemas/types.ts (the
 * codegen test checks that a generated constant is freshet's `TypedSchema`). Its name is not
 * snake_case, so no .avsc file can generate over it.
 */
export const TYPED_SCHEMA_FILE = 'typed-schema'

/** The text of `typed-schema.ts`; `sources` says what the folder was generated from. */
export function generateTypedSchemaModule(sources: string): string {
  return `${headerFor(sources)}

/** A JSON value as in an .avsc file. */
export type JsonValue =
  null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue }

/** freshet's TypedSchema: an Avro schema with the TypeScript type of the values it describes. */
export interface TypedSchema<T> {
  /** Full name of the top-level type. */
  readonly name: string
  /** The .avsc file it was generated from. */
  readonly source: string
  /** The schema as parsed from the .avsc file. */
  readonly schema: string | readonly JsonValue[] | { readonly [key: string]: JsonValue }
  /** Never set; only carries \`T\` through inference. */
  readonly __valueType?: T
}
`
}

/** The name of the TypedSchema constant generated for a top-level type. */
export function schemaConstName(tsName: string): string {
  return `${tsName}Schema`
}

export interface GeneratedModule {
  /** The generated TypeScript source. */
  text: string
  /** Full name of the top-level type. */
  fullName: string
  /** TypeScript name of the top-level type. */
  typeName: string
  /** Name of the exported TypedSchema constant. */
  constName: string
  /** Every identifier the module exports. */
  exports: string[]
}

/**
 * Generates the module for one schema. `source` is the .avsc path as written in the header and the
 * `source` property (relative to the repository root, e.g. `schemas/user_event.avsc`).
 */
export function generateModule(schema: AvroSchemaJson, source: string): GeneratedModule {
  try {
    avro.Type.forSchema(schema as avro.Schema)
  } catch (error) {
    throw invalid(source, `avsc rejects the schema: ${(error as Error).message}`, error)
  }
  if (!isSchemaObject(schema as JsonValue)) throw invalid(source, 'the top-level schema must be a named type')
  const top = schema as SchemaObject
  const kind = top['type']
  if (kind !== 'record' && kind !== 'error' && kind !== 'enum' && kind !== 'fixed') {
    throw invalid(source, 'the top-level schema must be a record, enum or fixed')
  }
  const builder = new ModuleBuilder(source)
  const typeName = builder.typeOf(top, undefined)
  const [first] = builder.declarations.values()
  if (first === undefined) throw invalid(source, 'no named type')
  const constName = schemaConstName(typeName)
  builder.claim(constName, first.fullName)

  const head = `export const ${constName}: TypedSchema<${typeName}> = `
  const constant: JsonValue = { name: first.fullName, source, schema: top }
  const parts = [
    `${headerFor(source)}\n`,
    `import type { TypedSchema } from './${TYPED_SCHEMA_FILE}.ts'\n`,
    ...[...builder.declarations.values()].map((d) => d.text),
    `/** The Avro schema of ${typeName}, as written in ${source}. */\n${head}${printValue(constant, '', head.length, '')}\n`,
  ]
  return {
    text: parts.join('\n'),
    fullName: first.fullName,
    typeName,
    constName,
    exports: [...builder.identifiers],
  }
}

/**
 * The module that re-exports every generated module and lists the schemas by file name; `sources`
 * and `whereDoc` say what the folder was generated from.
 */
export function generateIndex(
  modules: readonly { file: string; module: GeneratedModule }[],
  sources: string,
  whereDoc: string,
): string {
  const lines = [`${headerFor(sources)}\n`]
  for (const { file, module } of modules) lines.push(`import { ${module.constName} } from './${file}.ts'`)
  if (modules.length > 0) lines.push('')
  for (const { file } of modules) lines.push(`export * from './${file}.ts'`)
  if (modules.length > 0) lines.push('')
  lines.push(`/** ${whereDoc} */`)
  if (modules.length === 0) lines.push('export const generatedSchemas = {} as const')
  else {
    lines.push('export const generatedSchemas = {')
    for (const { file, module } of modules) lines.push(`  ${file}: ${module.constName},`)
    lines.push('} as const')
  }
  return lines.join('\n') + '\n'
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}

/**
 * Generates the TypeScript modules for every .avsc in `schemasDir` into `outDir`. With `check`
 * nothing is written and `stale` says which files differ from what would be generated.
 */
export async function runCodegen(options: CodegenOptions): Promise<CodegenResult> {
  const valid = validateOptions('runCodegen', options, codegenOptionsSpec)
  requireOptions('runCodegen', valid, ['outDir'])
  const { schemasDir, outDir, check } = valid
  const given = valid.schemas ?? []
  if (schemasDir === undefined && given.length === 0) {
    throw new FreshetError('INVALID_OPTION', 'runCodegen: give "schemasDir", "schemas" or both')
  }
  const inputs = [...(schemasDir === undefined ? [] : await readSchemasDir(schemasDir)), ...given]

  const modules: { file: string; module: GeneratedModule }[] = []
  const exported = new Map<string, string>()
  const files = new Map<string, string>()
  for (const { file, source, schema } of inputs) {
    if (!/^[a-z][a-z0-9_]*$/.test(file)) throw invalid(source, 'schema file names must be snake_case')
    if (file === 'index') throw invalid(source, 'index.ts is the generated index; rename the schema')
    const other = files.get(file)
    if (other !== undefined) throw invalid(source, `would be generated as ${file}.ts, as ${other} is`)
    files.set(file, source)
    const module = generateModule(schema, source)
    // `export *` of two modules exporting one name would silently drop it from the index.
    for (const name of module.exports) {
      const other = exported.get(name)
      if (other !== undefined) throw invalid(source, `${name} is also declared by ${other}`)
      exported.set(name, source)
    }
    modules.push({ file, module })
  }

  // What the folder was generated from; for a folder alone, as it always was.
  const dirName = schemasDir === undefined ? undefined : basename(schemasDir)
  const subjects = given.length === 0 ? undefined : 'registry subjects'
  const sources = [dirName === undefined ? undefined : `${dirName}/*.avsc`, subjects].filter(
    (x) => x !== undefined,
  )
  const whereDoc =
    given.length === 0
      ? `Every schema in ${dirName}/, by the name of its .avsc file.`
      : `Every schema generated here, by module name${dirName === undefined ? '' : ` (${dirName}/*.avsc by file name)`}.`
  const wanted = new Map<string, string>()
  for (const { file, module } of modules) wanted.set(join(outDir, `${file}.ts`), module.text)
  wanted.set(join(outDir, `${TYPED_SCHEMA_FILE}.ts`), generateTypedSchemaModule(sources.join(' and ')))
  wanted.set(join(outDir, 'index.ts'), generateIndex(modules, sources.join(' and '), whereDoc))

  const result: CodegenResult = { written: [], stale: [], removed: [] }
  for (const [path, text] of wanted) {
    if ((await readIfExists(path)) === text) continue
    result.stale.push(path)
    if (!check) {
      await mkdir(outDir, { recursive: true })
      await writeFile(path, text)
      result.written.push(path)
    }
  }
  const present = await readdir(outDir).catch(() => [] as string[])
  for (const entry of present.filter((f) => f.endsWith('.ts')).sort()) {
    const path = join(outDir, entry)
    if (wanted.has(path)) continue
    const text = await readIfExists(path)
    if (text === undefined || !text.startsWith(HEADER_PREFIX)) continue
    result.stale.push(path)
    if (!check) {
      await rm(path)
      result.removed.push(path)
    }
  }
  return result
}

/** The .avsc files of a folder, in name order, as codegen inputs named after their files. */
async function readSchemasDir(schemasDir: string): Promise<CodegenSchema[]> {
  const dirName = basename(schemasDir)
  let entries: string[]
  try {
    entries = (await readdir(schemasDir)).filter((f) => f.endsWith('.avsc')).sort()
  } catch (error) {
    throw new FreshetError('SCHEMA_NOT_FOUND', `runCodegen: cannot read schema folder ${schemasDir}`, {
      cause: error,
      details: { schemasDir },
    })
  }
  const inputs: CodegenSchema[] = []
  for (const entry of entries) {
    const source = `${dirName}/${entry}`
    let schema: AvroSchemaJson
    try {
      schema = JSON.parse(await readFile(join(schemasDir, entry), 'utf8')) as AvroSchemaJson
    } catch (error) {
      throw invalid(source, `not valid JSON: ${(error as Error).message}`, error)
    }
    inputs.push({ file: entry.slice(0, -'.avsc'.length), source, schema })
  }
  return inputs
}

/** A module name for a subject: `payments-value` is `payments_value`. */
export function subjectModuleName(subject: string): string {
  const name = subject
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
  return /^[a-z]/.test(name) ? name : `subject_${name}`
}
