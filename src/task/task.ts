/**
 * A task: one partition number of one sub-topology, run by a worker against Kafka. It hosts the
 * same `TaskGraph` as the test driver, with real stores and a watermark tracker over its input
 * partitions, and turns what the operators emit into records for the worker to produce: sink
 * records, repartition records, changelog records, watermark markers and dead letters.
 *
 * Per input record (synchronous, no await):
 *
 * 1. A watermark marker of a repartition topic updates that upstream task's watermark; the
 *    partition's watermark is the minimum over the upstream tasks (src/task/records.ts).
 * 2. A data record is decoded: the source's deserializer, or JSON for repartition topics. A
 *    record that does not decode goes to the bad-record policy.
 * 3. A stream record's event time is extracted and observed by the tracker; a record rejected
 *    there (invalid, or too far in the future) goes to the bad-record policy.
 * 4. If the task watermark moved, every operator gets `onWatermark`, upstream first.
 * 5. The record runs through the operators. What they send is encoded at once (sink serde, or
 *    JSON for repartition topics) into the task's output buffer; an exception (the user's code, an
 *    encoding failure) goes to the bad-record policy. Late records become dead letters.
 *
 * A record that fails in step 5 under the `skip` or `dlq` policy leaves nothing behind: what it
 * sent is dropped, and what it wrote is taken back through the task's undo log (src/state/undo-log.ts):
 * every store, its changelog buffer, the operators' in-memory indexes, their counters and the task's.
 * Under `fail` there is no log: the worker discards the whole task instead.
 *
 * At a commit (`prepareCommit`): every operator's `onCommit`, then every store's changelog entries
 * and the watermark markers for the repartition topics this task writes. A table read straight from
 * a topic logs nothing: its topic is its changelog, and its checkpoint is the offset of that topic
 * the commit stores (`sourceCheckpoints`).
 *
 * Global tables' stores are shared by every task of the worker and written by the worker alone;
 * tasks only look them up.
 */
import { FreshetError, isConfigurationError, toFreshetError } from '../errors/index.ts'
import { toDeadLetter, type DeadLetterStage } from '../dlq/index.ts'
import type { InRecord, OutRecord, TopicPartitionOffset } from '../kafka/index.ts'
import {
  OPEN_WINDOWS,
  partitionFor,
  partitionKeyBytes,
  TaskGraph,
  type Keyed,
  type LateRecord,
} from '../operators/index.ts'
import { UndoLog, type Revertible, type StateStore } from '../state/index.ts'
import type { SinkSpec, SourceSpec, Topology } from '../stream/index.ts'
import {
  timestampRejectionError,
  topicPartition,
  WatermarkTracker,
  type WatermarkOptions,
} from '../time/index.ts'
import { TaskLifecycle, type TaskState } from './lifecycle.ts'
import {
  isWatermarkMarker,
  readRepartitionRecord,
  readWatermarkMarker,
  repartitionRecord,
  watermarkMarker,
} from './records.ts'

/** What happens to a record that cannot be decoded, has a bad timestamp, or makes user code throw. */
export type BadRecordPolicy = 'fail' | 'skip' | 'dlq'
export const BAD_RECORD_POLICIES: readonly BadRecordPolicy[] = ['fail', 'skip', 'dlq']

/** Headers a late record's dead letter carries besides the provenance of src/dlq. */
export const LATE_HEADERS = {
  lateByMs: 'freshet.late.by.ms',
  watermarkMs: 'freshet.late.watermark.ms',
  windowStartMs: 'freshet.late.window.start.ms',
  windowEndMs: 'freshet.late.window.end.ms',
  operator: 'freshet.late.operator',
} as const

/** How a task reads one of its input topics. */
export interface TaskSource {
  readonly spec: SourceSpec
  /** Decodes a record value; throws a FreshetError for bad input. Unused for repartition topics. */
  readonly decode: (record: InRecord) => unknown
  /** Decodes a record key (stream and table sources). */
  readonly decodeKey: (record: InRecord) => unknown
}

/** How a task writes one of its output topics. */
export interface TaskSink {
  readonly spec: SinkSpec
  readonly partitions: number
  /** Encodes a sink value; unused for repartition topics. */
  readonly encode: (value: unknown) => Buffer | null
  /**
   * The output topic's time-based retention, when it has one: a record written with an event time
   * older than it is deleted by the broker, and `beyondRetention` is told (sinks only).
   */
  readonly retentionMs?: number | undefined
  readonly beyondRetention?: ((timestampMs: number) => void) | undefined
}

/**
 * How recent (wall clock) a window's close must be for its task to commit early: results of live
 * data are awaited; a backfill's old windows wait for the commit interval, as everything else does.
 */
export const LIVE_WITHIN_MS = 60_000

export interface TaskOptions {
  readonly topology: Topology
  readonly subtopology: number
  readonly partition: number
  /** Open stores by name, already restored. */
  readonly stores: ReadonlyMap<string, StateStore>
  /** The worker's global table stores, by name: looked up, never written, by the task. */
  readonly globalStores?: ReadonlyMap<string, StateStore> | undefined
  /** The task's input topics (those with this partition number). */
  readonly sources: ReadonlyMap<string, TaskSource>
  /** Output topics by sink node name. */
  readonly sinks: ReadonlyMap<string, TaskSink>
  readonly watermarks: WatermarkOptions
  readonly onBadRecord: BadRecordPolicy
  readonly dlqTopic: string
  /** Processing time. */
  readonly clock: () => number
  /**
   * Markers are written when the watermark moved, and at least this often while it does not
   * (Infinity: never), for tasks downstream that cannot take the markers back from their
   * checkpoints.
   */
  readonly markerIntervalMs: number
  /** Tasks of this sub-topology: how many writers each partition of its repartition outputs has. */
  readonly taskCount: number
  /** Told of every record skipped, dead-lettered or late, with the error that says why. */
  readonly onBadRecordHandled?: (outcome: BadRecordOutcome, error: FreshetError, record: InRecord) => void
}

/** What became of a bad or late record. */
export type BadRecordOutcome = 'skipped' | 'dead-lettered' | 'late'

/** Counters of a task since it was created. */
export interface TaskCounters {
  recordsIn: number
  recordsOut: number
  recordsSkipped: number
  recordsDeadLettered: number
  recordsLate: number
}

interface RepartitionInput {
  /** Latest marker per upstream task. */
  readonly upstream: Map<string, { watermarkMs: number | null; idle: boolean; finished: boolean }>
  tasks: number
  /** The watermark last fed to the tracker for this partition. */
  fedMs: number
}

/** A task's watermark state for one input partition, committed as the offset's metadata. */
interface WatermarkCheckpoint {
  /** Format version; its presence also tells a checkpoint from other metadata. */
  freshet: 1
  watermarkMs: number | null
  maxTimestampMs: number | null
  idle: boolean
  /**
   * A repartition input's latest marker of each upstream task, as `[watermarkMs, idle, finished]`,
   * and how many upstream tasks there are: the task that resumes from the offset knows them
   * without waiting for each upstream task to write again (an idle one writes nothing more).
   */
  upstream?: Record<string, [number | null, boolean, boolean]>
  tasks?: number
}

function finiteOrNull(ms: number): number | null {
  return Number.isFinite(ms) ? ms : null
}

function parseWatermarkCheckpoint(metadata: string | undefined): WatermarkCheckpoint | undefined {
  if (metadata === undefined || !metadata.startsWith('{')) return undefined
  let value: unknown
  try {
    value = JSON.parse(metadata)
  } catch {
    return undefined
  }
  const msOrNull = (v: unknown): boolean => v === null || (typeof v === 'number' && Number.isFinite(v))
  if (value === null || typeof value !== 'object') return undefined
  const { freshet, watermarkMs, maxTimestampMs, idle } = value as Record<string, unknown>
  if (freshet !== 1 || !msOrNull(watermarkMs) || !msOrNull(maxTimestampMs) || typeof idle !== 'boolean') {
    return undefined
  }
  const checkpoint = value as WatermarkCheckpoint
  const { upstream, tasks } = checkpoint
  const upstreamOk =
    upstream !== undefined &&
    upstream !== null &&
    typeof upstream === 'object' &&
    Number.isSafeInteger(tasks) &&
    Object.values(upstream).every(
      (u) =>
        Array.isArray(u) &&
        u.length === 3 &&
        msOrNull(u[0]) &&
        typeof u[1] === 'boolean' &&
        typeof u[2] === 'boolean',
    )
  if (!upstreamOk) {
    delete checkpoint.upstream
    delete checkpoint.tasks
  }
  return checkpoint
}

export class StreamTask {
  readonly id: string
  readonly subtopology: number
  readonly partition: number
  readonly stores: ReadonlyMap<string, StateStore>
  readonly counters: TaskCounters = {
    recordsIn: 0,
    recordsOut: 0,
    recordsSkipped: 0,
    recordsDeadLettered: 0,
    recordsLate: 0,
  }
  /** Bad input records skipped or dead-lettered, by error code. */
  readonly badRecordCodes = new Map<string, number>()
  /** Counters the operators keep, per node. */
  readonly operatorMetrics = new Map<string, Map<string, number>>()
  /** The operators' gauges by node: their figures as last set. */
  readonly operatorGauges = new Map<string, Map<string, number>>()
  readonly #options: TaskOptions
  readonly #tracker: WatermarkTracker
  readonly #graph: TaskGraph
  readonly #repartitionInputs = new Map<string, RepartitionInput>()
  /** Changelog topic per store name. */
  readonly #changelogTopics = new Map<string, string>()
  /** Stores restored from the topic they are built from: that topic, per store name. */
  readonly #sourceChangelogs = new Map<string, string>()
  /** Sinks writing repartition topics: markers go to every partition of these. */
  readonly #repartitionSinks: TaskSink[]
  #out: OutRecord[] = []
  #current: InRecord | undefined
  #deliveredMs = -Infinity
  #markedMs = -Infinity
  #markedAtMs = -Infinity
  #markedIdle = false
  /** CREATED -> RUNNING -> CLOSED | CLOSED_DIRTY (src/task/lifecycle.ts). */
  readonly #lifecycle: TaskLifecycle
  /** Whether the task did anything since its last `prepareCommit`: a clean close needs it false. */
  #uncommitted = false
  #commitWanted = false
  /** The running record's changes, for a rollback; none under the `fail` policy. */
  readonly #undo: UndoLog | undefined
  /** Takes back an operator counter's increment: (node, metric name, value before, or undefined). */
  readonly #metricUndo: Revertible = {
    revert: (node, name, previous) => {
      const counters = this.operatorMetrics.get(node as string) as Map<string, number>
      if (previous !== undefined) counters.set(name as string, previous as number)
      else if (counters.delete(name as string) && counters.size === 0)
        this.operatorMetrics.delete(node as string)
    },
  }

  constructor(options: TaskOptions) {
    this.#options = options
    this.subtopology = options.subtopology
    this.partition = options.partition
    this.id = `${options.subtopology}_${options.partition}`
    this.#lifecycle = new TaskLifecycle(this.id)
    this.stores = options.stores
    for (const store of options.topology.description.stores) {
      if (!options.stores.has(store.name)) continue
      if (store.sourceChangelog) this.#sourceChangelogs.set(store.name, store.changelogTopic)
      else this.#changelogTopics.set(store.name, store.changelogTopic)
    }
    this.#tracker = new WatermarkTracker({ ...options.watermarks, clock: options.clock })
    const tracked: string[] = []
    for (const [topic, source] of options.sources) {
      if (source.spec.kind === 'table') continue
      tracked.push(topicPartition(topic, options.partition))
      if (source.spec.kind === 'repartition') {
        this.#repartitionInputs.set(topic, { upstream: new Map(), tasks: Infinity, fedMs: -Infinity })
      }
    }
    this.#tracker.assign(tracked)
    this.#repartitionSinks = [...options.sinks.values()].filter((s) => s.spec.kind === 'repartition')
    this.#undo = options.onBadRecord === 'fail' ? undefined : new UndoLog()
    if (this.#undo !== undefined) for (const store of options.stores.values()) store.setUndoLog(this.#undo)
    this.#graph = new TaskGraph(
      options.topology.graphNodes(options.subtopology),
      options.subtopology,
      options.partition,
      {
        store: (name) => {
          const store = options.stores.get(name) ?? options.globalStores?.get(name)
          if (store === undefined) {
            throw new FreshetError('TOPOLOGY_INVALID', `store "${name}" is not in task ${this.id}`)
          }
          return store
        },
        send: (_topic, record, timestampMs, node, closedAtMs) =>
          this.#send(node, record, timestampMs, closedAtMs),
        late: (record) => this.#late(record),
        metric: (node, name, by) => this.#metric(node, name, by),
        gauge: (node, name, value) => this.#gauge(node, name, value),
        requestCommit: (closedAtMs) => {
          if (closedAtMs + this.#tracker.maxOutOfOrdernessMs >= this.#options.clock() - LIVE_WITHIN_MS) {
            this.#commitWanted = true
          }
        },
        undo: this.#undo,
      },
    )
    this.#graph.open()
  }

  /**
   * A window of live data closed since the last `prepareCommit` (its close time plus the
   * watermark's bound is within LIVE_WITHIN_MS of now): the worker commits a quarter of its
   * interval after the last commit rather than a whole one, so the result, or what the tasks
   * downstream need to close it, is not held back.
   */
  get commitWanted(): boolean {
    return this.#commitWanted
  }

  get state(): TaskState {
    return this.#lifecycle.state
  }

  get watermarkMs(): number {
    return this.#tracker.watermarkMs
  }

  /**
   * What to commit with the offset of an input partition (the group's offset metadata): the task's
   * watermark and this partition's part in it. The task that resumes from that offset, after a
   * restart, a recovery or a move to another worker, starts from the same watermark, so a record
   * that was late before stays late (Kafka Streams keeps its stream time the same way).
   */
  watermarkCheckpoint(topic: string, partition: number): string {
    this.#lifecycle.require('watermarkCheckpoint')
    const id = topicPartition(topic, partition)
    const state = this.#tracker.partitionWatermarks().find((p) => p.partition === id)
    const checkpoint: WatermarkCheckpoint = {
      freshet: 1,
      watermarkMs: finiteOrNull(this.#tracker.watermarkMs),
      maxTimestampMs: finiteOrNull(state?.maxTimestampMs ?? -Infinity),
      idle: state?.idle ?? false,
    }
    const input = this.#repartitionInputs.get(topic)
    if (input !== undefined && input.upstream.size > 0) {
      checkpoint.upstream = Object.fromEntries(
        [...input.upstream].map(([task, u]) => [task, [u.watermarkMs, u.idle, u.finished]]),
      )
      checkpoint.tasks = input.tasks
    }
    return JSON.stringify(checkpoint)
  }

  /**
   * Takes the watermark back from the checkpoints committed with the input offsets; metadata that
   * is not a checkpoint (another writer's, or none) is ignored. Call before the first record.
   */
  restoreWatermarks(committed: readonly TopicPartitionOffset[]): void {
    this.#lifecycle.require('restoreWatermarks', ['CREATED'])
    const snapshot = this.#tracker.snapshot()
    let watermarkMs = snapshot.watermarkMs ?? -Infinity
    const partitions = new Map(snapshot.partitions.map((p) => [p.partition, p]))
    for (const offset of committed) {
      const checkpoint = parseWatermarkCheckpoint(offset.metadata)
      const id = topicPartition(offset.topic, offset.partition)
      if (checkpoint === undefined || !partitions.has(id)) continue
      partitions.set(id, { partition: id, maxTimestampMs: checkpoint.maxTimestampMs, idle: checkpoint.idle })
      if (checkpoint.watermarkMs !== null) watermarkMs = Math.max(watermarkMs, checkpoint.watermarkMs)
      const input = this.#repartitionInputs.get(offset.topic)
      if (input !== undefined && checkpoint.maxTimestampMs !== null) {
        input.fedMs = Math.max(input.fedMs, checkpoint.maxTimestampMs - this.#tracker.maxOutOfOrdernessMs)
      }
      if (input !== undefined && checkpoint.upstream !== undefined && checkpoint.tasks !== undefined) {
        input.tasks = checkpoint.tasks
        for (const [task, [upstreamMs, idle, finished]] of Object.entries(checkpoint.upstream)) {
          input.upstream.set(task, { watermarkMs: upstreamMs, idle, finished })
        }
      }
    }
    this.#tracker.restore({
      version: 1,
      watermarkMs: finiteOrNull(watermarkMs),
      partitions: [...partitions.values()],
    })
    this.#deliverWatermark()
  }

  /** Steps 1-5 for one input record. Throws only under the `fail` policy (or for a defect). */
  process(record: InRecord): void {
    if (this.#lifecycle.state !== 'RUNNING') this.#lifecycle.transition('RUNNING', 'process')
    this.#uncommitted = true
    const source = this.#options.sources.get(record.topic)
    if (source === undefined) {
      throw new FreshetError('INVALID_STATE', `task ${this.id} does not read topic ${record.topic}`)
    }
    const { spec } = source
    // Step 1
    if (spec.kind === 'repartition' && isWatermarkMarker(record)) {
      this.#onMarker(record)
      return
    }
    this.counters.recordsIn++
    this.#current = record
    try {
      // Step 2
      let keyed: Keyed<unknown>
      try {
        const location = { topic: record.topic, partition: record.partition, offset: record.offset }
        if (spec.kind === 'repartition') keyed = { ...readRepartitionRecord(record), source: location }
        else keyed = { key: source.decodeKey(record), value: source.decode(record), source: location }
      } catch (error) {
        this.#badRecord(record, error, 'decode')
        return
      }
      if (spec.kind === 'table') {
        this.#run(spec.node, keyed, record.timestampMs, record)
        return
      }
      // Step 3
      let timestampMs = record.timestampMs
      if (spec.kind === 'stream') {
        try {
          timestampMs = spec.timestamp(keyed.value, {
            timestampMs: record.timestampMs,
            topic: record.topic,
            partition: record.partition,
            offset: record.offset,
          })
        } catch (error) {
          this.#badRecord(record, error, 'decode')
          return
        }
        const verdict = this.#tracker.observe(topicPartition(record.topic, record.partition), timestampMs)
        if (!verdict.ok) {
          this.#badRecord(
            record,
            timestampRejectionError(verdict, {
              topic: record.topic,
              partition: record.partition,
              offset: record.offset,
            }),
            'decode',
          )
          return
        }
        // Step 4
        this.#deliverWatermark()
      }
      // Step 5
      this.#run(spec.node, keyed, timestampMs, record)
    } finally {
      this.#current = undefined
    }
  }

  /** Lets idle partitions stop holding the watermark back; call it on a timer. */
  advanceIdle(): void {
    if (this.#lifecycle.state !== 'RUNNING') this.#lifecycle.transition('RUNNING', 'advanceIdle')
    this.#tracker.advanceIdle()
    this.#deliverWatermark()
  }

  /**
   * Ends the input of a stream source partition (a bounded source read up to its end offset): it no
   * longer holds the watermark back, and once every input of the task has ended the watermark
   * becomes final (`MAX_TIMESTAMP_MS`) and closes every window. Repartition inputs end by
   * themselves, when every upstream task's marker says it has finished.
   */
  finishInput(topic: string, partition: number): void {
    if (this.#lifecycle.state !== 'RUNNING') this.#lifecycle.transition('RUNNING', 'finishInput')
    if (this.#tracker.finish(topicPartition(topic, partition))) {
      this.#uncommitted = true
      this.#deliverWatermark()
    }
  }

  /** Every input of the task has ended (`finishInput`) and its final watermark was delivered. */
  get finished(): boolean {
    return this.#tracker.finished
  }

  /** Records produced since the last call: outputs, repartition records and dead letters. */
  takeOutput(): OutRecord[] {
    this.#lifecycle.require('takeOutput')
    const out = this.#out
    this.#out = []
    return out
  }

  /**
   * What must go into the commit's transaction besides `takeOutput()`: what the operators flush on
   * commit, every store's changelog entries (to partition `partition` of its changelog topic) and
   * the watermark markers. Returns the changelog records apart, by store, for the checkpoints, and
   * the stores whose changelog is their source topic: their checkpoint is the committed offset of
   * that topic's partition.
   */
  prepareCommit(): {
    records: OutRecord[]
    changelogs: Map<string, OutRecord[]>
    sourceCheckpoints: Array<{ store: string; topic: string; partition: number }>
  } {
    this.#lifecycle.require('prepareCommit')
    this.#graph.onCommit()
    const records = this.takeOutput()
    const changelogs = new Map<string, OutRecord[]>()
    const sourceCheckpoints: Array<{ store: string; topic: string; partition: number }> = []
    for (const [name, store] of this.stores) {
      const source = this.#sourceChangelogs.get(name)
      if (source !== undefined) {
        sourceCheckpoints.push({ store: name, topic: source, partition: this.partition })
        continue
      }
      const topic = this.#changelogTopics.get(name) as string
      const entries = store.drainChangelog()
      if (entries.length === 0) continue
      changelogs.set(
        name,
        entries.map((entry) => ({ topic, partition: this.partition, key: entry.key, value: entry.value })),
      )
    }
    records.push(...this.#markers())
    this.#uncommitted = false
    this.#commitWanted = false
    return { records, changelogs, sourceCheckpoints }
  }

  /**
   * Closes the task after its state was committed: the last `prepareCommit` went into a commit and
   * nothing was processed since. Refuses (`FRESHET_INVALID_STATE`) a task that did something since
   * its last `prepareCommit`: closing it clean would lose that silently; commit first, or
   * `closeDirty()` to discard it. The caller closes the stores afterwards (they stay the caller's).
   */
  closeClean(): void {
    const lifecycle = this.#lifecycle
    lifecycle.check('CLOSED', 'closeClean')
    if (this.#uncommitted) {
      throw new FreshetError(
        'INVALID_STATE',
        `task ${this.id}: cannot closeClean in state ${lifecycle.state}: it has processed records since its ` +
          'last commit (prepareCommit); commit first, or closeDirty() to discard them',
        { details: { task: this.id, state: lifecycle.state, operation: 'closeClean' } },
      )
    }
    lifecycle.transition('CLOSED', 'closeClean')
    this.#detachUndo()
    this.#graph.close()
  }

  /**
   * Closes the task discarding what it did since the last commit (a failed commit, a lost
   * assignment, a failed worker): its output not yet taken is dropped and an operator that fails to
   * close does not stop it. The caller closes the stores without flushing them, so their files stay
   * at the last checkpoint.
   */
  closeDirty(): void {
    this.#lifecycle.transition('CLOSED_DIRTY', 'closeDirty')
    this.#out = []
    this.#detachUndo()
    try {
      this.#graph.close()
    } catch {
      // What the operators hold in memory is discarded with the task; the close cannot fail it.
    }
  }

  /** The clean close, `closeClean()`. */
  close(): void {
    this.closeClean()
  }

  /**
   * Step 5, in a record scope of the undo log. Counters of the task are put back from two numbers
   * read before the record rather than logged: the record's own sends and late letters are exactly
   * what the truncation of `#out` drops.
   */
  #run(node: string, keyed: Keyed<unknown>, timestampMs: number, record: InRecord): void {
    const mark = this.#out.length
    const recordsOut = this.counters.recordsOut
    const recordsLate = this.counters.recordsLate
    const undo = this.#undo
    undo?.begin()
    try {
      this.#graph.process(node, keyed, timestampMs)
      undo?.end()
    } catch (error) {
      // What the failed record had sent is dropped with it, and what it wrote is taken back.
      this.#out.length = mark
      this.counters.recordsOut = recordsOut
      this.counters.recordsLate = recordsLate
      undo?.rollback()
      this.#badRecord(record, error, 'process')
    }
  }

  #deliverWatermark(): void {
    const watermarkMs = this.#tracker.watermarkMs
    if (watermarkMs > this.#deliveredMs) {
      this.#deliveredMs = watermarkMs
      this.#uncommitted = true
      this.#graph.onWatermark(watermarkMs)
    }
  }

  #detachUndo(): void {
    if (this.#undo === undefined) return
    for (const store of this.stores.values()) store.setUndoLog(undefined)
  }

  /** Step 1 */
  #onMarker(record: InRecord): void {
    const input = this.#repartitionInputs.get(record.topic) as RepartitionInput
    const marker = readWatermarkMarker(record)
    input.tasks = marker.tasks
    input.upstream.set(marker.task, {
      watermarkMs: marker.watermarkMs,
      idle: marker.idle,
      finished: marker.finished === true,
    })
    if (input.upstream.size < input.tasks) return
    const partition = topicPartition(record.topic, record.partition)
    if ([...input.upstream.values()].every((u) => u.finished)) {
      // Every writer of the partition has finished: nothing more comes through it.
      if (this.#tracker.finish(partition)) this.#deliverWatermark()
      return
    }
    let activeMs = Infinity
    let idleMs = -Infinity
    for (const upstream of input.upstream.values()) {
      if (upstream.finished) continue
      const upstreamMs = upstream.watermarkMs ?? -Infinity
      if (upstream.idle) idleMs = Math.max(idleMs, upstreamMs)
      else activeMs = Math.min(activeMs, upstreamMs)
    }
    const watermarkMs = activeMs === Infinity ? idleMs : activeMs
    if (!Number.isFinite(watermarkMs) || watermarkMs <= input.fedMs) return
    input.fedMs = watermarkMs
    // The tracker's partition watermark is its largest timestamp minus the bound.
    this.#tracker.observe(partition, watermarkMs + this.#tracker.maxOutOfOrdernessMs)
    this.#deliverWatermark()
  }

  #markers(): OutRecord[] {
    if (this.#repartitionSinks.length === 0) return []
    const watermarkMs = this.#tracker.watermarkMs
    const finished = this.#tracker.finished
    const idle = !finished && this.#tracker.partitionWatermarks().every((p) => p.idle || p.finished)
    // Before its first record a task has nothing to say, unless it is idle: then it must say so,
    // or the tasks downstream would wait for it forever.
    if (!Number.isFinite(watermarkMs) && !idle) return []
    const nowMs = this.#options.clock()
    const moved = watermarkMs > this.#markedMs || idle !== this.#markedIdle
    if (!moved && nowMs - this.#markedAtMs < this.#options.markerIntervalMs) return []
    this.#markedMs = watermarkMs
    this.#markedAtMs = nowMs
    this.#markedIdle = idle
    const markers: OutRecord[] = []
    for (const sink of this.#repartitionSinks) {
      for (let partition = 0; partition < sink.partitions; partition++) {
        markers.push(
          watermarkMarker(
            sink.spec.topic,
            partition,
            {
              task: this.id,
              tasks: this.#options.taskCount,
              watermarkMs: Number.isFinite(watermarkMs) ? watermarkMs : null,
              idle,
              ...(finished ? { finished } : {}),
            },
            nowMs,
          ),
        )
      }
    }
    return markers
  }

  #send(node: string, record: Keyed<unknown>, timestampMs: number, closedAtMs: number | undefined): void {
    const sink = this.#options.sinks.get(node)
    if (sink === undefined) throw new FreshetError('INVALID_STATE', `task ${this.id} has no sink "${node}"`)
    const partition = partitionFor(record.key, sink.partitions)
    if (sink.spec.kind === 'repartition') {
      this.#out.push(repartitionRecord(sink.spec.topic, partition, record.key, record.value, timestampMs))
    } else {
      const key = partitionKeyBytes(record.key)
      let recordTimestampMs = Math.max(0, Math.floor(timestampMs))
      if (sink.spec.recordTimestamp === 'processing-time') recordTimestampMs = Date.now()
      else if (sink.retentionMs !== undefined && recordTimestampMs < Date.now() - sink.retentionMs) {
        sink.beyondRetention?.(recordTimestampMs)
      }
      this.#out.push({
        topic: sink.spec.topic,
        partition,
        key: key === null ? null : Buffer.from(key),
        value: sink.encode(record.value),
        timestampMs: recordTimestampMs,
        windowDueMs: closedAtMs === undefined ? undefined : closedAtMs + this.#tracker.maxOutOfOrdernessMs,
      })
    }
    this.counters.recordsOut++
  }

  #late(late: LateRecord<unknown>): void {
    this.counters.recordsLate++
    const record = this.#current
    if (record === undefined) return
    const error = new FreshetError(
      'RECORD_LATE',
      `late record: ${late.lateByMs} ms behind the watermark plus grace at operator "${late.operator}"`,
      { topic: record.topic, partition: record.partition, offset: record.offset },
    )
    this.#options.onBadRecordHandled?.('late', error, record)
    const letter = toDeadLetter(record, error, this.#options.dlqTopic, 'late', this.#options.clock())
    letter.headers = {
      ...letter.headers,
      [LATE_HEADERS.lateByMs]: String(late.lateByMs),
      [LATE_HEADERS.watermarkMs]: String(late.watermarkMs),
      [LATE_HEADERS.windowStartMs]: String(late.window.startMs),
      [LATE_HEADERS.windowEndMs]: String(late.window.endMs),
      [LATE_HEADERS.operator]: late.operator,
    }
    this.#out.push(letter)
  }

  #badRecord(record: InRecord, error: unknown, stage: DeadLetterStage): void {
    const freshetError =
      error instanceof FreshetError
        ? error
        : toFreshetError(error, 'OPERATOR_FAILED', `task ${this.id} failed on a record`, {
            topic: record.topic,
            partition: record.partition,
            offset: record.offset,
          })
    // A setup mistake (a reader schema that cannot read the topic's own schema) stops the task
    // whatever the policy: under skip or dlq it would set every valid record aside.
    if (this.#options.onBadRecord === 'fail' || isConfigurationError(freshetError)) throw freshetError
    this.badRecordCodes.set(freshetError.code, (this.badRecordCodes.get(freshetError.code) ?? 0) + 1)
    if (this.#options.onBadRecord === 'skip') {
      this.counters.recordsSkipped++
      this.#options.onBadRecordHandled?.('skipped', freshetError, record)
      return
    }
    this.counters.recordsDeadLettered++
    this.#options.onBadRecordHandled?.('dead-lettered', freshetError, record)
    this.#out.push(toDeadLetter(record, freshetError, this.#options.dlqTopic, stage, this.#options.clock()))
  }

  /** Windows the task's windowed operators hold open, as of their last commit or restore. */
  get openWindows(): number {
    let open = 0
    for (const gauges of this.operatorGauges.values()) open += gauges.get(OPEN_WINDOWS) ?? 0
    return open
  }

  #gauge(node: string, name: string, value: number): void {
    let gauges = this.operatorGauges.get(node)
    if (gauges === undefined) {
      gauges = new Map()
      this.operatorGauges.set(node, gauges)
    }
    gauges.set(name, value)
  }

  #metric(node: string, name: string, by: number): void {
    let counters = this.operatorMetrics.get(node)
    if (counters === undefined) {
      counters = new Map()
      this.operatorMetrics.set(node, counters)
    }
    const previous = counters.get(name)
    // Operators count while processing a record (late records, merges, duplicates): a failed
    // record's increments are taken back with the rest of it.
    this.#undo?.log(this.#metricUndo, node, name, previous)
    counters.set(name, (previous ?? 0) + by)
  }
}
