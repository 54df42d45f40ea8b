/**
 * The README's flow through the installed entry point (bin/freshet.js over dist/), on a stack of
 * its own: up, a second up that finds it, produce, consume, an independent client (Debian's kcat)
 * reading Confluent-framed Avro whose schema id resolves at the registry, down, nothing left.
 */
import assert from 'node:assert/strict'
import { execFile, spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
import avro from 'avsc'
import { isAlive } from '../../src/stack/processes.ts'
import { stackEnv } from '../helpers/cli.ts'

const run = promisify(execFile)

const BIN = join(import.meta.dirname, '../../bin/freshet.js')

test('up, up again, produce, consume, kcat, status, down: events flow and no process is left', async (t) => {
  const stateDir = mkdtempSync(join(tmpdir(), 'freshet-cli-'))
  const env = await stackEnv(stateDir)
  const bootstrap = `127.0.0.1:${env.FRESHET_KAFKA_PORT}`
  const freshet = (...args: string[]) =>
    run(process.execPath, [BIN, ...args], { env, maxBuffer: 64 * 1024 * 1024 })
  t.after(async () => {
    await freshet('down').catch(() => {})
    rmSync(stateDir, { recursive: true, force: true })
  })

  const first = JSON.parse((await freshet('up', '--json')).stdout) as Array<{
    name: string
    up: boolean
    pid: number
  }>
  assert.deepEqual(
    first.map((s) => [s.name, s.up]),
    [
      ['kafka', true],
      ['registry', true],
    ],
  )
  const pids = first.map((s) => s.pid)
  assert.ok(pids.every((pid) => Number.isInteger(pid) && isAlive(pid)))

  const second = await freshet('up', '--json')
  assert.deepEqual(
    (JSON.parse(second.stdout) as Array<{ pid: number }>).map((s) => s.pid),
    pids,
    'the second up reuses the running services',
  )
  assert.match(second.stderr, /already running/)

  const topics = (await freshet('topics', 'list')).stdout.trim().split('\n')
  for (const topic of ['user-events', 'event-analytics', 'user-events.dlq'])
    assert.ok(topics.includes(topic), topic)
  assert.match((await freshet('topics', 'describe', 'user-events')).stdout, /partitions 6/)

  const produced = JSON.parse((await freshet('produce', '--count', '10000', '--json')).stdout) as {
    sent: number
    failed: number
  }
  assert.equal(produced.sent, 10_000)
  assert.equal(produced.failed, 0)

  const consumed = JSON.parse(
    (await freshet('consume', '--from-beginning', '--max-messages', '10000', '--group', 'cli-test', '--json'))
      .stdout,
  ) as { total: number; errors: number; top: Array<{ values: Array<[string, number]> }> }
  assert.equal(consumed.total, 10_000)
  assert.equal(consumed.errors, 0)
  assert.ok((consumed.top[0]?.values.length ?? 0) > 0)

  // An independent client: kcat reads raw values; the bytes are Confluent-framed Avro.
  const kcat = spawnSync(
    'kcat',
    [
      '-b',
      bootstrap,
      '-t',
      'user-events',
      '-C',
      '-o',
      'beginning',
      '-c',
      '20',
      '-e',
      '-q',
      '-D',
      '',
      '-f',
      '%k\t%s',
    ],
    {
      encoding: 'buffer',
      maxBuffer: 16 * 1024 * 1024,
    },
  )
  assert.equal(kcat.status, 0, `kcat failed: ${kcat.stderr?.toString()}`)
  const out = kcat.stdout
  const records: Array<{ key: string; value: Buffer }> = []
  // Each record is "<key>\t<value>" with no delimiter between records (-D ''); keys are user ids.
  let i = 0
  while (i < out.length) {
    const tab = out.indexOf(0x09, i)
    const key = out.subarray(i, tab).toString()
    const start = tab + 1
    // Find the value's end by decoding it: header (5 bytes) + one Avro datum.
    const id = out.readUInt32BE(start + 1)
    records.push({ key, value: out.subarray(start, start + 5) })
    const schema = await schemaFor(env.FRESHET_REGISTRY_PORT, id)
    const decoded = schema.decode(out, start + 5)
    assert.ok(decoded.offset > 0, 'value decodes with the schema its id names')
    const event = decoded.value as { user_id: string; event_type: string; timestamp: number }
    assert.equal(out[start], 0, 'magic byte 0')
    assert.equal(event.user_id, key, 'keyed by user_id')
    assert.ok(event.timestamp > 1_600_000_000_000)
    i = decoded.offset
  }
  assert.equal(records.length, 20)

  const status = JSON.parse((await freshet('status', '--json')).stdout) as {
    services: Array<{ up: boolean }>
    jobs: unknown[]
  }
  assert.ok(status.services.every((s) => s.up))
  assert.deepEqual(status.jobs, [], 'no job runs on this stack')

  await freshet('down')
  for (const pid of pids) assert.equal(isAlive(pid), false, `pid ${pid} is gone after down`)
  const after = await freshet('status', '--json').catch((e: { stdout: string }) => e)
  assert.ok((JSON.parse(after.stdout) as { services: Array<{ up: boolean }> }).services.every((s) => !s.up))
})

const schemas = new Map<number, avro.Type>()
async function schemaFor(port: string, id: number): Promise<avro.Type> {
  let type = schemas.get(id)
  if (!type) {
    const response = await fetch(`http://127.0.0.1:${port}/schemas/ids/${id}`)
    assert.equal(response.status, 200, `schema id ${id} resolves at the registry`)
    const body = (await response.json()) as { schema: string }
    type = avro.Type.forSchema(JSON.parse(body.schema) as avro.Schema)
    schemas.set(id, type)
  }
  return type
}

test('an unknown flag is refused with a message that names it, exit code 2', async () => {
  const result = await run(process.execPath, [BIN, 'produce', '--count', '1', '--colour', 'red']).catch(
    (e: { code: number; stderr: string }) => e,
  )
  assert.equal((result as { code: number }).code, 2)
  assert.match((result as { stderr: string }).stderr, /FRESHET_INVALID_OPTION.*colour/)
})

test('demo: brings the stack up, runs the jobs, serves the dashboard and metrics, SIGINT stops everything it started', async (t) => {
  const stateDir = mkdtempSync(join(tmpdir(), 'freshet-demo-'))
  t.after(() => rmSync(stateDir, { recursive: true, force: true }))
  const env = await stackEnv(stateDir)
  const demo = spawn(
    process.execPath,
    [BIN, 'demo', '--rate', '500', '--dashboard-port', '0', '--log-format', 'json'],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let output = ''
  let logs = ''
  demo.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
  demo.stderr.on('data', (chunk: Buffer) => (logs += chunk.toString()))
  const exited = new Promise<number | null>((resolve) => demo.once('exit', resolve))
  t.after(() => {
    if (demo.exitCode === null) demo.kill('SIGKILL')
  })

  // Wait for a progress line (JSON logs on stderr) in which every job has read events.
  type Progress = { msg: string; produced: number; jobs: Record<string, { state: string; read: number }> }
  const deadline = Date.now() + 120_000
  let progress: Progress | undefined
  while (Date.now() < deadline) {
    progress = logs
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Progress)
      .filter((line) => line.msg === 'progress')
      .at(-1)
    if (progress !== undefined && Object.values(progress.jobs).every((j) => j.read > 0)) break
    await sleep(500)
  }
  assert.ok(progress !== undefined && progress.produced > 0, `no progress:\n${output}\n${logs}`)
  assert.deepEqual(Object.keys(progress.jobs), ['event-counts', 'revenue', 'sessions', 'top-users'])
  for (const [job, figures] of Object.entries(progress.jobs)) {
    assert.equal(figures.state, 'RUNNING', job)
    assert.ok(figures.read > 0, `${job} read nothing: ${logs}`)
  }
  const dashboard = /dashboard {2}(http:\S+)/.exec(output)?.[1]
  const metrics = /metrics {4}(http:\S+)/.exec(output)?.[1]
  assert.ok(dashboard !== undefined && metrics !== undefined, output)
  const state = (await (await fetch(`${dashboard}/api/state`)).json()) as { jobs: unknown[] }
  assert.equal(state.jobs.length, 4)
  assert.match(await (await fetch(metrics)).text(), /freshet_worker_up\{application="freshet-demo-sessions"/)
  const stack = JSON.parse(readFileSync(join(stateDir, 'stack.json'), 'utf8')) as Record<
    string,
    { pid: number }
  >
  const pids = Object.values(stack).map((s) => s.pid)
  assert.equal(pids.length, 2)

  demo.kill('SIGINT')
  assert.equal(await exited, 0, `${output}\n${logs}`)
  assert.match(logs, /"msg":"the demo stopped"/)
  for (const pid of pids) assert.equal(isAlive(pid), false, `pid ${pid} left behind by the demo`)
})

test('the freshet command runs Node with the V8 flags of src/cli/node-flags.ts, from its shebang and from the checkout script', async () => {
  const { NODE_FLAGS } = await import('../../src/cli/node-flags.ts')
  const root = join(import.meta.dirname, '../..')
  const shebang = readFileSync(join(root, 'bin/freshet.js'), 'utf8').split('\n')[0]
  assert.equal(shebang, `#!/usr/bin/env -S node ${NODE_FLAGS.join(' ')}`)
  const script = readFileSync(join(root, 'freshet'), 'utf8')
  assert.match(script, new RegExp(`exec "\\$node" ${NODE_FLAGS.join(' ')} "\\$here/bin/freshet.js" "\\$@"`))
  // The flags reach V8: the young generation stays within them.
  const probe = spawnSync(
    process.execPath,
    [
      ...NODE_FLAGS,
      '-e',
      "console.log(require('node:v8').getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size)",
    ],
    { encoding: 'utf8' },
  )
  assert.ok(Number(probe.stdout) <= 8 * 1024 * 1024, `new space ${probe.stdout}`)
})
