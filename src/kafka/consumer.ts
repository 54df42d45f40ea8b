import {
  Admin,
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
import { ReadCommittedConsumer } from './read-committed.ts'
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
  /** Only for rewindToCommitted(): the consumer itself cannot ask for stable offsets. */
  #admin: Admin | undefined

  constructor(options: ConsumerOptions) {
    const resolved = validateOptions('GroupConsumer', options, consumerSpec)
    this.#options = resolved
    const readCommitted = resolved.isolationLevel !== 'read_uncommitted'
    const clientOptions = {
      ...baseClientOptions(resolved),
      groupId: resolved.groupId,
      autocommit: false,
      sessionTimeout: resolved.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: resolved.heartbeatIntervalMs ?? 3_000,
      rebalanceTimeout: resolved.rebalanceTimeoutMs ?? 60_000,
      maxWaitTime: resolved.maxWaitMs ?? 500,
      maxBytesPerPartition: resolved.maxBytesPerPartition ?? 4 * 1024 * 1024,
      isolationLevel: readCommitted
        ? FetchIsolationLevels.READ_COMMITTED
        : FetchIsolationLevels.READ_UNCOMMITTED,
      deserializers: { headerKey: stringDeserializer as (data?: Buffer) => string },
    }
    // The client's own read_committed filtering lets some aborted records through (decision 0001).
    this.#consumer = readCommitted ? new ReadCommittedConsumer(clientOptions) : new Consumer(clientOptions)
  }

  get groupId(): string {
    return this.#options.groupId
  }

  /** Generation of the group this member last joined; 0 before it joined. */
  get generationId(): number {
    return this.#consumer.generationId
  }

  /** Member id the group coordinator gave this member; null before it joined. */
  get memberId(): string | null {
    return this.#consumer.memberId
  }

  /** Broker id of the group coordinator; null before it is known. */
  get coordinatorId(): number | null {
    return this.#consumer.coordinatorId
  }

  /** Partitions currently assigned to this member. */
  get assignments(): Array<{ topic: string; partitions: number[] }> {
    return (this.#consumer.assignments ?? []).map((a) => ({ topic: a.topic, partitions: [...a.partitions] }))
  }

  /** Joins the group and starts fetching. */
  async start(): Promise<void> {
    if (this.#stream) throw new FreshetError('INVALID_STATE', 'GroupConsumer.start: already started')
    this.#attach(await this.#openStream(`join group ${this.#options.groupId}`))
  }

  /** A messages stream over the subscription that starts at the group's committed offsets. */
  async #openStream(what: string): Promise<MessagesStream<Buffer, Buffer, string, Buffer>> {
    try {
      return await this.#consumer.consume({
        topics: this.#options.topics,
        mode: MessagesStreamModes.COMMITTED,
        fallbackMode: this.#options.fromBeginning
          ? MessagesStreamFallbackModes.EARLIEST
          : MessagesStreamFallbackModes.LATEST,
      })
    } catch (error) {
      throw kafkaError(error, what)
    }
  }

  /** Makes `stream` the one batches are read from; events of a replaced stream are ignored. */
  #attach(stream: MessagesStream<Buffer, Buffer, string, Buffer>): void {
    this.#stream = stream
    const current = (): boolean => this.#stream === stream
    // A 'readable' listener stays attached for the stream's life: removing the last one would put
    // the stream back in neither-paused-nor-flowing mode, where the client stops fetching.
    stream.on('readable', () => {
      if (current()) this.#wake()
    })
    const ended = (): void => {
      if (!current()) return
      this.#ended = true
      this.#wake()
    }
    stream.once('end', ended)
    stream.once('close', ended)
    stream.on('error', (error: Error) => {
      if (!current()) return
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
    if (!this.#stream) throw new FreshetError('INVALID_STATE', 'GroupConsumer.nextBatch: call start() first')
    for (;;) {
      // Read anew each time: rewindToCommitted() may have replaced the stream meanwhile.
      const stream = this.#stream
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

  /**
   * Forgets every record read or fetched since the group's last committed offsets and reads them
   * again: what a transactional consume-process-produce loop does after an abort, whose offsets
   * the group never committed.
   *
   *   1. Wait until the group's offsets are stable: a transaction that committed offsets for the
   *      group may not have written them yet (its commit returns before its markers are written),
   *      and the consumer's own offset fetch would then answer with the older offsets.
   *   2. Open a second stream on the same subscription. The member keeps its assignment (no
   *      rejoin), and the stream starts each assigned partition at its committed offset.
   *   3. Read from the new stream and close the old one: the records it buffered and whatever
   *      its fetches in flight bring are dropped with it.
   *
   * Records handed out before the call stay handed out; the caller discards its own copies.
   */
  async rewindToCommitted(): Promise<void> {
    const previous = this.#stream
    if (!previous || this.#ended) {
      throw new FreshetError('INVALID_STATE', 'GroupConsumer.rewindToCommitted: not consuming')
    }
    // Step 1
    await this.#awaitStableOffsets()
    // Step 2
    const stream = await this.#openStream(`rewind group ${this.#options.groupId} to its committed offsets`)
    // Step 3
    this.#attach(stream)
    this.#error = undefined
    this.#wake()
    try {
      await previous.close()
    } catch {
      // Nothing more is read from it; its failure does not concern the new stream.
    }
  }

  async #awaitStableOffsets(): Promise<void> {
    this.#admin ??= new Admin(baseClientOptions(this.#options))
    const topics = this.assignments.filter((a) => a.partitions.length > 0)
    if (topics.length === 0) return
    try {
      // The broker answers UNSTABLE_OFFSET_COMMIT while a transaction's offsets are pending; the
      // client retries that error.
      await this.#admin.listConsumerGroupOffsets({
        groups: [
          {
            groupId: this.#options.groupId,
            topics: topics.map((a) => ({ name: a.topic, partitionIndexes: a.partitions })),
          },
        ],
        requireStable: true,
      })
    } catch (error) {
      throw kafkaError(error, `wait for stable offsets of group ${this.#options.groupId}`)
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
      try {
        await this.#consumer.close()
      } finally {
        await this.#admin?.close()
      }
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
