import {
  Consumer,
  FetchIsolationLevels,
  MessagesStreamFallbackModes,
  MessagesStreamModes,
  stringDeserializer,
  type Message,
  type MessagesStream,
} from '@platformatic/kafka'
import { FreshetError } from '../errors/index.ts'
import { checks, validateOptions, type Spec } from '../options/index.ts'
import { baseClientOptions, connectionSpec, type ConnectionOptions } from './connection.ts'
import { kafkaError } from './errors.ts'
import type { InRecord, IsolationLevel, TopicPartitionOffset } from './types.ts'

export interface ConsumerOptions extends ConnectionOptions {
  groupId: string
  topics: string[]
  /** Where to start on partitions the group has no committed offset for. */
  fromBeginning?: boolean
  /** read_committed hides aborted transactions and stops at the last stable offset. */
  isolationLevel?: IsolationLevel
  sessionTimeoutMs?: number
  heartbeatIntervalMs?: number
  rebalanceTimeoutMs?: number
  /** Longest a fetch waits on the broker for data. */
  maxWaitMs?: number
  maxBytesPerPartition?: number
}

const consumerSpec: Spec<ConsumerOptions> = {
  ...connectionSpec,
  groupId: { check: checks.string() },
  topics: { check: checks.stringList() },
  fromBeginning: { check: checks.boolean(), default: false },
  isolationLevel: {
    check: checks.oneOf(['read_committed', 'read_uncommitted'] as const),
    default: 'read_committed',
  },
  sessionTimeoutMs: { check: checks.int(1_000, 600_000), default: 30_000 },
  heartbeatIntervalMs: { check: checks.int(100, 60_000), default: 3_000 },
  rebalanceTimeoutMs: { check: checks.int(1_000, 600_000), default: 60_000 },
  maxWaitMs: { check: checks.int(0, 60_000), default: 500 },
  maxBytesPerPartition: { check: checks.int(1024, 1 << 30), default: 4 * 1024 * 1024 },
}

type RawMessage = Message<Buffer, Buffer, string, Buffer>

function toInRecord(m: RawMessage): InRecord {
  return {
    topic: m.topic,
    partition: m.partition,
    offset: m.offset,
    timestampMs: Number(m.timestamp),
    key: m.key ?? null,
    value: m.value ?? null,
    headers: m.headers,
    leaderEpoch: m.leaderEpoch,
  }
}

/**
 * A member of a consumer group that hands out records in batches (everything already fetched,
 * up to a limit) and commits offsets only when told to.
 */
export class GroupConsumer {
  readonly #consumer: Consumer<Buffer, Buffer, string, Buffer>
  readonly #options: ConsumerOptions
  #stream: MessagesStream<Buffer, Buffer, string, Buffer> | undefined
  #ended = false
  #error: Error | undefined
  #waiter: (() => void) | undefined
  readonly #leaderEpochs = new Map<string, number>()

  constructor(options: ConsumerOptions) {
    const resolved = validateOptions('GroupConsumer', options, consumerSpec)
    this.#options = resolved
    this.#consumer = new Consumer({
      ...baseClientOptions(resolved),
      groupId: resolved.groupId,
      autocommit: false,
      sessionTimeout: resolved.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: resolved.heartbeatIntervalMs ?? 3_000,
      rebalanceTimeout: resolved.rebalanceTimeoutMs ?? 60_000,
      maxWaitTime: resolved.maxWaitMs ?? 500,
      maxBytesPerPartition: resolved.maxBytesPerPartition ?? 4 * 1024 * 1024,
      isolationLevel:
        resolved.isolationLevel === 'read_uncommitted'
          ? FetchIsolationLevels.READ_UNCOMMITTED
          : FetchIsolationLevels.READ_COMMITTED,
      deserializers: { headerKey: stringDeserializer as (data?: Buffer) => string },
    })
  }

  get groupId(): string {
    return this.#options.groupId
  }

  /** Partitions currently assigned to this member. */
  get assignments(): Array<{ topic: string; partitions: number[] }> {
    return (this.#consumer.assignments ?? []).map((a) => ({ topic: a.topic, partitions: [...a.partitions] }))
  }

  /** Joins the group and starts fetching. */
  async start(): Promise<void> {
    if (this.#stream) throw new FreshetError('INVALID_STATE', 'GroupConsumer.start: already started')
    try {
      this.#stream = await this.#consumer.consume({
        topics: this.#options.topics,
        mode: MessagesStreamModes.COMMITTED,
        fallbackMode: this.#options.fromBeginning
          ? MessagesStreamFallbackModes.EARLIEST
          : MessagesStreamFallbackModes.LATEST,
      })
    } catch (error) {
      throw kafkaError(error, `join group ${this.#options.groupId}`)
    }
    // A 'readable' listener stays attached for the stream's life: removing the last one would put
    // the stream back in neither-paused-nor-flowing mode, where the client stops fetching.
    const stream = this.#stream
    stream.on('readable', () => this.#wake())
    stream.once('end', () => {
      this.#ended = true
      this.#wake()
    })
    stream.once('close', () => {
      this.#ended = true
      this.#wake()
    })
    stream.on('error', (error: Error) => {
      this.#error = kafkaError(error, `consume from ${this.#options.topics.join(',')}`)
      this.#wake()
    })
  }

  #wake(): void {
    const waiter = this.#waiter
    this.#waiter = undefined
    waiter?.()
  }

  /** Resolves with the next batch: every record already fetched, at most `maxRecords`. Empty at end. */
  async nextBatch(maxRecords = 10_000): Promise<InRecord[]> {
    const stream = this.#stream
    if (!stream) throw new FreshetError('INVALID_STATE', 'GroupConsumer.nextBatch: call start() first')
    for (;;) {
      const batch: InRecord[] = []
      let m: RawMessage | null
      while (batch.length < maxRecords && (m = stream.read() as RawMessage | null) !== null) {
        this.#leaderEpochs.set(`${m.topic}\u0000${m.partition}`, m.leaderEpoch)
        batch.push(toInRecord(m))
      }
      if (batch.length > 0) return batch
      if (this.#error) throw this.#error
      if (this.#ended) return batch
      await new Promise<void>((resolve) => {
        this.#waiter = resolve
      })
    }
  }

  /** Async iteration over batches until the consumer is closed. */
  async *batches(maxRecords = 10_000): AsyncGenerator<InRecord[]> {
    for (;;) {
      const batch = await this.nextBatch(maxRecords)
      if (batch.length === 0) return
      yield batch
    }
  }

  /** Commits the next offsets to read, per partition. */
  async commit(offsets: TopicPartitionOffset[]): Promise<void> {
    if (offsets.length === 0) return
    try {
      await this.#consumer.commit({
        offsets: offsets.map((o) => ({
          topic: o.topic,
          partition: o.partition,
          offset: o.offset,
          leaderEpoch: this.#leaderEpochs.get(`${o.topic}\u0000${o.partition}`) ?? -1,
        })),
      })
    } catch (error) {
      throw kafkaError(error, `commit offsets of group ${this.#options.groupId}`)
    }
  }

  /** Stops fetching and leaves the group. */
  async close(): Promise<void> {
    this.#ended = true
    this.#wake()
    try {
      if (this.#stream) await this.#stream.close()
    } finally {
      await this.#consumer.close()
    }
  }
}

/** The offsets to commit after processing `records`: last offset + 1 per partition. */
export function nextOffsets(records: readonly InRecord[]): TopicPartitionOffset[] {
  const last = new Map<string, TopicPartitionOffset>()
  for (const r of records) {
    const key = `${r.topic}\u0000${r.partition}`
    const current = last.get(key)
    if (!current || current.offset <= r.offset)
      last.set(key, { topic: r.topic, partition: r.partition, offset: r.offset + 1n })
  }
  return [...last.values()]
}
