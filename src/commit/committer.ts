/**
 * The commit protocol: how a worker makes what its tasks did since the last commit durable, and
 * under exactly-once atomic, together with the input offsets it consumed.
 *
 * Exactly-once (Kafka Streams' EOS v2; docs/decisions/0003-engine-architecture.md), with a
 * transaction open from the previous commit, in which every batch's outputs were already sent:
 *
 *   1. The worker stops handing records to its tasks (it holds its lock while committing).
 *   2. Every task flushes its operators (`onCommit`), and the records that produces, every store's
 *      changelog entries and the watermark markers are sent in the transaction.
 *   3. The consumed offsets (next offset per partition) are sent with the group metadata of the
 *      consumer, so a worker the group no longer counts is refused (KIP-447).
 *   4. The transaction commits: outputs, changelogs and offsets become visible together.
 *   5. Each store written to persists its write cache with the changelog offset as its checkpoint
 *      (the base offset of this commit's changelog records: a lower bound, so a restore may replay
 *      a few records again but never misses one). A table whose changelog is its source topic
 *      takes the offset of that topic committed in step 4: its state is exactly the records below.
 *   6. The next transaction begins.
 *
 * A failure at steps 2-4 leaves the transaction to abort; the worker then discards what its tasks
 * hold in memory and resumes from the committed offsets (src/runtime/worker.ts).
 *
 * At-least-once, with an idempotent producer:
 *
 *   1. As above.
 *   2. As above, every send acknowledged by all in-sync replicas.
 *   3. Each store written to persists its write cache and checkpoint.
 *   4. The offsets are committed to the group. A crash before this step replays the input since
 *      the previous commit: outputs may repeat, nothing is lost. (A source-topic table's checkpoint
 *      is then beyond the committed offset, and its restore starts over: see src/runtime/restore.ts.)
 */
import type {
  GroupConsumer,
  KafkaProducer,
  OutRecord,
  TopicPartitionOffset,
  TransactionalProducer,
} from '../kafka/index.ts'
import type { StreamTask } from '../task/index.ts'

export interface CommitResult {
  /** Records sent at the commit itself (operator flushes, changelogs, markers). */
  readonly records: number
  readonly offsets: number
  /** Those records. */
  readonly sent: readonly OutRecord[]
}

/** The write side of a worker under one processing guarantee. */
export interface Committer {
  readonly guarantee: 'exactly-once' | 'at-least-once'
  /** Opens the first transaction (exactly-once); nothing under at-least-once. */
  start(): Promise<void>
  /** Sends records produced while processing (in the open transaction, under exactly-once). */
  send(records: OutRecord[]): Promise<void>
  commit(tasks: readonly StreamTask[], offsets: TopicPartitionOffset[]): Promise<CommitResult>
  /**
   * Drops what was sent since the last commit, as far as the guarantee allows (exactly-once aborts
   * the transaction and begins the next one), after a failure or when partitions are lost.
   */
  abort(): Promise<void>
  close(): Promise<void>
}

type StoreCheckpoint = { task: StreamTask; store: string; topic: string; partition: number }

/** Step 2 of both protocols: everything the tasks must add to the commit. */
function collect(tasks: readonly StreamTask[]): {
  records: OutRecord[]
  changelogs: StoreCheckpoint[]
  sourceCheckpoints: StoreCheckpoint[]
} {
  const records: OutRecord[] = []
  const changelogs: StoreCheckpoint[] = []
  const sourceCheckpoints: StoreCheckpoint[] = []
  for (const task of tasks) {
    const prepared = task.prepareCommit()
    records.push(...prepared.records)
    for (const source of prepared.sourceCheckpoints) sourceCheckpoints.push({ task, ...source })
    for (const [store, entries] of prepared.changelogs) {
      records.push(...entries)
      const first = entries[0] as OutRecord
      changelogs.push({ task, store, topic: first.topic, partition: first.partition as number })
    }
  }
  return { records, changelogs, sourceCheckpoints }
}

/**
 * Step 5 (exactly-once) / step 3 (at-least-once). A store logged to a changelog of its own takes the
 * offset its records were written at; a table whose changelog is its source topic takes the input
 * offset committed for that topic's partition, when this commit read any of it (else nothing of
 * the table changed).
 */
async function checkpoint(
  { changelogs, sourceCheckpoints }: ReturnType<typeof collect>,
  written: readonly TopicPartitionOffset[],
  consumed: readonly TopicPartitionOffset[],
): Promise<void> {
  const base = new Map(written.map((o) => [`${o.topic}\u0000${o.partition}`, o.offset]))
  const next = new Map(consumed.map((o) => [`${o.topic}\u0000${o.partition}`, o.offset]))
  const flushes = changelogs.map(async ({ task, store, topic, partition }) => {
    const stateStore = task.stores.get(store)
    if (stateStore === undefined) return
    const offset = base.get(`${topic}\u0000${partition}`)
    if (offset !== undefined) stateStore.writeCheckpoint(offset)
    await stateStore.flush()
  })
  const sources = sourceCheckpoints.map(async ({ task, store, topic, partition }) => {
    const stateStore = task.stores.get(store)
    const offset = next.get(`${topic}\u0000${partition}`)
    if (stateStore === undefined || offset === undefined) return
    stateStore.writeCheckpoint(offset)
    await stateStore.flush()
  })
  await Promise.all([...flushes, ...sources])
}

export class ExactlyOnceCommitter implements Committer {
  readonly guarantee = 'exactly-once' as const
  readonly #producer: TransactionalProducer
  readonly #consumer: GroupConsumer

  constructor(producer: TransactionalProducer, consumer: GroupConsumer) {
    this.#producer = producer
    this.#consumer = consumer
  }

  get producer(): TransactionalProducer {
    return this.#producer
  }

  async start(): Promise<void> {
    if (this.#producer.state === 'READY') await this.#producer.begin()
  }

  async send(records: OutRecord[]): Promise<void> {
    if (records.length > 0) await this.#producer.send(records)
  }

  async commit(tasks: readonly StreamTask[], offsets: TopicPartitionOffset[]): Promise<CommitResult> {
    // Step 1 is the caller's.
    // Step 2
    const collected = collect(tasks)
    const { records } = collected
    const written = records.length > 0 ? await this.#producer.send(records) : []
    // Step 3
    await this.#producer.sendOffsets(this.#consumer, offsets)
    // Step 4
    await this.#producer.commit()
    // Step 5
    await checkpoint(collected, written, offsets)
    // Step 6
    await this.#producer.begin()
    return { records: records.length, offsets: offsets.length, sent: records }
  }

  async abort(): Promise<void> {
    const state = this.#producer.state
    // A new producer whose InitProducerId failed (the cluster went away) starts again from there.
    if (state === 'UNINITIALIZED') await this.#producer.init()
    if (state === 'IN_TRANSACTION' || state === 'ABORTABLE') await this.#producer.abort()
    if (this.#producer.state === 'READY') await this.#producer.begin()
  }

  async close(): Promise<void> {
    // An open transaction holds nothing that was committed; aborting it spares readers the wait
    // for the transaction timeout.
    const state = this.#producer.state
    if (state === 'IN_TRANSACTION' || state === 'ABORTABLE') await this.#producer.abort().catch(() => {})
    await this.#producer.close()
  }
}

export class AtLeastOnceCommitter implements Committer {
  readonly guarantee = 'at-least-once' as const
  readonly #producer: KafkaProducer
  readonly #consumer: GroupConsumer

  constructor(producer: KafkaProducer, consumer: GroupConsumer) {
    this.#producer = producer
    this.#consumer = consumer
  }

  async start(): Promise<void> {}

  async send(records: OutRecord[]): Promise<void> {
    if (records.length > 0) await this.#producer.send(records)
  }

  async commit(tasks: readonly StreamTask[], offsets: TopicPartitionOffset[]): Promise<CommitResult> {
    // Step 2
    const collected = collect(tasks)
    const { records } = collected
    const written = records.length > 0 ? await this.#producer.send(records) : []
    // Step 3
    await checkpoint(collected, written, offsets)
    // Step 4
    await this.#consumer.commit(offsets)
    return { records: records.length, offsets: offsets.length, sent: records }
  }

  async abort(): Promise<void> {}

  async close(): Promise<void> {
    await this.#producer.close()
  }
}
