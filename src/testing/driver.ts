/**
 * Runs a topology in-process, deterministically, without Kafka: the TopologyTestDriver idea.
 *
 * The driver keeps every topic as in-memory partitions, runs one task per partition of each
 * sub-topology with its own `WatermarkTracker` over its input partitions (as the runtime will), and
 * moves records across repartition topics by hashing the new key with Kafka's murmur2. Processing
 * time is a driven clock: nothing depends on the real time, so a test gives the same result on
 * every run.
 *
 * Per input record:
 *
 * 1. The record is appended to its topic partition (the key's partition unless one is given).
 * 2. The task of that partition extracts the event time and has the tracker observe it; a record
 *    the extractor or the tracker rejects goes to the bad-record policy.
 * 3. If the task watermark moved, every operator of the task gets `onWatermark`, upstream first.
 * 4. The record runs through the task's operators, depth first.
 * 5. Records written to repartition topics are delivered to their tasks after that, in the order
 *    written, each going through steps 2-5 in turn, until nothing is pending.
 *
 * Stores are src/state's `MemoryStateStore`s, one per store and task. At every commit their
 * changelog entries are appended to the changelog topics (`<applicationId>-<store>-changelog`), and
 * `restart()` rebuilds every store from those topics alone, as a restore after a crash does.
 */
import { FreshetError } from '../errors/index.ts'
import { TaskGraph, type Keyed, type LateRecord, type Provenance } from '../operators/index.ts'
import { MemoryStateStore, type ChangelogEntry } from '../state/index.ts'
import type { SinkSpec, SourceSpec, StoreDescription, Topology } from '../stream/index.ts'
import { timestampRejectionError, topicPartition, WatermarkTracker } from '../time/index.ts'
import {
  resolvePipeOptions,
  resolveTestDriverOptions,
  type PipeOptions,
  type ResolvedTestDriverOptions,
  type TestDriverOptions,
} from './options.ts'
import { partitionFor } from './partitioner.ts'
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

class DriverTask {
  readonly subtopology: number
  readonly partition: number
  stores = new Map<string, MemoryStateStore>()
  /** The input partitions whose records move the watermark (tables do not). */
  readonly trackedPartitions: string[]
  tracker: WatermarkTracker
  graph!: TaskGraph
  /** Set by `advanceWatermark`: the task watermark is at least this. */
  floorMs = -Infinity
  /** The last watermark the operators were given. */
  deliveredMs = -Infinity

  constructor(
    subtopology: number,
    partition: number,
    tracker: WatermarkTracker,
    trackedPartitions: string[],
  ) {
    this.subtopology = subtopology
    this.partition = partition
    this.tracker = tracker
    this.trackedPartitions = trackedPartitions
  }

  get watermarkMs(): number {
    return Math.max(this.tracker.watermarkMs, this.floorMs)
  }

  /** Step 3: operators learn of a watermark that moved. */
  deliverWatermark(): void {
    const watermarkMs = this.watermarkMs
    if (watermarkMs > this.deliveredMs) {
      this.deliveredMs = watermarkMs
      this.graph.onWatermark(watermarkMs)
    }
  }
}

export class TestDriver {
  readonly topology: Topology
  readonly #options: ResolvedTestDriverOptions
  readonly #logs = new Map<string, TopicLog>()
  readonly #readers = new Map<string, SourceSpec>()
  readonly #sinks = new Map<string, SinkSpec>()
  readonly #taskCounts = new Map<number, number>()
  readonly #tasks: DriverTask[] = []
  readonly #pending: StoredRecord[] = []
  readonly #late: LateRecord<unknown>[] = []
  readonly #deadLetters: DeadLetter[] = []
  readonly #metrics = new Map<string, Map<string, number>>()
  readonly #storeDescriptions: Map<string, StoreDescription>
  #nowMs: number
  #closed = false

  constructor(topology: Topology, options: TestDriverOptions = {}) {
    this.topology = topology
    this.#options = resolveTestDriverOptions(options)
    this.#nowMs = this.#options.startMs
    this.#storeDescriptions = new Map(topology.description.stores.map((s) => [s.name, s]))
    for (const source of topology.sources()) this.#readers.set(source.topic, source)
    for (const sink of topology.sinks()) this.#sinks.set(sink.node, sink)
    this.#planPartitions()
    for (const sub of topology.description.subtopologies) {
      const count = this.#taskCounts.get(sub.id) as number
      for (let partition = 0; partition < count; partition++)
        this.#tasks.push(this.#createTask(sub.id, partition))
    }
    for (const task of this.#tasks) task.graph.open()
  }

  /** The wall clock (processing time) of the driver. */
  get nowMs(): number {
    return this.#nowMs
  }

  /** A handle to pipe records into an input topic (a stream, table or repartition topic). */
  input<V = unknown, K = unknown>(topic: string): TestInput<V, K> {
    this.#open()
    if (!this.#readers.has(topic)) {
      throw new FreshetError('TOPIC_NOT_FOUND', `TestDriver: no source reads topic "${topic}"`, {
        topic,
        details: { inputs: [...this.#readers.keys()].sort() },
      })
    }
    return new TestInput<V, K>(this, topic)
  }

  /** A handle to read what the topology wrote to a topic (sinks, and repartition topics). */
  output<V = unknown, K = unknown>(topic: string): TestOutput<V, K> {
    const log = this.#logs.get(topic)
    const written =
      [...this.#sinks.values()].some((sink) => sink.topic === topic) ||
      [...this.#storeDescriptions.values()].some((store) => store.changelogTopic === topic)
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

  /** Counters per node, summed over tasks: `{ 'count-3': { recordsLate: 2, windowsEmitted: 5 } }`. */
  metrics(): Record<string, Record<string, number>> {
    const out: Record<string, Record<string, number>> = {}
    for (const [node, counters] of [...this.#metrics].sort(([a], [b]) => (a < b ? -1 : 1))) {
      out[node] = Object.fromEntries([...counters].sort(([a], [b]) => (a < b ? -1 : 1)))
    }
    return out
  }

  /** A store's contents over all tasks, decoded. */
  store(name: string): StoreView {
    const description = this.#storeDescriptions.get(name)
    if (description === undefined) {
      throw new FreshetError('INVALID_OPTION', `TestDriver: the topology has no store "${name}"`, {
        details: { stores: [...this.#storeDescriptions.keys()].sort() },
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
        const log = this.#logs.get(
          (this.#storeDescriptions.get(name) as StoreDescription).changelogTopic,
        ) as TopicLog
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
    for (const task of this.#tasks) {
      const restored = new Map<string, MemoryStateStore>()
      for (const name of task.stores.keys()) {
        const store = new MemoryStateStore({ name })
        const log = this.#logs.get(
          (this.#storeDescriptions.get(name) as StoreDescription).changelogTopic,
        ) as TopicLog
        const entries = log.partition(task.partition)
        await store.restore(
          entries.map((r): ChangelogEntry => ({ key: r.key as Buffer, value: r.value as Buffer | null })),
          BigInt(entries.length),
        )
        restored.set(name, store)
      }
      await Promise.all([...task.stores.values()].map((store) => store.close()))
      task.stores = restored
      const snapshot = task.tracker.snapshot()
      task.tracker = this.#newTracker()
      task.tracker.restore(snapshot, this.#nowMs)
      task.graph = this.#newGraph(task)
      task.graph.open()
      task.deliveredMs = -Infinity
      task.deliverWatermark()
    }
    this.#drain()
  }

  /** Closes every operator and store; the driver cannot be used afterwards. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    for (const task of this.#tasks) task.graph.close()
    await Promise.all(this.#tasks.flatMap((task) => [...task.stores.values()].map((store) => store.close())))
  }

  /** @internal Steps 1-5 for a record piped by a `TestInput`. */
  pipe(topic: string, value: unknown, options: PipeOptions<unknown>): TestRecord {
    this.#open()
    const { key, timestampMs, partition } = resolvePipeOptions<unknown>(options)
    const log = this.#logs.get(topic) as TopicLog
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
    // Step 1
    const stored = log.append({
      partition: partition ?? partitionFor(key, log.partitions),
      key,
      value,
      timestampMs: timestampMs ?? this.#nowMs,
      origin: undefined,
    })
    this.#deliver(stored)
    this.#drain()
    return stored
  }

  #deliver(record: StoredRecord): void {
    const reader = this.#readers.get(record.topic)
    if (reader === undefined) return
    const task = this.#tasksOf(reader.subtopology)[record.partition]
    if (task === undefined) {
      throw new FreshetError(
        'INVALID_STATE',
        `TestDriver: no task for partition ${record.partition} of "${record.topic}"`,
      )
    }
    const source: Provenance = record.origin ?? {
      topic: record.topic,
      partition: record.partition,
      offset: record.offset,
    }
    const keyed: Keyed<unknown> = { key: record.key, value: record.value, source }
    if (reader.kind === 'table') {
      task.graph.process(reader.node, keyed, record.timestampMs)
      return
    }
    // Step 2
    const location = { topic: record.topic, partition: record.partition, offset: record.offset }
    let timestampMs: number
    try {
      timestampMs = reader.timestamp(record.value, { ...location, timestampMs: record.timestampMs })
    } catch (error) {
      this.#badRecord(reader.node, record, error)
      return
    }
    const verdict = task.tracker.observe(
      topicPartition(record.topic, record.partition),
      timestampMs,
      this.#nowMs,
    )
    if (!verdict.ok) {
      this.#badRecord(reader.node, record, timestampRejectionError(verdict, location))
      return
    }
    // Step 3
    task.deliverWatermark()
    // Step 4
    task.graph.process(reader.node, keyed, timestampMs)
  }

  /** Step 5: records written to repartition topics, in the order written. */
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
    const bytes = sink?.serde?.serialize(record.value)
    const stored = log.append({
      partition: partitionFor(record.key, log.partitions),
      key: record.key,
      value: record.value,
      timestampMs,
      bytes,
      origin: record.source,
    })
    if (this.#readers.has(topic)) this.#pending.push(stored)
  }

  #count(node: string, name: string, by: number): void {
    let counters = this.#metrics.get(node)
    if (counters === undefined) {
      counters = new Map()
      this.#metrics.set(node, counters)
    }
    counters.set(name, (counters.get(name) ?? 0) + by)
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
    const tracked = this.topology
      .sources()
      .filter((s) => s.subtopology === subtopology && s.kind !== 'table')
      .filter((s) => partition < (this.#logs.get(s.topic) as TopicLog).partitions)
      .map((s) => topicPartition(s.topic, partition))
    const task = new DriverTask(subtopology, partition, this.#newTracker(), tracked)
    task.tracker.assign(tracked, this.#nowMs)
    const sub = this.topology.description.subtopologies.find((s) => s.id === subtopology)
    for (const store of sub?.stores ?? []) task.stores.set(store, new MemoryStateStore({ name: store }))
    task.graph = this.#newGraph(task)
    return task
  }

  #newGraph(task: DriverTask): TaskGraph {
    return new TaskGraph(this.topology.graphNodes(task.subtopology), task.subtopology, task.partition, {
      store: (name) => {
        const store = task.stores.get(name)
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
    })
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
      if (joined && new Set(counts).size > 1) {
        throw new FreshetError(
          'TOPOLOGY_INVALID',
          `sub-topology ${sub.id} joins topics with different partition counts (` +
            sources.map((s, i) => `${s.topic}: ${counts[i]}`).join(', ') +
            '); joined inputs must be co-partitioned',
          { details: { subtopology: sub.id } },
        )
      }
      const tasks = Math.max(1, ...counts)
      this.#taskCounts.set(sub.id, tasks)
      for (const store of sub.stores) {
        const topic = (this.#storeDescriptions.get(store) as StoreDescription).changelogTopic
        this.#logs.set(topic, new TopicLog(topic, tasks))
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
    return this.#tasks.filter((t) => t.subtopology === subtopology)
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
