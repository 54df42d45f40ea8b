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
 *   5. When the commit interval has passed, or a quarter of it when a task closed a window of live
 *      data (its result or partials would otherwise wait out the interval;
 *      `StreamTask.commitWanted`): commit (src/commit/committer.ts).
 *
 * Rebalances (the consumer runs the callbacks; the loop is held on the lock meanwhile):
 *   - revoked: commit, then close the tasks (their stores are flushed at the commit);
 *   - lost (the group already removed this worker): abort, close the tasks without flushing;
 *   - assigned: wait for the group's offsets to be stable, restore the new tasks' stores from
 *     their changelogs (a table read from a topic: from that topic, up to the committed offset),
 *     then open the tasks.
 *
 * After a commit fails for any reason but fencing (a timeout, a stale generation): abort, discard
 * every task (what they hold in memory is ahead of the committed state), restore them again from
 * local checkpoints and changelogs, and rewind the consumer to the committed offsets.
 *
 * Global tables (src/runtime/global-tables.ts) are read in full before the worker joins the group,
 * and followed in the background while it runs; every task looks them up.
 *
 * Bounded sources (`boundedTopics`, Flink's `scan.bounded.mode`): the worker reads them up to the
 * end offsets they had when it started, then ends each partition's input; a task whose inputs have
 * all ended has the final watermark, which closes every window (src/time/watermarks.ts), and tells
 * the tasks downstream through its markers. Once every task the worker holds has ended and that was
 * committed, the worker stops by itself (`finished`).
 *
 * When the cluster cannot be reached (a broker restart, a network cut) the worker waits it out,
 * for up to `outageTimeoutMs`, and resumes by itself with new clients (`#resume`); while the
 * registry cannot be reached it holds the batch that needs it, with nothing left in an open
 * transaction (`#awaitDecoding`). Only fencing, a permanent failure, a failure of the job itself
 * (under the `fail` policy) or an outage longer than the limit stops it.
 */
import { randomUUID } from 'node:crypto'
import { rm } from 'node:fs/promises'
import { setTimeout as sleep } from 'node:timers/promises'
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
import { RateLimitedReports } from '../log/index.ts'
import { jsonSerde, tableEntry, type ValueSerde } from '../operators/index.ts'
import {
  encodeMemberInfo,
  StoreQueries,
  type KeyQueryResult,
  type KeyRange,
  type RangeQueryResult,
  type StoresMetadata,
  type TaskHost,
  type TimeRange,
} from '../query/index.ts'
import {
  createDeserializer,
  createSerializer,
  isRecordDeserializer,
  parseJson,
  type Deserializer,
  type Serializer,
} from '../serde/index.ts'
import {
  MemoryStateStore,
  RocksDbStateStore,
  storeDirectory,
  type ChangelogEntry,
  type StateStore,
} from '../state/index.ts'
import type { SourceSpec, StoreDescription } from '../stream/index.ts'
import { StreamTask, type TaskCounters, type TaskSink, type TaskSource } from '../task/index.ts'
import { taskAssigner, taskName } from './assignor.ts'
import {
  resolveWorkerOptions,
  type ProcessingGuarantee,
  type ResolvedWorkerOptions,
  type WorkerEvent,
  type WorkerOptions,
} from './options.ts'
import { SourceGenerators } from './generators.ts'
import { GlobalTables } from './global-tables.ts'
import { planTopics, type RuntimePlan } from './plan.ts'
import { restoreStore } from './restore.ts'

/**
 * Where a worker stands. WAITING_FOR_KAFKA: the cluster cannot be reached and the worker waits to
 * resume with new clients; WAITING_FOR_REGISTRY: a batch waits for the writer schemas it needs.
 */
export type WorkerState =
  | 'CREATED'
  | 'STARTING'
  | 'RUNNING'
  | 'WAITING_FOR_KAFKA'
  | 'WAITING_FOR_REGISTRY'
  | 'STOPPING'
  | 'STOPPED'
  | 'FAILED'

export const WORKER_TRANSITIONS: Readonly<Record<WorkerState, readonly WorkerState[]>> = {
  CREATED: ['STARTING', 'STOPPED'],
  STARTING: ['RUNNING', 'FAILED'],
  RUNNING: ['WAITING_FOR_KAFKA', 'WAITING_FOR_REGISTRY', 'STOPPING', 'FAILED'],
  WAITING_FOR_KAFKA: ['RUNNING', 'STOPPING', 'FAILED'],
  WAITING_FOR_REGISTRY: ['RUNNING', 'WAITING_FOR_KAFKA', 'STOPPING', 'FAILED'],
  STOPPING: ['STOPPED', 'FAILED'],
  STOPPED: [],
  FAILED: [],
}

/** What a worker waits for, since when, and the failure that made it wait. */
export interface WorkerWaiting {
  readonly for: 'kafka' | 'registry'
  readonly sinceMs: number
  readonly reason: string
  readonly code: string | undefined
}

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
  /** While the worker waits for the cluster or the registry (also while it starts). */
  readonly waiting: WorkerWaiting | undefined
  /** What stopped the worker, once FAILED. */
  readonly failure: FreshetError | undefined
  /** Outages of the cluster the worker waited out and resumed from. */
  readonly resumes: number
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
/**
 * Up to this many upstream tasks, a downstream task's checkpoint holds their latest markers (about
 * 40 bytes each, in offset metadata the broker caps at 4,096 bytes by default).
 */
const CHECKPOINTED_UPSTREAM_TASKS = 64

/**
 * How often a task writes its markers while its watermark does not move. Under exactly-once the
 * tasks downstream commit every upstream task's latest marker with their offsets and take them back
 * from there after a restart: a marker is written only when the watermark or the idleness changes.
 * Under at-least-once (offsets committed without metadata), or with more upstream tasks than a
 * checkpoint holds, a task that went idle must say so again now and then, or a restarted task
 * downstream would wait for its marker for ever.
 */
function markerIntervalMs(guarantee: ProcessingGuarantee, upstreamTasks: number): number {
  return guarantee === 'exactly-once' && upstreamTasks <= CHECKPOINTED_UPSTREAM_TASKS
    ? Infinity
    : MARKER_INTERVAL_MS
}
/** At most one `bad-records` event per outcome and error code this often. */
const BAD_RECORD_REPORT_INTERVAL_MS = 5_000
const REGISTRY_BACKOFF_MS = { first: 100, max: 5_000 }
const KAFKA_BACKOFF_MS = { first: 250, max: 5_000 }
/** How long a call inside the loop or a rebalance is retried before the outage is left to `#resume`. */
const RETRY_BUDGET_MS = 15_000
/**
 * Failures that new clients may get past once the cluster answers again: an unreachable cluster,
 * errors of the group or the transaction a long outage leaves behind, a restore cut short.
 */
const OUTAGE_CODES: readonly string[] = [
  ErrorCodes.KAFKA_UNREACHABLE.code,
  ErrorCodes.KAFKA_ERROR.code,
  ErrorCodes.TASK_MIGRATED.code,
  ErrorCodes.RESTORE_FAILED.code,
  ErrorCodes.DLQ_WRITE_FAILED.code,
  ErrorCodes.PRODUCE_FAILED.code,
]
/**
 * Beyond the transaction timeout, how long a restore waits for a transaction on its changelog: the
 * coordinator looks for timed-out transactions only every 10 s (its abort cleanup interval).
 */
const SETTLE_MARGIN_MS = 15_000
/** How often a worker looks for new records of its global tables' topics. */
const GLOBAL_POLL_INTERVAL_MS = 100
/** Failures that replaying the same records would meet again; they stop the worker. */
const PERMANENT_FAILURES: readonly string[] = [ErrorCodes.RECORD_TOO_LARGE.code]
/**
 * A worker whose transactional id is fenced takes it back once (see `#takeOverIfFenced`); fenced
 * again within this long, it stops: another live worker holds the id.
 */
const FENCED_TAKEOVER_INTERVAL_MS = 60_000

interface Batch {
  readonly records: InRecord[]
  /** The consumer's hand-out epoch the records were read under (`GroupConsumer.handOutEpoch`). */
  readonly epoch: number
  readonly consumer: GroupConsumer
}

/** A failure the worker may wait out by resuming with new clients (`Worker.#resume`). */
function isOutage(error: FreshetError): boolean {
  return OUTAGE_CODES.includes(error.code) && error.details?.['outageTimeoutMs'] === undefined
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

function decodeStringKey(record: InRecord): unknown {
  return record.key === null ? null : record.key.toString('utf8')
}

/** A commit a task wants (`StreamTask.commitWanted`) comes this many times sooner than the interval. */
const EARLY_COMMIT_DIVISOR = 4

export class Worker {
  readonly #options: ResolvedWorkerOptions
  readonly #applicationId: string
  #state: WorkerState = 'CREATED'
  #plan: RuntimePlan | undefined
  #consumer: GroupConsumer | undefined
  #committer: Committer | undefined
  /** When this worker last took its fenced transactional id back (`#takeOverIfFenced`). */
  #lastTakeoverMs = -Infinity
  #reader: PartitionReader | undefined
  /** The global tables, their reader, their follower, and what stopped it if it failed. */
  #globals: GlobalTables | undefined
  #globalReader: PartitionReader | undefined
  #following: Promise<void> | undefined
  readonly #globalsStopped = new AbortController()
  /** What stopped the global tables' follower or a generator, when it cannot go on. */
  #backgroundFailure: FreshetError | undefined
  /** The generated sources (`generators`): each runs while this worker holds its topic's task. */
  #generators: SourceGenerators | undefined
  readonly #tasks = new Map<string, StreamTask>()
  /** Topic to the sub-topology reading it. */
  readonly #readers = new Map<string, SourceSpec>()
  readonly #decoders = new Map<string, Deserializer<unknown>>()
  /** Output topics already warned of records older than their retention. */
  readonly #warnedRetention = new Set<string>()
  /** The serializer of each sink node that has one (its serde, or one made from its schema). */
  readonly #encoders = new Map<string, Serializer<unknown>>()
  /** Next offset per consumed partition since the last commit. */
  #offsets = new Map<string, TopicPartitionOffset>()
  #lock: Promise<unknown> = Promise.resolve()
  #lastCommitMs = Date.now()
  #loop: Promise<void> | undefined
  #stopping = false
  /** Aborted by stop(): ends every wait of the worker at once. */
  readonly #stopped = new AbortController()
  #failure: FreshetError | undefined
  #wakeLoop: (() => void) | undefined
  #waiting: WorkerWaiting | undefined
  /**
   * The outage being waited out, kept after the worker resumed until it commits progress: a
   * failure that comes back before then continues the same outage, against the same limit.
   */
  #outage: { sinceMs: number; resumedMs: number | undefined } | undefined
  /** Bounded source topics: the end offset of each partition when the worker started. */
  #stopOffsets = new Map<string, ReadonlyMap<number, bigint>>()
  /** Batches taken from each consumer (processed or dropped): see `#endBoundedInputs`. */
  readonly #batchesTaken = new WeakMap<GroupConsumer, number>()
  /** Every task's bounded input ended and was committed: the worker stops by itself. */
  #finished = false
  /** Since when the worker waits for the registry, while it does (`#awaitDecoding`). */
  #registryWaitSinceMs: number | undefined
  /** The purge of the repartition topics: its client, the request under way, when it was sent. */
  #purgeAdmin: KafkaAdmin | undefined
  #purging: Promise<void> | undefined
  #purgedMs = 0
  #commits = 0
  #aborts = 0
  #rebalances = 0
  #resumes = 0
  /** Counts of the tasks already closed. */
  readonly #retiredCounters = emptyCounters()
  readonly #retiredBadRecords = new Map<string, number>()
  readonly #topics = new Map<string, TopicCounts>()
  /** Output topics: the records sent to them are results, for the end-to-end latency. */
  readonly #outputTopics: ReadonlySet<string>
  /** Event times of the results sent since the last commit. */
  #resultTimesMs: number[] = []
  /** Of the window results among them: when their windows could have closed at the earliest. */
  #resultDuesMs: number[] = []
  /** Durations of the batches processed since the last commit. */
  #batchMs: number[] = []
  /** Interactive queries over the open tasks' stores, and who hosts the others. */
  readonly #queries: StoreQueries
  readonly #badRecordReports = new RateLimitedReports<Extract<WorkerEvent, { type: 'bad-records' }>>(
    BAD_RECORD_REPORT_INTERVAL_MS,
    (sample, count) => this.#emit({ ...sample, count }),
  )

  constructor(options: WorkerOptions) {
    this.#options = resolveWorkerOptions(options)
    this.#applicationId = this.#options.topology.applicationId
    this.#outputTopics = new Set(
      this.#options.topology
        .sinks()
        .filter((sink) => sink.kind === 'sink')
        .map((sink) => sink.topic),
    )
    this.#prepareEncoders()
    this.#queries = this.#storeQueries()
    const generators = this.#options.generators ?? []
    if (generators.length > 0) {
      this.#generators = new SourceGenerators(
        generators,
        { ...this.#connection(), clientId: `${this.#clientId()}-generator` },
        (topic, error) => {
          const failure = toFreshetError(error, 'KAFKA_ERROR', `generating ${topic} failed`)
          // As the worker waits out an outage; another writer of the topic is no outage.
          if (isOutage(failure)) {
            this.#emit({ type: 'generator-retry', topic, reason: failure.message, code: failure.code })
            return true
          }
          this.#backgroundFailure = failure
          this.#wakeLoop?.()
          return false
        },
      )
    }
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
      waiting: this.#waiting,
      failure: this.#failure,
      resumes: this.#resumes,
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

  /**
   * Interactive query of one key (docs/interactive-queries.md): its value in a key-value or table
   * store, its windows (sessions) in a window (session) store within `time`, read from the open
   * task that owns it; or the worker hosting it; or why nobody can answer now (a rebalance, a
   * restore). Reads see what the task has processed, which may be ahead of its last commit.
   */
  query(store: string, key: unknown, time: TimeRange = {}): KeyQueryResult {
    return this.#queries.query(store, key, time)
  }

  /** The entries of a key range of a key-value or table store, in the partitions this worker holds. */
  queryRange(store: string, range: KeyRange = {}): RangeQueryResult {
    return this.#queries.queryRange(store, range)
  }

  /** The partition of `key` in `store` and the worker hosting it (Kafka Streams' `queryMetadataForKey`). */
  keyMetadata(
    store: string,
    key: unknown,
  ): { partition: number; host: TaskHost | undefined; local: boolean } | undefined {
    return this.#queries.keyMetadata(store, key)
  }

  /** Every store with its kind and, per partition, the worker hosting it. */
  storesMetadata(): StoresMetadata {
    return this.#queries.storesMetadata()
  }

  #storeQueries(): StoreQueries {
    return new StoreQueries({
      workerId: this.#options.workerId,
      endpoint: this.#options.advertisedEndpoint,
      topology: this.#options.topology,
      partitionsOf: (subtopology) => this.#plan?.taskCounts.get(subtopology),
      subtopologyOf: (topic) => this.#readers.get(topic)?.subtopology,
      localStore: (task, store) => this.#tasks.get(task)?.stores.get(store),
      membership: () => this.#consumer,
    })
  }

  /** Plans and creates topics, joins the group and restores the first tasks; then processes. */
  async start(): Promise<void> {
    if (this.#state !== 'CREATED') {
      throw new FreshetError('INVALID_STATE', `Worker.start: already started (${this.#state})`)
    }
    this.#moveTo('STARTING')
    const options = this.#options
    const deadlineMs = Date.now() + options.startTimeoutMs
    try {
      this.#plan = await this.#whenReachable('kafka', deadlineMs, async () => {
        const admin = new KafkaAdmin({ ...this.#connection(), clientId: this.#clientId() })
        try {
          // A generated source's topic is its generator's: one partition, row i at offset i.
          await admin.createTopics(
            (options.generators ?? []).map((g) => ({
              topic: g.topic,
              partitions: 1,
              replicas: options.replicas,
            })),
          )
          const plan = await planTopics(options.topology, admin, {
            replicas: options.replicas,
            dlqTopic: options.dlqTopic,
          })
          // What a bounded source holds now is what the worker reads of it.
          for (const topic of options.boundedTopics ?? []) {
            this.#stopOffsets.set(topic, await admin.endOffsets(topic, 'read_committed'))
          }
          for (const [topic, stops] of this.#generators?.stopOffsets() ?? [])
            this.#stopOffsets.set(topic, stops)
          return plan
        } finally {
          await admin.close().catch(() => {})
        }
      })
      this.#prepareDecoders()
      // Output schemas are registered before the first record: the registry may be restarting.
      await this.#whenReachable('registry', deadlineMs, () => this.#prepareSinks())
      this.#reader = new PartitionReader({ ...this.#connection(), clientId: `${this.#clientId()}-restore` })
      // Global tables are complete before any task takes a record.
      await this.#whenReachable('kafka', deadlineMs, () => this.#bootstrapGlobals())
      await this.#whenReachable('kafka', deadlineMs, () => this.#connect())
      this.#moveTo('RUNNING')
      this.#followGlobals()
      const committer = this.#committer
      this.#emit({
        type: 'started',
        workerId: options.workerId,
        transactionalId:
          committer instanceof ExactlyOnceCommitter ? committer.producer.transactionalId : null,
      })
    } catch (error) {
      this.#waiting = undefined
      this.#failure = toFreshetError(error, 'KAFKA_ERROR', `worker ${options.workerId} could not start`)
      this.#moveTo('FAILED')
      await this.#consumer?.close().catch(() => {})
      await this.#closeClients()
      throw error
    }
    this.#loop = this.#run()
    // `done` reports the failure; a loop nobody awaits must not end the process.
    this.#loop.catch(() => {})
  }

  /**
   * Stops processing, commits what was processed, leaves the group (the others take over at once)
   * and closes everything. Resolves once stopped, also after the worker failed: what made it fail
   * is in `status().failure`, and `done` rejects with it.
   */
  async stop(): Promise<void> {
    if (this.#state === 'CREATED') {
      this.#moveTo('STOPPED')
      return
    }
    this.#stopping = true
    this.#stopped.abort()
    this.#wakeLoop?.()
    await this.#loop?.catch(() => {})
    if (this.#state === 'STOPPED' || this.#state === 'FAILED') return
    await this.#leave()
  }

  /** STOPPING: the final commit, leaving the group, closing the clients; then STOPPED. */
  async #leave(): Promise<void> {
    this.#moveTo('STOPPING')
    try {
      // Revokes every task through onPartitionsRevoked: the final commit.
      await this.#consumer?.close()
    } finally {
      await this.#closeClients()
      this.#moveTo(this.#failure === undefined ? 'STOPPED' : 'FAILED')
      this.#emit({ type: 'stopped' })
    }
  }

  #moveTo(next: WorkerState): void {
    if (next === this.#state) return
    if (!WORKER_TRANSITIONS[this.#state].includes(next)) {
      throw new FreshetError(
        'INVALID_STATE',
        `Worker ${this.#options.workerId}: no transition from ${this.#state} to ${next}`,
        { details: { state: this.#state, next } },
      )
    }
    this.#state = next
  }

  #connection(): { bootstrapBrokers: string[]; requestTimeoutMs?: number; retries?: number } {
    const options = this.#options
    return {
      bootstrapBrokers: options.bootstrapBrokers,
      ...(options.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: options.requestTimeoutMs }),
      ...(options.retries === undefined ? {} : { retries: options.retries }),
    }
  }

  #clientId(): string {
    return `${this.#applicationId}-${this.#options.workerId}`
  }

  /**
   * Creates the consumer and the producer and joins the group; the first tasks are restored in
   * onPartitionsAssigned before it returns. Closes what it created if any step fails.
   *
   *   1. The producer first: under exactly-once its InitProducerId fences any earlier producer of
   *      this worker's transactional id (a previous process, or this one's before an outage) and
   *      aborts the transaction it left open, so nothing of it can commit after this point.
   *   2. The consumer joins the group and takes over its partitions from the committed offsets.
   */
  async #connect(): Promise<void> {
    const options = this.#options
    const plan = this.#plan as RuntimePlan
    const connection = this.#connection()
    const clientId = this.#clientId()
    // The callbacks act only for the current consumer: one being dropped after an outage may still
    // release its partitions while its successor already runs tasks.
    const mine = (work: () => Promise<void>): Promise<void> =>
      this.#locked(() => (consumer === this.#consumer ? work() : Promise.resolve()))
    const consumer: GroupConsumer = new GroupConsumer({
      ...connection,
      clientId,
      groupId: this.#applicationId,
      topics: plan.inputs.flatMap((i) => i.topics),
      fromBeginning: true,
      isolationLevel: 'read_committed',
      maxWaitMs: 100,
      sessionTimeoutMs: options.sessionTimeoutMs,
      heartbeatIntervalMs: options.heartbeatIntervalMs,
      // A worker restarted on its id after a crash takes its old member's place in the group at once.
      groupInstanceId: options.workerId,
      rebalanceTimeoutMs: options.rebalanceTimeoutMs,
      partitionAssigner: taskAssigner(plan.inputs),
      onPartitionsAssigned: (partitions) => mine(() => this.#onAssigned(partitions)),
      onPartitionsRevoked: (partitions) => mine(() => this.#onRevoked(partitions, false)),
      onPartitionsLost: (partitions) => mine(() => this.#onRevoked(partitions, true)),
      subscriptionUserData: encodeMemberInfo({
        workerId: options.workerId,
        endpoint: options.advertisedEndpoint,
      }),
    })
    let committer: Committer
    if (options.processingGuarantee === 'exactly-once') {
      committer = new ExactlyOnceCommitter(this.#transactionalProducer(), consumer)
    } else {
      committer = new AtLeastOnceCommitter(
        new KafkaProducer({ ...connection, clientId, idempotent: true, acks: 'all' }),
        consumer,
      )
    }
    this.#consumer = consumer
    this.#committer = committer
    try {
      // Step 1
      if (committer instanceof ExactlyOnceCommitter) await committer.producer.init()
      await committer.start()
      // Step 2
      await consumer.start()
    } catch (error) {
      this.#consumer = undefined
      this.#committer = undefined
      await consumer.close().catch(() => {})
      await committer.close().catch(() => {})
      throw error
    }
  }

  /**
   * Runs `work` until it succeeds, waiting with capped exponential backoff while it fails with a
   * retriable error (a broker or the registry restarting), as Kafka Streams does at start, up to
   * `deadlineMs`. `status().waiting` says what the worker waits for meanwhile.
   */
  async #whenReachable<T>(
    what: 'kafka' | 'registry',
    deadlineMs: number,
    work: () => Promise<T>,
  ): Promise<T> {
    let backoffMs = KAFKA_BACKOFF_MS.first
    try {
      for (;;) {
        try {
          const result = await work()
          // A wait this call opened ends here: every `waiting` event has its `resumed`.
          const waited = this.#waiting
          if (waited !== undefined && waited.for === what) {
            this.#emit({ type: 'resumed', for: what, waitedMs: Date.now() - waited.sinceMs })
          }
          return result
        } catch (error) {
          const retriable = error instanceof FreshetError && error.retriable
          if (!retriable || this.#stopping || Date.now() + backoffMs > deadlineMs) throw error
          if (this.#waiting === undefined) this.#wait(what, error)
        }
        await this.#sleep(backoffMs)
        backoffMs = Math.min(backoffMs * 2, KAFKA_BACKOFF_MS.max)
      }
    } finally {
      this.#waiting = undefined
    }
  }

  /** Waits `ms`, or less if the worker is stopped meanwhile. */
  async #sleep(ms: number): Promise<void> {
    await sleep(ms, undefined, { signal: this.#stopped.signal }).catch(() => {})
  }

  /** Records and reports what the worker starts to wait for. */
  #wait(what: 'kafka' | 'registry', error: unknown, sinceMs = Date.now()): void {
    const code = error instanceof FreshetError ? error.code : undefined
    this.#waiting = { for: what, sinceMs, reason: reasonOf(error), code }
    this.#emit({ type: 'waiting', for: what, reason: reasonOf(error), code, sinceMs })
  }

  /** The loop, resumed after every outage it can wait out; ends with stop() or a failure. */
  async #run(): Promise<void> {
    try {
      while (!this.#stopping) {
        try {
          await this.#consume(this.#consumer as GroupConsumer)
          if (this.#finished) await this.#stopFinished()
          return
        } catch (error) {
          const failure = toFreshetError(error, 'KAFKA_ERROR', `worker ${this.#options.workerId} failed`)
          if (this.#stopping || !isOutage(failure) || failure === this.#backgroundFailure) throw failure
          await this.#resume(failure)
        }
      }
    } catch (error) {
      this.#failure = toFreshetError(error, 'KAFKA_ERROR', `worker ${this.#options.workerId} failed`)
      this.#stopping = true
      this.#waiting = undefined
      this.#moveTo('FAILED')
      await this.#locked(() => this.#discardTasks())
      await this.#consumer?.close().catch(() => {})
      await this.#closeClients()
      this.#emit({ type: 'stopped' })
      throw this.#failure
    }
  }

  /** Steps 1-5 with one consumer, until stop() or a failure. */
  async #consume(consumer: GroupConsumer): Promise<void> {
    let pending: Promise<Batch> | undefined
    while (!this.#stopping) {
      if (this.#backgroundFailure !== undefined) throw this.#backgroundFailure
      // Step 1
      pending ??= consumer
        .nextTaggedBatch(this.#options.maxBatchRecords)
        .then(({ records, epoch }) => ({ records, epoch, consumer }))
      const waitMs = Math.max(0, this.#nextCommitAtMs() - Date.now())
      const batch = await this.#nextOrTimeout(pending, waitMs)
      if (batch !== undefined) {
        pending = undefined
        this.#batchesTaken.set(consumer, (this.#batchesTaken.get(consumer) ?? 0) + 1)
        if (batch.records.length === 0 && !this.#stopping) {
          // Only a closed consumer hands out an empty batch.
          break
        }
        // Step 2, outside the lock: a wait for the registry must not hold a rebalance up.
        if (await this.#awaitDecoding(batch)) {
          // Steps 3-4
          await this.#locked(() => this.#process(batch))
        }
      }
      // Step 5
      if (Date.now() >= this.#nextCommitAtMs()) {
        await this.#locked(async () => {
          // Partitions that went quiet stop holding the watermark back, even without records.
          for (const task of this.#tasks.values()) task.advanceIdle()
          this.#endBoundedInputs()
          // Ended before this commit: the commit holds the final results and markers.
          const ended = this.#stopOffsets.size > 0 && [...this.#tasks.values()].every((t) => t.finished)
          const commits = this.#commits
          await this.#commit()
          // A failed commit recovers the tasks from the last one: they have not ended any more.
          if (ended && this.#commits > commits && consumer === this.#consumer) {
            this.#finished = true
            this.#stopping = true
          }
        })
        this.#badRecordReports.flush()
      }
    }
  }

  /**
   * Ends the input of every bounded source partition of the worker's tasks that has been read up
   * to its stop offset. Called under the lock, with no batch taken and not yet processed. Reached
   * means one of:
   *   - every record below the stop offset was processed: the next offset is at or past it;
   *   - the consumer has handed out everything below the stop offset (its fetch position moved past
   *     it, which it does also over transaction markers and aborted records, and nothing waits in its
   *     buffer), and every batch it handed out was taken.
   * A record at or past the stop offset ends its partition where the batch meets it (`#process`).
   */
  #endBoundedInputs(): void {
    if (this.#stopOffsets.size === 0) return
    const consumer = this.#consumer
    const idle =
      consumer !== undefined && consumer.batchesHandedOut === (this.#batchesTaken.get(consumer) ?? 0)
    for (const task of this.#tasks.values()) {
      if (task.finished) continue
      for (const [topic, stops] of this.#stopOffsets) {
        if (this.#readers.get(topic)?.subtopology !== task.subtopology) continue
        const stop = stops.get(task.partition) ?? 0n
        const next = this.#offsets.get(`${topic}\u0000${task.partition}`)?.offset ?? -1n
        const through = idle ? consumer.handedOutThrough(topic, task.partition) : undefined
        if (next >= stop || (through !== undefined && through >= stop))
          task.finishInput(topic, task.partition)
      }
    }
  }

  /** The end of a bounded run: the last commit is done; leave the group and close, as stop(). */
  async #stopFinished(): Promise<void> {
    this.#emit({ type: 'finished', tasks: [...this.#tasks.keys()].sort() })
    await this.#leave()
  }

  /**
   * Waits out an outage of the cluster with new clients, as a restarted worker would start, but in
   * the same process and with the local state it has.
   *
   *   1. WAITING_FOR_KAFKA. The outage is the one already being waited out if the worker has not
   *      committed anything since resuming from it: the limit counts from its beginning.
   *   2. Discard every task: what they hold since the last commit is not committed, and may never
   *      be (an open transaction is aborted by step 4 or by the coordinator).
   *   3. Drop the consumer, the producer and the purge's admin client. Their close runs in the
   *      background: it ends with the outage or times out, and the consumer leaves the group if it
   *      still can. The callbacks it runs meanwhile act on nothing (they belong to a consumer that
   *      is no longer the worker's).
   *   4. With capped exponential backoff until the cluster answers: new clients (`#connect`). The
   *      producer's InitProducerId fences the old one and aborts its open transaction; the
   *      consumer joins the group and restores its tasks from their checkpoints and changelogs,
   *      and reads from the committed offsets.
   *   5. RUNNING. Fails instead once the outage has lasted `outageTimeoutMs`.
   */
  async #resume(failure: FreshetError): Promise<void> {
    const limitMs = this.#options.outageTimeoutMs
    // Step 1
    const nowMs = Date.now()
    const previous = this.#outage
    const sinceMs =
      previous !== undefined && (previous.resumedMs === undefined || nowMs - previous.resumedMs < limitMs)
        ? previous.sinceMs
        : nowMs
    this.#outage = { sinceMs, resumedMs: undefined }
    this.#moveTo('WAITING_FOR_KAFKA')
    this.#wait('kafka', failure, sinceMs)
    // Step 2
    await this.#locked(async () => {
      await this.#discardTasks()
      this.#resultTimesMs = []
      this.#resultDuesMs = []
      this.#batchMs = []
    })
    // Step 3
    const consumer = this.#consumer
    const committer = this.#committer
    this.#consumer = undefined
    this.#committer = undefined
    const purgeAdmin = this.#purgeAdmin
    this.#purgeAdmin = undefined
    const dropped = Promise.allSettled([consumer?.close(), committer?.close(), purgeAdmin?.close()])
    // Step 4
    let backoffMs = KAFKA_BACKOFF_MS.first
    let last: FreshetError = failure
    for (;;) {
      if (Date.now() - sinceMs >= limitMs) {
        throw new FreshetError(
          last.code === 'FRESHET_KAFKA_UNREACHABLE' ? 'KAFKA_UNREACHABLE' : 'KAFKA_ERROR',
          `worker ${this.#options.workerId}: could not resume within outageTimeoutMs (${limitMs} ms): ${last.message}`,
          { cause: last, retriable: false, details: { outageTimeoutMs: limitMs, sinceMs } },
        )
      }
      await this.#sleep(Math.min(backoffMs, Math.max(0, sinceMs + limitMs - Date.now())))
      backoffMs = Math.min(backoffMs * 2, KAFKA_BACKOFF_MS.max)
      if (this.#stopping) return
      // The old member leaves first if it can, so that the group does not wait for it to time out.
      await Promise.race([dropped, this.#sleep(this.#options.sessionTimeoutMs)])
      try {
        await this.#connect()
        break
      } catch (error) {
        last = toFreshetError(error, 'KAFKA_ERROR', `worker ${this.#options.workerId}: resume`)
        if (!isOutage(last)) throw last
      }
    }
    // Step 5
    const waitedMs = Date.now() - (this.#waiting?.sinceMs ?? sinceMs)
    this.#outage = { sinceMs, resumedMs: Date.now() }
    this.#waiting = undefined
    this.#resumes++
    this.#lastCommitMs = Date.now()
    this.#moveTo('RUNNING')
    this.#emit({ type: 'resumed', for: 'kafka', waitedMs })
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

  /** Steps 3-4 */
  async #process(batch: Batch): Promise<void> {
    // A rebalance or rewind since the read: the records come again from the committed offsets.
    if (batch.consumer !== this.#consumer || batch.epoch !== batch.consumer.handOutEpoch) return
    const startedMs = performance.now()
    // Step 3
    const offsets = this.#offsets
    // A fetch hands records over in runs per partition: look the task, the offset entry, the
    // topic's counts and a bounded source's end offset up once per run, not per record.
    let task: StreamTask | undefined
    let entry: TopicPartitionOffset | undefined
    let counts: TopicCounts | undefined
    /** The end offset of the run's partition when its topic is a bounded source. */
    let stop: bigint | undefined
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
        stop = this.#stopOffsets.get(record.topic)?.get(record.partition)
      }
      if (task === undefined) continue
      if (stop !== undefined && record.offset >= stop) {
        // Past the end of a bounded source: everything before it was processed.
        task.finishInput(record.topic, record.partition)
        continue
      }
      if (record.offset < entry.offset) {
        // Within one commit a partition's offsets only grow; a record that goes back means it
        // would be processed twice. Never ignored (quix-streams' InvalidStoredOffset).
        throw new FreshetError(
          'INVALID_STATE',
          `worker ${this.#options.workerId}: offset ${record.offset} of ${record.topic}/${record.partition} comes after offset ${entry.offset - 1n} within one commit`,
          { topic: record.topic, partition: record.partition, offset: record.offset },
        )
      }
      ;(counts as TopicCounts).recordsIn++
      ;(counts as TopicCounts).bytesIn += recordBytes(record)
      task.process(record)
      entry.offset = record.offset + 1n
    }
    for (const task of this.#tasks.values()) task.advanceIdle()
    this.#endBoundedInputs()
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
      if (!output) continue
      if (record.timestampMs !== undefined) this.#resultTimesMs.push(record.timestampMs)
      if (record.windowDueMs !== undefined) this.#resultDuesMs.push(record.windowDueMs)
    }
  }

  /**
   * Runs `work` again after a retriable failure (a broker restarting), with backoff, for up to
   * RETRY_BUDGET_MS from the first failure; then, or for any other failure, throws. A longer
   * outage is the loop's to wait out, with new clients (`#resume`).
   */
  async #retrying<T>(work: () => Promise<T>): Promise<T> {
    let backoffMs = KAFKA_BACKOFF_MS.first
    let firstFailureMs: number | undefined
    for (;;) {
      try {
        return await work()
      } catch (error) {
        const retriable = error instanceof FreshetError && error.retriable
        firstFailureMs ??= Date.now()
        if (!retriable || this.#stopping || Date.now() - firstFailureMs >= RETRY_BUDGET_MS) throw error
      }
      await this.#sleep(backoffMs)
      backoffMs = Math.min(backoffMs * 2, KAFKA_BACKOFF_MS.max)
    }
  }

  /**
   * Step 2: loads what decoding the batch needs (Avro writer schemas). While the registry cannot
   * be reached the batch waits, with nothing dead-lettered, for up to `outageTimeoutMs`:
   *
   *   1. Commit what was processed before the wait, so that no transaction stays open while the
   *      worker waits (the coordinator would abort it at its timeout), and nothing done is lost.
   *   2. WAITING_FOR_REGISTRY, with capped exponential backoff, outside the worker's lock: a
   *      rebalance meanwhile goes ahead, and the batch is then dropped (its records come again).
   *   3. RUNNING again once the schemas are loaded.
   *
   * Resolves false if the batch is no longer to be processed (a rebalance, a rewind, stop()).
   */
  async #awaitDecoding(batch: Batch): Promise<boolean> {
    const current = (): boolean =>
      !this.#stopping && batch.consumer === this.#consumer && batch.epoch === batch.consumer.handOutEpoch
    let backoffMs = REGISTRY_BACKOFF_MS.first
    for (;;) {
      try {
        await this.#prepareDecoding(batch.records)
        break
      } catch (error) {
        // Only retriable errors come out of prepare (an unknown schema id fails per record).
        if (!current()) return false
        const limitMs = this.#options.outageTimeoutMs
        // The wait is the worker's, not the batch's: a batch dropped meanwhile (a rebalance) leaves
        // it open, and the records that come again go on waiting in it.
        let sinceMs = this.#registryWaitSinceMs
        if (sinceMs === undefined) {
          // Step 1
          await this.#locked(() => this.#commit())
          sinceMs = Date.now()
          this.#registryWaitSinceMs = sinceMs
          this.#wait('registry', error, sinceMs)
        } else if (Date.now() - sinceMs >= limitMs) {
          throw new FreshetError(
            'REGISTRY_UNREACHABLE',
            `worker ${this.#options.workerId}: the registry did not answer within outageTimeoutMs (${limitMs} ms): ${reasonOf(error)}`,
            { cause: error, retriable: false, details: { outageTimeoutMs: limitMs, sinceMs } },
          )
        }
        // Step 2 (again after resuming from an outage of Kafka meanwhile)
        if (this.#state === 'RUNNING') this.#moveTo('WAITING_FOR_REGISTRY')
        this.#waiting ??= { for: 'registry', sinceMs, reason: reasonOf(error), code: undefined }
        await this.#sleep(Math.min(backoffMs, Math.max(0, sinceMs + limitMs - Date.now())))
        backoffMs = Math.min(backoffMs * 2, REGISTRY_BACKOFF_MS.max)
        if (!current()) return false
      }
    }
    const sinceMs = this.#registryWaitSinceMs
    if (sinceMs !== undefined) {
      // Step 3
      this.#registryWaitSinceMs = undefined
      if (this.#waiting?.for === 'registry') this.#waiting = undefined
      if (this.#state === 'WAITING_FOR_REGISTRY') this.#moveTo('RUNNING')
      this.#emit({ type: 'resumed', for: 'registry', waitedMs: Date.now() - sinceMs })
    }
    return current()
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
    for (const [topic, values] of byTopic) {
      await (this.#decoders.get(topic) as Deserializer<unknown>).prepare(values)
    }
  }

  /**
   * When step 5 commits next: a commit interval after the last commit, or a quarter of one when a
   * task closed a window of live data (so that a stream of such windows, sessions closing all the
   * time, makes at most four times the commits).
   */
  #nextCommitAtMs(): number {
    const intervalMs = this.#options.commitIntervalMs
    for (const task of this.#tasks.values()) {
      if (task.commitWanted) return this.#lastCommitMs + intervalMs / EARLY_COMMIT_DIVISOR
    }
    return this.#lastCommitMs + intervalMs
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
      const windowResultDelayMs = this.#resultDuesMs.map((dueMs) => committedMs - dueMs)
      const batchMs = this.#batchMs
      this.#resultTimesMs = []
      this.#resultDuesMs = []
      this.#batchMs = []
      // Progress: a failure from here on is a new outage, with a limit of its own.
      if (result.offsets > 0) this.#outage = undefined
      this.#purgeRepartitions(offsets)
      if (result.records > 0 || result.offsets > 0) {
        this.#emit({
          type: 'committed',
          records: result.records,
          offsets: result.offsets,
          durationMs: committedMs - startedMs,
          batchMs,
          endToEndMs,
          windowResultDelayMs,
        })
      }
    } catch (error) {
      await this.#recover(error)
    }
  }

  /**
   * Deletes in the background what the group just committed of the repartition topics, at most
   * every `repartitionPurgeIntervalMs`: their records carry event times, so they have no
   * time-based retention (see plan.ts), and nothing reads them before the committed offsets again.
   * A failure is left to the next purge.
   */
  #purgeRepartitions(committed: readonly TopicPartitionOffset[]): void {
    const intervalMs = this.#options.repartitionPurgeIntervalMs
    if (this.#purging !== undefined || !Number.isFinite(intervalMs)) return
    if (Date.now() - this.#purgedMs < intervalMs) return
    const offsets = committed
      .filter((o) => this.#readers.get(o.topic)?.kind === 'repartition')
      .map(({ topic, partition, offset }) => ({ topic, partition, offset }))
    if (offsets.length === 0) return
    this.#purgedMs = Date.now()
    this.#purgeAdmin ??= new KafkaAdmin({ ...this.#connection(), clientId: `${this.#clientId()}-purge` })
    this.#purging = this.#purgeAdmin
      .deleteRecords(offsets)
      .then(
        () => {},
        () => {},
      )
      .finally(() => {
        this.#purging = undefined
      })
  }

  /**
   * After a failed send or commit, with the cluster reachable: start again from the last commit,
   * in place.
   *
   *   1. Discard every task, and the offsets they consumed: what they hold in memory is ahead of
   *      the committed state. First, so that nothing of it outlives a failure of the steps below:
   *      a task kept past a failed abort would go on from a state whose changelog records were
   *      aborted, and a later commit would make that state and its offsets durable without them.
   *   2. Abort. Under exactly-once a transaction whose commit failed may or may not have committed;
   *      the abort's InitProducerId settles it, and tells a fenced worker (another took its
   *      transactional id over: it stops) from one whose transaction the coordinator aborted.
   *   3. Rewind the consumer to the committed offsets. The rewind stops the hand-out of the old
   *      position before it awaits anything, so a batch read before it is dropped, never handed
   *      to the restored tasks.
   *   4. Open the tasks again, restored from local checkpoints and changelogs.
   *
   * A failure that the same records would meet again (a batch over the broker's size limit) stops
   * the worker instead: replaying it would fail forever. A failure of the abort or the rewind (the
   * cluster gone) is the loop's, which waits the outage out (`#resume`).
   */
  async #recover(error: unknown): Promise<void> {
    const committer = this.#committer as Committer
    if (error instanceof FreshetError && PERMANENT_FAILURES.includes(error.code)) {
      await committer.abort().catch(() => undefined)
      throw error
    }
    this.#aborts++
    this.#emit({
      type: 'aborted',
      reason: reasonOf(error),
      code: error instanceof FreshetError ? error.code : undefined,
    })
    this.#resultTimesMs = []
    this.#resultDuesMs = []
    this.#batchMs = []
    // Step 1
    const assigned = [...this.#tasks.values()].map((t) => ({
      subtopology: t.subtopology,
      partition: t.partition,
    }))
    await this.#discardTasks()
    // Step 2
    try {
      await committer.abort()
    } catch (abortError) {
      if (!(await this.#takeOverIfFenced(committer, abortError))) throw abortError
    }
    await this.#takeOverIfFenced(committer, error)
    this.#lastCommitMs = Date.now()
    const consumer = this.#consumer as GroupConsumer
    if (consumer.state !== 'CONSUMING') return
    // Step 3
    await this.#retrying(() => consumer.rewindToCommitted())
    // Step 4
    for (const task of assigned) await this.#openTask(task.subtopology, task.partition)
    await this.#restoreWatermarks([...this.#tasks.values()])
  }

  /** The exactly-once producer of this worker's transactional id (`<applicationId>-<workerId>`). */
  #transactionalProducer(): TransactionalProducer {
    const clientId = this.#clientId()
    return new TransactionalProducer({
      ...this.#connection(),
      clientId,
      transactionalId: clientId,
      transactionTimeoutMs: this.#options.transactionTimeoutMs,
    })
  }

  /**
   * When the abort left the producer FENCED: takes the transactional id back, once, as a restarted
   * worker would, and returns true. A fence does not always mean another worker: when the
   * transaction coordinator moves while an abort's InitProducerId is retried, the new coordinator
   * can refuse the epoch the old one just gave this very producer. Kafka Streams treats a fence the
   * same way (task migrated: a new producer, tasks from their last commit). A new producer's
   * InitProducerId aborts whatever is open under the id, and fences another live worker that holds
   * it, which takes it back in turn; the one fenced twice within FENCED_TAKEOVER_INTERVAL_MS stops
   * with FRESHET_WORKER_FENCED. Returns false when the producer is not fenced.
   */
  async #takeOverIfFenced(committer: Committer, error: unknown): Promise<boolean> {
    if (!(committer instanceof ExactlyOnceCommitter) || committer.producer.state !== 'FENCED') return false
    const nowMs = Date.now()
    if (nowMs - this.#lastTakeoverMs < FENCED_TAKEOVER_INTERVAL_MS) {
      throw new FreshetError(
        'WORKER_FENCED',
        `worker ${this.#options.workerId}: another worker took over transactional id ${committer.producer.transactionalId}`,
        { cause: error },
      )
    }
    this.#lastTakeoverMs = nowMs
    await committer.close().catch(() => {})
    const replacement = new ExactlyOnceCommitter(
      this.#transactionalProducer(),
      this.#consumer as GroupConsumer,
    )
    this.#committer = replacement
    // An outage here is the recovery loop's: the next abort initializes the new producer.
    await replacement.producer.init()
    await replacement.start()
    return true
  }

  async #onAssigned(partitions: TopicPartitions[]): Promise<void> {
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
    this.#generators?.follow((topic) => {
      const reader = this.#readers.get(topic)
      return reader !== undefined && this.#tasks.has(`${reader.subtopology}_0`)
    })
    this.#lastCommitMs = Date.now()
    this.#emit({ type: 'assigned', tasks: [...wanted.keys()].sort(), generationId: consumer.generationId })
    // In the background: who hosts the other tasks, for queries of keys this worker does not hold.
    void this.#queries.refreshHosts(consumer, this.#stopped.signal)
  }

  async #onRevoked(_partitions: TopicPartitions[], lost: boolean): Promise<void> {
    this.#queries.invalidate()
    // Before the tasks are handed over: the next holder goes on where this one stopped.
    await this.#generators?.stopAll()
    const ids = [...this.#tasks.keys()].sort()
    if (lost) {
      // Discarded before the abort, which may fail: no task outlives it with uncommitted state.
      await this.#discardTasks()
      await (this.#committer as Committer).abort()
    } else if (this.#failure === undefined) {
      await this.#commit()
      for (const task of [...this.#tasks.values()]) await this.#closeTask(task)
    } else {
      await this.#discardTasks()
    }
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
      let committed: readonly TopicPartitionOffset[] | undefined
      for (const name of sub.stores) {
        const description = topology.description.stores.find((s) => s.name === name) as StoreDescription
        const topic = description.changelogTopic
        // A table restored from its source topic ends at the task's committed offset of it.
        let fromSource:
          | { endOffset: bigint; toEntries: (records: readonly InRecord[]) => Promise<ChangelogEntry[]> }
          | undefined
        if (description.sourceChangelog) {
          committed ??= await this.#retrying(() => (this.#consumer as GroupConsumer).committedOffsets())
          const endOffset =
            committed.find((o) => o.topic === topic && o.partition === partition)?.offset ?? 0n
          fromSource = { endOffset, toEntries: (records) => this.#tableEntries(topic, records) }
        }
        const store = await this.#retrying(() =>
          restoreStore(
            this.#reader as PartitionReader,
            (wipe) => this.#openStore(id, name, wipe, !description.sourceChangelog),
            {
              topic,
              partition,
              settleTimeoutMs: this.#options.transactionTimeoutMs + SETTLE_MARGIN_MS,
              onProgress: (progress) => this.#emit({ type: 'restore', task: id, store: name, ...progress }),
              ...fromSource,
            },
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
      sources.set(spec.topic, {
        spec,
        decodeKey: decodeStringKey,
        decode: this.#decoderFor(spec.topic, spec.kind === 'table'),
      })
    }
    const sinks = new Map<string, TaskSink>()
    for (const spec of topology.sinks()) {
      if (spec.subtopology !== subtopology) continue
      const serde = this.#encoders.get(spec.node)
      sinks.set(spec.node, {
        spec,
        partitions: plan.partitions.get(spec.topic) as number,
        encode: (value) => {
          if (serde !== undefined) return serde.serialize(value)
          const text = JSON.stringify(value)
          return text === undefined ? null : Buffer.from(text)
        },
        retentionMs: plan.outputRetentionMs.get(spec.topic),
        beyondRetention: (timestampMs) => this.#beyondRetention(spec.topic, timestampMs),
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
      onBadRecordHandled: (outcome, error, record) =>
        this.#badRecordReports.report(`${outcome}\u0000${error.code}`, {
          type: 'bad-records',
          outcome,
          code: error.code,
          count: 1,
          topic: record.topic,
          partition: record.partition,
          offset: String(record.offset),
          reason: error.message,
        }),
      globalStores: this.#globals?.stores,
      dlqTopic: options.dlqTopic,
      clock: Date.now,
      markerIntervalMs: markerIntervalMs(
        options.processingGuarantee,
        plan.taskCounts.get(subtopology) as number,
      ),
      taskCount: plan.taskCounts.get(subtopology) as number,
    })
    this.#tasks.set(id, task)
  }

  /** How a source topic's values decode; a table's `null` value is a tombstone. */
  #decoderFor(topic: string, table: boolean): (record: InRecord) => unknown {
    const decoder = this.#decoders.get(topic)
    return (record) => {
      if (record.value === null && table) return null
      const location = { topic: record.topic, partition: record.partition, offset: record.offset }
      if (decoder !== undefined) {
        return isRecordDeserializer(decoder)
          ? decoder.deserializeRecord(record)
          : decoder.deserializeSync(record.value, location)
      }
      if (record.value === null) {
        throw new FreshetError('SERDE_NULL_VALUE', `record without a value on ${record.topic}`, location)
      }
      return parseJson(record.value, location)
    }
  }

  /**
   * What records of a table's topic leave in its store, as the table's operator writes them. A
   * record the operator would refuse (no key, a value that does not decode or encode) is left
   * out: processing it skipped it, dead-lettered it, or stopped the worker before its offset
   * could be committed.
   */
  async #tableEntries(
    topic: string,
    records: readonly InRecord[],
    onBad?: (record: InRecord, error: unknown) => void,
  ): Promise<ChangelogEntry[]> {
    const spec = this.#readers.get(topic)
    const global = this.#options.topology.globalSources().find((g) => g.topic === topic)
    const serde = (spec?.table?.serde ?? global?.serde ?? jsonSerde()) as ValueSerde<unknown>
    const values = records.flatMap((r) => (r.value === null ? [] : [r.value]))
    // Avro writer schemas are loaded before decoding; an unreachable registry fails retriably.
    if (values.length > 0) await this.#decoders.get(topic)?.prepare(values)
    const decode = this.#decoderFor(topic, true)
    const entries: ChangelogEntry[] = []
    for (const record of records) {
      try {
        if (record.key === null) {
          throw new FreshetError('RECORD_KEY_NULL', `a table record without a key on ${topic}`, {
            topic,
            partition: record.partition,
            offset: record.offset,
          })
        }
        entries.push(tableEntry(decodeStringKey(record), decode(record), serde))
      } catch (error) {
        onBad?.(record, error)
      }
    }
    return entries
  }

  async #openStore(taskId: string, name: string, wipe: boolean, changelog = true): Promise<StateStore> {
    const stateDir = this.#options.stateDir
    if (stateDir === undefined) return new MemoryStateStore({ name, changelog })
    const directory = storeDirectory({
      stateDir,
      applicationId: this.#applicationId,
      taskId,
      storeName: name,
    })
    if (wipe) await rm(directory, { recursive: true, force: true })
    return RocksDbStateStore.open({ directory, name, changelog })
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
    task.closeClean()
    await Promise.all([...task.stores.values()].map((store) => store.close()))
  }

  /**
   * Closes every task without persisting anything since the last commit: stores close without a
   * flush, so their local files stay at the last checkpoint. The offsets the tasks consumed since
   * then go with them: a commit must never store offsets past input whose effects were discarded.
   */
  async #discardTasks(): Promise<void> {
    this.#offsets = new Map()
    await this.#generators?.stopAll()
    for (const task of [...this.#tasks.values()]) {
      this.#retire(task)
      task.closeDirty()
      await Promise.all([...task.stores.values()].map((store) => store.close().catch(() => {})))
    }
  }

  #prepareDecoders(): void {
    const options = this.#options
    const read = [
      ...options.topology.sources(),
      // Global tables decode as sources do; they are no task's input (not in #readers).
      ...options.topology.globalSources().map((g) => ({ ...g, kind: 'global' as const })),
    ]
    for (const spec of read) {
      if (spec.kind !== 'global') this.#readers.set(spec.topic, spec)
      if (spec.kind === 'repartition') continue
      const given = options.deserializers?.[spec.topic]
      if (given !== undefined) this.#decoders.set(spec.topic, given)
      else if (options.format === 'avro') {
        this.#decoders.set(
          spec.topic,
          createDeserializer({
            format: 'avro',
            topic: spec.topic,
            ...(spec.schema === undefined ? {} : { schema: spec.schema }),
            ...(options.registry === undefined ? {} : { registry: options.registry }),
          }),
        )
      }
    }
  }

  /**
   * A sink with a serde writes with it; one with a schema, in the worker's format with that schema
   * (Avro registered under `<topic>-value`, or JSON checked against it); one with neither, JSON,
   * which with `format: 'avro'` is refused here rather than writing JSON among Avro.
   */
  #prepareEncoders(): void {
    const options = this.#options
    for (const spec of options.topology.sinks()) {
      if (spec.kind !== 'sink') continue
      if (spec.serde !== undefined) this.#encoders.set(spec.node, spec.serde)
      else if (spec.schema !== undefined) {
        this.#encoders.set(
          spec.node,
          createSerializer({
            format: options.format,
            topic: spec.topic,
            schema: spec.schema,
            ...(options.registry === undefined ? {} : { registry: options.registry }),
          }),
        )
      } else if (options.format === 'avro') {
        throw new FreshetError(
          'INVALID_OPTION',
          `Worker: sink ${spec.node} writes ${spec.topic} without a schema, and format avro needs one: ` +
            `write it with to(${JSON.stringify(spec.topic)}, { schema }) or give it a serde`,
          { details: { option: 'format' }, topic: spec.topic },
        )
      }
    }
  }

  async #prepareSinks(): Promise<void> {
    for (const encoder of new Set(this.#encoders.values())) await encoder.init()
  }

  /** Step 1 and 2 of src/runtime/global-tables.ts. */
  async #bootstrapGlobals(): Promise<void> {
    const tables = this.#options.topology.globalSources()
    if (tables.length === 0) return
    this.#globalReader ??= new PartitionReader({
      ...this.#connection(),
      clientId: `${this.#clientId()}-global`,
    })
    this.#globals ??= new GlobalTables({
      tables,
      reader: this.#globalReader,
      partitions: (this.#plan as RuntimePlan).partitions,
      // Per worker: two workers sharing a state directory must not wipe each other's table.
      openStore: (name) => this.#openStore(`global-${this.#options.workerId}`, name, true, false),
      toEntries: (topic, records) =>
        this.#tableEntries(topic, records, (record, error) => this.#badGlobalRecord(record, error)),
      locked: (work) => this.#locked(work),
      pollIntervalMs: GLOBAL_POLL_INTERVAL_MS,
      onProgress: (store, progress) => this.#emit({ type: 'restore', task: 'global', store, ...progress }),
      onRead: (topic, records) => {
        const counts = this.#topicCounts(topic)
        counts.recordsIn += records.length
        for (const record of records) counts.bytesIn += recordBytes(record)
      },
    })
    await this.#globals.bootstrap()
  }

  /**
   * Step 3 of src/runtime/global-tables.ts, in the background: an outage is retried with backoff
   * (the loop waits it out meanwhile on its own); any other failure stops the worker.
   */
  #followGlobals(): void {
    const globals = this.#globals
    if (globals === undefined) return
    const signal = this.#globalsStopped.signal
    const follow = async (): Promise<void> => {
      let backoffMs = KAFKA_BACKOFF_MS.first
      while (!signal.aborted) {
        try {
          await globals.follow(signal)
          return
        } catch (error) {
          if (signal.aborted) return
          const failure = toFreshetError(
            error,
            'KAFKA_ERROR',
            `worker ${this.#options.workerId}: reading the global tables failed`,
          )
          if (!failure.retriable) {
            this.#backgroundFailure = failure
            this.#wakeLoop?.()
            return
          }
        }
        await sleep(backoffMs, undefined, { signal }).catch(() => {})
        backoffMs = Math.min(backoffMs * 2, KAFKA_BACKOFF_MS.max)
      }
    }
    this.#following = follow()
  }

  /**
   * A global table's record that does not decode or has no key: global state is outside the
   * transaction, so it cannot be dead-lettered with it. Under `fail` it stops the worker; under
   * `skip` and `dlq` it is skipped and reported.
   */
  #badGlobalRecord(record: InRecord, error: unknown): void {
    const location = { topic: record.topic, partition: record.partition, offset: record.offset }
    const failure = toFreshetError(
      error,
      'OPERATOR_FAILED',
      `a record of global table topic ${record.topic}`,
      location,
    )
    if (this.#options.onBadRecord === 'fail') throw failure
    this.#badRecordReports.report(`skipped\u0000${failure.code}`, {
      type: 'bad-records',
      outcome: 'skipped',
      code: failure.code,
      count: 1,
      topic: record.topic,
      partition: record.partition,
      offset: String(record.offset),
      reason: failure.message,
    })
  }

  async #closeClients(): Promise<void> {
    await this.#generators?.stopAll()
    this.#globalsStopped.abort()
    await this.#following?.catch(() => {})
    await this.#globals?.close()
    await this.#globalReader?.close().catch(() => {})
    this.#globals = undefined
    this.#globalReader = undefined
    await this.#committer?.close().catch(() => {})
    await this.#reader?.close().catch(() => {})
    await this.#purgeAdmin?.close().catch(() => {})
    this.#purgeAdmin = undefined
    this.#committer = undefined
    this.#reader = undefined
  }

  /** Runs `work` after everything queued before it; the loop and the rebalance callbacks share it. */
  #locked<T>(work: () => Promise<T>): Promise<T> {
    const result = this.#lock.then(work)
    this.#lock = result.catch(() => {})
    return result
  }

  /**
   * An output record older than its topic's retention: the broker deletes it at its next retention
   * check, whoever reads the topic. Said once per topic for the life of the worker (a backfill
   * writes many); the docs give the ways out.
   */
  #beyondRetention(topic: string, timestampMs: number): void {
    if (this.#warnedRetention.has(topic)) return
    this.#warnedRetention.add(topic)
    const retentionMs = this.#plan?.outputRetentionMs.get(topic) as number
    this.#emit({ type: 'beyond-retention', topic, timestampMs, retentionMs })
  }

  #emit(event: WorkerEvent): void {
    try {
      this.#options.onEvent?.(event)
    } catch {
      // A listener's failure is not the worker's.
    }
  }
}

/**
 * Why a worker is not ready to process, for `/ready`: its state, and while it waits, for what,
 * since when and after which failure. Undefined while it runs.
 */
export function notReadyReason(status: Pick<WorkerStatus, 'state' | 'waiting'>): string | undefined {
  if (status.state === 'RUNNING') return undefined
  const waiting = status.waiting
  if (waiting === undefined) return status.state
  return `${status.state} since ${new Date(waiting.sinceMs).toISOString()} (${waiting.reason})`
}

/** A worker id unique to this process, for tests and one-off runs. */
export function randomWorkerId(): string {
  return `worker-${randomUUID().slice(0, 8)}`
}
