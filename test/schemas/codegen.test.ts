import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import * as prettier from 'prettier'
import { ErrorCodes, FreshetError } from '../../src/errors/index.ts'
import { generateModule, runCodegen } from '../../src/schemas/codegen.ts'
import { UserEventSchema, type UserEvent } from '../../src/schemas/generated/index.ts'
import type { AvroSchemaJson, TypedSchema } from '../../src/schemas/types.ts'

const ROOT = join(import.meta.dirname, '../..')
const SCHEMAS = join(ROOT, 'schemas')
const GENERATED = join(ROOT, 'src/schemas/generated')

/** Runs a command to its end: its exit code, and what it wrote to stdout and stderr. */
function run(command: string, args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(command, args, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1
      resolve({ code, output: `${stdout}${stderr}` })
    })
  })
}

async function formatted(text: string): Promise<string> {
  const config = (await prettier.resolveConfig(join(ROOT, 'src/index.ts'))) ?? {}
  return prettier.format(text, { ...config, parser: 'typescript' })
}

/** A schema using every construct codegen handles. */
const KITCHEN_SINK = {
  type: 'record',
  name: 'Order',
  namespace: 'test.shop',
  doc: "An order with everything: it's a long doc string that has to wrap across several lines because it is far wider than the print width of the project.",
  fields: [
    { name: 'id', type: { type: 'string', logicalType: 'uuid' } },
    { name: 'placed_at', type: { type: 'long', logicalType: 'timestamp-millis' }, doc: 'When.' },
    { name: 'day', type: { type: 'int', logicalType: 'date' } },
    { name: 'flag', type: 'boolean' },
    { name: 'ratio', type: 'float', default: 1.5e21 },
    { name: 'raw', type: 'bytes' },
    { name: 'hash', type: { type: 'fixed', name: 'Md5', size: 16 } },
    { name: 'hash2', type: ['null', 'Md5'], default: null },
    {
      name: 'state',
      type: { type: 'enum', name: 'State', symbols: ['open', 'closed'], default: 'open' },
      doc: 'Says "open" or \'closed\'.',
    },
    { name: 'tags', type: { type: 'array', items: 'string' }, default: [] },
    { name: 'scores', type: { type: 'map', values: ['null', 'double'] }, default: {} },
    {
      name: 'lines',
      type: {
        type: 'array',
        items: { type: 'record', name: 'Line', fields: [{ name: 'qty', type: 'int' }] },
      },
    },
    { name: 'first_line', type: ['null', 'Line'], default: null },
    {
      name: 'choice',
      type: ['null', 'string', 'long', 'boolean', { type: 'array', items: ['null', 'State'] }],
    },
    { name: 'parent', type: ['null', 'Order'], default: null },
    {
      name: 'other',
      type: ['null', { type: 'record', name: 'Other', namespace: 'test.other', fields: [] }],
      default: null,
    },
    {
      name: 'a_very_long_field_name_that_pushes_the_union_type_beyond_the_limit_of_the_line',
      type: ['null', 'string', 'long', 'boolean', 'Line', { type: 'array', items: 'State' }],
      default: null,
    },
    {
      name: 'big',
      type: [
        'null',
        { type: 'record', name: 'AQuiteLongRecordNameForTheUnionTest', fields: [] },
        { type: 'enum', name: 'AnEnumWithAnEvenLongerNameThanUsual', symbols: ['X'] },
        { type: 'fixed', name: 'AFixedTypeWithAVeryLongNameIndeed', size: 2 },
        'double',
        'boolean',
      ],
    },
    {
      name: 'primes',
      type: { type: 'array', items: 'int' },
      default: [
        2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97, 101,
        103,
      ],
    },
  ],
}

test('the committed generated files are up to date', async () => {
  const result = await runCodegen({ schemasDir: SCHEMAS, outDir: GENERATED, check: true })
  assert.deepEqual(result.stale, [], 'run `node scripts/codegen.ts`')
  assert.deepEqual(result.written, [])
})

test('generated files are exactly as prettier formats them', async () => {
  for (const file of await readdir(GENERATED)) {
    const text = await readFile(join(GENERATED, file), 'utf8')
    assert.equal(text, await formatted(text), file)
  }
  const sink = generateModule(KITCHEN_SINK, 'schemas/order.avsc').text
  assert.equal(sink, await formatted(sink))
})

test('types follow how avsc reads values', () => {
  const { text, typeName, constName, fullName, exports } = generateModule(KITCHEN_SINK, 'schemas/order.avsc')
  assert.equal(typeName, 'Order')
  assert.equal(constName, 'OrderSchema')
  assert.equal(fullName, 'test.shop.Order')
  assert.deepEqual(
    exports.sort(),
    [
      'AFixedTypeWithAVeryLongNameIndeed',
      'AQuiteLongRecordNameForTheUnionTest',
      'AnEnumWithAnEvenLongerNameThanUsual',
      'AnEnumWithAnEvenLongerNameThanUsualSymbols',
      'Line',
      'Md5',
      'Order',
      'OrderSchema',
      'Other',
      'State',
      'StateSymbols',
    ].sort(),
  )
  const has = (line: string): void => assert.ok(text.includes(line), `missing: ${line}\n${text}`)
  has('export interface Order {')
  has('  id: string\n')
  has('  placed_at: number\n')
  has('  day: number\n')
  has('  flag: boolean\n')
  has('  raw: Buffer\n')
  has('  hash: Md5\n')
  has('  hash2: Md5 | null\n')
  has('  state: State\n')
  has('  tags: string[]\n')
  has('  scores: Record<string, number | null>\n')
  has('  lines: Line[]\n')
  has('  first_line: Line | null\n')
  has('  choice: string | number | boolean | (State | null)[] | null\n')
  has('  parent: Order | null\n')
  has('  other: Other | null\n')
  has(
    '  a_very_long_field_name_that_pushes_the_union_type_beyond_the_limit_of_the_line:\n    string | number',
  )
  has('  big:\n    | AQuiteLongRecordNameForTheUnionTest\n    | AnEnumWithAnEvenLongerNameThanUsual\n')
  has("export type State = 'open' | 'closed'\n")
  has("export const StateSymbols: readonly State[] = ['open', 'closed']\n")
  has('export type Md5 = Buffer\n')
  has('export interface Line {\n  qty: number\n}\n')
  has('export interface Other {}\n')
  has('  /** Says "open" or \'closed\'. */\n')
  has(
    "export const OrderSchema: TypedSchema<Order> = {\n  name: 'test.shop.Order',\n  source: 'schemas/order.avsc',\n",
  )
  has('      default: 1.5e21,\n')
  assert.equal(text.match(/export interface Line /g)?.length, 1, 'named types are declared once')
  assert.ok(
    text.startsWith('// generated from schemas/order.avsc by `freshet schema codegen`; do not edit\n'),
  )
})

function rejects(schema: unknown, pattern: RegExp): void {
  assert.throws(
    () => generateModule(schema as AvroSchemaJson, 'schemas/x.avsc'),
    (error: unknown) => {
      assert.ok(error instanceof FreshetError)
      assert.equal(error.code, ErrorCodes.SCHEMA_INVALID.code)
      assert.match(error.message, pattern)
      return true
    },
  )
}

test('schemas codegen cannot represent are FRESHET_SCHEMA_INVALID', () => {
  rejects(
    { type: 'record', name: 'R', fields: [{ name: 'n', type: ['int', 'long'] }] },
    /same JavaScript kind \(number\)/,
  )
  rejects(
    { type: 'record', name: 'R', fields: [{ name: 'x', type: 'Missing' }] },
    /avsc rejects|unknown type/,
  )
  rejects('string', /top-level schema/)
  rejects(
    {
      type: 'record',
      name: 'R',
      namespace: 'a',
      fields: [
        { name: 'x', type: { type: 'enum', name: 'E', symbols: ['A'] } },
        { name: 'y', type: { type: 'enum', name: 'E', namespace: 'b', symbols: ['B'] } },
      ],
    },
    /already taken/,
  )
  rejects({ type: 'record', name: 'Buffer', fields: [] }, /already taken/)
  rejects({ type: 'record', name: 'R', fields: [{ name: 'x', type: 'int', default: 'no' }] }, /avsc rejects/)
})

test('runCodegen writes, checks, and removes orphans; --check writes nothing', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'freshet-codegen-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const schemas = join(dir, 'schemas')
  const out = join(dir, 'generated')
  await mkdir(schemas)
  await writeFile(join(schemas, 'order.avsc'), JSON.stringify(KITCHEN_SINK))
  await writeFile(join(schemas, 'tiny.avsc'), JSON.stringify({ type: 'enum', name: 'Tiny', symbols: ['A'] }))

  const checked = await runCodegen({ schemasDir: schemas, outDir: out, check: true })
  assert.equal(checked.stale.length, 4)
  assert.deepEqual(checked.written, [])
  await assert.rejects(readdir(out))

  const first = await runCodegen({ schemasDir: schemas, outDir: out })
  assert.deepEqual(first.written.sort(), [
    join(out, 'index.ts'),
    join(out, 'order.ts'),
    join(out, 'tiny.ts'),
    join(out, 'typed-schema.ts'),
  ])
  const index = await readFile(join(out, 'index.ts'), 'utf8')
  assert.ok(index.includes("export * from './order.ts'"))
  assert.ok(index.includes('  tiny: TinySchema,'))
  assert.equal(index, await formatted(index))

  const again = await runCodegen({ schemasDir: schemas, outDir: out })
  assert.deepEqual(again, { written: [], stale: [], removed: [] }, 'unchanged files are not rewritten')

  await rm(join(schemas, 'tiny.avsc'))
  await writeFile(join(out, 'hand-written.ts'), 'export const keep = 1\n')
  const stale = await runCodegen({ schemasDir: schemas, outDir: out, check: true })
  assert.deepEqual(stale.stale.sort(), [join(out, 'index.ts'), join(out, 'tiny.ts')])
  const cleaned = await runCodegen({ schemasDir: schemas, outDir: out })
  assert.deepEqual(cleaned.removed, [join(out, 'tiny.ts')])
  assert.deepEqual((await readdir(out)).sort(), [
    'hand-written.ts',
    'index.ts',
    'order.ts',
    'typed-schema.ts',
  ])
})

test('a generated constant is a freshet TypedSchema, though its module declares the type itself', () => {
  // Checked by tsc (`npm run check`): the module's own TypedSchema has freshet's shape.
  const typed: TypedSchema<UserEvent> = UserEventSchema
  assert.equal(typed.name, 'dev.freshet.events.UserEvent')
})

test('generated modules compile on their own in a project outside freshet, under strict settings', async (t) => {
  // A user's project: the generated folder anywhere, nothing of freshet's sources next to it, and
  // the strictest checks a project may turn on (libraries checked too).
  const dir = await mkdtemp(join(tmpdir(), 'freshet-codegen-project-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const schemas = join(dir, 'avro')
  await mkdir(schemas)
  await writeFile(join(schemas, 'order.avsc'), JSON.stringify(KITCHEN_SINK))
  await writeFile(join(schemas, 'user_event.avsc'), await readFile(join(SCHEMAS, 'user_event.avsc'), 'utf8'))
  await runCodegen({ schemasDir: schemas, outDir: join(dir, 'src', 'types') })
  await writeFile(
    join(dir, 'src', 'use.ts'),
    [
      "import { generatedSchemas, OrderSchema, type Order, type UserEvent } from './types/index.ts'",
      '',
      'export const name: string = OrderSchema.name + generatedSchemas.user_event.source',
      'export function total(order: Order, event: UserEvent): number {',
      '  return order.lines.length + event.timestamp',
      '}',
      '',
    ].join('\n'),
  )
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'shop', type: 'module', private: true }))
  await writeFile(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        skipLibCheck: false,
        // Declarations too, as a library that ships the types does: they must name every type.
        declaration: true,
        emitDeclarationOnly: true,
        outDir: join(dir, 'out'),
        rootDir: join(dir, 'src'),
        target: 'es2022',
        module: 'nodenext',
        moduleResolution: 'nodenext',
        allowImportingTsExtensions: true,
        verbatimModuleSyntax: true,
        isolatedModules: true,
        exactOptionalPropertyTypes: true,
        noUnusedLocals: true,
        noUncheckedIndexedAccess: true,
        types: ['node'],
        typeRoots: [join(ROOT, 'node_modules', '@types')],
      },
      include: ['src'],
    }),
  )
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc')
  const result = await run(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json')])
  assert.equal(result.code, 0, `tsc reports:\n${result.output}`)
})

test('runCodegen rejects names two files both export, bad JSON and bad options', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'freshet-codegen-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  await writeFile(join(dir, 'a.avsc'), JSON.stringify({ type: 'enum', name: 'Same', symbols: ['A'] }))
  await writeFile(
    join(dir, 'b.avsc'),
    JSON.stringify({ type: 'enum', name: 'Same', namespace: 'other', symbols: ['B'] }),
  )
  const isCode = (code: string) => (error: unknown) => error instanceof FreshetError && error.code === code
  await assert.rejects(
    runCodegen({ schemasDir: dir, outDir: join(dir, 'out') }),
    isCode(ErrorCodes.SCHEMA_INVALID.code),
  )
  await rm(join(dir, 'b.avsc'))
  await writeFile(join(dir, 'c.avsc'), '{ not json')
  await assert.rejects(
    runCodegen({ schemasDir: dir, outDir: join(dir, 'out') }),
    isCode(ErrorCodes.SCHEMA_INVALID.code),
  )
  await assert.rejects(runCodegen({ schemasDir: dir } as never), isCode(ErrorCodes.INVALID_OPTION.code))
  await assert.rejects(
    runCodegen({ schemasDir: join(dir, 'nope'), outDir: dir }),
    isCode(ErrorCodes.SCHEMA_NOT_FOUND.code),
  )
})
