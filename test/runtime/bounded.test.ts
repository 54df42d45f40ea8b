// Bounded sources against the real broker: a worker reads its input up to the end offsets it found
// at start (behind a transaction marker, over an empty partition, with records written after it
// started), closes every window with the final watermark, through a repartition topic, commits
// and stops by itself; the counts equal the oracle with every window closed. A second bounded run
// of the same application finds its input ended and stops at once without writing anything again.
import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { KafkaProducer, TransactionalProducer, type OutRecord } from '../../src/kafka/index.ts'
import { FreshetError } from '../../src/errors/index.ts'
import { Worker, type WorkerEvent } from '../../src/runtime/index.ts'
import type { Topology } from '../../src/stream/index.ts'
import { brokers, randomName, randomTopic, readToSentinel } from '../helpers/kafka.ts'
import { countTopology, oracle, sortCounts, TYPES, type Count, type Input } from './counts.ts'

const PARTITIONS = 3

/** Partitions 0 and 1 only (partition 2 stays empty), in transactions: each ends in a marker. */
function records(topic: string, events: readonly Input[]): OutRecord[] {
  return events.map((e) => ({
    topic,
    partition: e.seq % 2,
    key: Buffer.from(`user-${e.seq % 17}`),
    value: Buffer.from(JSON.stringify(e)),
  }))
}

async function produceInTransactions(records: OutRecord[]): Promise<void> {
  const producer = new TransactionalProducer({
    bootstrapBrokers: brokers(),
    transactionalId: randomName('bounded-input'),
  })
  try {
    await producer.init()
    for (let i = 0; i < records.length; i += 1_000) {
      await producer.begin()
      await producer.send(records.slice(i, i + 1_000))
      await producer.commit()
    }
  } finally {
    await producer.close()
  }
}

async function boundedRun(
  t: TestContext,
  topology: Topology,
  input: string,
  afterStart: () => Promise<void> = async () => {},
): Promise<{ worker: Worker; events: WorkerEvent[] }> {
  const events: WorkerEvent[] = []
  const worker = new Worker({
    bootstrapBrokers: brokers(),
    topology,
    workerId: 'w1',
    boundedTopics: [input],
    maxOutOfOrdernessMs: 0,
    // Idleness plays no part: the end of the input closes the windows, not a timeout.
    idleTimeoutMs: Infinity,
    onEvent: (event) => events.push(event),
  })
  t.after(() => worker.stop().catch(() => {}))
  await worker.start()
  await afterStart()
  await worker.done
  return { worker, events }
}

test('a bounded input is read to its end offsets, every window closes, and the worker stops by itself', async (t) => {
  const input = await randomTopic(t, 'bounded-in', PARTITIONS)
  const output = await randomTopic(t, 'bounded-out', PARTITIONS)
  const applicationId = randomName('bounded')
  const events = Array.from({ length: 3_000 }, (_, seq): Input => ({
    seq,
    type: TYPES[seq % 3] as string,
    timestamp: seq,
  }))
  await produceInTransactions(records(input, events))
  const topology = countTopology(applicationId, input, output)

  // Written after the worker started: past its end offsets, never read (they would add to the
  // counts of window 0).
  const later = Array.from({ length: 30 }, (_, i): Input => ({ seq: 10_000 + i, type: 'view', timestamp: i }))
  const { worker, events: reported } = await boundedRun(t, topology, input, async () => {
    const producer = new KafkaProducer({ bootstrapBrokers: brokers() })
    try {
      await producer.send(records(input, later))
    } finally {
      await producer.close()
    }
  })

  const status = worker.status()
  assert.equal(status.state, 'STOPPED')
  assert.equal(status.failure, undefined)
  const types = reported.map((e) => e.type)
  assert.ok(types.includes('finished'), `a finished event: ${types.join(' ')}`)
  assert.deepEqual(types.slice(-1), ['stopped'])
  const finished = reported.find((e) => e.type === 'finished') as Extract<WorkerEvent, { type: 'finished' }>
  // Both sub-topologies' tasks, all on the one worker.
  assert.equal(finished.tasks.length, 2 * PARTITIONS)
  const got = (await readToSentinel(output)).map((r) => JSON.parse((r.value as Buffer).toString()) as Count)
  // The last window (2000-2999) too: the final watermark closed it, no later event did.
  assert.deepEqual(sortCounts(got), oracle(events))

  // The same application again: its offsets and watermarks are at the end, nothing is written.
  const again = await boundedRun(t, topology, input)
  assert.equal(again.worker.status().state, 'STOPPED')
  assert.ok(again.events.some((e) => e.type === 'finished'))
  const after = (await readToSentinel(output)).map((r) => JSON.parse((r.value as Buffer).toString()) as Count)
  assert.deepEqual(sortCounts(after), oracle(events), 'the second run wrote nothing')
})

test('boundedTopics must name stream sources of the topology', async () => {
  const topology = countTopology(randomName('bounded'), 'in-topic', 'out-topic')
  assert.throws(
    () => new Worker({ bootstrapBrokers: brokers(), topology, boundedTopics: ['other-topic'] }),
    (error: unknown) =>
      error instanceof FreshetError &&
      error.code === 'FRESHET_INVALID_OPTION' &&
      /boundedTopics.*"other-topic".*in-topic/.test(error.message),
  )
})
