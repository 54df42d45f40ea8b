import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  GroupConsumer,
  KafkaAdmin,
  KafkaProducer,
  nextOffsets,
  type InRecord,
} from '../../src/kafka/index.ts'
import { brokers, randomName, randomTopic, readToSentinel } from '../helpers/kafka.ts'

test('records produced with keys and headers come back with the same bytes, per-partition order and offsets', async (t) => {
  const topic = await randomTopic(t, 'kafka-roundtrip', 3)
  const producer = new KafkaProducer({ bootstrapBrokers: brokers() })
  t.after(() => producer.close())
  const sent = Array.from({ length: 3_000 }, (_, i) => ({
    topic,
    key: Buffer.from(`key-${i % 37}`),
    value: Buffer.from(`value-${i}`),
    headers: { seq: String(i) },
  }))
  for (let i = 0; i < sent.length; i += 500) await producer.send(sent.slice(i, i + 500))

  const received = await readToSentinel(topic)
  assert.equal(received.length, sent.length)

  // Same records: every value once, with its key and header.
  const byValue = new Map(received.map((r) => [r.value!.toString(), r]))
  assert.equal(byValue.size, sent.length)
  for (const s of sent) {
    const r = byValue.get(s.value.toString())
    assert.ok(r, `missing ${s.value.toString()}`)
    assert.deepEqual(r.key, s.key)
    assert.equal(r.headers.get('seq')?.toString(), s.headers.seq)
  }
  // One key, one partition; within a partition, offsets ascend with the send order.
  const partitionOfKey = new Map<string, number>()
  const lastSeq = new Map<number, number>()
  for (const r of received) {
    const key = r.key!.toString()
    assert.equal(partitionOfKey.get(key) ?? r.partition, r.partition)
    partitionOfKey.set(key, r.partition)
    const seq = Number(r.headers.get('seq')!.toString())
    assert.ok((lastSeq.get(r.partition) ?? -1) < seq, 'per-partition order')
    lastSeq.set(r.partition, seq)
  }
})

test('keys land on the partition the Java client would choose (murmur2)', async (t) => {
  const topic = await randomTopic(t, 'kafka-partitioner', 6)
  const producer = new KafkaProducer({ bootstrapBrokers: brokers() })
  t.after(() => producer.close())
  // Expected partitions printed by Kafka's Java client: Utils.toPositive(Utils.murmur2(key)) % 6.
  const expected: Record<string, number> = {
    user_000001: 4,
    user_000002: 2,
    user_000003: 1,
    user_004242: 1,
    alice: 3,
  }
  const offsets = await producer.send(
    Object.keys(expected).map((k) => ({ topic, key: Buffer.from(k), value: Buffer.from(k) })),
  )
  assert.ok(offsets.length > 0)
  const got = await readToSentinel(topic)
  assert.deepEqual(got.map((r) => r.key!.toString()).sort(), Object.keys(expected).sort())
  for (const r of got) assert.equal(r.partition, expected[r.key!.toString()], r.key!.toString())
})

test('committed offsets are where a new member of the group resumes, and lag is zero after them', async (t) => {
  const topic = await randomTopic(t, 'kafka-commit', 2)
  const groupId = randomName('g')
  const producer = new KafkaProducer({ bootstrapBrokers: brokers() })
  t.after(() => producer.close())
  await producer.send(
    Array.from({ length: 100 }, (_, i) => ({
      topic,
      key: Buffer.from(`k${i}`),
      value: Buffer.from(String(i)),
    })),
  )

  const first = new GroupConsumer({
    bootstrapBrokers: brokers(),
    groupId,
    topics: [topic],
    fromBeginning: true,
  })
  await first.start()
  const seen: InRecord[] = []
  while (seen.length < 100) seen.push(...(await first.nextBatch()))
  await first.commit(nextOffsets(seen))
  await first.close()

  await producer.send(
    Array.from({ length: 10 }, (_, i) => ({
      topic,
      key: Buffer.from(`k${i}`),
      value: Buffer.from(`late-${i}`),
    })),
  )
  // Then a sentinel per partition: the second member reads up to both, so that a record it is
  // handed again (a resume before the committed offset) is seen, not left past a count.
  await producer.send([0, 1].map((partition) => ({ topic, partition, value: Buffer.from('sentinel') })))
  const second = new GroupConsumer({
    bootstrapBrokers: brokers(),
    groupId,
    topics: [topic],
    fromBeginning: true,
  })
  t.after(() => second.close())
  await second.start()
  const read: InRecord[] = []
  const ended = new Set<number>()
  while (ended.size < 2) {
    for (const r of await second.nextBatch()) {
      read.push(r)
      if (r.value!.toString() === 'sentinel') ended.add(r.partition)
    }
  }
  assert.deepEqual(
    read.map((r) => r.value!.toString()).sort(),
    [...Array.from({ length: 10 }, (_, i) => `late-${i}`), 'sentinel', 'sentinel'].sort(),
  )
  await second.commit(nextOffsets(read))

  const admin = new KafkaAdmin({ bootstrapBrokers: brokers() })
  t.after(() => admin.close())
  const lag = await admin.groupLag(groupId, topic)
  assert.equal(lag.length, 2)
  assert.equal(
    lag.reduce((sum, p) => sum + p.lag, 0n),
    0n,
  )
  // The first member's 100, the 10 late records and the two sentinels.
  assert.equal(
    lag.reduce((sum, p) => sum + (p.committedOffset ?? 0n), 0n),
    112n,
  )
})

test('creating an existing topic is a no-op and describing a missing one fails with TOPIC_NOT_FOUND', async (t) => {
  const topic = await randomTopic(t, 'kafka-admin', 4)
  const admin = new KafkaAdmin({ bootstrapBrokers: brokers() })
  t.after(() => admin.close())
  assert.deepEqual(await admin.createTopics([{ topic, partitions: 4 }]), [])
  const description = await admin.describeTopic(topic)
  assert.equal(description.partitions.length, 4)
  assert.ok((await admin.listTopics()).includes(topic))
  await assert.rejects(admin.describeTopic(randomName('missing')), { code: 'FRESHET_TOPIC_NOT_FOUND' })
})

test('options are validated where they enter: unknown keys are named', () => {
  assert.throws(
    () => new KafkaProducer({ bootstrapBrokers: ['x:1'], lingerMillis: 5 } as never),
    (error: Error & { code?: string }) =>
      error.code === 'FRESHET_INVALID_OPTION' && error.message.includes('lingerMillis'),
  )
})
