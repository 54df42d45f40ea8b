import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { GroupConsumer, KafkaAdmin, type InRecord } from '../../src/kafka/index.ts'
import { brokers, randomName, randomTopic, testProducer, testTransactional } from '../helpers/kafka.ts'

function records(topic: string, from: number, count: number) {
  return Array.from({ length: count }, (_, i) => ({
    topic,
    partition: 0,
    value: Buffer.from(String(from + i)),
  }))
}

/** A started member of a new group reading `topic` from its beginning, closed after the test. */
async function member(t: TestContext, topic: string): Promise<GroupConsumer> {
  const consumer = new GroupConsumer({
    bootstrapBrokers: brokers(),
    groupId: randomName('rewind'),
    topics: [topic],
    fromBeginning: true,
    maxWaitMs: 100,
  })
  t.after(() => consumer.close())
  await consumer.start()
  return consumer
}

async function drain(consumer: GroupConsumer, count: number): Promise<InRecord[]> {
  const out: InRecord[] = []
  while (out.length < count) out.push(...(await consumer.nextBatch(count - out.length)))
  return out
}

const SENTINEL = 'sentinel'

/** What the consumer hands out up to and including the sentinel record. */
async function drainToSentinel(consumer: GroupConsumer): Promise<InRecord[]> {
  const out: InRecord[] = []
  for (;;) {
    for (const r of await consumer.nextBatch()) {
      out.push(r)
      if (r.value?.toString() === SENTINEL) return out
    }
  }
}

test('a batch awaited while rewindToCommitted runs starts at the committed offset, never past it', async (t) => {
  // Root cause of a double-processing race after an aborted commit: the rewind kept handing out
  // the old stream's records until the new stream was attached, so a fetch already awaited when
  // the rewind began could deliver records past the committed offset, which the caller took for
  // records of the new position; the new stream then delivered them again.
  const topic = await randomTopic(t, 'rewind-race', 1)
  const producer = testProducer(t)
  await producer.send(records(topic, 0, 200))
  const consumer = await member(t, topic)
  const read = await drain(consumer, 200)
  assert.equal(read.at(-1)?.offset, 199n)
  await consumer.commit([{ topic, partition: 0, offset: 50n }])

  // A transaction holding offsets of the group keeps the rewind at its wait for stable offsets,
  // for as long as the test needs: the window in which the old stream could still hand out.
  const holder = testTransactional(t)
  await holder.init()
  await holder.begin()
  await holder.sendOffsets(consumer, [{ topic, partition: 0, offset: 60n }])

  // 1. A batch is awaited on the drained stream; 2. the rewind begins; 3. new records arrive,
  // which the old stream fetches.
  const epochBefore = consumer.handOutEpoch
  const pending = consumer.nextTaggedBatch(1_000)
  let rewind = consumer.rewindToCommitted()
  assert.ok(
    consumer.handOutEpoch > epochBefore,
    'the rewind changes the hand-out epoch before it awaits anything',
  )
  await producer.send(records(topic, 200, 10))
  // Long enough for the old stream to fetch them (a fetch waits at most maxWaitMs).
  await Promise.race([pending, sleep(1_000)])
  // 4. The transaction ends without its offsets, and the rewind completes.
  await holder.abort()
  await rewind.catch(async () => {
    // It gave up waiting for stable offsets meanwhile: the caller rewinds again.
    rewind = consumer.rewindToCommitted()
    await rewind
  })
  const batch = await pending
  assert.equal(batch.epoch, consumer.handOutEpoch, 'the awaited batch is of the new position')
  assert.equal(batch.records[0]?.offset, 50n, 'and starts at the committed offset')
  // A sentinel after the last record: the read goes on to it, so a record handed out twice is seen.
  await producer.send([{ topic, partition: 0, value: Buffer.from(SENTINEL) }])
  const rest = [...batch.records, ...(await drainToSentinel(consumer))]
  assert.deepEqual(
    rest.map((r) => r.offset),
    Array.from({ length: 161 }, (_, i) => BigInt(50 + i)),
    'then reads on from there to the sentinel at 210, every record once',
  )
})

test('a batch read before a rebalance or a rewind carries an epoch that is no longer current', async (t) => {
  const topic = await randomTopic(t, 'rewind-stale', 1)
  const producer = testProducer(t)
  await producer.send(records(topic, 0, 100))
  const consumer = await member(t, topic)
  const first = await consumer.nextTaggedBatch(10)
  assert.equal(first.epoch, consumer.handOutEpoch)
  await consumer.rewindToCommitted()
  assert.notEqual(first.epoch, consumer.handOutEpoch, 'stale after the rewind')
  const again = await consumer.nextTaggedBatch(10)
  assert.equal(again.epoch, consumer.handOutEpoch)
  assert.equal(again.records[0]?.offset, 0n, 'nothing committed: the rewind starts from the beginning')
})

test('a stream the client gives up fails the member retriably; a rewind opens a new one, never an end of input', async (t) => {
  // Found by the fault suite: after the client ended its stream on its own (fetches failing while
  // the broker was down), the member counted as ended, and the worker's rewind failed with
  // FRESHET_INVALID_STATE ("not consuming (CONSUMING)") instead of waiting the outage out.
  const topic = await randomTopic(t, 'given-up', 1)
  const producer = testProducer(t)
  await producer.send(records(topic, 0, 1))
  const consumer = await member(t, topic)
  assert.equal((await drain(consumer, 1)).length, 1)
  const admin = new KafkaAdmin({ bootstrapBrokers: brokers() })
  t.after(() => admin.close())
  // Fetches of a deleted topic fail until the client gives the stream up.
  await admin.deleteTopics([topic])
  await assert.rejects(consumer.nextBatch(), { code: 'FRESHET_KAFKA_ERROR' })
  assert.equal(consumer.state, 'CONSUMING', 'still a member of the group')
  await consumer.rewindToCommitted().catch((error: { code?: string }) => {
    assert.notEqual(error.code, 'FRESHET_INVALID_STATE', 'a rewind is refused only to a closed member')
  })
  // Whatever the new stream meets, it is never taken for the end of the input.
  const next = await Promise.race([
    consumer.nextBatch().then(
      (batch) => `a batch of ${batch.length}`,
      () => 'an error',
    ),
    sleep(2_000).then(() => 'nothing yet'),
  ])
  assert.notEqual(next, 'a batch of 0')
})
