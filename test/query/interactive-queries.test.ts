// Interactive queries against the real broker, with two workers of one application: a keyed count
// (a key-value store) and a per-second count (a window store) over a 4-partition input through a
// repartition topic. Every key is asked of both workers' HTTP endpoints and must equal an oracle
// that counts the input straight; a key the asked worker does not host is forwarded, once, to the
// worker that does (its answer names who served it). A worker answers 503 with Retry-After before
// it has started and while a rebalance has revoked its tasks, and 404 with a code for an unknown
// store or key.
import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { Registry } from 'prom-client'
import { KafkaProducer } from '../../src/kafka/index.ts'
import { MetricsServer } from '../../src/metrics/index.ts'
import { encodeKey } from '../../src/operators/index.ts'
import { FORWARDED_HEADER, storeRoutes, type KeyQueryResult } from '../../src/query/index.ts'
import { Worker, type WorkerEvent } from '../../src/runtime/index.ts'
import { pipeline, valueStore, type Topology } from '../../src/stream/index.ts'
import { tumbling } from '../../src/windows/index.ts'
import { brokers, randomName, randomTopic } from '../helpers/kafka.ts'

const PARTITIONS = 4
const EVENTS = 600
const USERS = 29
/** A whole second, so that one-second windows start on whole seconds from it. */
const BASE_MS = 1_700_000_000_000
const SPAN_MS = 5_000
const DEADLINE_MS = 60_000

interface Click {
  user: string
  timestamp: number
}

function clicks(): Click[] {
  return Array.from({ length: EVENTS }, (_, i) => ({
    user: `user-${(i * 7) % USERS}`,
    timestamp: BASE_MS + ((i * 131) % SPAN_MS),
  }))
}

function topology(applicationId: string, input: string): Topology {
  const app = pipeline({ applicationId })
  const keyed = app.stream<Click>(input).keyBy((c) => c.user, { name: 'by-user' })
  keyed.process(
    (record, { stores }) => {
      stores.counts.put(record.key, (stores.counts.get(record.key) ?? 0) + 1)
      return undefined
    },
    { stores: { counts: valueStore<number>() } },
  )
  // A grace of an hour: no window closes (and leaves the store) during the test.
  keyed.window(tumbling({ sizeMs: 1_000, graceMs: 3_600_000 })).count({ name: 'per-second' })
  return app.build()
}

function countsOracle(events: readonly Click[]): Map<string, number> {
  const counts = new Map<string, number>()
  for (const e of events) counts.set(e.user, (counts.get(e.user) ?? 0) + 1)
  return counts
}

function windowsOracle(events: readonly Click[], user: string): Array<{ startMs: number; value: number }> {
  const counts = new Map<number, number>()
  for (const e of events) {
    if (e.user !== user) continue
    const startMs = e.timestamp - (e.timestamp % 1_000)
    counts.set(startMs, (counts.get(startMs) ?? 0) + 1)
  }
  return [...counts].sort(([a], [b]) => a - b).map(([startMs, value]) => ({ startMs, value }))
}

async function produce(topic: string, events: readonly Click[]): Promise<void> {
  const producer = new KafkaProducer({ bootstrapBrokers: brokers() })
  try {
    await producer.send(
      events.map((e, i) => ({
        topic,
        partition: i % PARTITIONS,
        key: null,
        value: Buffer.from(JSON.stringify(e)),
      })),
    )
  } finally {
    await producer.close()
  }
}

interface Member {
  readonly worker: Worker
  readonly url: string
  readonly events: WorkerEvent[]
}

/** A worker serving its queries beside a metrics server, advertising that server's address. */
async function member(
  t: TestContext,
  applicationId: string,
  input: string,
  workerId: string,
  onEvent: (event: WorkerEvent, worker: Worker) => void = () => {},
): Promise<Member> {
  // The routes reach the worker once it exists: it is made right after the server starts, with
  // no await in between, so no request comes before.
  const server: MetricsServer = new MetricsServer({
    registry: new Registry(),
    routes: [
      storeRoutes({
        get workerId() {
          return workerId
        },
        query: (...args) => created.query(...args),
        queryRange: (...args) => created.queryRange(...args),
        storesMetadata: () => created.storesMetadata(),
      }),
    ],
  })
  t.after(() => server.close())
  const url: string = await server.start()
  const events: WorkerEvent[] = []
  const created: Worker = new Worker({
    bootstrapBrokers: brokers(),
    topology: topology(applicationId, input),
    workerId,
    advertisedEndpoint: url.slice('http://'.length),
    maxOutOfOrdernessMs: 0,
    idleTimeoutMs: 60_000,
    sessionTimeoutMs: 6_000,
    rebalanceTimeoutMs: 10_000,
    onEvent: (event) => {
      events.push(event)
      onEvent(event, created)
    },
  })
  t.after(() => created.stop().catch(() => {}))
  return { worker: created, url, events }
}

interface Host {
  partition: number
  host: { workerId: string; endpoint: string | null } | null
  local: boolean
}

/**
 * The fields of the JSON answers the test reads; which ones an answer has depends on the route
 * (one it lacks fails the assertion that reads it).
 */
interface Body {
  code: string
  error: string
  value: number
  partition: number
  servedBy: { workerId: string; endpoint: string | null }
  entries: Array<{ key: string; partition: number; value: number }>
  truncated: boolean
  windows: Array<{ startMs: number; value: number }>
  state: string
  stores: Array<{ name: string; kind: string; partitions: number; hosts: Host[] }>
}

async function get(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Body; retryAfter: string | null }> {
  const response = await fetch(url, { headers })
  const body = (await response.json()) as Body
  return { status: response.status, body, retryAfter: response.headers.get('retry-after') }
}

/** Asks until the answer is not a 503 (a rebalance, a restore), up to the deadline. */
async function settled(url: string): Promise<{ status: number; body: Body }> {
  const deadline = Date.now() + DEADLINE_MS
  for (;;) {
    const answer = await get(url)
    if (answer.status !== 503 || Date.now() > deadline) return answer
    await sleep(100)
  }
}

/** Until `check` holds, up to the deadline; returns whether it did. */
async function eventually(check: () => Promise<boolean>): Promise<boolean> {
  const deadline = Date.now() + DEADLINE_MS
  while (Date.now() < deadline) {
    if (await check()) return true
    await sleep(200)
  }
  return false
}

async function rangeSum(url: string): Promise<number> {
  const answer = await get(`${url}/stores/counts/keys?limit=1000`)
  if (answer.status !== 200) return -1
  return (answer.body.entries as Array<{ value: number }>).reduce((sum, e) => sum + e.value, 0)
}

test('two workers answer every key from either endpoint, equal to the oracle, forwarding what the other hosts', async (t) => {
  const input = await randomTopic(t, 'clicks', PARTITIONS)
  const applicationId = randomName('iq')
  const events = clicks()
  const counts = countsOracle(events)
  await produce(input, events)

  // What the first worker answers at the moment a rebalance has revoked its tasks.
  const duringRebalance: KeyQueryResult[] = []
  const a = await member(t, applicationId, input, 'worker-a', (event, worker) => {
    if (event.type === 'revoked' && event.tasks.length > 0)
      duringRebalance.push(worker.query('counts', 'user-1'))
  })
  // Not started: nobody can answer yet.
  const early = await get(`${a.url}/stores/counts/keys/user-1`)
  assert.equal(early.status, 503)
  assert.equal(early.body.code, 'FRESHET_QUERY_UNAVAILABLE')
  assert.equal(early.retryAfter, '1')

  await a.worker.start()
  assert.ok(
    await eventually(async () => (await rangeSum(a.url)) === EVENTS),
    'the first worker counted every event',
  )

  const b = await member(t, applicationId, input, 'worker-b')
  await b.worker.start()
  // Both hold some of the partitions, and each knows who holds the others.
  const spread = async (): Promise<boolean> => {
    for (const { url } of [a, b]) {
      const stores = await get(`${url}/stores`)
      if (stores.status !== 200 || stores.body.state !== 'available') return false
      const hosts = stores.body.stores.find((s) => s.name === 'counts')?.hosts ?? []
      const local = hosts.filter((h) => h.local).length
      if (local === 0 || local === PARTITIONS || hosts.some((h) => h.host === null)) return false
    }
    return true
  }
  assert.ok(await eventually(spread), 'the partitions are shared and the assignment known to both')
  assert.ok(duringRebalance.length > 0, 'the first worker was asked while its tasks were revoked')
  for (const answer of duringRebalance) assert.equal(answer.status, 'unavailable')

  // Every key, from both endpoints: the oracle's count, served by the worker /stores names.
  const stores = (await get(`${a.url}/stores`)).body
  const countsHosts = stores.stores.find((s) => s.name === 'counts')
  assert.ok(countsHosts !== undefined)
  assert.equal(countsHosts.kind, 'key-value')
  assert.equal(countsHosts.partitions, PARTITIONS)
  const served = { a: new Set<string>(), b: new Set<string>() }
  for (const [user, count] of counts) {
    for (const [name, { url }] of [
      ['a', a],
      ['b', b],
    ] as const) {
      const answer = await settled(`${url}/stores/counts/keys/${encodeURIComponent(user)}`)
      assert.equal(answer.status, 200, `${user} at worker ${name}: ${JSON.stringify(answer.body)}`)
      assert.equal(answer.body.value, count, `${user} at worker ${name}`)
      const owner: string | undefined = countsHosts.hosts[answer.body.partition]?.host?.workerId
      assert.equal(answer.body.servedBy.workerId, owner, `${user} is served by its host`)
      if (owner !== `worker-${name}`) served[name].add(user)
    }
  }
  assert.ok(served.a.size > 0 && served.b.size > 0, 'each endpoint forwarded keys the other hosts')

  // A forwarded request is never forwarded again: the worker that does not host the key says so.
  const [forwardedUser] = served.a
  const refused = await get(`${a.url}/stores/counts/keys/${forwardedUser as string}`, {
    [FORWARDED_HEADER]: 'worker-b',
  })
  assert.equal(refused.status, 503)
  assert.equal(refused.body.code, 'FRESHET_QUERY_UNAVAILABLE')

  // The range over all partitions, from either endpoint, is the oracle in the store's key order.
  const expected = [...counts]
    .sort(([x], [y]) => Buffer.compare(encodeKey(x), encodeKey(y)))
    .map(([key, value]) => ({ key, value }))
  for (const { url } of [a, b]) {
    const range = await settled(`${url}/stores/counts/keys?limit=1000`)
    assert.equal(range.status, 200)
    assert.equal(range.body.truncated, false)
    assert.deepEqual(
      range.body.entries.map((e: { key: string; value: number }) => ({ key: e.key, value: e.value })),
      expected,
    )
    const bounded = await settled(`${url}/stores/counts/keys?from=user-10&to=user-19`)
    assert.deepEqual(
      bounded.body.entries.map((e: { key: string }) => e.key),
      expected.map((e) => e.key).filter((k) => k >= 'user-10' && k <= 'user-19'),
    )
  }

  // Window fetch: the per-second counts of a key whose windows start within [fromMs, toMs].
  for (const user of ['user-3', 'user-17']) {
    const all = windowsOracle(events, user)
    const fromMs = BASE_MS + 1_000
    const toMs = BASE_MS + 3_000
    for (const { url } of [a, b]) {
      const answer = await settled(
        `${url}/stores/per-second-store/keys/${user}?fromMs=${fromMs}&toMs=${toMs}`,
      )
      assert.equal(answer.status, 200, JSON.stringify(answer.body))
      assert.deepEqual(
        answer.body.windows,
        all.filter((w) => w.startMs >= fromMs && w.startMs <= toMs),
      )
      assert.deepEqual((await settled(`${url}/stores/per-second-store/keys/${user}`)).body.windows, all)
    }
  }

  // Unknown store or key: 404 with a code, wherever the key lives.
  for (const { url } of [a, b]) {
    const store = await get(`${url}/stores/nope/keys/user-1`)
    assert.equal(store.status, 404)
    assert.equal(store.body.code, 'FRESHET_QUERY_STORE_NOT_FOUND')
    assert.match(store.body.error, /counts/, 'the error lists the stores there are')
    for (let i = 0; i < 8; i++) {
      const key = await settled(`${url}/stores/counts/keys/nobody-${i}`)
      assert.equal(key.status, 404)
      assert.equal(key.body.code, 'FRESHET_QUERY_KEY_NOT_FOUND')
    }
    const range = await get(`${url}/stores/per-second-store/keys?from=a`)
    assert.equal(range.status, 400)
    assert.equal(range.body.code, 'FRESHET_QUERY_NOT_SUPPORTED')
    const parameter = await get(`${url}/stores/counts/keys/user-1?fromMS=1`)
    assert.equal(parameter.status, 400)
    assert.equal(parameter.body.code, 'FRESHET_INVALID_OPTION')
  }
})
