// `freshet schema codegen --subject`: types for a user's own schemas, pulled from the registry
// by subject (issue 11, "freshet as a dependency"), written where a project keeps them and
// type-checked there as that project would.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { freshetProcess } from '../helpers/cli.ts'
import { randomName } from '../helpers/kafka.ts'
import { PAYMENT_SCHEMA } from '../helpers/payments.ts'
import { testRegistry } from '../helpers/registry.ts'

const ROOT = join(import.meta.dirname, '../..')

function tsc(project: string): Promise<{ code: number; output: string }> {
  const bin = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc')
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, '-p', project], (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1
      resolve({ code, output: `${stdout}${stderr}` })
    })
  })
}

test('schema codegen --subject writes a module per subject (latest or S:VERSION) that type-checks', async (t) => {
  const { url, client } = await testRegistry(t)
  const dir = await mkdtemp(join(tmpdir(), 'freshet-codegen-subject-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const subject = `${randomName('payments')}-value`
  const v1 = { ...PAYMENT_SCHEMA, fields: PAYMENT_SCHEMA.fields.slice(0, 3) }
  await client.register(subject, JSON.stringify(v1))
  await client.register(subject, JSON.stringify(PAYMENT_SCHEMA))
  const alerts = `${randomName('alerts')}-value`
  await client.register(
    alerts,
    JSON.stringify({ type: 'record', name: 'Alert', fields: [{ name: 'message', type: 'string' }] }),
  )

  const out = join(dir, 'src', 'types')
  const run = await freshetProcess(
    'schema',
    'codegen',
    '--subject',
    subject,
    '--subject',
    `${alerts}:1`,
    '--out',
    out,
    '--registry-url',
    url,
  )
  assert.equal(run.code, 0, run.stderr)
  const module = subject.replace(/-/g, '_')
  assert.match(run.stdout, new RegExp(`wrote .*${module}\\.ts`))
  const text = await readFile(join(out, `${module}.ts`), 'utf8')
  assert.match(text, new RegExp(`^// generated from subjects/${subject}/versions/2 by`))
  assert.match(text, /note: string \| null/, 'the latest version, with the nullable field')
  assert.match(text, /export type PaymentStatus = 'PENDING' \| 'SETTLED' \| 'FAILED'/)

  await writeFile(
    join(dir, 'src', 'use.ts'),
    [
      `import { AlertSchema, PaymentSchema, type Alert, type Payment } from './types/index.ts'`,
      '',
      'export const names: string = AlertSchema.name + PaymentSchema.source',
      'export function describe(payment: Payment, alert: Alert): string {',
      '  return `${payment.payment_id} ${payment.status} ${payment.note ?? ""} ${alert.message}`',
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
        noEmit: true,
        target: 'es2022',
        module: 'nodenext',
        moduleResolution: 'nodenext',
        allowImportingTsExtensions: true,
        verbatimModuleSyntax: true,
        exactOptionalPropertyTypes: true,
        noUncheckedIndexedAccess: true,
        types: ['node'],
        typeRoots: [join(ROOT, 'node_modules', '@types')],
      },
      include: ['src'],
    }),
  )
  const checked = await tsc(join(dir, 'tsconfig.json'))
  assert.equal(checked.code, 0, `tsc reports:\n${checked.output}`)

  // Generated again from the same subjects, nothing is stale.
  const again = await freshetProcess(
    'schema',
    'codegen',
    '--subject',
    subject,
    '--subject',
    `${alerts}:1`,
    '--out',
    out,
    '--check',
    '--registry-url',
    url,
  )
  assert.equal(again.code, 0, again.stderr)
  assert.match(again.stdout, /generated types are up to date/)
})

test('schema codegen --subject of a subject the registry does not have fails (exit 1) naming it', async (t) => {
  const { url } = await testRegistry(t)
  const run = await freshetProcess(
    'schema',
    'codegen',
    '--subject',
    'nosuch-value',
    '--out',
    tmpdir(),
    '--registry-url',
    url,
  )
  assert.equal(run.code, 1, run.stderr)
  assert.match(run.stderr, /Subject 'nosuch-value' not found/)
})
