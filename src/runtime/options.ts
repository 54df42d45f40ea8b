import { hostname } from 'node:os'
import { FreshetError } from '../errors/index.ts'
import { connectionSpec, TRANSACTION_TIMEOUT_MS, type ConnectionOptions } from '../kafka/index.ts'
import { checks, validateOptions, type Check, type Spec } from '../options/index.ts'
import { endpointCheck } from '../query/options.ts'
import type { Deserializer, SchemaRegistryClient, SerdeFormat } from '../serde/index.ts'
import { Topology } from '../stream/index.ts'
import type { BadRecordOutcome, BadRecordPolicy } from '../task/index.ts'
import { checkGenerators, type SourceGenerator } from './generators.ts'

export type ProcessingGuarantee = 'exactly-once' | 'at-least-once'

/** What a worker reports as it goes; see `WorkerOptions.onEvent`. */
export type WorkerEvent =
  | { type: 'started'; workerId: string; transactionalId: string | null }
  | { type: 'assigned'; tasks: string[]; generationId: number }
  | { type: 'revoked'; tasks: string[] }
  | {
      type: 'restore'
      task: string
      store: string
      restoredRecords: number
      totalRecords: number
      done: boolean
      /** A task's store: the changelog offsets the replay runs from (its checkpoint) and up to. */
      fromOffset?: number
      endOffset?: number
    }
  | {
      type: 'committed'
      records: number
      offsets: number
      durationMs: number
      /** How long each batch since the previous commit took to process, up to its outputs sent. */
      batchMs: readonly number[]
      /**
       * For each record this commit made visible on an output topic (not repartition, changelog or
       * dead-letter topics): the commit's end less the record's event time.
       */
      endToEndMs: readonly number[]
      /**
       * For each final window result among them: the commit's end less the earliest wall-clock
       * time its window could have closed (window end + grace, or a session's last event + gap +
       * grace, plus the watermark's out-of-orderness bound). What the pipeline adds after a window
       * may close, where `endToEndMs` also holds the window's length.
       */
      windowResultDelayMs: readonly number[]
    }
  | { type: 'aborted'; reason: string; code: string | undefined }
  /**
   * A result was written with an event time older than its output topic's `retention.ms` (once per
   * topic): the broker will delete it. Reprocessing old data needs the sink's `recordTimestamp:
   * 'processing-time'` or a longer retention.
   */
  | { type: 'beyond-retention'; topic: string; timestampMs: number; retentionMs: number }
  /**
   * Records skipped, dead-lettered or late, at most one event per outcome and error code every
   * few seconds: `count` since the previous event of the pair, and where the latest one was.
   */
  | {
      type: 'bad-records'
      outcome: BadRecordOutcome
      code: string
      count: number
      topic: string
      partition: number
      /** The latest such record's offset, as a decimal string. */
      offset: string
      reason: string
    }
  /** The worker cannot reach the cluster (or the registry) and waits; see `outageTimeoutMs`. */
  | { type: 'waiting'; for: 'kafka' | 'registry'; reason: string; code: string | undefined; sinceMs: number }
  /** It reached it again and carries on; `waitedMs` since the wait began. */
  | { type: 'resumed'; for: 'kafka' | 'registry'; waitedMs: number }
  /**
   * Every task the worker holds has read its bounded sources to their end, closed its windows and
   * committed: the worker stops by itself (`stopped` follows). See `boundedTopics`.
   */
  | { type: 'finished'; tasks: string[] }
  /** A generated source's send failed (an outage): its generator tries again after a pause. */
  | { type: 'generator-retry'; topic: string; reason: string; code: string | undefined }
  | { type: 'stopped' }

export interface WorkerOptions extends ConnectionOptions {
  topology: Topology
  /**
   * Stable across restarts of the same worker: with exactly-once the transactional id is
   * `<applicationId>-<workerId>`, so a restarted worker fences its predecessor and aborts what it
   * left open at once. Defaults to `<hostname>-<pid>`, which is unique but not stable.
   */
  workerId?: string
  processingGuarantee?: ProcessingGuarantee
  /** How often offsets, outputs and state are committed together. */
  commitIntervalMs?: number
  /** Root of local state (RocksDB); without it stores live in memory and restore replays everything. */
  stateDir?: string
  /** What happens to a record that cannot be decoded, has a bad timestamp, or makes user code throw. */
  onBadRecord?: BadRecordPolicy
  /** Dead letters (bad input under `dlq`, and late records) go here; default `<applicationId>.dlq`. */
  dlqTopic?: string
  /** Format of source values without a deserializer of their own, and of sinks without a serde. */
  format?: SerdeFormat
  /** Needed for `format: 'avro'`. */
  registry?: SchemaRegistryClient
  /** A deserializer per source topic, instead of the one `format` implies. */
  deserializers?: Record<string, Deserializer<unknown>>
  /**
   * Stream source topics read as bounded inputs (Flink's `scan.bounded.mode` = `latest-offset`):
   * each partition up to the end offset (last stable offset) it has when the worker starts, records
   * written later are left unread. A task whose inputs have all ended gets the final watermark,
   * which closes every window, and the worker stops by itself once every task it holds has ended
   * and committed (event `finished`): backfills and reprocessing. A worker started later reads up
   * to the offsets of its own start; a worker that holds no task stops at once.
   */
  boundedTopics?: readonly string[]
  /**
   * Generated sources (SQL's `datagen`): each writes rows into a stream source topic of its own
   * (one partition, created when missing) while the worker holds that topic's task, and goes on
   * from the topic's end after a restart or a rebalance. A bounded one (`rows`) is read up to its
   * last row, which then ends the partition's input as `boundedTopics` do. See
   * src/runtime/generators.ts.
   */
  generators?: readonly SourceGenerator[]
  maxOutOfOrdernessMs?: number
  idleTimeoutMs?: number
  maxFutureSkewMs?: number
  /**
   * When all of a task's input partitions are idle, its watermark follows the clock, so the last
   * windows of a stream that went quiet close (see `WatermarkOptions`). For live data only.
   */
  followClockWhenIdle?: boolean
  /** Replication factor of the repartition, changelog and dead-letter topics the worker creates. */
  replicas?: number
  /** Most records handed to the tasks at once. */
  maxBatchRecords?: number
  sessionTimeoutMs?: number
  heartbeatIntervalMs?: number
  rebalanceTimeoutMs?: number
  /**
   * How long `start()` waits for an unreachable cluster (or registry) before it gives up; 5 min by
   * default, as `outageTimeoutMs`.
   */
  startTimeoutMs?: number
  /**
   * How long a running worker waits out an unreachable cluster or registry before it fails (Kafka
   * Streams' `task.timeout.ms`). Meanwhile it retries with capped exponential backoff and resumes
   * by itself once they answer. `Infinity` waits for ever.
   */
  outageTimeoutMs?: number
  /**
   * Under exactly-once, how long the coordinator lets a transaction stay open before it aborts it.
   * At least twice `commitIntervalMs`; also how long a crashed worker's open transaction holds
   * read_committed readers of its outputs back (until its restart fences it). Default: the larger
   * of 60 s and ten commit intervals, at most 900 s (the broker's `transaction.max.timeout.ms`).
   */
  transactionTimeoutMs?: number
  /**
   * How often the worker deletes what its group committed of the repartition topics (Kafka
   * Streams' `repartition.purge.interval.ms`); 30 s by default. They have no time-based retention,
   * so `Infinity` keeps them growing until someone deletes their records.
   */
  repartitionPurgeIntervalMs?: number
  /**
   * `host:port` where the other workers of the group reach this worker's interactive queries
   * (Kafka Streams' `application.server`). Sent to the group with the worker's subscription, so
   * that every worker knows which one hosts which partition of each store. Without it the worker
   * answers queries for its own partitions, and the others cannot forward to it.
   */
  advertisedEndpoint?: string
  onEvent?: (event: WorkerEvent) => void
}

const topologyCheck: Check<Topology> = (where, key, value) => {
  if (!(value instanceof Topology)) {
    throw new FreshetError(
      'INVALID_OPTION',
      `${where}: option "${key}" must be a Topology (pipeline().build())`,
      {
        details: { option: key },
      },
    )
  }
  return value
}

const functionCheck = checks.func

const objectCheck =
  <T>(): Check<T> =>
  (where, key, value) => {
    if (value === null || typeof value !== 'object') {
      throw new FreshetError('INVALID_OPTION', `${where}: option "${key}" must be an object`, {
        details: { option: key },
      })
    }
    return value as T
  }

const durationOrInfinity =
  (min: number): Check<number> =>
  (where, key, value) =>
    value === Infinity ? Infinity : checks.int(min)(where, key, value)

const workerSpec: Spec<WorkerOptions> = {
  ...connectionSpec,
  topology: { check: topologyCheck },
  workerId: {
    check: (where, key, value) => {
      const id = checks.string()(where, key, value)
      if (!/^[A-Za-z0-9._-]+$/.test(id)) {
        throw new FreshetError(
          'INVALID_OPTION',
          `${where}: option "${key}" must be letters, digits, ".", "_" or "-", got ${JSON.stringify(id)}`,
          { details: { option: key } },
        )
      }
      return id
    },
  },
  processingGuarantee: {
    check: checks.oneOf(['exactly-once', 'at-least-once'] as const),
    default: 'exactly-once',
  },
  commitIntervalMs: { check: checks.int(1, 600_000), default: 100 },
  stateDir: { check: checks.string() },
  onBadRecord: { check: checks.oneOf(['fail', 'skip', 'dlq'] as const), default: 'fail' },
  dlqTopic: { check: checks.string() },
  format: { check: checks.oneOf(['avro', 'json'] as const), default: 'json' },
  registry: { check: objectCheck<SchemaRegistryClient>() },
  deserializers: { check: objectCheck<Record<string, Deserializer<unknown>>>() },
  boundedTopics: { check: checks.stringList() },
  generators: { check: objectCheck<readonly SourceGenerator[]>() },
  maxOutOfOrdernessMs: { check: checks.int(0) },
  idleTimeoutMs: { check: durationOrInfinity(1) },
  maxFutureSkewMs: { check: durationOrInfinity(0) },
  followClockWhenIdle: { check: checks.boolean() },
  replicas: { check: checks.int(1, 32), default: 1 },
  maxBatchRecords: { check: checks.int(1, 1_000_000), default: 10_000 },
  sessionTimeoutMs: { check: checks.int(1_000, 600_000), default: 10_000 },
  heartbeatIntervalMs: { check: checks.int(100, 60_000), default: 1_000 },
  rebalanceTimeoutMs: { check: checks.int(1_000, 600_000), default: 30_000 },
  // As long as a running worker waits out an outage: a worker started (or restarted by its
  // supervisor) while the broker restarts must not give up sooner than the ones already running.
  startTimeoutMs: { check: checks.int(0, 3_600_000), default: 300_000 },
  outageTimeoutMs: { check: durationOrInfinity(0), default: 300_000 },
  transactionTimeoutMs: { check: checks.int(TRANSACTION_TIMEOUT_MS.min, TRANSACTION_TIMEOUT_MS.max) },
  repartitionPurgeIntervalMs: { check: durationOrInfinity(0), default: 30_000 },
  advertisedEndpoint: { check: endpointCheck },
  onEvent: { check: functionCheck<(event: WorkerEvent) => void>() },
}

export type ResolvedWorkerOptions = WorkerOptions &
  Required<
    Pick<
      WorkerOptions,
      | 'workerId'
      | 'processingGuarantee'
      | 'commitIntervalMs'
      | 'onBadRecord'
      | 'dlqTopic'
      | 'format'
      | 'replicas'
      | 'maxBatchRecords'
      | 'sessionTimeoutMs'
      | 'heartbeatIntervalMs'
      | 'rebalanceTimeoutMs'
      | 'startTimeoutMs'
      | 'outageTimeoutMs'
      | 'transactionTimeoutMs'
      | 'repartitionPurgeIntervalMs'
    >
  >

export function resolveWorkerOptions(options: WorkerOptions): ResolvedWorkerOptions {
  const resolved = validateOptions('Worker', options, workerSpec)
  if (resolved.format === 'avro' && resolved.registry === undefined) {
    throw new FreshetError(
      'INVALID_OPTION',
      'Worker: format avro needs a registry client (option "registry")',
      {
        details: { option: 'registry' },
      },
    )
  }
  const commitIntervalMs = resolved.commitIntervalMs as number
  const transactionTimeoutMs =
    resolved.transactionTimeoutMs ??
    Math.min(TRANSACTION_TIMEOUT_MS.max, Math.max(TRANSACTION_TIMEOUT_MS.default, 10 * commitIntervalMs))
  if (transactionTimeoutMs < 2 * commitIntervalMs) {
    throw new FreshetError(
      'INVALID_OPTION',
      `Worker: option "transactionTimeoutMs" (${transactionTimeoutMs}) must be at least twice "commitIntervalMs" (${commitIntervalMs})`,
      { details: { option: 'transactionTimeoutMs' } },
    )
  }
  const streams = new Set(
    resolved.topology
      .sources()
      .filter((s) => s.kind === 'stream')
      .map((s) => s.topic),
  )
  for (const topic of resolved.boundedTopics ?? []) {
    if (!streams.has(topic)) {
      throw new FreshetError(
        'INVALID_OPTION',
        `Worker: option "boundedTopics" names ${JSON.stringify(topic)}, which is no stream source of the topology (${[...streams].join(', ')})`,
        { details: { option: 'boundedTopics' } },
      )
    }
  }
  checkGenerators(resolved.generators ?? [], streams)
  const applicationId = resolved.topology.applicationId
  return {
    ...resolved,
    transactionTimeoutMs,
    workerId: resolved.workerId ?? `${hostname().replace(/[^A-Za-z0-9._-]/g, '-')}-${process.pid}`,
    dlqTopic: resolved.dlqTopic ?? `${applicationId}.dlq`,
  } as ResolvedWorkerOptions
}
