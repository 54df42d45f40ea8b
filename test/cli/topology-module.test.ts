// Loading a user's topology module: which exports are accepted (a factory, a pipeline, a built
// topology), what the factory is given, and the errors that say what to export instead.
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { isModulePath, loadTopology, parseParams } from '../../src/cli/topology-module.ts'
import { FreshetError } from '../../src/errors/index.ts'

const FIXTURE = join(import.meta.dirname, 'fixtures/fraud-alerts.ts')
const NO_CONTEXT = { applicationId: undefined, params: {} }

async function rejects(promise: Promise<unknown>, message: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof FreshetError)
    assert.equal(error.code, 'FRESHET_INVALID_OPTION')
    assert.match(error.message, message)
    return true
  })
}

test('a factory export gets the params and the application id; its pipeline is built', async () => {
  const { topology, exportName } = await loadTopology(FIXTURE, {
    context: { applicationId: 'fraud-eu', params: { input: 'payments-eu', output: 'alerts-eu' } },
  })
  assert.equal(exportName, 'default')
  assert.equal(topology.applicationId, 'fraud-eu')
  assert.deepEqual(topology.description.topics.sources, ['payments-eu'])
  assert.deepEqual(topology.description.topics.sinks, ['alerts-eu'])
})

test('--export picks a named export; a built topology runs under its own application id only', async () => {
  const { topology } = await loadTopology(FIXTURE, { exportName: 'built', context: NO_CONTEXT })
  assert.equal(topology.applicationId, 'fraud-alerts-fixed')
  await rejects(
    loadTopology(FIXTURE, { exportName: 'built', context: { applicationId: 'other', params: {} } }),
    /built application "fraud-alerts-fixed", not "other" \(--application-id\): to run it under other ids, export a function/,
  )
})

test("a missing export lists the module's exports; an export that is no topology says what to export", async () => {
  await rejects(
    loadTopology(FIXTURE, { exportName: 'pipeline', context: NO_CONTEXT }),
    /has no export "pipeline"; its exports: .*AlertSchema.*built.*default/,
  )
  await rejects(
    loadTopology(FIXTURE, { exportName: 'settings', context: NO_CONTEXT }),
    /\(export settings\) is an object with keys limit, not a topology: export pipeline\(\.\.\.\)\.build\(\), the pipeline, or a function/,
  )
})

test('a module that does not load, or whose factory throws, is named with the cause', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'freshet-module-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const broken = join(dir, 'broken.ts')
  await writeFile(broken, "import { nothing } from './missing.ts'\nexport default nothing\n")
  await rejects(loadTopology(broken, { context: NO_CONTEXT }), /cannot load .*broken\.ts: .*missing\.ts/)
  const throwing = join(dir, 'throwing.mjs')
  await writeFile(throwing, "export default () => { throw new Error('no limit configured') }\n")
  await rejects(
    loadTopology(throwing, { context: NO_CONTEXT }),
    /throwing\.mjs \(export default\): the topology factory threw: no limit configured/,
  )
  await rejects(loadTopology(join(dir, 'notes.txt'), { context: NO_CONTEXT }), /no module at/)
  await writeFile(join(dir, 'notes.txt'), 'x')
  await rejects(
    loadTopology(join(dir, 'notes.txt'), { context: NO_CONTEXT }),
    /a topology module ends in \.ts/,
  )
})

test('a job name is no module path; a path or a file name with an extension is', () => {
  assert.equal(isModulePath('event-counts'), false)
  for (const path of ['./pipeline.ts', 'dist/pipeline.js', 'pipeline.mjs', '/abs/app.mts']) {
    assert.equal(isModulePath(path), true, path)
  }
})

test('--param pairs: the first = splits key from value; a pair without a key is refused', () => {
  assert.deepEqual(parseParams(['a=1', 'url=http://x?y=z', 'empty=']), {
    a: '1',
    url: 'http://x?y=z',
    empty: '',
  })
  assert.throws(() => parseParams(['=1']), /--param must be key=value, got "=1"/)
})
