/**
 * Pre-aggregation before a repartition (Flink's local-global aggregation): the task that keys a
 * stream folds its own records per key and time window into partial accumulators, and sends one
 * `WindowPartial` per key and window across the repartition topic instead of every record. The
 * window aggregate downstream merges the partials of every upstream task. For a count per event
 * type this turns a million repartition records into a few per type and commit.
 *
 * Per record:
 *
 * 1. Assign its time windows. If any of them is closed by this task's watermark (the record is late
 *    here), the record is forwarded as it is, for the window aggregate to judge: the watermark
 *    downstream is never ahead of this task's markers, so what is late there is late here, and a
 *    record late here may still count there when another upstream task holds the watermark back.
 * 2. Otherwise fold it into the partial of each window: `merge(partial, add(init(), value))`, so
 *    that an accumulator is never changed in place and a record that fails further down the graph
 *    takes its change back through the task's undo log.
 *
 * At every commit (`onCommit`, which runs before the task writes its watermark markers) and when
 * more than `maxEntries` partials are held, every partial is forwarded, with the largest event
 * time it holds as its timestamp. So a partial always reaches the repartition topic ahead of any
 * marker that could close its window, and the commit leaves nothing behind: the partials need no
 * state store, and a task that fails before its commit is replayed from the committed offsets.
 *
 * Only aggregators whose `merge` combines any split of the records in any order qualify
 * (`Aggregator.combinable`), over time windows that emit final results; the topology inserts this
 * operator where that holds (src/stream/combine.ts).
 */
import type { CumulatingWindows, TimeWindows, Window } from '../windows/index.ts'
import type { Aggregator } from './aggregators.ts'
import { requireKey, type ValueSerde } from './serde.ts'
import type { Keyed, Operator, OperatorContext } from './types.ts'
import type { Revertible } from '../state/index.ts'

/** One key's partial accumulator for one window, as it crosses a repartition topic. */
export class WindowPartial {
  readonly startMs: number
  readonly endMs: number
  /** The accumulator, encoded by the window aggregate's serde. */
  readonly bytes: Uint8Array

  constructor(startMs: number, endMs: number, bytes: Uint8Array) {
    this.startMs = startMs
    this.endMs = endMs
    this.bytes = bytes
  }
}

export interface WindowCombineConfig<T, K, A> {
  readonly windows: TimeWindows | CumulatingWindows
  readonly aggregator: Aggregator<T, A, unknown, K>
  readonly serde: ValueSerde<A>
  /** Partials held before they are forwarded ahead of the commit. */
  readonly maxEntries?: number | undefined
}

interface Entry<K, A> {
  readonly key: K
  readonly window: Window
  accumulator: A
  maxTimestampMs: number
}

/** Partials held by default before a flush: bounds the memory of high-cardinality keys. */
export const DEFAULT_COMBINE_ENTRIES = 10_000

export class WindowCombineOperator<T, K, A> implements Operator<T, WindowPartial> {
  readonly #windows: TimeWindows | CumulatingWindows
  readonly #aggregator: Aggregator<T, A, unknown, K>
  readonly #merge: (a: A, b: A) => A
  readonly #serde: ValueSerde<A>
  readonly #maxEntries: number
  /** By `<start>:<end>:<key JSON>`, in the order they were opened. */
  readonly #entries = new Map<string, Entry<K, A>>()
  readonly #starts: number[] = []
  /** The windows of the record being folded, reused from record to record. */
  readonly #windowsOf: Window[] = []
  /**
   * Takes back a failed record's change: (id, entry, undefined) removes an entry it opened,
   * (id, entry, [accumulator, maxTs]) restores one it changed, and (undefined, flushed) puts back
   * the partials of a flush it caused, whose records the task drops with the failed record's.
   */
  readonly #undo: Revertible = {
    revert: (id, entry, previous) => {
      if (id === undefined) {
        for (const [flushedId, flushed] of entry as Map<string, Entry<K, A>>)
          this.#entries.set(flushedId, flushed)
        return
      }
      if (previous === undefined) {
        this.#entries.delete(id as string)
        return
      }
      const [accumulator, maxTimestampMs] = previous as [A, number]
      const restored = entry as Entry<K, A>
      restored.accumulator = accumulator
      restored.maxTimestampMs = maxTimestampMs
    },
  }
  #context!: OperatorContext<WindowPartial>
  #watermarkMs = -Infinity
  /**
   * Close times of the windows this task has folded records into, held or sent, that its
   * watermark has not passed yet; and the earliest of them.
   */
  readonly #closes = new Set<number>()
  #nextCloseAtMs = Infinity

  constructor(config: WindowCombineConfig<T, K, A>) {
    this.#windows = config.windows
    this.#aggregator = config.aggregator
    this.#merge = config.aggregator.merge as (a: A, b: A) => A
    this.#serde = config.serde
    this.#maxEntries = config.maxEntries ?? DEFAULT_COMBINE_ENTRIES
  }

  open(context: OperatorContext<WindowPartial>): void {
    this.#context = context
    this.#entries.clear()
  }

  process(record: Keyed<T>, timestampMs: number): void {
    // A record without a key fails here, as itself, rather than inside a partial downstream.
    requireKey(record, this.#context.operator)
    // Step 1
    const windows = this.#assign(timestampMs)
    for (const window of windows) {
      if (this.#windows.lateByMs(timestampMs, window, this.#watermarkMs) > 0) {
        this.#context.forward(record as Keyed<never>, timestampMs)
        return
      }
    }
    // Step 2
    const aggregator = this.#aggregator
    const key = record.key as K
    const keyJson = JSON.stringify(key) ?? 'null'
    const single = aggregator.add(aggregator.init(), record.value, key)
    for (const window of windows) {
      const id = `${window.startMs}:${window.endMs}:${keyJson}`
      const entry = this.#entries.get(id)
      if (entry === undefined) {
        const opened = { key, window: { ...window }, accumulator: single, maxTimestampMs: timestampMs }
        this.#entries.set(id, opened)
        const closeAtMs = this.#windows.closeAtMs(window)
        if (!this.#closes.has(closeAtMs)) {
          this.#closes.add(closeAtMs)
          if (closeAtMs < this.#nextCloseAtMs) this.#nextCloseAtMs = closeAtMs
        }
        this.#context.undo.log(this.#undo, id, opened, undefined)
        continue
      }
      this.#context.undo.log(this.#undo, id, entry, [entry.accumulator, entry.maxTimestampMs])
      entry.accumulator = this.#merge(entry.accumulator, single)
      if (timestampMs > entry.maxTimestampMs) entry.maxTimestampMs = timestampMs
    }
    if (this.#entries.size >= this.#maxEntries) this.#flush()
  }

  /**
   * Once the watermark closes a window this task has sent or holds partials of, the window
   * aggregate can close it as soon as they and this task's marker arrive: the task is asked to
   * commit. (A close time a failed record added stays: at worst one commit too many.)
   */
  onWatermark(watermarkMs: number): void {
    if (watermarkMs <= this.#watermarkMs) return
    this.#watermarkMs = watermarkMs
    if (this.#nextCloseAtMs > watermarkMs) return
    let nextCloseAtMs = Infinity
    let closedAtMs = -Infinity
    for (const closeAtMs of this.#closes) {
      if (closeAtMs <= watermarkMs) {
        this.#closes.delete(closeAtMs)
        closedAtMs = Math.max(closedAtMs, closeAtMs)
      } else nextCloseAtMs = Math.min(nextCloseAtMs, closeAtMs)
    }
    this.#nextCloseAtMs = nextCloseAtMs
    if (closedAtMs > -Infinity) this.#context.requestCommit(closedAtMs)
  }

  onCommit(): void {
    this.#flush()
  }

  close(): void {
    this.#entries.clear()
    this.#closes.clear()
    this.#nextCloseAtMs = Infinity
  }

  #assign(timestampMs: number): readonly Window[] {
    const windows = this.#windows
    if (windows.kind === 'cumulating') return windows.assign(timestampMs, this.#windowsOf)
    const starts = windows.assign(timestampMs, this.#starts)
    const out = this.#windowsOf
    out.length = starts.length
    for (let i = 0; i < starts.length; i++) out[i] = windows.window(starts[i] as number)
    return out
  }

  #flush(): void {
    if (this.#entries.size === 0) return
    const entries = new Map(this.#entries)
    this.#entries.clear()
    this.#context.undo.log(this.#undo, undefined, entries, undefined)
    let records = 0
    for (const entry of entries.values()) {
      const partial = new WindowPartial(
        entry.window.startMs,
        entry.window.endMs,
        this.#serde.encode(entry.accumulator),
      )
      this.#context.forward({ key: entry.key, value: partial }, entry.maxTimestampMs)
      records++
    }
    this.#context.metrics.increment('partialsSent', records)
  }
}
