/**
 * A worker: one process's share of a running topology. Workers with the same application id form
 * one consumer group; the group's assignor (src/runtime/assignor.ts) hands each worker tasks, and
 * each task's state follows it through its changelog topics (Kafka Streams' model, decision 0003).
 *
 * The processing loop:
 *
 *   1. Wait for the next batch of records, or for the commit interval to pass.
 *   2. Under the worker's lock (which the rebalance callbacks also take): drop the batch if a
 *      rebalance happened since it was read (the new assignment starts at the committed offsets,
 *      so its records come again); load what decoding needs (Avro writer schemas, retried with
 *      backoff while the registry is unreachable: the batch waits, nothing is dead-lettered).
 *   3. Hand each record to the task of its topic partition, synchronously.
 *   4. Send what the tasks produced (in the open transaction under exactly-once).
 *   5. When the commit interval has passed: commit (src/commit/committer.ts).
 *
 * Rebalances (the consumer runs the callbacks; the loop is held on the lock meanwhile):
 *   - revoked: commit, then close the tasks (their stores are flushed at the commit);
 *   - lost (the group already removed this worker): abort, close the tasks without flushing;
 *   - assigned: wait for the group's offsets to be stable, restore the new tasks' stores from
 *     their changelogs, then open the tasks.
 *
 * After a commit fails for any reason but fencing (a timeout, a stale generation): abort, discard
 * every task (what they hold in memory is ahead of the committed state), restore them again from
 * local checkpoints and changelogs, and rewind the consumer to the committed offsets.
 */
import { randomUUID } from 'node:crypto'
import { rm } from 'node:fs/promises'
import { ErrorCodes, FreshetError, toFreshetError } from '../errors/index.ts'
import { AtLeastOnceCommitter, ExactlyOnceCommitter, type Committer } from '../commit/index.ts'
import {
  GroupConsumer,
  KafkaAdmin,
  KafkaProducer,
  PartitionReader,
  TransactionalProducer,
  type InRecord,
  type OutRecord,
  type TopicPartitionOffset,
  type TopicPartitions,
} from '../kafka/index.ts'
import { createDeserializer, type Deserializer } from '../serde/index.ts'
import { MemoryStateStore, RocksDbStateStore, storeDirectory, type StateStore } from '../state/index.ts'
import type { SourceSpec } from '../stream/index.ts'
import { StreamTask, type TaskCounters, type TaskSink, type TaskSource } from '../task/index.ts'
import { taskAssigner, taskName } from './assignor.ts'
import {
  resolveWorkerOptions,
  type ResolvedWorkerOptions,
  type WorkerEvent,
  type WorkerOptions,
} from './options.ts'
import { planTopics, type RuntimePlan } from './plan.ts'
import { restoreStore } from './restore.ts'

export type WorkerState = 'CREATED' | 'STARTING' | 'RUNNING' | 'STOPPING' | 'STOPPED' | 'FAILED'

export interface TaskStatus {
  readonly id: string
  readonly watermarkMs: number
  readonly recordsIn: number
  readonly recordsOut: number
  readonly recordsSkipped: number
  readonly recordsDeadLettered: number
  readonly recordsLate: number
  /** Windows (sessions) the task's windowed operators hold open, as of its last commit. Exact. */
  readonly openWindows: number
  readonly stores: ReadonlyArray<{ name: string; keys: number; bytes: number }>
}

export interface WorkerStatus {
  readonly workerId: string
  readonly state: WorkerState
  readonly generationId: number
  readonly tasks: readonly TaskStatus[]
  readonly commits: number
  readonly aborts: number
  readonly rebalances: number
  /**
   * Records counted by every task this worker has run, closed ones included: processing counts, so
   * records replayed after an abort or a rebalance count again (as in Kafka Streams' metrics).
   */
  readonly totals: TaskCounters
  /** Bad input records skipped or dead-lettered, by error code, over every task the worker ran. */
  readonly badRecords: Readonly<Record<string, number>>
  /** Records and bytes (key and value) taken in and sent, per topic, since the worker started. */
  readonly topics: readonly TopicStatus[]
}

export interface TopicStatus {
  readonly topic: string
  readonly recordsIn: number
  readonly bytesIn: number
  readonly recordsOut: number
  readonly bytesOut: number
}

interface TopicCounts {
  recordsIn: number
  bytesIn: number
  recordsOut: number
  bytesOut: number
}

function emptyCounters(): TaskCounters {
  return { recordsIn: 0, recordsOut: 0, recordsSkipped: 0, recordsDeadLettered: 0, recordsLate: 0 }
}

function addCodes(into: Map<string, number>, from: ReadonlyMap<string, number>): Map<string, number> {
  for (const [code, n] of from) into.set(code, (into.get(code) ?? 0) + n)
  return into
}

function recordBytes(record: { key?: Buffer | null | undefined; value: Buffer | null }): number {
  return (record.key?.length ?? 0) + (record.value?.length ?? 0)
}

function addCounters(into: TaskCounters, from: Readonly<TaskCounters>): TaskCounters {
  for (const key of Object.keys(into) as Array<keyof TaskCounters>) into[key] += from[key]
  return into
}

const MARKER_INTERVAL_MS = 1_000
const REGISTRY_BACKOFF_MS = { first: 100, max: 5_000 }
/** Failures that replaying the same records would meet again; they stop the worker. */
const PERMANENT_FAILURES: readonly string[] = [ErrorCodes.RECORD_TOO_LARGE.code]

interface Batch {
  readonly records: InRecord[]
  /** The rebalance count when the batch was read. */
  readonly epoch: number
}

function decodeStringKey(record: InRecord): unknown {
  return record.key === null ? null : record.key.toString('utf8')
}

export class Worker {
  readonly #options: ResolvedWorkerOptions
  readonly #applicationId: string
  #state: WorkerState = 'CREATED'
  #plan: RuntimePlan | undefined
  #consumer: GroupConsumer | undefined
  #committer: Committer | undefined
  #reader: PartitionReader | undefined
  readonly #tasks = new Map<string, StreamTask>()
  /** Topic to the sub-topology reading it. */
  readonly #readers = new Map<string, SourceSpec>()
  readonly #decoders = new Map<string, Deserializer<unknown>>()
  /** Next offset per consumed partition since the last commit. */
  #offsets = new Map<string, TopicPartitionOffset>()
  #lock: Promise<unknown> = Promise.resolve()
  #epoch = 0
  #lastCommitMs = Date.now()
  #loop: Promise<void> | undefined
  #stopping = false
  #failure: FreshetError | undefined
  #wakeLoop: (() => void) | undefined
  #commits = 0
  #aborts = 0
  #rebalances = 0
  /** Counts of the tasks already closed. */
  readonly #retiredCounters = emptyCounters()
  readonly #retiredBadRecords = new Map<string, number>()
  readonly #topics = new Map<string, TopicCounts>()
  /** Output topics: the records sent to them are results, for the end-to-end latency. */
  readonly #outputTopics: ReadonlySet<string>
  /** Event times of the results sent since the last commit. */
  #resultTimesMs: number[] = []
  /** Durations of the batches processed since the last commit. */
  #batchMs: number[] = []

  constructor(options: WorkerOptions) {
    this.#options = resolveWorkerOptions(options)
    this.#applicationId = this.#options.topology.applicationId
    this.#outputTopics = new Set(
      this.#options.topology
        .sinks()
        .filter((sink) => sink.kind === 'sink')
        .map((sink) => sink.topic),
    )
  }

  get workerId(): string {
    return this.#options.workerId
  }

  get state(): WorkerState {
    return this.#state
  }

  /** Resolves when the loop ends: after stop(), or with the error that stopped the worker. */
  get done(): Promise<void> {
    return this.#loop ?? Promise.resolve()
  }

  status(): WorkerStatus {
    return {
      workerId: this.#options.workerId,
      state: this.#state,
      generationId: this.#consumer?.generationId ?? 0,
      commits: this.#commits,
      aborts: this.#aborts,
      rebalances: this.#rebalances,
      totals: [...this.#tasks.values()].reduce(
        (sum, task) => addCounters(sum, task.counters),
        addCounters(emptyCounters(), this.#retiredCounters),
      ),
      badRecords: Object.fromEntries(
        [...this.#tasks.values()].reduce(
          (sum, task) => addCodes(sum, task.badRecordCodes),
          addCodes(new Map(), this.#retiredBadRecords),
        ),
      ),
      topics: [...this.#topics]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([topic, counts]) => ({ topic, ...counts })),
      tasks: [...this.#tasks.values()]
        .sort((a, b) => a.subtopology - b.subtopology || a.partition - b.partition)
        .map((task) => ({
          id: task.id,
          watermarkMs: task.watermarkMs,
          ...task.counters,
          openWindows: task.openWindows,
          stores: [...task.stores].map(([name, store]) => ({
            name,
            keys: store.approximateCount(),
            bytes: store.approximateBytes(),
          })),
        })),
    }
  }

  /** Plans and creates topics, joins the group and restores the first tasks; then processes. */
  async start(): Promise<void> {
    if (this.#state !== 'CREATED') {
      throw new FreshetError('INVALID_STATE', `Worker.start: already started (${this.#state})`)
    }
    this.#state = 'STARTING'
    const options = this.#options
    const connection = {
      bootstrapBrokers: options.bootstrapBrokers,
      ...(options.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: options.requestTimeoutMs }),
      ...(options.retries === undefined ? {} : { retries: options.retries }),
    }
    const clientId = `${this.#applicationId}-${options.workerId}`
    try {
      this.#plan = await this.#planWhenReachable(connection, clientId)
      await this.#prepareSerdes()
      this.#reader = new PartitionReader({ ...connection, clientId: `${clientId}-restore` })
      const consumer = new GroupConsumer({
        ...connection,
        clientId,
        groupId: this.#applicationId,
        topics: this.#plan.inputs.flatMap((i) => i.topics),
        fromBeginning: true,
        isolationLevel: 'read_committed',
        maxWaitMs: 100,
        sessionTimeoutMs: options.sessionTimeoutMs,
        heartbeatIntervalMs: options.heartbeatIntervalMs,
        rebalanceTimeoutMs: options.rebalanceTimeoutMs,
        partitionAssigner: taskAssigner(this.#plan.inputs),
        onPartitionsAssigned: (partitions) => this.#locked(() => this.#onAssigned(partitions)),
        onPartitionsRevoked: (partitions) => this.#locked(() => this.#onRevoked(partitions, false)),
        onPartitionsLost: (partitions) => this.#locked(() => this.#onRevoked(partitions, true)),
      })
      this.#consumer = consumer
      let transactionalId: string | null = null
      if (options.processingGuarantee === 'exactly-once') {
        transactionalId = `${this.#applicationId}-${options.workerId}`
        const producer = new TransactionalProducer({ ...connection, clientId, transactionalId })
        // Fences a previous incarnation of this worker and aborts what it left open.
        await producer.init()
        this.#committer = new ExactlyOnceCommitter(producer, consumer)
      } else {
        this.#committer = new AtLeastOnceCommitter(
          new KafkaProducer({ ...connection, clientId, idempotent: true, acks: 'all' }),
          consumer,
        )
      }
      await this.#committer.start()
      await consumer.start()
      this.#state = 'RUNNING'
      this.#emit({ type: 'started', workerId: options.workerId, transactionalId })
    } catch (error) {
      this.#state = 'FAILED'
      await this.#closeClients()
      throw error
    }
    this.#loop = this.#run()
  }

  /**
   * Stops processing, commits what was processed, leaves the group (the others take over at once)
   * and closes everything. Resolves once stopped; rejects with what made the worker fail, if it did.
   */
  async stop(): Promise<void> {
    if (this.#state === 'CREATED') {
      this.#state = 'STOPPED'
      return
    }
    this.#stopping = true
    this.#wakeLoop?.()
    try {
      await this.#loop
    } finally {
      if (this.#state !== 'STOPPED' && this.#state !== 'FAILED') {
        this.#state = 'STOPPING'
        try {
          // Revokes every task through onPartitionsRevoked: the final commit.
          await this.#consumer?.close()
        } finally {
          await this.#closeClients()
          this.#state = this.#failure === undefined ? 'STOPPED' : 'FAILED'
          this.#emit({ type: 'stopped' })
        }
      }
    }
    if (this.#failure !== undefined) throw this.#failure
  }

  /**
   * Plans the topics, waiting for the cluster while it is unreachable (a worker started while a
   * broker restarts), as Kafka Streams does, for up to `startTimeoutMs`.
   */
  async #planWhenReachable(
    connection: { bootstrapBrokers: string[]; requestTimeoutMs?: number; retries?: number },
    clientId: string,
  ): Promise<RuntimePlan> {
    const deadline = Date.now() + this.#options.startTimeoutMs
    let backoffMs = 250
    for (;;) {
      const admin = new KafkaAdmin({ ...connection, clientId })
      try {
        return await planTopics(this.#options.topology, admin, {
          replicas: this.#options.replicas,
          dlqTopic: this.#options.dlqTopic,
        })
      } catch (error) {
        const retriable = error instanceof FreshetError && error.retriable
        if (!retriable || Date.now() + backoffMs > deadline) throw error
      } finally {
        await admin.close().catch(() => {})
      }
      await new Promise((resolve) => setTimeout(resolve, backoffMs))
      backoffMs = Math.min(backoffMs * 2, 5_000)
    }
  }

  async #run(): Promise<void> {
    const consumer = this.#consumer as GroupConsumer
    let pending: Promise<Batch> | undefined
    try {
      while (!this.#stopping) {
        // Step 1
        pending ??= consumer
          .nextBatch(this.#options.maxBatchRecords)
          .then((records) => ({ records, epoch: this.#epoch }))
        const waitMs = Math.max(0, this.#lastCommitMs + this.#options.commitIntervalMs - Date.now())
        const batch = await this.#nextOrTimeout(pending, waitMs)
        if (batch !== undefined) {
          pending = undefined
          if (batch.records.length === 0 && !this.#stopping) {
            // Only a closed consumer hands out an empty batch.
            break
          }
          // Steps 2-4
          await this.#locked(() => this.#process(batch))
        }
        // Step 5
        if (Date.now() - this.#lastCommitMs >= this.#options.commitIntervalMs) {
          await this.#locked(async () => {
            // Partitions that went quiet stop holding the watermark back, even without records.
            for (const task of this.#tasks.values()) task.advanceIdle()
            await this.#commit()
          })
        }
      }
    } catch (error) {
      this.#failure = toFreshetError(error, 'KAFKA_ERROR', `worker ${this.#options.workerId} failed`)
      this.#stopping = true
      this.#state = 'FAILED'
      await this.#locked(() => this.#discardTasks())
      await this.#consumer?.close().catch(() => {})
      await this.#closeClients()
      this.#emit({ type: 'stopped' })
      throw this.#failure
    }
  }

  async #nextOrTimeout(pending: Promise<Batch>, waitMs: number): Promise<Batch | undefined> {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<undefined>((resolve) => {
      this.#wakeLoop = () => resolve(undefined)
      timer = setTimeout(resolve, waitMs, undefined)
    })
    try {
      return await Promise.race([pending, timeout])
    } finally {
      clearTimeout(timer)
      this.#wakeLoop = undefined
    }
  }

  /** Steps 2-4 */
  async #process(batch: Batch): Promise<void> {
    // Step 2
    if (batch.epoch !== this.#epoch) return
    await this.#prepareDecoding(batch.records)
    if (batch.epoch !== this.#epoch) return
    const startedMs = performance.now()
    // Step 3
    const offsets = this.#offsets
    // A fetch hands records over in runs per partition: look the task, the offset entry and the
    // topic's counts up once per run, not per record.
    let task: StreamTask | undefined
    let entry: TopicPartitionOffset | undefined
    let counts: TopicCounts | undefined
    for (const record of batch.records) {
      if (entry === undefined || record.partition !== entry.partition || record.topic !== entry.topic) {
        counts = this.#topicCounts(record.topic)
        task = this.#taskOf(record.topic, record.partition)
        const key = `${record.topic}\u0000${record.partition}`
        entry = offsets.get(key)
        if (entry === undefined) {
          entry = { topic: record.topic, partition: record.partition, offset: -1n }
          if (task !== undefined) offsets.set(key, entry)
        }
      }
      if (task === undefined) continue
      ;(counts as TopicCounts).recordsIn++
      ;(counts as TopicCounts).bytesIn += recordBytes(record)
      task.process(record)
      if (record.offset + 1n > entry.offset) entry.offset = record.offset + 1n
    }
    for (const task of this.#tasks.values()) task.advanceIdle()
    // Step 4
    const out = []
    for (const task of this.#tasks.values()) out.push(...task.takeOutput())
    this.#countOut(out)
    try {
      await (this.#committer as Committer).send(out)
      this.#batchMs.push(performance.now() - startedMs)
    } catch (error) {
      await this.#recover(error)
    }
  }

  #topicCounts(topic: string): TopicCounts {
    let counts = this.#topics.get(topic)
    if (counts === undefined) {
      counts = { recordsIn: 0, bytesIn: 0, recordsOut: 0, bytesOut: 0 }
      this.#topics.set(topic, counts)
    }
    return counts
  }

  /** Counts records about to be sent, per topic, and keeps the event times of the results. */
  #countOut(records: readonly OutRecord[]): void {
    let topic: string | undefined
    let counts: TopicCounts | undefined
    let output = false
    for (const record of records) {
      if (record.topic !== topic) {
        topic = record.topic
        counts = this.#topicCounts(topic)
        output = this.#outputTopics.has(topic)
      }
      ;(counts as TopicCounts).recordsOut++
      ;(counts as TopicCounts).bytesOut += recordBytes(record)
      if (output && record.timestampMs !== undefined) this.#resultTimesMs.push(record.timestampMs)
    }
  }

  /**
   * Runs `work` again after a retriable failure (the cluster unreachable while a broker restarts),
   * with backoff, until it succeeds or the worker stops; other failures are thrown.
   */
  async #retrying<T>(work: () => Promise<T>): Promise<T> {
    let backoffMs = 250
    for (;;) {
      try {
        return await work()
      } catch (error) {
        const retriable = error instanceof FreshetError && error.retriable
        if (!retriable || this.#stopping) throw error
      }
      await new Promise((resolve) => setTimeout(resolve, backoffMs))
      backoffMs = Math.min(backoffMs * 2, 5_000)
    }
  }

  async #prepareDecoding(records: InRecord[]): Promise<void> {
    if (this.#decoders.size === 0) return
    const byTopic = new Map<string, Buffer[]>()
    for (const record of records) {
      if (record.value === null || !this.#decoders.has(record.topic)) continue
      const values = byTopic.get(record.topic) ?? []
      values.push(record.value)
      byTopic.set(record.topic, values)
    }
    let backoffMs = REGISTRY_BACKOFF_MS.first
    for (const [topic, values] of byTopic) {
      const decoder = this.#decoders.get(topic) as Deserializer<unknown>
      for (;;) {
        try {
          await decoder.prepare(values)
          break
        } catch (error) {
          // Only retriable errors come out of prepare (an unknown schema id fails per record).
          if (this.#stopping) throw error
          await new Promise((resolve) => setTimeout(resolve, backoffMs))
          backoffMs = Math.min(backoffMs * 2, REGISTRY_BACKOFF_MS.max)
        }
      }
    }
  }

  /** Step 5, and the commit of a rebalance. Recovers from any failure but fencing. */
  async #commit(): Promise<void> {
    const committer = this.#committer as Committer
    const startedMs = Date.now()
    // Each offset carries its task's watermark state, for the task that resumes from it.
    const offsets = [...this.#offsets.values()].map((o) => {
      const task = this.#taskOf(o.topic, o.partition)
      return task === undefined ? o : { ...o, metadata: task.watermarkCheckpoint(o.topic, o.partition) }
    })
    try {
      const result = await committer.commit([...this.#tasks.values()], offsets)
      this.#countOut(result.sent)
      this.#offsets = new Map()
      this.#lastCommitMs = Date.now()
      this.#commits++
      const committedMs = this.#lastCommitMs
      const endToEndMs = this.#resultTimesMs.map((eventMs) => committedMs - eventMs)
      const batchMs = this.#batchMs
      this.#resultTimesMs = []
      this.#batchMs = []
      if (result.records > 0 || result.offsets > 0) {
        this.#emit({
          type: 'committed',
          records: result.records,
          offsets: result.offsets,
          durationMs: committedMs - startedMs,
          batchMs,
          endToEndMs,
        })
      }
    } catch (error) {
      await this.#recover(error)
    }
  }

  /**
   * After a failed send or commit: abort, discard the tasks, restore them, rewind. A failure that
   * the same records would meet again (a batch over the broker's size limit) stops the worker
   * instead: replaying it would fail forever.
   */
  async #recover(error: unknown): Promise<void> {
    const committer = this.#committer as Committer
    if (committer instanceof ExactlyOnceCommitter && committer.producer.state === 'FENCED') {
      throw new FreshetError(
        'WORKER_FENCED',
        `worker ${this.#options.workerId}: another worker took over transactional id ${committer.producer.transactionalId}`,
        { cause: error },
      )
    }
    if (error instanceof FreshetError && PERMANENT_FAILURES.includes(error.code)) {
      await committer.abort().catch(() => undefined)
      throw error
    }
    this.#aborts++
    this.#emit({
      type: 'aborted',
      reason: error instanceof Error ? error.message : String(error),
      code: error instanceof FreshetError ? error.code : undefined,
    })
    this.#resultTimesMs = []
    this.#batchMs = []
    await committer.abort()
    const assigned = [...this.#tasks.values()].map((t) => ({
      subtopology: t.subtopology,
      partition: t.partition,
    }))
    await this.#discardTasks()
    this.#epoch++
    this.#offsets = new Map()
    this.#lastCommitMs = Date.now()
    const consumer = this.#consumer as GroupConsumer
    if (consumer.state !== 'CONSUMING') return
    for (const task of assigned) await this.#openTask(task.subtopology, task.partition)
    await this.#restoreWatermarks([...this.#tasks.values()])
    await this.#retrying(() => consumer.rewindToCommitted())
  }

  async #onAssigned(partitions: TopicPartitions[]): Promise<void> {
    this.#epoch++
    this.#rebalances++
    const consumer = this.#consumer as GroupConsumer
    // A zombie's transaction may still add state for these partitions until it ends.
    await this.#retrying(() => consumer.awaitStableOffsets())
    const wanted = new Map<string, { subtopology: number; partition: number }>()
    for (const { topic, partitions: numbers } of partitions) {
      const reader = this.#readers.get(topic)
      if (reader === undefined) continue
      for (const partition of numbers) {
        wanted.set(`${reader.subtopology}_${partition}`, { subtopology: reader.subtopology, partition })
      }
    }
    for (const [id, task] of this.#tasks) {
      if (!wanted.has(id)) await this.#closeTask(task)
    }
    const opened: StreamTask[] = []
    for (const [id, task] of wanted) {
      if (this.#tasks.has(id)) continue
      await this.#openTask(task.subtopology, task.partition)
      opened.push(this.#tasks.get(id) as StreamTask)
    }
    await this.#restoreWatermarks(opened)
    this.#lastCommitMs = Date.now()
    this.#emit({ type: 'assigned', tasks: [...wanted.keys()].sort(), generationId: consumer.generationId })
  }

  async #onRevoked(_partitions: TopicPartitions[], lost: boolean): Promise<void> {
    this.#epoch++
    const ids = [...this.#tasks.keys()].sort()
    if (lost) {
      await (this.#committer as Committer).abort()
      await this.#discardTasks()
    } else if (this.#failure === undefined) {
      await this.#commit()
      for (const task of [...this.#tasks.values()]) await this.#closeTask(task)
    } else {
      await this.#discardTasks()
    }
    this.#offsets = new Map()
    this.#emit({ type: 'revoked', tasks: ids })
  }

  async #openTask(subtopology: number, partition: number): Promise<void> {
    const plan = this.#plan as RuntimePlan
    const topology = this.#options.topology
    const id = taskName({ subtopology, partition })
    const sub = topology.description.subtopologies.find((s) => s.id === subtopology)
    if (sub === undefined) return
    const stores = new Map<string, StateStore>()
    try {
      for (const name of sub.stores) {
        const description = topology.description.stores.find((s) => s.name === name)
        const changelog = description?.changelogTopic as string
        const store = await this.#retrying(() =>
          restoreStore(
            this.#reader as PartitionReader,
            (wipe) => this.#openStore(id, name, wipe),
            changelog,
            partition,
            (progress) => this.#emit({ type: 'restore', task: id, store: name, ...progress }),
          ),
        )
        stores.set(name, store)
      }
    } catch (error) {
      await Promise.all([...stores.values()].map((store) => store.close().catch(() => {})))
      throw toFreshetError(error, 'RESTORE_FAILED', `task ${id}: restore failed`)
    }
    const sources = new Map<string, TaskSource>()
    for (const spec of topology.sources()) {
      if (spec.subtopology !== subtopology) continue
      const decoder = this.#decoders.get(spec.topic)
      sources.set(spec.topic, {
        spec,
        decodeKey: decodeStringKey,
        decode: (record) => {
          if (record.value === null && spec.kind === 'table') return null
          const location = { topic: record.topic, partition: record.partition, offset: record.offset }
          if (decoder !== undefined) return decoder.deserializeSync(record.value, location)
          if (record.value === null) {
            throw new FreshetError('SERDE_NULL_VALUE', `record without a value on ${record.topic}`, location)
          }
          try {
            return JSON.parse(record.value.toString('utf8')) as unknown
          } catch (error) {
            throw toFreshetError(error, 'SERDE_SCHEMA_MISMATCH', 'value is not JSON', location)
          }
        },
      })
    }
    const sinks = new Map<string, TaskSink>()
    for (const spec of topology.sinks()) {
      if (spec.subtopology !== subtopology) continue
      const serde = spec.serde
      sinks.set(spec.node, {
        spec,
        partitions: plan.partitions.get(spec.topic) as number,
        encode: (value) => {
          if (serde !== undefined) return serde.serialize(value)
          const text = JSON.stringify(value)
          return text === undefined ? null : Buffer.from(text)
        },
      })
    }
    const options = this.#options
    const task = new StreamTask({
      topology,
      subtopology,
      partition,
      stores,
      sources,
      sinks,
      watermarks: {
        ...(options.maxOutOfOrdernessMs === undefined
          ? {}
          : { maxOutOfOrdernessMs: options.maxOutOfOrdernessMs }),
        ...(options.idleTimeoutMs === undefined ? {} : { idleTimeoutMs: options.idleTimeoutMs }),
        ...(options.maxFutureSkewMs === undefined ? {} : { maxFutureSkewMs: options.maxFutureSkewMs }),
        ...(options.followClockWhenIdle === undefined
          ? {}
          : { followClockWhenIdle: options.followClockWhenIdle }),
      },
      onBadRecord: options.onBadRecord,
      dlqTopic: options.dlqTopic,
      clock: Date.now,
      markerIntervalMs: MARKER_INTERVAL_MS,
      taskCount: plan.taskCounts.get(subtopology) as number,
    })
    this.#tasks.set(id, task)
  }

  async #openStore(taskId: string, name: string, wipe: boolean): Promise<StateStore> {
    const stateDir = this.#options.stateDir
    if (stateDir === undefined) return new MemoryStateStore({ name })
    const directory = storeDirectory({
      stateDir,
      applicationId: this.#applicationId,
      taskId,
      storeName: name,
    })
    if (wipe) await rm(directory, { recursive: true, force: true })
    return RocksDbStateStore.open({ directory, name })
  }

  /** Closes a task whose state was committed: its stores were flushed at the commit. */
  #taskOf(topic: string, partition: number): StreamTask | undefined {
    const reader = this.#readers.get(topic)
    return reader === undefined ? undefined : this.#tasks.get(`${reader.subtopology}_${partition}`)
  }

  /** New tasks start from the watermarks committed with their input offsets. */
  async #restoreWatermarks(tasks: readonly StreamTask[]): Promise<void> {
    if (tasks.length === 0) return
    const consumer = this.#consumer as GroupConsumer
    const committed = await this.#retrying(() => consumer.committedOffsets())
    for (const task of tasks) {
      task.restoreWatermarks(committed.filter((o) => this.#taskOf(o.topic, o.partition) === task))
    }
  }

  /** Takes a task out of the worker, keeping its counts in the worker's totals. */
  #retire(task: StreamTask): void {
    this.#tasks.delete(task.id)
    addCounters(this.#retiredCounters, task.counters)
    addCodes(this.#retiredBadRecords, task.badRecordCodes)
  }

  async #closeTask(task: StreamTask): Promise<void> {
    this.#retire(task)
    task.close()
    await Promise.all([...task.stores.values()].map((store) => store.close()))
  }

  /**
   * Closes every task without persisting anything since the last commit: stores close without a
   * flush, so their local files stay at the last checkpoint.
   */
  async #discardTasks(): Promise<void> {
    for (const task of [...this.#tasks.values()]) {
      this.#retire(task)
      try {
        task.close()
      } catch {
        // Its state is discarded anyway.
      }
      await Promise.all([...task.stores.values()].map((store) => store.close().catch(() => {})))
    }
  }

  async #prepareSerdes(): Promise<void> {
    const options = this.#options
    for (const spec of options.topology.sources()) {
      this.#readers.set(spec.topic, spec)
      if (spec.kind === 'repartition') continue
      const given = options.deserializers?.[spec.topic]
      if (given !== undefined) this.#decoders.set(spec.topic, given)
      else if (options.format === 'avro') {
        this.#decoders.set(
          spec.topic,
          createDeserializer({
            format: 'avro',
            ...(spec.schema === undefined ? {} : { schema: spec.schema }),
            ...(options.registry === undefined ? {} : { registry: options.registry }),
          }),
        )
      }
    }
    for (const sink of options.topology.sinks()) await sink.serde?.init()
  }

  async #closeClients(): Promise<void> {
    await this.#committer?.close().catch(() => {})
    await this.#reader?.close().catch(() => {})
    this.#committer = undefined
    this.#reader = undefined
  }

  /** Runs `work` after everything queued before it; the loop and the rebalance callbacks share it. */
  #locked<T>(work: () => Promise<T>): Promise<T> {
    const result = this.#lock.then(work)
    this.#lock = result.catch(() => {})
    return result
  }

  #emit(event: WorkerEvent): void {
    try {
      this.#options.onEvent?.(event)
    } catch {
      // A listener's failure is not the worker's.
    }
  }
}

/** A worker id unique to this process, for tests and one-off runs. */
export function randomWorkerId(): string {
  return `worker-${randomUUID().slice(0, 8)}`
}
