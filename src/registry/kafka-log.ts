/**
 * The registry log on a Kafka topic: one partition (a single total order for every instance),
 * `cleanup.policy=compact` (the last record per key is the state), written by the idempotent
 * producer with acks=all and tailed from the beginning by every registry instance.
 */
import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { FreshetError } from '../errors/index.ts'
import { GroupConsumer, KafkaAdmin, KafkaProducer, type InRecord } from '../kafka/index.ts'
import type { LogEntry, LogWrite, RegistryLog } from './types.ts'

export interface KafkaLogOptions {
  bootstrapBrokers: string[]
  topic: string
  /** Replication factor used when the topic has to be created. */
  replicas: number
  clientId: string
  /** Called when the tail loses the topic and starts again (after `retryDelayMs`). */
  onTailError?: (error: unknown) => void
  retryDelayMs?: number
}

/** Topic configs the registry creates its topic with. */
export const REGISTRY_TOPIC_CONFIGS: Record<string, string> = { 'cleanup.policy': 'compact' }

function toEntry(r: InRecord): LogEntry {
  return { offset: r.offset, key: r.key, value: r.value }
}

export class KafkaLog implements RegistryLog {
  readonly #options: KafkaLogOptions
  readonly #admin: KafkaAdmin
  #producer: KafkaProducer | undefined
  #consumer: GroupConsumer | undefined
  #tail: Promise<void> | undefined
  #closed = false

  constructor(options: KafkaLogOptions) {
    this.#options = options
    this.#admin = new KafkaAdmin({ bootstrapBrokers: options.bootstrapBrokers, clientId: options.clientId })
  }

  /** Creates the topic when missing; refuses a topic with more than one partition. */
  async #ensureTopic(): Promise<void> {
    const { topic, replicas } = this.#options
    const created = await this.#admin.createTopics([
      { topic, partitions: 1, replicas, configs: REGISTRY_TOPIC_CONFIGS },
    ])
    if (created.length > 0) return
    const description = await this.#admin.describeTopic(topic)
    if (description.partitions.length !== 1) {
      throw new FreshetError(
        'REGISTRY_ERROR',
        `registry topic ${topic} has ${description.partitions.length} partitions; the registry needs exactly 1 to keep one order of writes`,
        { topic },
      )
    }
  }

  #newConsumer(): GroupConsumer {
    // A group of its own, never committed: every start reads the topic from its first offset.
    return new GroupConsumer({
      bootstrapBrokers: this.#options.bootstrapBrokers,
      clientId: this.#options.clientId,
      groupId: `${this.#options.clientId}-${randomUUID()}`,
      topics: [this.#options.topic],
      fromBeginning: true,
      isolationLevel: 'read_uncommitted',
      maxWaitMs: 100,
    })
  }

  async start(onEntries: (entries: LogEntry[]) => void): Promise<void> {
    await this.#ensureTopic()
    this.#producer = new KafkaProducer({
      bootstrapBrokers: this.#options.bootstrapBrokers,
      clientId: this.#options.clientId,
      idempotent: true,
      acks: 'all',
    })
    const consumer = this.#newConsumer()
    await consumer.start()
    this.#consumer = consumer
    this.#tail = this.#run(consumer, onEntries)
  }

  /**
   * Hands every fetched batch to the registry. When the consumer fails, a new one reads the topic
   * again from the start; the registry skips the offsets it has already applied.
   */
  async #run(first: GroupConsumer, onEntries: (entries: LogEntry[]) => void): Promise<void> {
    let consumer = first
    while (!this.#closed) {
      try {
        for await (const batch of consumer.batches()) onEntries(batch.map(toEntry))
        return
      } catch (error) {
        if (this.#closed) return
        this.#options.onTailError?.(error)
        await consumer.close().catch(() => undefined)
        await sleep(this.#options.retryDelayMs ?? 1_000)
        if (this.#closed) return
        consumer = this.#newConsumer()
        this.#consumer = consumer
        try {
          await consumer.start()
        } catch (startError) {
          this.#options.onTailError?.(startError)
        }
      }
    }
  }

  async endOffset(): Promise<bigint> {
    const ends = await this.#admin.endOffsets(this.#options.topic)
    return ends.get(0) ?? 0n
  }

  async append(records: LogWrite[]): Promise<bigint> {
    if (this.#producer === undefined)
      throw new FreshetError('INVALID_STATE', 'KafkaLog.append: call start() first')
    const acked = await this.#producer.send(
      records.map((r) => ({ topic: this.#options.topic, partition: 0, key: r.key, value: r.value })),
    )
    const base = acked[0]?.offset
    if (base === undefined) {
      throw new FreshetError(
        'REGISTRY_ERROR',
        `no offset acknowledged for the write to ${this.#options.topic}`,
        {
          topic: this.#options.topic,
        },
      )
    }
    // One partition, one produce request: the records sit at consecutive offsets from the base.
    return base + BigInt(records.length - 1)
  }

  async close(): Promise<void> {
    this.#closed = true
    const closing: Array<Promise<unknown>> = []
    if (this.#consumer) closing.push(this.#consumer.close())
    if (this.#producer) closing.push(this.#producer.close())
    closing.push(this.#admin.close())
    const results = await Promise.allSettled(closing)
    await this.#tail?.catch(() => undefined)
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
    if (failed) throw failed.reason
  }
}
