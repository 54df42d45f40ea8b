// A registry whose broker was killed never served again. Root cause: the tail of `_schemas` was a
// group consumer that, when the broker went away, was closed and replaced by one whose start
// (the group join) failed while Kafka was still down; the loop then waited on the batches of a
// consumer that had never joined, which never come nor fail, so the registry stopped reading its
// topic for good. Writes then timed out waiting for the log (50002 after 30 s), reads sometimes hung
// on the unbounded end-offset request, and /ready kept saying ready because it only knew whether
// the registry had started.
//
// `freshet registry` runs as a process on a broker of the test's own, which is killed with SIGKILL,
// kept down for 20 s and started again on the same data; the registry must notice (/ready 503,
// one log record), answer writes with a clear error meanwhile, and serve again by itself.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { RegistryClient } from '../../src/registry/index.ts'
import { freePort } from '../../src/stack/processes.ts'
import { RestartableBroker } from '../integrity/harness.ts'
import { randomName } from '../helpers/kafka.ts'

/** The CLI from source, so that the test runs the code under review whatever dist/ holds. */
const MAIN = join(import.meta.dirname, '../../src/cli/main.ts')
/** Generous: the machine is shared, and a broker recovering from SIGKILL replays its logs. */
const DEADLINE_MS = 180_000
const OUTAGE_MS = 20_000

interface LogRecord {
  msg: string
  level: number
  url?: string
  state?: string
}

const schema = (name: string): string =>
  JSON.stringify({ type: 'record', name, fields: [{ name: 'id', type: 'string' }] })

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, logs: () => string): Promise<T> {
  const deadline = Date.now() + DEADLINE_MS
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}; registry log:\n${logs()}`)
    await sleep(200)
  }
}

/** GET /ready of the metrics server: its HTTP status and reason, or undefined when it does not answer. */
async function ready(metricsUrl: string): Promise<{ status: number; reason?: string } | undefined> {
  try {
    const response = await fetch(new URL('/ready', metricsUrl), { signal: AbortSignal.timeout(10_000) })
    const body = (await response.json()) as { reason?: string }
    return { status: response.status, ...(body.reason === undefined ? {} : { reason: body.reason }) }
  } catch {
    return undefined
  }
}

test('a registry outlives a broker killed with SIGKILL: not ready while Kafka is down, serving again by itself once it is back', async (t) => {
  const broker = await RestartableBroker.start()
  t.after(() => broker.stop())
  const [port, metricsPort] = [await freePort(), await freePort()]
  const child = spawn(
    process.execPath,
    [
      MAIN,
      'registry',
      ...['--port', String(port), '--metrics-port', String(metricsPort)],
      ...['--topic', randomName('_schemas'), '--bootstrap', broker.bootstrap, '--log-format', 'json'],
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  )
  let logs = ''
  child.stderr.on('data', (chunk: Buffer) => (logs += chunk.toString()))
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL')
      await exited
    }
  })
  const records = (): LogRecord[] =>
    logs
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as LogRecord)
  const readLogs = (): string => logs

  const apiUrl = await waitFor(
    'the registry to listen',
    async () => records().find((r) => r.msg.startsWith('listening on'))?.url,
    readLogs,
  )
  const metricsUrl = `http://127.0.0.1:${metricsPort}`
  const client = new RegistryClient({ url: apiUrl, timeoutMs: 60_000 })
  const before = await client.register('before-value', schema('Before'))
  assert.equal((await ready(metricsUrl))?.status, 200)

  // The fault: the broker dies without a controlled shutdown.
  await broker.kill()
  const killedAtMs = Date.now()
  const notReady = await waitFor(
    '/ready to answer 503 while Kafka is down',
    async () => {
      const answer = await ready(metricsUrl)
      return answer?.status === 503 ? answer : undefined
    },
    readLogs,
  )
  assert.match(notReady.reason ?? '', /Kafka/, 'the reason names what the registry waits for')

  // A write during the outage answers, with Confluent's 50002 and the reason, instead of hanging.
  const refused = await fetch(`${apiUrl}/subjects/during-value/versions`, {
    method: 'POST',
    headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
    body: JSON.stringify({ schema: schema('During') }),
  })
  const refusal = (await refused.json()) as { error_code: number; message: string }
  assert.equal(refused.status, 500)
  assert.equal(refusal.error_code, 50002)
  assert.match(refusal.message, /Kafka is unreachable/)
  // Schemas already known are served from memory.
  const known = await fetch(`${apiUrl}/schemas/ids/${before}`)
  assert.equal(known.status, 200)
  assert.equal(((await known.json()) as { schema: string }).schema, schema('Before'))

  const heldMs = OUTAGE_MS - (Date.now() - killedAtMs)
  if (heldMs > 0) await sleep(heldMs)
  assert.equal((await ready(metricsUrl))?.status, 503, 'still not ready at the end of the outage')
  const waitsDuringOutage = records().filter((r) => r.state === 'WAITING_FOR_KAFKA')
  assert.equal(waitsDuringOutage.length, 1, `one record when the wait begins, not one per retry:\n${logs}`)

  await broker.restart()
  await waitFor(
    '/ready to answer 200 once Kafka is back',
    async () => ((await ready(metricsUrl))?.status === 200 ? true : undefined),
    readLogs,
  )

  // Serving again, without a restart: a new schema registers, the old one is read back.
  const after = await client.register('after-value', schema('After'))
  assert.ok(after > before, `a new id above the ones the topic holds (${after} after ${before})`)
  const fresh = new RegistryClient({ url: apiUrl })
  assert.equal(await fresh.getSchemaById(before), schema('Before'))
  assert.deepEqual(await fresh.listSubjects(), ['after-value', 'before-value'])
  assert.equal((await fresh.getLatest('before-value')).id, before)

  const states = records()
    .filter((r) => r.state !== undefined)
    .map((r) => r.state)
  assert.equal(states.at(-1), 'SERVING', `the last state logged is SERVING:\n${logs}`)
  assert.ok(
    states.filter((s) => s === 'SERVING').length === states.filter((s) => s === 'WAITING_FOR_KAFKA').length,
    `every wait logged is followed by one back:\n${logs}`,
  )
  assert.equal(child.exitCode, null, 'the same registry process served throughout')

  child.kill('SIGTERM')
  assert.equal(await exited, 0, logs)
})
