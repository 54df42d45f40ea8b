// Key -> partition routing of interactive queries: a lookup must land on the partition whose task
// holds the key, which the repartition sink chose with Kafka's default partitioner over the key's
// bytes. Checked against Kafka's own murmur2 vectors and against where the test driver's
// repartition put each key's state; then the member info a worker sends to its group and the
// host map built from the group's description.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { decodeMemberInfo, encodeMemberInfo, hostsOf, partitionOfKey } from '../../src/query/index.ts'
import { pipeline, valueStore } from '../../src/stream/index.ts'
import { TestDriver } from '../../src/testing/index.ts'

test('a key goes to toPositive(murmur2(utf8 bytes)) % partitions, as Kafka partitions it', () => {
  // org.apache.kafka.common.utils.UtilsTest#testMurmur2
  const vectors: Array<[string, number]> = [
    ['21', -973932308],
    ['foobar', -790332482],
    ['a-little-bit-long-string', -985981536],
    ['a-little-bit-longer-string', -1486304829],
    ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
    ['abc', 479470107],
  ]
  for (const [key, hash] of vectors) {
    for (const partitions of [1, 3, 7, 12]) {
      assert.equal(
        partitionOfKey(key, partitions),
        (hash & 0x7fffffff) % partitions,
        `${key} over ${partitions}`,
      )
    }
  }
})

test('every key is looked up on the partition whose task holds its state after a keyBy', () => {
  const app = pipeline({ applicationId: 'routing' })
  app
    .stream<{ user: string | number; timestamp: number }>('clicks')
    .keyBy((c) => c.user, { partitions: 5 })
    .process(
      (record, { stores }) => {
        stores.counts.put(record.key, (stores.counts.get(record.key) ?? 0) + 1)
        return undefined
      },
      { stores: { counts: valueStore<number>() } },
    )
  const driver = new TestDriver(app.build(), { partitions: 2 })
  const users: Array<string | number> = [...Array.from({ length: 40 }, (_, i) => `user-${i}`), 7, 42, 1234]
  driver
    .input<{ user: string | number; timestamp: number }>('clicks')
    .pipeMany(users.map((user, i) => ({ user, timestamp: i })))
  const entries = driver.store('counts').entries()
  assert.equal(entries.length, users.length)
  const partitionsUsed = new Set(entries.map((e) => e.partition))
  assert.ok(partitionsUsed.size > 1, 'the keys spread over several partitions')
  for (const entry of entries) {
    assert.equal(partitionOfKey(entry.key, 5), entry.partition, `key ${JSON.stringify(entry.key)}`)
  }
})

test('the member info round-trips; anything else in the user data is no worker', () => {
  const info = { workerId: 'w-1', endpoint: 'host-a:8080' }
  assert.deepEqual(decodeMemberInfo(encodeMemberInfo(info)), info)
  assert.deepEqual(decodeMemberInfo(encodeMemberInfo({ workerId: 'w-2', endpoint: undefined })), {
    workerId: 'w-2',
    endpoint: undefined,
  })
  assert.equal(decodeMemberInfo(Buffer.alloc(0)), undefined)
  assert.equal(decodeMemberInfo(Buffer.from('not json')), undefined)
  assert.equal(decodeMemberInfo(Buffer.from('{"endpoint":"x:1"}')), undefined)
  // A later version with more fields is read for the fields this one knows.
  assert.deepEqual(
    decodeMemberInfo(Buffer.from('{"version":2,"workerId":"w","endpoint":"h:1","rack":"r"}')),
    {
      workerId: 'w',
      endpoint: 'h:1',
    },
  )
})

test('the host map names, per task, the member assigned its partitions and that member endpoint', () => {
  const subtopologyOf = (topic: string): number | undefined =>
    ({ input: 0, 'app-by-user-repartition': 1 })[topic]
  const hosts = hostsOf(
    [
      {
        memberId: 'm-a',
        userData: encodeMemberInfo({ workerId: 'a', endpoint: 'a:1' }),
        assignments: [
          { topic: 'input', partitions: [0, 2] },
          { topic: 'app-by-user-repartition', partitions: [1] },
        ],
      },
      {
        memberId: 'm-b',
        userData: Buffer.alloc(0),
        assignments: [
          { topic: 'input', partitions: [1] },
          { topic: 'app-by-user-repartition', partitions: [0, 2] },
          { topic: 'not-ours', partitions: [0] },
        ],
      },
    ],
    subtopologyOf,
  )
  const a = { memberId: 'm-a', workerId: 'a', endpoint: 'a:1' }
  const b = { memberId: 'm-b', workerId: 'm-b', endpoint: undefined }
  assert.deepEqual(Object.fromEntries([...hosts].sort(([x], [y]) => (x < y ? -1 : 1))), {
    '0_0': a,
    '0_1': b,
    '0_2': a,
    '1_0': b,
    '1_1': a,
    '1_2': b,
  })
})
