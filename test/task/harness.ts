// Runs a StreamTask the way a worker does, without a broker: JSON values and string keys in, every
// output, dead letter and changelog record kept, commits as the committer makes them (prepare,
// checkpoint, flush). Stores are in memory, or RocksDB in a temporary directory.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { DLQ_HEADERS } from '../../src/dlq/index.ts'
import type { InRecord, OutRecord } from '../../src/kafka/index.ts'
import { MemoryStateStore, RocksDbStateStore, type StateStore } from '../../src/state/index.ts'
import type { Topology } from '../../src/stream/index.ts'
import { StreamTask, type BadRecordPolicy, type TaskSink, type TaskSource } from '../../src/task/index.ts'

export type Backend = 'memory' | 'rocksdb'

export interface TaskHarnessOptions {
  readonly onBadRecord?: BadRecordPolicy
  readonly backend?: Backend
  readonly subtopology?: number
  readonly partition?: number
  /** The task's wall clock; 0 by default. */
  readonly clock?: () => number
}

/** One changelog record as produced at a commit, readable in assertions. */
export interface LoggedChange {
  readonly store: string
  readonly key: string
  readonly value: string | null
}

export class TaskHarness {
  readonly task: StreamTask
  readonly stores: Map<string, StateStore>
  /** Sink and repartition records, in the order taken. */
  readonly outputs: OutRecord[] = []
  readonly deadLetters: OutRecord[] = []
  /** Every changelog record produced, over all commits. */
  readonly changelog: LoggedChange[] = []
  #offsets = new Map<string, bigint>()
  #changelogOffsets = new Map<string, bigint>()

  private constructor(task: StreamTask, stores: Map<string, StateStore>) {
    this.task = task
    this.stores = stores
  }

  static async create(
    t: TestContext,
    topology: Topology,
    options: TaskHarnessOptions = {},
  ): Promise<TaskHarness> {
    const subtopology = options.subtopology ?? 0
    const partition = options.partition ?? 0
    const sub = topology.description.subtopologies.find((s) => s.id === subtopology)
    if (sub === undefined) throw new Error(`no sub-topology ${subtopology}`)
    const stores = new Map<string, StateStore>()
    let directory: string | undefined
    if (options.backend === 'rocksdb') directory = mkdtempSync(join(tmpdir(), 'freshet-task-'))
    for (const name of sub.stores) {
      const store =
        directory === undefined
          ? new MemoryStateStore({ name })
          : await RocksDbStateStore.open({ directory: join(directory, name), name })
      stores.set(name, store)
    }
    // `after` hooks run in the order registered: the stores close before their directory goes.
    t.after(() => Promise.all([...stores.values()].map((store) => store.close())))
    if (directory !== undefined) t.after(() => rmSync(directory, { recursive: true, force: true }))
    const sources = new Map<string, TaskSource>()
    for (const spec of topology.sources()) {
      if (spec.subtopology !== subtopology) continue
      sources.set(spec.topic, {
        spec,
        decodeKey: (record) => (record.key === null ? null : record.key.toString('utf8')),
        decode: (record) =>
          record.value === null ? null : (JSON.parse(record.value.toString('utf8')) as unknown),
      })
    }
    const sinks = new Map<string, TaskSink>()
    for (const spec of topology.sinks()) {
      if (spec.subtopology !== subtopology) continue
      sinks.set(spec.node, {
        spec,
        partitions: 1,
        encode: (value) => {
          const text = JSON.stringify(value)
          return text === undefined ? null : Buffer.from(text)
        },
      })
    }
    const task = new StreamTask({
      topology,
      subtopology,
      partition,
      stores,
      sources,
      sinks,
      watermarks: { maxOutOfOrdernessMs: 0, idleTimeoutMs: Infinity, maxFutureSkewMs: Infinity },
      onBadRecord: options.onBadRecord ?? 'fail',
      dlqTopic: 'dead-letters',
      clock: options.clock ?? (() => 0),
      markerIntervalMs: 1_000,
      taskCount: 1,
    })
    return new TaskHarness(task, stores)
  }

  /** Hands one record to the task and keeps what it produced. */
  pipe(topic: string, key: string | null, value: unknown, timestampMs = 0): void {
    const offset = this.#offsets.get(topic) ?? 0n
    this.#offsets.set(topic, offset + 1n)
    const record: InRecord = {
      topic,
      partition: this.task.partition,
      offset,
      timestampMs,
      key: key === null ? null : Buffer.from(key),
      value: value === undefined ? null : Buffer.from(JSON.stringify(value)),
      headers: new Map(),
      leaderEpoch: 0,
    }
    this.task.process(record)
    this.#take(this.task.takeOutput())
  }

  /** The committer's steps for this task: prepare, then checkpoint and flush every store written. */
  async commit(): Promise<void> {
    const { records, changelogs } = this.task.prepareCommit()
    this.#take(records)
    for (const [name, entries] of changelogs) {
      for (const entry of entries) {
        this.changelog.push({
          store: name,
          key: (entry.key as Buffer).toString('hex'),
          value: entry.value === null ? null : entry.value.toString('hex'),
        })
      }
      const store = this.stores.get(name) as StateStore
      const next = (this.#changelogOffsets.get(name) ?? 0n) + BigInt(entries.length)
      this.#changelogOffsets.set(name, next)
      store.writeCheckpoint(next)
      await store.flush()
    }
  }

  /** Every store's entries, as hex `key=value` strings. */
  state(): Record<string, string[]> {
    const out: Record<string, string[]> = {}
    for (const [name, store] of this.stores) {
      out[name] = [...store.range()].map(([key, value]) => `${key.toString('hex')}=${value.toString('hex')}`)
    }
    return out
  }

  /** Outputs as `topic key value` lines. */
  outputLines(): string[] {
    return this.outputs.map(
      (r) =>
        `${r.topic} ${r.key === null || r.key === undefined ? '-' : r.key.toString()} ${r.value?.toString() ?? '-'}`,
    )
  }

  #take(records: readonly OutRecord[]): void {
    for (const record of records) {
      if (record.headers?.[DLQ_HEADERS.errorCode] !== undefined) this.deadLetters.push(record)
      else this.outputs.push(record)
    }
  }
}
