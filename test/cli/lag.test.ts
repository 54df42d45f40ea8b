// `freshet lag` against the test broker: a group that committed part of a topic, as a table and as
// JSON; one topic or all of the group's; lag in records, without transaction or watermark markers;
// a topic deleted under the group; usage errors.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { main } from '../../src/cli/main.ts'
import { GroupConsumer, KafkaProducer, TransactionalProducer } from '../../src/kafka/index.ts'
import { watermarkMarker } from '../../src/task/index.ts'
import { freshet } from '../helpers/cli.ts'
import { offsetsOutliveTopic } from '../helpers/admin-races.ts'
import { bootstrap, brokers, randomName, randomTopic } from '../helpers/kafka.ts'

test('freshet lag: committed, end and lag per partition and the total, as a table and as JSON', async (t) => {
  const topic = await randomTopic(t, 'lag', 3)
  const other = await randomTopic(t, 'lag-other', 1)
  const groupId = randomName('lag-group')
  const producer = new KafkaProducer({ bootstrapBrokers: brokers() })
  // 10 records in each partition of `topic`, 4 in `other`.
  await producer.send([
    ...Array.from({ length: 30 }, (_, i) => ({ topic, partition: i % 3, value: Buffer.from(`${i}`) })),
    ...Array.from({ length: 4 }, (_, i) => ({ topic: other, partition: 0, value: Buffer.from(`${i}`) })),
  ])
  await producer.close()
  const consumer = new GroupConsumer({ bootstrapBrokers: brokers(), groupId, topics: [topic, other] })
  t.after(() => consumer.close())
  await consumer.start()
  // The group has read 7, 3 and 0 records of the three partitions and all of `other`.
  await consumer.commit([
    { topic, partition: 0, offset: 7n },
    { topic, partition: 1, offset: 3n },
    { topic: other, partition: 0, offset: 4n },
  ])
  await consumer.close()

  const text = await freshet(t, ['lag', '--group', groupId])
  assert.equal(text.code, 0)
  const lines = text.stdout.split('\n')
  assert.match(lines[0] ?? '', /^TOPIC +PARTITION +COMMITTED +END +LAG$/)
  const rows = lines.slice(1, -1).map((line) => line.split(/ +/))
  assert.deepEqual(
    rows,
    [
      [topic, '0', '7', '10', '3'],
      [topic, '1', '3', '10', '7'],
      [topic, '2', '-', '10', '10'],
      [other, '0', '4', '4', '0'],
    ].sort((a, b) =>
      (a[0] as string) < (b[0] as string) ? -1 : (a[0] as string) > (b[0] as string) ? 1 : 0,
    ),
  )
  assert.equal(lines.at(-1), `total lag of group ${groupId}: 20`)

  // The group as the command's argument, as kafka-consumer-groups users expect to give it.
  const json = await freshet(t, ['lag', groupId, '--topic', topic, '--json'])
  const parsed = JSON.parse(json.stdout) as {
    total: number
    partitions: Array<{ lag: number; committedOffset: number | null }>
  }
  assert.equal(parsed.total, 20)
  assert.deepEqual(
    parsed.partitions.map((p) => [p.committedOffset, p.lag]),
    [
      [7, 3],
      [3, 7],
      [null, 10],
    ],
  )
})

test('freshet lag counts records: commit markers, aborted records and watermark markers are no lag', async (t) => {
  const topic = await randomTopic(t, 'lag-records', 1)
  const groupId = randomName('lag-records')
  const producer = new TransactionalProducer({
    bootstrapBrokers: brokers(),
    transactionalId: randomName('lag-tx'),
  })
  t.after(() => producer.close())
  await producer.init()
  const values = (n: number) =>
    Array.from({ length: n }, (_, i) => ({ topic, partition: 0, value: Buffer.from(`${i}`) }))
  const marker = watermarkMarker(topic, 0, { task: '0_0', tasks: 1, watermarkMs: 1_000, idle: false }, 0)
  // Offsets 0-4 records, 5-6 watermark markers, 7 the commit marker; 8-10 aborted, 11 its marker.
  await producer.begin()
  await producer.send([...values(5), marker, marker])
  await producer.commit()
  await producer.begin()
  await producer.send(values(3))
  await producer.abort()
  const consumer = new GroupConsumer({ bootstrapBrokers: brokers(), groupId, topics: [topic] })
  t.after(() => consumer.close())
  await consumer.start()
  await consumer.commit([{ topic, partition: 0, offset: 2n }])
  await consumer.close()

  const json = await freshet(t, ['lag', groupId, '--json'])
  assert.equal(json.code, 0)
  const parsed = JSON.parse(json.stdout) as {
    total: number
    partitions: Array<{ lag: number; offsetLag: number; endOffset: number }>
  }
  assert.deepEqual(
    parsed.partitions.map((p) => [p.endOffset, p.offsetLag, p.lag]),
    [[12, 10, 3]],
  )
  assert.equal(parsed.total, 3)

  // Read to the end: the markers left behind are no lag.
  const caughtUp = new GroupConsumer({ bootstrapBrokers: brokers(), groupId, topics: [topic] })
  t.after(() => caughtUp.close())
  await caughtUp.start()
  await caughtUp.commit([{ topic, partition: 0, offset: 5n }])
  await caughtUp.close()
  const after = JSON.parse((await freshet(t, ['lag', groupId, '--json'])).stdout) as { total: number }
  assert.equal(after.total, 0)
})

test('freshet lag of a group with a deleted topic shows the partitions left and names the topic gone', async (t) => {
  // Root cause: the lag asked the end offsets of every topic the group had committed offsets on,
  // and a topic deleted since (its offsets are dropped by the coordinator only moments later)
  // made it fail with FRESHET_TOPIC_NOT_FOUND instead of showing the rest.
  const kept = await randomTopic(t, 'lag-kept', 1)
  const gone = await randomTopic(t, 'lag-gone', 1)
  const groupId = randomName('lag-group')
  const producer = new KafkaProducer({ bootstrapBrokers: brokers() })
  await producer.send(
    [kept, gone].flatMap((topic) =>
      Array.from({ length: 4 }, (_, i) => ({ topic, partition: 0, value: Buffer.from(`${i}`) })),
    ),
  )
  await producer.close()
  const consumer = new GroupConsumer({ bootstrapBrokers: brokers(), groupId, topics: [kept, gone] })
  t.after(() => consumer.close())
  await consumer.start()
  await consumer.commit([
    { topic: kept, partition: 0, offset: 1n },
    { topic: gone, partition: 0, offset: 2n },
  ])
  await consumer.close()
  await offsetsOutliveTopic(t, groupId, gone)

  const text = await freshet(t, ['lag', '--group', groupId])
  assert.equal(text.code, 0)
  const lines = text.stdout.split('\n')
  assert.match(lines[0] ?? '', /^TOPIC +PARTITION +COMMITTED +END +LAG$/)
  assert.deepEqual(lines[1]?.split(/ +/), [kept, '0', '1', '4', '3'])
  assert.deepEqual(lines.slice(2), [
    `total lag of group ${groupId}: 3`,
    `topic ${gone} no longer exists (its committed offsets are left out of the lag)`,
  ])

  const json = await freshet(t, ['lag', '--group', groupId, '--json'])
  assert.equal(json.code, 0)
  assert.deepEqual(JSON.parse(json.stdout), {
    group: groupId,
    partitions: [{ topic: kept, partition: 0, committedOffset: 1, endOffset: 4, lag: 3, offsetLag: 3 }],
    total: 3,
    deletedTopics: [gone],
  })
})

test('freshet lag without a group, or with two, is a usage error (exit 2)', async (t) => {
  const error = t.mock.method(console, 'error', () => {})
  assert.equal(await main(['lag', '--bootstrap', bootstrap()]), 2)
  assert.match(String(error.mock.calls[0]?.arguments[0]), /give the consumer group: freshet lag GROUP/)
  assert.equal(await main(['lag', 'a', '--group', 'b', '--bootstrap', bootstrap()]), 2)
  assert.match(String(error.mock.calls[1]?.arguments[0]), /give one consumer group, got "a", "b"/)
  assert.equal(await main(['lag', 'a', 'b', '--bootstrap', bootstrap()]), 2)
})
