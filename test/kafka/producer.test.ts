// Sends larger than the broker's batch limit: split into requests in order, for the plain and the
// transactional producer; a single record over the limit fails with a stable code.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { KafkaProducer, TransactionalProducer, type OutRecord } from '../../src/kafka/index.ts'
import { recordBytes, splitBySize } from '../../src/kafka/producer.ts'
import { brokers, randomName, randomTopic, readToSentinel } from '../helpers/kafka.ts'

function records(topic: string, count: number, valueBytes: number): OutRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    topic,
    key: Buffer.from(`k${i % 7}`),
    value: Buffer.concat([Buffer.from(`${i}:`), Buffer.alloc(valueBytes, 'x')]),
    headers: { seq: String(i) },
  }))
}

function sequence(received: Array<{ headers: Map<string, Buffer> }>): number[] {
  return received.map((r) => Number(r.headers.get('seq')?.toString()))
}

test('splitBySize keeps the order and keeps every run within the bound', () => {
  const input = records('t', 1_000, 900)
  const maxBytes = 50_000
  const runs = splitBySize(input, maxBytes)
  assert.deepEqual(runs.flat(), input)
  assert.ok(runs.length > 1)
  for (const run of runs) {
    assert.ok(run.reduce((sum, r) => sum + recordBytes(r), 0) <= maxBytes)
  }
  // A record over the bound travels alone rather than being dropped.
  const big = records('t', 3, 80_000)
  assert.deepEqual(
    splitBySize(big, maxBytes).map((run) => run.length),
    [1, 1, 1],
  )
  assert.deepEqual(splitBySize([], maxBytes), [])
})

test('a send of 5 MB to one partition arrives whole and in order', async (t) => {
  const topic = await randomTopic(t, 'producer-split', 1)
  const producer = new KafkaProducer({ bootstrapBrokers: brokers() })
  t.after(() => producer.close())
  const sent = records(topic, 5_000, 1_000)
  const written = await producer.send(sent)
  assert.ok(written.length > 4, `expected several requests, got ${written.length}`)
  const received = await readToSentinel(topic)
  assert.deepEqual(
    sequence(received),
    sent.map((_, i) => i),
  )
})

test('a transaction of 5 MB to one partition commits whole and in order', async (t) => {
  const topic = await randomTopic(t, 'txn-split', 1)
  const producer = new TransactionalProducer({
    bootstrapBrokers: brokers(),
    transactionalId: randomName('tid'),
  })
  t.after(() => producer.close())
  await producer.init()
  await producer.begin()
  const sent = records(topic, 5_000, 1_000)
  await producer.send(sent)
  await producer.commit()
  const received = await readToSentinel(topic)
  assert.deepEqual(
    sequence(received),
    sent.map((_, i) => i),
  )
})

test('one record over the broker limit fails with FRESHET_RECORD_TOO_LARGE', async (t) => {
  const topic = await randomTopic(t, 'producer-too-large', 1)
  const producer = new KafkaProducer({ bootstrapBrokers: brokers(), maxRequestBytes: 4_000_000 })
  t.after(() => producer.close())
  await assert.rejects(producer.send(records(topic, 1, 2_000_000)), {
    code: 'FRESHET_RECORD_TOO_LARGE',
    retriable: false,
  })
})

test('timestamps further apart than 2^31 ms in one batch arrive as sent, for the plain and the transactional producer', async (t) => {
  // Each record's timestamp travels as a 64-bit varint delta from the first of its batch;
  // 300 days is beyond what a 32-bit zigzag would carry (src/kafka/varint64.ts).
  const dayMs = 86_400_000
  const nowMs = Date.now()
  const timestampsMs = [nowMs - 300 * dayMs, nowMs, nowMs - 600 * dayMs, nowMs - 1, 0]
  const batch = (topic: string): OutRecord[] =>
    timestampsMs.map((timestampMs, i) => ({
      topic,
      partition: 0,
      key: null,
      value: Buffer.from(String(i)),
      headers: { seq: String(i) },
      timestampMs,
    }))
  const plainTopic = await randomTopic(t, 'wide-timestamps', 1)
  const plain = new KafkaProducer({ bootstrapBrokers: brokers() })
  t.after(() => plain.close())
  await plain.send(batch(plainTopic))
  const txnTopic = await randomTopic(t, 'wide-timestamps-txn', 1)
  const transactional = new TransactionalProducer({
    bootstrapBrokers: brokers(),
    transactionalId: randomName('tid'),
  })
  t.after(() => transactional.close())
  await transactional.init()
  await transactional.begin()
  await transactional.send(batch(txnTopic))
  await transactional.commit()
  for (const topic of [plainTopic, txnTopic]) {
    const received = await readToSentinel(topic)
    assert.deepEqual(sequence(received), [0, 1, 2, 3, 4], topic)
    assert.deepEqual(
      received.map((r) => r.timestampMs),
      timestampsMs,
      topic,
    )
  }
})
