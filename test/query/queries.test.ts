// The query logic without a broker: local reads decoded by store kind (values, windows by start,
// sessions by overlap, inclusive key ranges), and the answer for a key by where its task is: open
// here, hosted by another worker, restoring here, or unknown during a rebalance.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { encodeKey } from '../../src/operators/index.ts'
import {
  encodeMemberInfo,
  partitionOfKey,
  readKey,
  readRange,
  StoreQueries,
  type Membership,
} from '../../src/query/index.ts'
import { MemoryStateStore, windowKey } from '../../src/state/index.ts'
import { pipeline, valueStore, type StoreDescription } from '../../src/stream/index.ts'
import { session, tumbling } from '../../src/windows/index.ts'

function description(kind: StoreDescription['kind']): StoreDescription {
  return {
    name: 's',
    kind,
    changelogTopic: 'c',
    sourceChangelog: false,
    owner: 'o',
    nodes: ['o'],
    format: 'json',
    subtopology: 0,
  }
}

function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value))
}

test('key-value reads: the value of a key, undefined for a missing one, ranges inclusive at both ends', () => {
  const store = new MemoryStateStore()
  for (const [key, value] of [
    ['ann', 1],
    ['bob', 2],
    ['cid', 3],
    ['dan', 4],
  ] as const) {
    store.put(encodeKey(key), json(value))
  }
  store.put(encodeKey(7), json({ n: 7 }))
  const kv = description('key-value')
  assert.deepEqual(readKey(store, kv, 'bob'), { kind: 'value', value: 2 })
  assert.deepEqual(readKey(store, kv, 7), { kind: 'value', value: { n: 7 } })
  assert.equal(readKey(store, kv, 'eve'), undefined)
  assert.equal(readKey(store, kv, '7'), undefined, 'the string "7" is another key than the number 7')
  const keys = (range: { from?: unknown; to?: unknown }, limit = 100): unknown[] =>
    readRange(store, kv, 3, range, limit).entries.map((e) => e.key)
  assert.deepEqual(keys({ from: 'bob', to: 'cid' }), ['bob', 'cid'])
  assert.deepEqual(keys({ from: 'b', to: 'c' }), ['bob'])
  assert.deepEqual(keys({ to: 'bob' }), ['ann', 'bob'])
  // Byte order of the JSON text: every string ("...) sorts before the number 7.
  assert.deepEqual(keys({ from: 'cid' }), ['cid', 'dan', 7])
  assert.deepEqual(readRange(store, kv, 3, { from: 'ann' }, 2), {
    entries: [
      { key: 'ann', partition: 3, value: 1 },
      { key: 'bob', partition: 3, value: 2 },
    ],
    truncated: true,
  })
})

test('window reads: windows whose start is within [fromMs, toMs]; sessions that overlap it', () => {
  const windows = new MemoryStateStore()
  for (const startMs of [0, 1_000, 2_000, 3_000])
    windows.put(windowKey(encodeKey('ann'), startMs), json(startMs / 1_000))
  windows.put(windowKey(encodeKey('an'), 0), json(99))
  const w = description('window')
  assert.deepEqual(readKey(windows, w, 'ann', { fromMs: 1_000, toMs: 2_000 }), {
    kind: 'windows',
    windows: [
      { startMs: 1_000, value: 1 },
      { startMs: 2_000, value: 2 },
    ],
  })
  assert.equal((readKey(windows, w, 'ann') as { windows: readonly unknown[] } | undefined)?.windows.length, 4)
  assert.deepEqual(readKey(windows, w, 'an'), { kind: 'windows', windows: [{ startMs: 0, value: 99 }] })
  assert.deepEqual(readKey(windows, w, 'ann', { fromMs: 10_000 }), { kind: 'windows', windows: [] })
  assert.equal(readKey(windows, w, 'bob'), undefined)

  const sessions = new MemoryStateStore()
  sessions.put(windowKey(encodeKey('ann'), 0, 500), json(2))
  sessions.put(windowKey(encodeKey('ann'), 5_000, 9_000), json(5))
  const s = description('session')
  assert.deepEqual(readKey(sessions, s, 'ann', { fromMs: 400, toMs: 4_000 }), {
    kind: 'sessions',
    sessions: [{ startMs: 0, endMs: 500, value: 2 }],
  })
  assert.deepEqual(readKey(sessions, s, 'ann', { fromMs: 8_000 }), {
    kind: 'sessions',
    sessions: [{ startMs: 5_000, endMs: 9_000, value: 5 }],
  })
})

test('a key is answered where its task is open, sent elsewhere, or unavailable while unknown or restoring', async () => {
  const app = pipeline({ applicationId: 'q' })
  const keyed = app
    .stream<{ user: string; timestamp: number }>('in')
    .keyBy((e) => e.user, { name: 'by-user' })
  keyed.process(() => undefined, { stores: { counts: valueStore<number>() } })
  keyed.window(tumbling({ sizeMs: 1_000 })).count({ name: 'per-second' })
  const other = app.stream<{ user: string; timestamp: number }>('in2').byRecordKey()
  other.window(session({ gapMs: 1_000 })).count({ name: 'visits' })
  const topology = app.build()
  const PARTITIONS = 4
  const counts = new MemoryStateStore({ name: 'counts' })
  const open = new Map<string, MemoryStateStore>()
  let planned = false
  let membership: Membership | undefined
  const members = [
    {
      memberId: 'me',
      userData: encodeMemberInfo({ workerId: 'me', endpoint: 'me:1' }),
      assignments: [{ topic: 'q-by-user-repartition', partitions: [0, 1] }],
    },
    {
      memberId: 'you',
      userData: encodeMemberInfo({ workerId: 'you', endpoint: 'you:2' }),
      assignments: [{ topic: 'q-by-user-repartition', partitions: [2, 3] }],
    },
  ]
  const queries = new StoreQueries({
    workerId: 'me',
    endpoint: 'me:1',
    topology,
    partitionsOf: () => (planned ? PARTITIONS : undefined),
    subtopologyOf: (topic) => (topic === 'q-by-user-repartition' ? 1 : topic === 'in' ? 0 : undefined),
    localStore: (task, store) => (store === 'counts' ? open.get(task) : undefined),
    membership: () => membership,
  })
  const keyOn = (partition: number): string => {
    for (let i = 0; ; i++) if (partitionOfKey(`user-${i}`, PARTITIONS) === partition) return `user-${i}`
  }
  assert.equal(
    queries.query('counts', keyOn(0)).status,
    'unavailable',
    'before the worker planned its topics',
  )
  planned = true
  const subtopology = topology.description.stores.find((s) => s.name === 'counts')?.subtopology
  assert.equal(subtopology, 1)
  open.set('1_0', counts)
  counts.put(encodeKey(keyOn(0)), json(5))
  assert.deepEqual(queries.query('counts', keyOn(0)), {
    status: 'found',
    partition: 0,
    result: { kind: 'value', value: 5 },
  })
  const missing = (() => {
    for (let i = 0; ; i++) if (partitionOfKey(`nobody-${i}`, PARTITIONS) === 0) return `nobody-${i}`
  })()
  assert.deepEqual(queries.query('counts', missing), { status: 'not-found', partition: 0 })
  // Partition 2 is not open here and nobody is known to host it: a rebalance.
  const rebalancing = queries.query('counts', keyOn(2))
  assert.equal(rebalancing.status, 'unavailable')
  assert.equal(queries.storesMetadata().state, 'rebalancing')

  membership = {
    describeMembers: () => Promise.resolve(members),
    generationId: 3,
    memberId: 'me',
    state: 'CONSUMING',
  }
  await queries.refreshHosts(membership, new AbortController().signal)
  assert.deepEqual(queries.query('counts', keyOn(2)), {
    status: 'elsewhere',
    partition: 2,
    host: { memberId: 'you', workerId: 'you', endpoint: 'you:2' },
  })
  // Partition 1 is this worker's but its task is not open: restoring.
  const restoring = queries.query('counts', keyOn(1))
  assert.equal(restoring.status, 'unavailable')
  assert.match((restoring as { reason: string }).reason, /restoring/)
  const metadata = queries.storesMetadata()
  assert.equal(metadata.state, 'available')
  assert.deepEqual(
    metadata.stores
      .find((s) => s.name === 'counts')
      ?.hosts.map((h) => [h.partition, h.host?.workerId, h.local]),
    [
      [0, 'me', true],
      [1, 'me', false],
      [2, 'you', false],
      [3, 'you', false],
    ],
  )
  // A new generation makes the map stale until the next refresh; so does a rebalance's invalidate.
  membership = { ...membership, generationId: 4 }
  assert.equal(queries.query('counts', keyOn(2)).status, 'unavailable')
  await queries.refreshHosts(membership, new AbortController().signal)
  assert.equal(queries.query('counts', keyOn(2)).status, 'elsewhere')
  queries.invalidate()
  assert.equal(queries.query('counts', keyOn(2)).status, 'unavailable')

  assert.throws(() => queries.query('nope', 'k'), { code: 'FRESHET_QUERY_STORE_NOT_FOUND' })
  assert.throws(() => queries.queryRange('per-second-store'), { code: 'FRESHET_QUERY_NOT_SUPPORTED' })
  assert.deepEqual(queries.queryRange('counts').partitions, [0])
})
