// Runs one operator the way a task does (observe, watermark, process), with in-memory stores and
// everything it emits recorded, so operator tests need neither a topology nor a driver.
import {
  type Keyed,
  type LateRecord,
  type Operator,
  type OperatorContext,
} from '../../src/operators/index.ts'
import { MemoryStateStore, UndoLog } from '../../src/state/index.ts'
import { WatermarkTracker } from '../../src/time/index.ts'

export interface Emitted<V> {
  readonly output: string
  readonly key: unknown
  readonly value: V
  readonly timestampMs: number
}

export class Harness<In, Out> {
  readonly stores = new Map<string, MemoryStateStore>()
  readonly emitted: Emitted<Out>[] = []
  readonly late: LateRecord<unknown>[] = []
  readonly sent: Array<{ topic: string; key: unknown; value: unknown; timestampMs: number }> = []
  readonly metrics = new Map<string, number>()
  /** The close times of the windows the operator asked a commit for, in order. */
  readonly commitRequests: number[] = []
  readonly tracker: WatermarkTracker
  /** Set on every store; `failing` runs a record in its scope and rolls it back. */
  readonly undo = new UndoLog()
  operator: Operator<In, Out>
  #offset = 0n

  constructor(
    operator: Operator<In, Out>,
    /** Store names to create, or stores to share with another harness (the two sides of a join). */
    stores: ReadonlyArray<string | MemoryStateStore> = [],
    options: { maxOutOfOrdernessMs?: number } = {},
  ) {
    this.operator = operator
    for (const store of stores) {
      if (typeof store === 'string') this.stores.set(store, new MemoryStateStore({ name: store }))
      else this.stores.set(store.name, store)
    }
    for (const store of this.stores.values()) store.setUndoLog(this.undo)
    this.tracker = new WatermarkTracker({
      maxOutOfOrdernessMs: options.maxOutOfOrdernessMs ?? 0,
      maxFutureSkewMs: Infinity,
      idleTimeoutMs: Infinity,
      clock: () => 0,
    })
    this.tracker.assign(['in:0'], 0)
    operator.open(this.context())
  }

  context(): OperatorContext<Out> {
    return {
      operator: 'op',
      subtopology: 0,
      partition: 0,
      forward: (record, timestampMs) => {
        this.emitted.push({ output: 'main', key: record.key, value: record.value, timestampMs })
      },
      forwardTo: (output, record, timestampMs) => {
        this.emitted.push({ output, key: record.key, value: record.value as Out, timestampMs })
      },
      late: (record) => {
        this.late.push(record)
      },
      requestCommit: (closedAtMs) => {
        this.commitRequests.push(closedAtMs)
      },
      store: (name) => {
        const store = this.stores.get(name)
        if (store === undefined) throw new Error(`no store ${name}`)
        return store
      },
      send: (topic, record, timestampMs) => {
        this.sent.push({ topic, key: record.key, value: record.value, timestampMs })
      },
      metrics: {
        increment: (name, by = 1) => {
          this.metrics.set(name, (this.metrics.get(name) ?? 0) + by)
        },
        set: (name, value) => {
          this.metrics.set(name, value)
        },
      },
      undo: this.undo,
    }
  }

  /** The task's per-record protocol: observe the timestamp, deliver the watermark, process. */
  feed(key: unknown, value: In, timestampMs: number): void {
    const verdict = this.tracker.observe('in:0', timestampMs, 0)
    if (!verdict.ok) throw new Error(`rejected ${timestampMs}`)
    this.operator.onWatermark(this.tracker.watermarkMs)
    this.process(key, value, timestampMs)
  }

  /** Hands a record to the operator without moving the watermark. */
  process(key: unknown, value: In, timestampMs: number): void {
    const record: Keyed<In> = { key, value, source: { topic: 'in', partition: 0, offset: this.#offset++ } }
    this.operator.process(record, timestampMs)
  }

  /**
   * What the task does with a record that fails further down the graph: the record runs through
   * the operator in a scope of the undo log, then something after the operator throws, and the
   * scope is rolled back. Store writes and the operator's own logged changes are taken back.
   */
  failing(key: unknown, value: In, timestampMs: number): void {
    this.undo.begin()
    this.process(key, value, timestampMs)
    this.undo.rollback()
  }

  watermark(watermarkMs: number): void {
    this.operator.onWatermark(watermarkMs)
  }

  /** What the task does before it commits. */
  commit(): void {
    this.operator.onCommit()
  }

  /** Replaces the operator by a fresh one over the same stores, as a restore would. */
  restart(operator: Operator<In, Out>, watermarkMs: number): void {
    this.operator.close()
    this.operator = operator
    operator.open(this.context())
    if (Number.isFinite(watermarkMs)) operator.onWatermark(watermarkMs)
  }

  main(): Emitted<Out>[] {
    return this.emitted.filter((e) => e.output === 'main')
  }
}

/** A deterministic generator for test data (mulberry32). */
export function random(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    let t = (state = (state + 0x6d2b79f5) | 0)
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
