/** What integration tests share: the run's broker, random names, topics cleaned up after the test. */
import { randomBytes } from 'node:crypto'
import type { TestContext } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import {
  GroupConsumer,
  KafkaAdmin,
  KafkaProducer,
  PartitionReader,
  TransactionalProducer,
  type InRecord,
  type IsolationLevel,
  type TopicSpec,
} from '../../src/kafka/index.ts'

export function bootstrap(): string {
  const value = process.env.FRESHET_TEST_BOOTSTRAP
  if (!value) throw new Error('FRESHET_TEST_BOOTSTRAP is not set: run the suite with `npm test`')
  return value
}

export function brokers(): string[] {
  return [bootstrap()]
}

export function randomName(prefix: string): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`
}

/**
 * Creates topics that are deleted when the test ends (after its own cleanup). They keep their
 * records whatever their timestamps (`retention.ms=-1` unless a spec sets it): tests write event
 * times of 2023 or 1970, which the broker's periodic retention check would delete between a write
 * and the read that checks it.
 */
export async function createTopics(t: TestContext, specs: TopicSpec[]): Promise<void> {
  const admin = new KafkaAdmin({ bootstrapBrokers: brokers() })
  try {
    await admin.createTopics(
      specs.map((spec) => ({ ...spec, configs: { 'retention.ms': '-1', ...spec.configs } })),
    )
  } finally {
    await admin.close()
  }
  t.after(async () => {
    const cleanup = new KafkaAdmin({ bootstrapBrokers: brokers() })
    try {
      await cleanup.deleteTopics(specs.map((s) => s.topic))
    } catch {
      // already gone
    } finally {
      await cleanup.close()
    }
  })
}

/** A random topic with `partitions` partitions, deleted after the test. */
export async function randomTopic(t: TestContext, prefix = 'topic', partitions = 1): Promise<string> {
  const topic = randomName(prefix)
  await createTopics(t, [{ topic, partitions }])
  return topic
}

/** Header that marks a sentinel record; its value is the token of the read that wrote it. */
export const SENTINEL_HEADER = 'freshet.test.sentinel'

/** A sentinel of readToSentinel, of this read or of an earlier one: never a record under test. */
export function isSentinel(record: InRecord): boolean {
  return record.headers.has(SENTINEL_HEADER)
}

export interface ReadOptions {
  /** The partitions to read; every partition of the topic by default. */
  partitions?: number[]
  /** read_committed by default. */
  isolationLevel?: IsolationLevel
  /** How long the read may take before it fails, naming what it waits for; 60 s by default. */
  timeoutMs?: number
}

const READ_TIMEOUT_MS = 60_000

async function partitionsOf(topic: string): Promise<number[]> {
  const admin = new KafkaAdmin({ bootstrapBrokers: brokers() })
  try {
    return (await admin.describeTopic(topic)).partitions.map((p) => p.partition).sort((a, b) => a - b)
  } finally {
    await admin.close()
  }
}

/**
 * Every record of `topic` written before the call, and nothing else: a reader that stops at a count
 * never sees the duplicates after it, this one sees every record up to a sentinel.
 *
 *   1. Write a sentinel to each partition: a plain (non-transactional) record with a null key and
 *      value and the header `freshet.test.sentinel`, carrying a token of this read. Its offset is
 *      where the partition's read ends.
 *   2. Read each partition from its start through its sentinel. Under read_committed (the default)
 *      no fetch passes the last stable offset, so a transaction left open before a sentinel holds
 *      the read back until the transaction ends: after `timeoutMs` the read fails, naming the
 *      partitions held back and their last stable offsets, instead of returning fewer records.
 *   3. Return the records before the sentinels, partition by partition in offset order, without
 *      any sentinel (an earlier read's are in the log too).
 *
 * Compare the result exactly (deepEqual, length): an extra record then fails the test. Call it
 * once the writers under test are done (stopped, or their work committed and awaited with
 * awaitRecords), and only on topics the test reads (outputs, dead letters): a sentinel written into
 * a job's input would be processed like any other record (readToEnd reads those).
 */
export async function readToSentinel(topic: string, options: ReadOptions = {}): Promise<InRecord[]> {
  const partitions = options.partitions ?? (await partitionsOf(topic))
  const timeoutMs = options.timeoutMs ?? READ_TIMEOUT_MS
  const isolationLevel = options.isolationLevel ?? 'read_committed'
  // Step 1
  const token = randomBytes(8).toString('hex')
  const producer = new KafkaProducer({ bootstrapBrokers: brokers() })
  const sentinels = new Map<number, bigint>()
  try {
    const written = await producer.send(
      partitions.map((partition) => ({
        topic,
        partition,
        key: null,
        value: null,
        headers: { [SENTINEL_HEADER]: token },
      })),
    )
    for (const w of written) sentinels.set(w.partition, w.offset)
  } finally {
    await producer.close()
  }
  for (const p of partitions) {
    if (!sentinels.has(p)) throw new Error(`readToSentinel(${topic}): no offset for the sentinel of ${p}`)
  }
  // Step 2
  const reader = new PartitionReader({ bootstrapBrokers: brokers(), isolationLevel })
  const readUpTo = new Map<number, bigint>(partitions.map((p) => [p, 0n]))
  const records: InRecord[] = []
  const read = async (): Promise<void> => {
    for (const [partition, sentinel] of [...sentinels].sort(([a], [b]) => a - b)) {
      let found = false
      for await (const batch of reader.read(topic, partition, 0n, sentinel + 1n)) {
        for (const record of batch) {
          readUpTo.set(partition, record.offset + 1n)
          if (record.offset === sentinel) {
            found = record.headers.get(SENTINEL_HEADER)?.toString() === token
          } else if (!isSentinel(record)) {
            // Step 3
            records.push(record)
          }
        }
      }
      if (!found) {
        throw new Error(
          `readToSentinel(${topic}): offset ${sentinel} of partition ${partition} is not its sentinel`,
        )
      }
    }
  }
  let timer: NodeJS.Timeout | undefined
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs)
  })
  const reading = read()
  try {
    if ((await Promise.race([reading, timedOut])) === 'timeout') {
      reading.catch(() => {})
      throw new Error(await heldBack(topic, sentinels, readUpTo, timeoutMs))
    }
    return records
  } finally {
    clearTimeout(timer)
    await reader.close()
  }
}

/** Why readToSentinel did not reach its sentinels: where each partition's read stands. */
async function heldBack(
  topic: string,
  sentinels: Map<number, bigint>,
  readUpTo: Map<number, bigint>,
  timeoutMs: number,
): Promise<string> {
  const reader = new PartitionReader({ bootstrapBrokers: brokers(), isolationLevel: 'read_committed' })
  try {
    const stable = await reader.endOffsets(topic, [...sentinels.keys()])
    const waiting = [...sentinels]
      .filter(([p, sentinel]) => (readUpTo.get(p) ?? 0n) <= sentinel)
      .map(
        ([p, sentinel]) =>
          `partition ${p} read up to offset ${readUpTo.get(p)}, sentinel at ${sentinel}, last stable offset ${stable.get(p)}`,
      )
    return (
      `readToSentinel(${topic}): the sentinels were not read within ${timeoutMs} ms (${waiting.join('; ')}); ` +
      'a last stable offset at or below its sentinel means a transaction left open before it'
    )
  } finally {
    await reader.close()
  }
}

/**
 * Every record of `topic` up to each partition's end as the call finds it (the last stable offset
 * under read_committed), sentinels left out. Exact only for a topic whose writers are all done; it
 * is for a job's input, which a test must not write a sentinel into, and reads nothing of a
 * transaction still open.
 */
export async function readToEnd(topic: string, options: ReadOptions = {}): Promise<InRecord[]> {
  const partitions = options.partitions ?? (await partitionsOf(topic))
  const reader = new PartitionReader({
    bootstrapBrokers: brokers(),
    isolationLevel: options.isolationLevel ?? 'read_committed',
  })
  try {
    const records: InRecord[] = []
    for (const [partition, end] of await reader.endOffsets(topic, partitions)) {
      for await (const batch of reader.read(topic, partition, 0n, end)) {
        records.push(...batch.filter((r) => !isSentinel(r)))
      }
    }
    return records
  } finally {
    await reader.close()
  }
}

/**
 * Waits until `topic` holds at least `count` records (read_committed by default, sentinels left
 * out), and fails after `timeoutMs`. Only a wait, while a writer is still at work: the records to
 * assert on come from readToSentinel, once the writer is done.
 */
export async function awaitRecords(topic: string, count: number, options: ReadOptions = {}): Promise<void> {
  const partitions = options.partitions ?? (await partitionsOf(topic))
  const timeoutMs = options.timeoutMs ?? READ_TIMEOUT_MS
  const reader = new PartitionReader({
    bootstrapBrokers: brokers(),
    isolationLevel: options.isolationLevel ?? 'read_committed',
  })
  const deadline = Date.now() + timeoutMs
  const position = new Map<number, bigint>(partitions.map((p) => [p, 0n]))
  let seen = 0
  try {
    for (;;) {
      for (const [partition, end] of await reader.endOffsets(topic, partitions)) {
        for await (const batch of reader.read(topic, partition, position.get(partition) ?? 0n, end)) {
          seen += batch.filter((r) => !isSentinel(r)).length
        }
        position.set(partition, end)
      }
      if (seen >= count) return
      if (Date.now() > deadline) {
        throw new Error(`awaitRecords(${topic}): ${seen} of ${count} records after ${timeoutMs} ms`)
      }
      await sleep(100)
    }
  } finally {
    await reader.close()
  }
}

/**
 * Reads `count` records of `topic` from the beginning, as a fresh group; read_committed by default.
 * It stops at the count, so records after it (duplicates) go unseen: readToSentinel is the reader
 * for new tests. Kept for test/consumer/consumer.test.ts, which has not moved to readToSentinel yet.
 */
export async function readRecords(
  topic: string,
  count: number,
  options: { isolationLevel?: IsolationLevel } = {},
): Promise<InRecord[]> {
  const consumer = new GroupConsumer({
    bootstrapBrokers: brokers(),
    groupId: randomName('reader'),
    topics: [topic],
    fromBeginning: true,
    ...options,
  })
  await consumer.start()
  try {
    const out: InRecord[] = []
    while (out.length < count) out.push(...(await consumer.nextBatch(count - out.length)))
    return out
  } finally {
    await consumer.close()
  }
}

/** A producer on the test broker, closed after the test. */
export function testProducer(t: TestContext): KafkaProducer {
  const producer = new KafkaProducer({ bootstrapBrokers: brokers() })
  t.after(() => producer.close())
  return producer
}

/** A transactional producer with a fresh transactional id, closed after the test. */
export function testTransactional(
  t: TestContext,
  transactionalId = randomName('tid'),
): TransactionalProducer {
  const producer = new TransactionalProducer({ bootstrapBrokers: brokers(), transactionalId })
  t.after(() => producer.close())
  return producer
}
