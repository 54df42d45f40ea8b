/** What integration tests share: the run's broker, random names, topics cleaned up after the test. */
import { randomBytes } from 'node:crypto'
import type { TestContext } from 'node:test'
import {
  GroupConsumer,
  KafkaAdmin,
  KafkaProducer,
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

/** Creates topics that are deleted when the test ends (after its own cleanup). */
export async function createTopics(t: TestContext, specs: TopicSpec[]): Promise<void> {
  const admin = new KafkaAdmin({ bootstrapBrokers: brokers() })
  try {
    await admin.createTopics(specs)
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

/** Reads `count` records of `topic` from the beginning, as a fresh group; read_committed by default. */
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
