/**
 * Runs a topology in-process, deterministically, without Kafka: the TopologyTestDriver idea.
 *
 * The driver keeps every topic as in-memory partitions, runs one task per partition of each
 * sub-topology with its own `WatermarkTracker` over its input partitions (as the runtime does), and
 * moves records across repartition topics by hashing the new key with Kafka's murmur2. Processing
 * time is a driven clock: nothing depends on the real time, so a test gives the same result on
 * every run.
 *
 * Event time crosses a repartition topic as it does on the runtime (src/task/records.ts): every
 * task writing the topic sends a watermark marker (its watermark, and whether all its input
 * partitions are idle) into every partition of the topic, behind the records it wrote, and the
 * watermark of a repartition partition is the minimum over the latest markers of the upstream tasks
 * that are not idle (the largest, when all are). The records of a repartition topic do not move it.
 *
 * Per input record:
 *
 * 1. The record is appended to its topic partition (the key's partition unless one is given).
 * 2. The task of that partition extracts the event time of a stream record and has the tracker
 *    observe it; a record the extractor or the tracker rejects goes to the bad-record policy. A
 *    repartition record keeps the event time it was written with and moves nothing.
 * 3. If the task watermark moved, every operator of the task gets `onWatermark`, upstream first.
 * 4. The record runs through the task's operators, depth first.
 * 5. If the task's watermark or idleness changed since its last marker, its operators' `onCommit`
 *    runs (as it does before every marker on the runtime), then it sends a marker to every
 *    partition of every repartition topic it writes, after the records steps 3 to 5 wrote.
 * 6. Records and markers sent to repartition topics are delivered after that, in the order sent,
 *    until nothing is pending. A record goes through steps 2-6. A marker replaces its upstream
 *    task's latest marker at that partition; if the partition's watermark rose, the tracker
 *    observes it (as a record at the watermark plus `maxOutOfOrdernessMs`), then steps 3, 5 and 6.
 *
 * `advanceWallClock`, `advanceWatermark` and `restart` go through steps 3, 5 and 6 for every task,
 * sub-topology by sub-topology, upstream first.
 *
 * A record that fails in step 4 under the `skip` or `dlq` policy leaves nothing behind, as on the
 * runtime: what it sent and its late records are dropped, and what it wrote to stores, the
 * operators' in-memory indexes and their counters is rolled back (src/state/undo-log.ts).
 *
 * Stores are src/state's `MemoryStateStore`s, one per store and task. At every commit their
 * changelog entries are appended to the changelog topics (`<applicationId>-<store>-changelog`), and
 * `restart()` rebuilds every store from those topics alone, as a restore after a crash does. A
 * table read straight from a topic has no changelog topic: `restart()` rebuilds it from its source
 * topic, every record of which the driver has processed (its committed offset is the end).
 *
 * A global table is one store for all tasks. A record piped into its topic updates it at once;
 * `restart()` rebuilds it from every partition of the topic.
 */
import { FreshetError } from '../errors/index.ts'
import {
  jsonSerde,
  TaskGraph,
  tableEntry,
  type Keyed,
  type LateRecord,
  type Provenance,
  type ValueSerde,
} from '../operators/index.ts'
import { JsonSerializer, type Serializer } from '../serde/index.ts'
import { MemoryStateStore, UndoLog, type ChangelogEntry, type Revertible } from '../state/index.ts'
import {
  requireCoPartitioned,
  type GlobalSourceSpec,
  type SinkSpec,
  type SourceSpec,
  type StoreDescription,
  type Topology,
} from '../stream/index.ts'
import { timestampRejectionError, topicPartition, WatermarkTracker } from '../time/index.ts'
import {
  resolvePipeOptions,
  resolveTestDriverOptions,
  type PipeOptions,
  type ResolvedTestDriverOptions,
  type TestDriverOptions,
} from './options.ts'
import { partitionFor } from './partitioner.ts'
import { SourceDecoder } from './source-decoder.ts'
import { StoreView } from './store-view.ts'

/** A record in one of the driver's topics. */
export interface TestRecord<V = unknown, K = unknown> {
  readonly topic: string
  readonly partition: number
  readonly offset: bigint
  readonly key: K
  readonly value: V
  /** The Kafka record timestamp: for outputs, the event time of the result. */
  readonly timestampMs: number
  /** The value as the sink's serde wrote it, when the sink has one. */
  readonly bytes?: Buffer | undefined
}

/** A record the bad-record policy `dlq` set aside. */
export interface DeadLetter {
  readonly record: TestRecord
  readonly error: FreshetError
}

interface StoredRecord extends TestRecord {
  /** Where the record entered the application (kept through repartition topics). */
  readonly origin: Provenance | undefined
}

class TopicLog {
  readonly name: string
  readonly partitions: number
  readonly #byPartition: StoredRecord[][]
  readonly all: StoredRecord[] = []
  readPosition = 0

  constructor(name: string, partitions: number) {
    this.name = name
    this.partitions = partitions
    this.#byPartition = Array.from({ length: partitions }, () => [])
  }

  partition(partition: number): readonly StoredRecord[] {
    return this.#byPartition[partition] ?? []
  }

  append(record: Omit<StoredRecord, 'topic' | 'offset'>): StoredRecord {
    const log = this.#byPartition[record.partition] as StoredRecord[]
    const stored: StoredRecord = { ...record, topic: this.name, offset: BigInt(log.length) }
    log.push(stored)
    this.all.push(stored)
    return stored
  }
}

/** Thrown past the bad-record policy: see `serializeFor`. */
class SerdeNotReady extends FreshetError {}

/**
 * A sink's bytes for `value`. A serde that refuses for want of `init()` (FRESHET_INVALID_STATE) is
 * reported as the driver's setup, never as a bad record: under `dlq` every result would otherwise
 * become a dead letter.
 */
function serializeFor(sink: SinkSpec, value: unknown): Buffer | undefined {
  try {
    return sink.serde?.serialize(value)
  } catch (error) {
    if (error instanceof FreshetError && error.code === 'FRESHET_INVALID_STATE') {
      throw new SerdeNotReady(
        'INVALID_STATE',
        `TestDriver: the serde of sink ${sink.node} (topic ${sink.topic}) is not initialized; create the driver with \`await TestDriver.create(topology, options)\`, which initializes every sink's serde`,
        { cause: error, topic: sink.topic },
      )
    }
    throw error
  }
}

/** What an upstream task's latest marker said. */
interface UpstreamMark {
  readonly watermarkMs: number
  readonly idle: boolean
}

/** A watermark marker on its way to every partition of a repartition topic. */
interface PendingMarker {
  readonly topic: string
  /** The upstream task, `<subtopology>_<partition>`. */
  readonly task: string
  readonly mark: UpstreamMark
}

/** A record an operator sent, held until the record that caused it has gone through step 4. */
interface StagedSend {
  readonly log: TopicLog
  readonly record: Omit<StoredRecord, 'topic' | 'offset'>
}

/** What step 6 delivers: a record written to a repartition topic, or a marker. */
type Pending = { readonly record: StoredRecord } | { readonly marker: PendingMarker }

/**
 * The markers a repartition topic has carried. The runtime keeps them per partition; the driver
 * keeps one copy for all, which is the same: a marker reaches every partition of the topic at the
 * same place in the one order of delivery.
 */
interface RepartitionInput {
  /** The latest marker of every task writing the topic. */
  readonly upstream: Map<string, UpstreamMark>
  /** The tasks reading the topic, by partition. */
  readonly readers: DriverTask[]
}

/**
 * The watermark of a repartition partition, as on the runtime (`StreamTask#onMarker`): the minimum
 * over the upstream tasks that are not idle, or the largest when all are.
 */
function repartitionWatermarkMs(upstream: ReadonlyMap<string, UpstreamMark>): number {
  let activeMs = Infinity
  let idleMs = -Infinity
  let active = 0
  for (const mark of upstream.values()) {
    if (mark.idle) idleMs = Math.max(idleMs, mark.watermarkMs)
    else {
      active++
      activeMs = Math.min(activeMs, mark.watermarkMs)
    }
  }
  return active > 0 ? activeMs : idleMs
}

class DriverTask {
  readonly id: string
  readonly subtopology: number
  readonly partition: number
  stores = new Map<string, MemoryStateStore>()
  tracker: WatermarkTracker
  graph!: TaskGraph
  /** The repartition topics this task writes: step 5 sends markers to each of their partitions. */
  readonly repartitionOutputs: string[]
  /** By repartition topic read: the partition watermark last fed to the tracker. */
  readonly fedMs = new Map<string, number>()
  /** Set by `advanceWatermark`: the task watermark is at least this. */
  floorMs = -Infinity
  /** The last watermark the operators were given. */
  deliveredMs = -Infinity
  /** What the last marker said; before the first one, what a task that has seen nothing would. */
  marked: UpstreamMark = { watermarkMs: -Infinity, idle: false }

  constructor(
    subtopology: number,
    partition: number,
    tracker: WatermarkTracker,
    repartitionOutputs: string[],
  ) {
    this.id = `${subtopology}_${partition}`
    this.subtopology = subtopology
    this.partition = partition
    this.tracker = tracker
    this.repartitionOutputs = repartitionOutputs
  }

  get watermarkMs(): number {
    return Math.max(this.tracker.watermarkMs, this.floorMs)
  }

  /** Every input partition is idle: the task does not hold back the watermark of those it writes. */
  get idle(): boolean {
    return this.tracker.partitionWatermarks().every((p) => p.idle)
  }

  /** Step 3: operators learn of a watermark that moved. */
  deliverWatermark(): void {
    const watermarkMs = this.watermarkMs
    if (watermarkMs > this.deliveredMs) {
      this.deliveredMs = watermarkMs
      this.graph.onWatermark(watermarkMs)
    }
  }

  /** Step 5: the marker to send, when the watermark or the idleness changed since the last one. */
  nextMark(): UpstreamMark | undefined {
    if (this.repartitionOutputs.length === 0) return undefined
    const mark = { watermarkMs: this.watermarkMs, idle: this.idle }
    if (mark.watermarkMs === this.marked.watermarkMs && mark.idle === this.marked.idle) return undefined
    this.marked = mark
    return mark
  }

  /**
   * Step 6: the watermark of this task's partition of repartition topic `topic` is `watermarkMs`.
   * Returns whether the tracker took it (it has risen).
   */
  feed(topic: string, watermarkMs: number, nowMs: number): boolean {
    // An infinite watermark only comes from `advanceWatermark(Infinity)`, whose floor covers it.
    if (!Number.isFinite(watermarkMs) || watermarkMs <= (this.fedMs.get(topic) ?? -Infinity)) return false
    // The tracker's partition watermark is its largest timestamp minus the bound. A rejection (a
    // floor beyond `maxFutureSkewMs`) leaves the partition where it was: the floor covers it too.
    const verdict = this.tracker.observe(
      topicPartition(topic, this.partition),
      watermarkMs + this.tracker.maxOutOfOrdernessMs,
      nowMs,
    )
    if (!verdict.ok) return false
    this.fedMs.set(topic, watermarkMs)
    return true
  }
}

export class TestDriver {
  readonly topology: Topology
  readonly #options: ResolvedTestDriverOptions
  readonly #logs = new Map<string, TopicLog>()
  readonly #readers = new Map<string, SourceSpec>()
  readonly #sinks = new Map<string, SinkSpec>()
  /** The Avro decoding of each source topic with a schema, as a worker reads it. */
  readonly #sourceDecoders = new Map<string, SourceDecoder>()
  /** A checker of the values sent by each sink with a schema and no serde (the runtime encodes them). */
  readonly #schemaChecks = new Map<string, Serializer<unknown>>()
  readonly #taskCounts = new Map<number, number>()
  readonly #tasks: DriverTask[] = []
  /** Tasks by sub-topology, by partition. */
  readonly #tasksBySubtopology = new Map<number, DriverTask[]>()
  /** By topic: the markers each repartition topic has carried. */
  readonly #repartitionInputs = new Map<string, RepartitionInput>()
  readonly #pending: Pending[] = []
  readonly #late: LateRecord<unknown>[] = []
  readonly #deadLetters: DeadLetter[] = []
  readonly #metrics = new Map<string, Map<string, number>>()
  /** The running record's changes (stores, operators, counters), for a rollback. */
  readonly #undo = new UndoLog()
  /** Takes back an operator counter's increment: (node, metric name, value before, or undefined). */
  readonly #metricUndo: Revertible = {
    revert: (node, name, previous) => {
      const counters = this.#metrics.get(node as string) as Map<string, number>
      if (previous !== undefined) counters.set(name as string, previous as number)
      else if (counters.delete(name as string) && counters.size === 0) this.#metrics.delete(node as string)
    },
  }
  /** While a record runs through step 4: what it sent, written once it has gone through. */
  #staged: StagedSend[] | undefined
  /** Operators' gauges by task, then node: summed over tasks by metrics(). */
  readonly #gauges = new Map<DriverTask, Map<string, Map<string, number>>>()
  readonly #storeDescriptions: Map<string, StoreDescription>
  /** Global tables by topic, and their stores (one for every task) by store name. */
  readonly #globals = new Map<string, GlobalSourceSpec>()
  readonly #globalStores = new Map<string, MemoryStateStore>()
  #nowMs: number
  #closed = false

  /**
   * A driver whose sinks' serdes are initialized: an Avro serializer registers its schema (give it
   * a `MemoryRegistry`). `new TestDriver(...)` does not initialize them, and a sink whose serde
   * needs it then fails the first record it writes, with a FRESHET_INVALID_STATE that says so.
   */
  static async create(topology: Topology, options: TestDriverOptions = {}): Promise<TestDriver> {
    const driver = new TestDriver(topology, options)
    for (const serde of new Set(topology.sinks().map((sink) => sink.serde))) await serde?.init()
    return driver
  }

  constructor(topology: Topology, options: TestDriverOptions = {}) {
    this.topology = topology
    this.#options = resolveTestDriverOptions(options)
    this.#nowMs = this.#options.startMs
    this.#storeDescriptions = new Map(topology.description.stores.map((s) => [s.name, s]))
    for (const source of topology.sources()) this.#readers.set(source.topic, source)
    for (const source of topology.sources()) {
      if (source.kind !== 'repartition' && source.schema !== undefined) {
        this.#sourceDecoders.set(source.topic, new SourceDecoder(source.schema))
      }
    }
    for (const sink of topology.sinks()) {
      this.#sinks.set(sink.node, sink)
      if (sink.serde === undefined && sink.schema !== undefined) {
        this.#schemaChecks.set(sink.node, new JsonSerializer({ schema: sink.schema }))
      }
    }
    for (const global of topology.globalSources()) {
      if (global.schema !== undefined)
        this.#sourceDecoders.set(global.topic, new SourceDecoder(global.schema))
      this.#globals.set(global.topic, global)
      this.#globalStores.set(global.store, new MemoryStateStore({ name: global.store, changelog: false }))
      const partitions = this.#options.topics[global.topic]?.partitions ?? this.#options.partitions
      this.#logs.set(global.topic, new TopicLog(global.topic, partitions))
    }
    this.#planPartitions()
    for (const sub of topology.description.subtopologies) {
      const count = this.#taskCounts.get(sub.id) as number
      const tasks: DriverTask[] = []
      for (let partition = 0; partition < count; partition++) tasks.push(this.#createTask(sub.id, partition))
      this.#tasks.push(...tasks)
      this.#tasksBySubtopology.set(sub.id, tasks)
    }
    this.#planMarkers()
    for (const task of this.#tasks) task.graph.open()
    // A task without input partitions is idle from the start: it must say so, or the tasks it
    // writes to would wait for its marker forever.
    for (const task of this.#tasks) this.#mark(task)
    this.#drain()
  }

  /** The wall clock (processing time) of the driver. */
  get nowMs(): number {
    return this.#nowMs
  }

  /** A handle to pipe records into an input topic (a stream, table or repartition topic). */
  input<V = unknown, K = unknown>(topic: string): TestInput<V, K> {
    this.#open()
    if (!this.#readers.has(topic) && !this.#globals.has(topic)) {
      throw new FreshetError('TOPIC_NOT_FOUND', `TestDriver: no source reads topic "${topic}"`, {
        topic,
        details: { inputs: [...this.#readers.keys(), ...this.#globals.keys()].sort() },
      })
    }
    return new TestInput<V, K>(this, topic)
  }

  /** A handle to read what the topology wrote to a topic (sinks, and repartition topics). */
  output<V = unknown, K = unknown>(topic: string): TestOutput<V, K> {
    const log = this.#logs.get(topic)
    const written =
      [...this.#sinks.values()].some((sink) => sink.topic === topic) ||
      [...this.#storeDescriptions.values()].some(
        (store) => !store.sourceChangelog && store.changelogTopic === topic,
      )
    if (log === undefined || !written) {
      throw new FreshetError('TOPIC_NOT_FOUND', `TestDriver: no sink writes topic "${topic}"`, {
        topic,
        details: { outputs: [...new Set([...this.#sinks.values()].map((s) => s.topic))].sort() },
      })
    }
    return new TestOutput<V, K>(log)
  }

  /** Every late record any operator reported, in the order reported. */
  late<V = unknown, K = unknown>(): LateRecord<V, K>[] {
    return [...this.#late] as LateRecord<V, K>[]
  }

  /** Records the `dlq` policy set aside. */
  deadLetters(): DeadLetter[] {
    return [...this.#deadLetters]
  }

  /**
   * Counters and gauges per node, summed over tasks: `{ 'count-3': { recordsLate: 2, openWindows: 5 } }`.
   * Gauges (a windowed operator's `openWindows`) are as of the last commit.
   */
  metrics(): Record<string, Record<string, number>> {
    const sums = new Map<string, Map<string, number>>()
    const add = (node: string, figures: Map<string, number>): void => {
      const sum = sums.get(node) ?? new Map<string, number>()
      sums.set(node, sum)
      for (const [name, value] of figures) sum.set(name, (sum.get(name) ?? 0) + value)
    }
    for (const [node, counters] of this.#metrics) add(node, counters)
    for (const byNode of this.#gauges.values()) for (const [node, gauges] of byNode) add(node, gauges)
    const out: Record<string, Record<string, number>> = {}
    for (const [node, figures] of [...sums].sort(([a], [b]) => (a < b ? -1 : 1))) {
      out[node] = Object.fromEntries([...figures].sort(([a], [b]) => (a < b ? -1 : 1)))
    }
    return out
  }

  /** A store's contents over all tasks, decoded. */
  store(name: string): StoreView {
    const global = [...this.#globals.values()].find((g) => g.store === name)
    if (global !== undefined) {
      const table = this.topology.description.globalTables.find((g) => g.store === name)
      const view: StoreDescription = {
        name,
        kind: 'global-table',
        changelogTopic: global.topic,
        sourceChangelog: true,
        owner: global.node,
        nodes: [global.node, ...(table?.nodes ?? [])],
        format: table?.format ?? 'json',
        subtopology: -1,
      }
      return new StoreView(view, [{ partition: 0, store: this.#globalStores.get(name) as MemoryStateStore }])
    }
    const description = this.#storeDescriptions.get(name)
    if (description === undefined) {
      throw new FreshetError('INVALID_OPTION', `TestDriver: the topology has no store "${name}"`, {
        details: { stores: [...this.#storeDescriptions.keys(), ...this.#globalStores.keys()].sort() },
      })
    }
    const parts = this.#tasks
      .filter((task) => task.subtopology === description.subtopology)
      .map((task) => ({ partition: task.partition, store: task.stores.get(name) as MemoryStateStore }))
    return new StoreView(description, parts)
  }

  /** The watermark of each task, by `<subtopology>_<partition>` (Kafka Streams' task id). */
  watermarks(): Record<string, number> {
    return Object.fromEntries(this.#tasks.map((t) => [`${t.subtopology}_${t.partition}`, t.watermarkMs]))
  }

  /** Partition count of a topic as the driver runs it. */
  partitionsOf(topic: string): number {
    const log = this.#logs.get(topic)
    if (log === undefined)
      throw new FreshetError('TOPIC_NOT_FOUND', `TestDriver: unknown topic "${topic}"`, { topic })
    return log.partitions
  }

  /**
   * Moves the wall clock forward: partitions quiet for `idleTimeoutMs` become idle (which may move
   * watermarks), and operators commit at every `commitIntervalMs` passed.
   */
  advanceWallClock(ms: number): void {
    this.#open()
    if (!Number.isSafeInteger(ms) || ms < 0) {
      throw new FreshetError(
        'INVALID_OPTION',
        `advanceWallClock: expected whole milliseconds >= 0, got ${String(ms)}`,
      )
    }
    const beforeMs = this.#nowMs
    this.#nowMs += ms
    for (const sub of this.#subtopologyIds()) {
      for (const task of this.#tasksOf(sub)) {
        task.tracker.advanceIdle(this.#nowMs)
        task.deliverWatermark()
        this.#mark(task)
      }
      this.#drain()
    }
    const interval = this.#options.commitIntervalMs
    if (Math.floor(this.#nowMs / interval) > Math.floor(beforeMs / interval)) this.commit()
  }

  /**
   * Raises every task's watermark to at least `watermarkMs`, sub-topology by sub-topology, upstream
   * first: the results a sub-topology emits reach the next one before the watermark does, as they
   * would travel ahead of it through a repartition topic. `advanceWatermark(Infinity)` closes every
   * window: the end of the input.
   */
  advanceWatermark(watermarkMs: number): void {
    this.#open()
    if (typeof watermarkMs !== 'number' || Number.isNaN(watermarkMs)) {
      throw new FreshetError(
        'INVALID_OPTION',
        `advanceWatermark: expected a number, got ${String(watermarkMs)}`,
      )
    }
    for (const sub of this.#subtopologyIds()) {
      for (const task of this.#tasksOf(sub)) {
        if (watermarkMs > task.floorMs) task.floorMs = watermarkMs
        task.deliverWatermark()
        this.#mark(task)
      }
      this.#drain()
    }
  }

  /**
   * What the runtime does at a commit, without the transaction: every operator's `onCommit`, then
   * every store's changelog entries appended to its changelog topic. The driver commits on the
   * commit interval of the wall clock as well.
   */
  commit(): void {
    this.#open()
    for (const task of this.#tasks) task.graph.onCommit()
    this.#drain()
    for (const task of this.#tasks) {
      for (const [name, store] of task.stores) {
        const description = this.#storeDescriptions.get(name) as StoreDescription
        // The source topic is the changelog: the store logs nothing.
        if (description.sourceChangelog) continue
        const log = this.#logs.get(description.changelogTopic) as TopicLog
        for (const entry of store.drainChangelog()) {
          log.append({
            partition: task.partition,
            key: entry.key,
            value: entry.value,
            timestampMs: this.#nowMs,
            origin: undefined,
          })
        }
      }
    }
  }

  /**
   * Simulates a crash after a commit and a restore: every operator is closed, every store is rebuilt
   * from its changelog topic alone into a new store, each task's watermark is restored from a
   * snapshot, and new operator instances open over the restored stores. A pipeline must produce
   * the same output with or without restarts in between.
   */
  async restart(): Promise<void> {
    this.#open()
    this.commit()
    for (const task of this.#tasks) task.graph.close()
    // A global table is rebuilt from every partition of its topic, before the tasks open over it.
    for (const global of this.#globals.values()) {
      const log = this.#logs.get(global.topic) as TopicLog
      const store = new MemoryStateStore({ name: global.store, changelog: false })
      await store.restore(this.#tableEntries(log.all, global.serde))
      await this.#globalStores.get(global.store)?.close()
      this.#globalStores.set(global.store, store)
    }
    for (const task of this.#tasks) {
      const restored = new Map<string, MemoryStateStore>()
      for (const name of task.stores.keys()) {
        const description = this.#storeDescriptions.get(name) as StoreDescription
        const store = new MemoryStateStore({ name, changelog: !description.sourceChangelog })
        const records = (this.#logs.get(description.changelogTopic) as TopicLog).partition(task.partition)
        const entries = description.sourceChangelog
          ? this.#tableEntries(records, this.#tableSerdes().get(name))
          : records.map((r): ChangelogEntry => ({ key: r.key as Buffer, value: r.value as Buffer | null }))
        await store.restore(entries, BigInt(records.length))
        store.setUndoLog(this.#undo)
        restored.set(name, store)
      }
      await Promise.all([...task.stores.values()].map((store) => store.close()))
      task.stores = restored
      // A repartition partition is in the snapshot like any other (its largest timestamp is the
      // watermark fed plus the bound). The latest markers, and what each task was fed, are kept:
      // the upstream tasks would send the same again, with their watermarks restored too.
      const snapshot = task.tracker.snapshot()
      task.tracker = this.#newTracker()
      task.tracker.restore(snapshot, this.#nowMs)
      task.graph = this.#newGraph(task)
      task.graph.open()
      task.deliveredMs = -Infinity
    }

    for (const sub of this.#subtopologyIds()) {
      for (const task of this.#tasksOf(sub)) {
        task.deliverWatermark()
        this.#mark(task)
      }
      this.#drain()
    }
  }

  /** Closes every operator and store; the driver cannot be used afterwards. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    for (const task of this.#tasks) task.graph.close()
    await Promise.all(this.#tasks.flatMap((task) => [...task.stores.values()].map((store) => store.close())))
    await Promise.all([...this.#globalStores.values()].map((store) => store.close()))
  }

  /** The serdes of the tables read straight from topics, by store. */
  #tableSerdes(): Map<string, ValueSerde<unknown> | undefined> {
    const serdes = new Map<string, ValueSerde<unknown> | undefined>()
    for (const source of this.topology.sources()) {
      if (source.table !== undefined) serdes.set(source.table.store, source.table.serde)
    }
    return serdes
  }

  /** What a table's records leave in its store, in order; records without a key were refused. */
  #tableEntries(records: readonly StoredRecord[], serde: ValueSerde<unknown> | undefined): ChangelogEntry[] {
    const entries: ChangelogEntry[] = []
    for (const record of records) {
      if (record.key === null || record.key === undefined) continue
      entries.push(tableEntry(record.key, record.value, serde ?? jsonSerde()))
    }
    return entries
  }

  /** A record piped into a global table's topic: the table takes it at once, for every task. */
  #updateGlobal(global: GlobalSourceSpec, record: StoredRecord): void {
    if (record.key === null || record.key === undefined) {
      this.#badRecord(
        global.node,
        record,
        new FreshetError('RECORD_KEY_NULL', `global table ${global.node}: a record without a key`, {
          topic: record.topic,
          partition: record.partition,
          offset: record.offset,
        }),
      )
      return
    }
    const store = this.#globalStores.get(global.store) as MemoryStateStore
    const entry = tableEntry(record.key, record.value, global.serde ?? jsonSerde())
    if (entry.value === null) store.delete(entry.key)
    else store.put(entry.key, entry.value)
  }

  /** @internal Steps 1-5 for a record piped by a `TestInput`. */
  pipe(topic: string, value: unknown, options: PipeOptions<unknown>): TestRecord {
    this.#open()
    const { key, timestampMs, partition, writerSchema } = resolvePipeOptions<unknown>(options)
    const log = this.#logs.get(topic) as TopicLog
    const decoder = this.#sourceDecoders.get(topic)
    if (writerSchema !== undefined && decoder === undefined) {
      throw new FreshetError(
        'INVALID_OPTION',
        `pipe: "${topic}" is read by no source with a schema, so a writerSchema means nothing there`,
        { topic, details: { option: 'writerSchema' } },
      )
    }
    if (partition !== undefined && partition >= log.partitions) {
      throw new FreshetError(
        'INVALID_OPTION',
        `pipe: topic "${topic}" has ${log.partitions} partitions, no ${partition}`,
        {
          topic,
          details: { option: 'partition' },
        },
      )
    }
    // Step 1: what a worker's source would decode (see SourceDecoder), then the log.
    const stored = log.append({
      partition: partition ?? partitionFor(key, log.partitions),
      key,
      // A tombstone (null) is no Avro value: tables take it as a delete, as on a worker.
      value: decoder === undefined || value === null ? value : decoder.decode(topic, value, writerSchema),
      timestampMs: timestampMs ?? this.#nowMs,
      origin: undefined,
    })
    const global = this.#globals.get(topic)
    if (global !== undefined) {
      this.#updateGlobal(global, stored)
      return stored
    }
    this.#deliver({ record: stored })
    this.#drain()
    return stored
  }

  /** Steps 2-5 for a record, or step 6 for a marker. */
  #deliver(pending: Pending): void {
    if ('marker' in pending) {
      this.#deliverMarker(pending.marker)
      return
    }
    const { record } = pending
    const reader = this.#readers.get(record.topic)
    if (reader === undefined) return
    const task = this.#tasksOf(reader.subtopology)[record.partition]
    if (task === undefined) {
      throw new FreshetError(
        'INVALID_STATE',
        `TestDriver: no task for partition ${record.partition} of "${record.topic}"`,
      )
    }
    // Step 5
    if (this.#process(task, reader, record)) this.#mark(task)
  }

  /** Step 6 for a marker, at every partition of its topic in turn. */
  #deliverMarker(marker: PendingMarker): void {
    const input = this.#repartitionInputs.get(marker.topic) as RepartitionInput
    input.upstream.set(marker.task, marker.mark)
    const watermarkMs = repartitionWatermarkMs(input.upstream)
    for (const task of input.readers) {
      if (!task.feed(marker.topic, watermarkMs, this.#nowMs)) continue
      task.deliverWatermark()
      this.#mark(task)
    }
  }

  /** Steps 2-4; false when the bad-record policy took the record. */
  #process(task: DriverTask, reader: SourceSpec, record: StoredRecord): boolean {
    const source: Provenance = record.origin ?? {
      topic: record.topic,
      partition: record.partition,
      offset: record.offset,
    }
    const keyed: Keyed<unknown> = { key: record.key, value: record.value, source }
    if (reader.kind === 'table') {
      task.graph.process(reader.node, keyed, record.timestampMs)
      return true
    }
    // Step 2
    let timestampMs = record.timestampMs
    if (reader.kind === 'stream') {
      const location = { topic: record.topic, partition: record.partition, offset: record.offset }
      try {
        timestampMs = reader.timestamp(record.value, { ...location, timestampMs: record.timestampMs })
      } catch (error) {
        this.#badRecord(reader.node, record, error)
        return false
      }
      const verdict = task.tracker.observe(
        topicPartition(record.topic, record.partition),
        timestampMs,
        this.#nowMs,
      )
      if (!verdict.ok) {
        this.#badRecord(reader.node, record, timestampRejectionError(verdict, location))
        return false
      }
      // Step 3
      task.deliverWatermark()
    }
    // Step 4. What user code throws, and a record a keyed operator refuses, meet the bad-record
    // policy as in the runtime, counted at the operator that failed, and leave nothing behind.
    const staged: StagedSend[] = []
    const lateMark = this.#late.length
    this.#staged = staged
    this.#undo.begin()
    try {
      task.graph.process(reader.node, keyed, timestampMs)
      this.#undo.end()
    } catch (error) {
      this.#undo.rollback()
      this.#late.length = lateMark
      // A serde the driver was not given ready is the test's mistake, not the record's.
      if (error instanceof SerdeNotReady) throw error
      const operator = error instanceof FreshetError ? error.details?.operator : undefined
      this.#badRecord(typeof operator === 'string' ? operator : reader.node, record, error)
      return false
    } finally {
      this.#staged = undefined
    }
    for (const send of staged) this.#write(send)
    return true
  }

  /** Step 5: a marker behind what the task has written, when its watermark or idleness changed. */
  #mark(task: DriverTask): void {
    const mark = task.nextMark()
    if (mark === undefined) return
    // On the runtime markers are written at commits, after the operators' onCommit: what a
    // combiner holds (src/operators/window-combine.ts) goes ahead of the marker.
    task.graph.onCommit()
    for (const topic of task.repartitionOutputs)
      this.#pending.push({ marker: { topic, task: task.id, mark } })
  }

  /** Step 6: records and markers sent to repartition topics, in the order sent. */
  #drain(): void {
    for (let next = this.#pending.shift(); next !== undefined; next = this.#pending.shift())
      this.#deliver(next)
  }

  #badRecord(node: string, record: StoredRecord, error: unknown): void {
    const freshetError =
      error instanceof FreshetError
        ? error
        : new FreshetError('TIMESTAMP_INVALID', `timestamp extraction failed: ${String(error)}`, {
            cause: error,
          })
    if (this.#options.onBadRecord === 'fail') throw freshetError
    this.#count(node, this.#options.onBadRecord === 'skip' ? 'recordsSkipped' : 'recordsDeadLettered', 1)
    if (this.#options.onBadRecord === 'dlq')
      this.#deadLetters.push({ record: publicRecord(record), error: freshetError })
  }

  #send(topic: string, record: Keyed<unknown>, timestampMs: number, node: string): void {
    const log = this.#logs.get(topic) as TopicLog
    const sink = this.#sinks.get(node)
    // Serialized (or checked against the sink's schema) at once, so that a value the sink rejects
    // fails the record that sent it.
    this.#schemaChecks.get(node)?.serialize(record.value)
    const bytes = sink?.serde === undefined ? undefined : serializeFor(sink, record.value)
    const send: StagedSend = {
      log,
      record: {
        partition: partitionFor(record.key, log.partitions),
        key: record.key,
        value: record.value,
        // A sink that writes processing time writes the driver's wall clock.
        timestampMs: sink?.recordTimestamp === 'processing-time' ? this.#nowMs : timestampMs,
        bytes,
        origin: record.source,
      },
    }
    if (this.#staged !== undefined) this.#staged.push(send)
    else this.#write(send)
  }

  #write(send: StagedSend): void {
    const stored = send.log.append(send.record)
    if (this.#readers.has(send.log.name)) this.#pending.push({ record: stored })
  }

  #setGauge(task: DriverTask, node: string, name: string, value: number): void {
    const byNode = this.#gauges.get(task) ?? new Map<string, Map<string, number>>()
    this.#gauges.set(task, byNode)
    const gauges = byNode.get(node) ?? new Map<string, number>()
    byNode.set(node, gauges)
    gauges.set(name, value)
  }

  #count(node: string, name: string, by: number): void {
    let counters = this.#metrics.get(node)
    if (counters === undefined) {
      counters = new Map()
      this.#metrics.set(node, counters)
    }
    const previous = counters.get(name)
    this.#undo.log(this.#metricUndo, node, name, previous)
    counters.set(name, (previous ?? 0) + by)
  }

  #newTracker(): WatermarkTracker {
    return new WatermarkTracker({
      maxOutOfOrdernessMs: this.#options.maxOutOfOrdernessMs,
      idleTimeoutMs: this.#options.idleTimeoutMs,
      maxFutureSkewMs: this.#options.maxFutureSkewMs,
      clock: () => this.#nowMs,
    })
  }

  #createTask(subtopology: number, partition: number): DriverTask {
    const read = this.topology
      .sources()
      .filter((s) => s.subtopology === subtopology && s.kind !== 'table')
      .filter((s) => partition < (this.#logs.get(s.topic) as TopicLog).partitions)
    const repartitionSinks = [...this.#sinks.values()].filter((s) => s.kind === 'repartition')
    const written = repartitionSinks.filter((s) => s.subtopology === subtopology).map((s) => s.topic)
    const task = new DriverTask(subtopology, partition, this.#newTracker(), [...new Set(written)])
    task.tracker.assign(
      read.map((s) => topicPartition(s.topic, partition)),
      this.#nowMs,
    )
    const sub = this.topology.description.subtopologies.find((s) => s.id === subtopology)
    for (const name of sub?.stores ?? []) {
      const sourceChangelog = (this.#storeDescriptions.get(name) as StoreDescription).sourceChangelog
      const store = new MemoryStateStore({ name, changelog: !sourceChangelog })
      store.setUndoLog(this.#undo)
      task.stores.set(name, store)
    }
    task.graph = this.#newGraph(task)
    return task
  }

  #newGraph(task: DriverTask): TaskGraph {
    return new TaskGraph(this.topology.graphNodes(task.subtopology), task.subtopology, task.partition, {
      store: (name) => {
        const store = task.stores.get(name) ?? this.#globalStores.get(name)
        if (store === undefined) {
          throw new FreshetError(
            'TOPOLOGY_INVALID',
            `store "${name}" is not in sub-topology ${task.subtopology}`,
          )
        }
        return store
      },
      send: (topic, record, timestampMs, node) => this.#send(topic, record, timestampMs, node),
      late: (record) => this.#late.push(record),
      metric: (node, name, by) => this.#count(node, name, by),
      gauge: (node, name, value) => this.#setGauge(task, node, name, value),
      undo: this.#undo,
    })
  }

  /**
   * Who writes and who reads each repartition topic. Every writing task has a say, and has said
   * nothing yet: until each has sent a marker the topic's watermark stays at -Infinity, as on the
   * runtime.
   */
  #planMarkers(): void {
    for (const sink of this.#sinks.values()) {
      if (sink.kind !== 'repartition') continue
      const reader = this.#readers.get(sink.topic) as SourceSpec
      let input = this.#repartitionInputs.get(sink.topic)
      if (input === undefined) {
        const partitions = (this.#logs.get(sink.topic) as TopicLog).partitions
        input = { upstream: new Map(), readers: this.#tasksOf(reader.subtopology).slice(0, partitions) }
        this.#repartitionInputs.set(sink.topic, input)
      }
      for (const task of this.#tasksOf(sink.subtopology)) {
        input.upstream.set(task.id, { watermarkMs: -Infinity, idle: false })
      }
    }
  }

  /**
   * Partition counts: input and sink topics from the options; a repartition topic gets the count
   * asked in `keyBy`, else that of the inputs it is joined with, else the task count of the
   * sub-topology writing it. A sub-topology with a join or a table needs co-partitioned inputs.
   */
  #planPartitions(): void {
    const { description } = this.topology
    const configured = (topic: string): number =>
      this.#options.topics[topic]?.partitions ?? this.#options.partitions
    const sinksByTopic = new Map<string, SinkSpec>()
    for (const sink of this.topology.sinks()) sinksByTopic.set(sink.topic, sink)
    for (const sub of description.subtopologies) {
      const sources = this.topology.sources().filter((s) => s.subtopology === sub.id)
      const external = sources.filter((s) => s.kind !== 'repartition').map((s) => configured(s.topic))
      const joined = description.nodes.some(
        (n) =>
          n.subtopology === sub.id &&
          (n.kind === 'table' || n.kind === 'stream-table-join' || n.kind === 'interval-join-side'),
      )
      for (const source of sources) {
        let partitions: number
        if (source.kind !== 'repartition') partitions = configured(source.topic)
        else {
          const writer = sinksByTopic.get(source.topic) as SinkSpec
          partitions =
            writer.partitions ??
            (joined && external.length > 0
              ? Math.max(...external)
              : (this.#taskCounts.get(writer.subtopology) ?? Math.max(this.#options.partitions, ...external)))
        }
        this.#logs.set(source.topic, new TopicLog(source.topic, partitions))
      }
      const counts = sources.map((s) => (this.#logs.get(s.topic) as TopicLog).partitions)
      if (joined)
        requireCoPartitioned(
          sub.id,
          sources.map((s) => s.topic),
          counts,
        )
      const tasks = Math.max(1, ...counts)
      this.#taskCounts.set(sub.id, tasks)
      for (const store of sub.stores) {
        const description = this.#storeDescriptions.get(store) as StoreDescription
        // A table's source topic is its changelog, and has its log already.
        if (description.sourceChangelog) continue
        this.#logs.set(description.changelogTopic, new TopicLog(description.changelogTopic, tasks))
      }
      for (const topic of sub.sinkTopics) {
        if (!this.#logs.has(topic) && sinksByTopic.get(topic)?.kind === 'sink') {
          this.#logs.set(topic, new TopicLog(topic, configured(topic)))
        }
      }
    }
  }

  #subtopologyIds(): number[] {
    return this.topology.description.subtopologies.map((s) => s.id)
  }

  #tasksOf(subtopology: number): DriverTask[] {
    return this.#tasksBySubtopology.get(subtopology) ?? []
  }

  #open(): void {
    if (this.#closed) throw new FreshetError('INVALID_STATE', 'TestDriver: closed')
  }
}

function publicRecord(record: StoredRecord): TestRecord {
  const { origin: _origin, ...rest } = record
  return rest
}

/** Pipes records into one input topic. */
export class TestInput<V, K> {
  readonly topic: string
  readonly #driver: TestDriver

  constructor(driver: TestDriver, topic: string) {
    this.#driver = driver
    this.topic = topic
  }

  /** Writes one record and runs it (and everything it causes) through the topology. */
  pipe(value: V, options: PipeOptions<K> = {}): TestRecord<V, K> {
    return this.#driver.pipe(this.topic, value, options) as TestRecord<V, K>
  }

  /** `pipe` for each value; `options` may be a function of the value and its index. */
  pipeMany(
    values: Iterable<V>,
    options: PipeOptions<K> | ((value: V, index: number) => PipeOptions<K>) = {},
  ): void {
    let index = 0
    for (const value of values) {
      this.pipe(value, typeof options === 'function' ? options(value, index) : options)
      index++
    }
  }
}

/** Reads what the topology wrote to one topic, in the order written (across partitions). */
export class TestOutput<V, K> {
  readonly topic: string
  readonly #log: TopicLog

  constructor(log: TopicLog) {
    this.#log = log
    this.topic = log.name
  }

  /** Records written since the last `readAll` / `readValues`, and marks them read. */
  readAll(): TestRecord<V, K>[] {
    const records = this.#log.all.slice(this.#log.readPosition).map(publicRecord)
    this.#log.readPosition = this.#log.all.length
    return records as TestRecord<V, K>[]
  }

  /** The values of `readAll()`. */
  readValues(): V[] {
    return this.readAll().map((r) => r.value)
  }

  /** Every record ever written, read or not. */
  records(): TestRecord<V, K>[] {
    return this.#log.all.map(publicRecord) as TestRecord<V, K>[]
  }

  /** Records not read yet. */
  get size(): number {
    return this.#log.all.length - this.#log.readPosition
  }

  get isEmpty(): boolean {
    return this.size === 0
  }
}
