/**
 * Windowed aggregation over tumbling, hopping, cumulating and session windows.
 *
 * Per record (the task has already observed its timestamp and called `onWatermark`, which emitted
 * what the watermark closed; see docs/windows-and-time.md, "The operator protocol"):
 *
 * 1. Assign: time windows with `assign`, sessions with `merge` over the key's open sessions.
 * 2. For each window, `lateByMs > 0` sends the record to the `late` output with that window;
 *    otherwise the window's accumulator is read, the record added and the accumulator written back.
 *    A session merge folds the absorbed sessions' accumulators into one and deletes their state.
 * 3. With `emit: 'updates'` the new result is forwarded at once (`final: false`).
 *
 * A `WindowPartial` (src/operators/window-combine.ts: an upstream task's accumulator for one key and
 * time window) goes to its own window only, where `merge` folds it into the accumulator; a partial
 * whose window has closed is late like a record.
 *
 * On a watermark, every window the close queue gives up is read, forwarded with `final: true` and
 * deleted. Emitted windows leave no state behind, so `open` rebuilds the close queue from the store
 * alone: a task restored from its changelog emits exactly the windows that were still open.
 *
 * State per key and window: `windowKey(keyJson, start)` (sessions and cumulating windows, which
 * share starts: `windowKey(keyJson, start, end)`, src/state's layout) -> accumulator. The close
 * queue holds exactly the windows that have state, so it says which windows of a key to read: a
 * window it does not hold is new (no read), and a key's sessions need no scan of the store.
 */
import { FreshetError } from '../errors/index.ts'
import type { CumulatingWindows, SessionWindows, TimeWindows, Window } from '../windows/index.ts'
import { WindowCloseQueue } from '../windows/index.ts'
import type { Aggregator } from './aggregators.ts'
import { decodeWindowKey, windowKey, type Revertible } from '../state/index.ts'
import { requireKey, type ValueSerde } from './serde.ts'
import type { OperatorStore } from './store.ts'
import { WindowPartial } from './window-combine.ts'
import { OPEN_WINDOWS, type Keyed, type Operator, type OperatorContext, type WindowResult } from './types.ts'

export interface WindowAggregateConfig<T, K, A, R> {
  readonly windows: TimeWindows | CumulatingWindows | SessionWindows
  readonly aggregator: Aggregator<T, A, R, K>
  /** Name of the store holding one accumulator per key and open window. */
  readonly store: string
  readonly serde: ValueSerde<A>
}

interface OpenSession {
  readonly window: Window
  readonly stateKey: Uint8Array
  readonly bytes: Uint8Array
}

export class WindowAggregateOperator<T, K, A, R> implements Operator<T, WindowResult<K, R>> {
  readonly #windows: TimeWindows | CumulatingWindows | SessionWindows
  /** Sessions and cumulating windows: the state key holds the window's end too. */
  readonly #keyedByEnd: boolean
  readonly #aggregator: Aggregator<T, A, R, K>
  readonly #result: (accumulator: A) => R
  readonly #storeName: string
  readonly #serde: ValueSerde<A>
  readonly #updates: boolean
  /** Open windows by close time; keys are the keys' JSON text (their state encoding). */
  readonly #queue: WindowCloseQueue<string>
  readonly #starts: number[] = []
  readonly #cumulating: Window[] = []
  /**
   * Takes back a close-queue change of a record that failed: (true, key, window) un-adds a window,
   * (false, key, window) adds back a session a merge removed. The store's own undo restores the
   * state; the queue must follow it, or a restored session would never close and a window that no
   * state backs would count as open.
   */
  readonly #queueUndo: Revertible = {
    revert: (added, keyJson, window) => {
      if (added === true) this.#queue.remove(keyJson as string, window as Window)
      else this.#queue.add(keyJson as string, window as Window)
    },
  }
  #context!: OperatorContext<WindowResult<K, R>>
  #store!: OperatorStore
  #watermarkMs = -Infinity

  constructor(config: WindowAggregateConfig<T, K, A, R>) {
    this.#windows = config.windows
    this.#keyedByEnd = config.windows.kind === 'session' || config.windows.kind === 'cumulating'
    this.#aggregator = config.aggregator
    this.#result = config.aggregator.result ?? ((accumulator: A) => accumulator as unknown as R)
    this.#storeName = config.store
    this.#serde = config.serde
    this.#updates = config.windows.emit === 'updates'
    this.#queue = new WindowCloseQueue<string>(config.windows, { keyId: (key) => key })
    if (config.windows.kind === 'session' && config.aggregator.merge === undefined) {
      throw new FreshetError(
        'TOPOLOGY_INVALID',
        `window aggregate "${config.store}": session windows need an aggregator with merge, ` +
          'to combine the sessions that a record bridges',
      )
    }
  }

  open(context: OperatorContext<WindowResult<K, R>>): void {
    this.#context = context
    this.#store = context.store(this.#storeName)
    this.#queue.clear()
    for (const stateKey of this.#store.keys()) {
      const { key, startMs, endMs } = decodeWindowKey(stateKey)
      const window =
        this.#windows.kind === 'session' || this.#windows.kind === 'cumulating'
          ? { startMs, endMs: endMs ?? startMs }
          : this.#windows.window(startMs)
      this.#queue.add(key.toString('utf8'), window)
    }
    context.metrics.set(OPEN_WINDOWS, this.#queue.size)
  }

  process(record: Keyed<T>, timestampMs: number): void {
    requireKey(record, this.#context.operator)
    const keyJson = JSON.stringify(record.key) ?? 'null'
    const keyBytes = Buffer.from(keyJson)
    const windows = this.#windows
    if (record.value instanceof WindowPartial)
      this.#addPartial(record, record.value, timestampMs, keyJson, keyBytes)
    else if (windows.kind === 'session') this.#processSession(windows, record, timestampMs, keyJson, keyBytes)
    else if (windows.kind === 'cumulating') {
      for (const window of windows.assign(timestampMs, this.#cumulating)) {
        const stateKey = windowKey(keyBytes, window.startMs, window.endMs)
        this.#addToWindow(record, timestampMs, keyJson, window, stateKey)
      }
    } else {
      for (const startMs of windows.assign(timestampMs, this.#starts)) {
        this.#addToWindow(record, timestampMs, keyJson, windows.window(startMs), windowKey(keyBytes, startMs))
      }
    }
  }

  /** Steps 2-3 for one time window: late, or added to its accumulator. */
  #addToWindow(
    record: Keyed<T>,
    timestampMs: number,
    keyJson: string,
    window: Window,
    stateKey: Buffer,
  ): void {
    const lateByMs = this.#windows.lateByMs(timestampMs, window, this.#watermarkMs)
    if (lateByMs > 0) {
      this.#late(record, timestampMs, lateByMs, window)
      return
    }
    const previous = this.#queue.has(keyJson, window) ? this.#stored(stateKey) : undefined
    const accumulator = this.#aggregator.add(
      previous === undefined ? this.#aggregator.init() : this.#serde.decode(previous),
      record.value,
      record.key as K,
    )
    this.#store.put(stateKey, this.#serde.encode(accumulator))
    if (previous === undefined && this.#queue.add(keyJson, window)) {
      this.#context.undo.log(this.#queueUndo, true, keyJson, window)
    }
    if (this.#updates) this.#emit(record.key as K, window, accumulator, false)
  }

  /** Steps 2-3 for an upstream task's partial: merged into its own window, or late. */
  #addPartial(
    record: Keyed<T>,
    partial: WindowPartial,
    timestampMs: number,
    keyJson: string,
    keyBytes: Buffer,
  ): void {
    const windows = this.#windows
    if (windows.kind === 'session') {
      throw new FreshetError(
        'INVALID_STATE',
        `window aggregate "${this.#storeName}": a partial reached session windows`,
      )
    }
    const window =
      windows.kind === 'cumulating'
        ? { startMs: partial.startMs, endMs: partial.endMs }
        : windows.window(partial.startMs)
    const lateByMs = windows.lateByMs(timestampMs, window, this.#watermarkMs)
    if (lateByMs > 0) {
      this.#late(record, timestampMs, lateByMs, window)
      return
    }
    const stateKey = this.#keyedByEnd
      ? windowKey(keyBytes, window.startMs, window.endMs)
      : windowKey(keyBytes, window.startMs)
    const previous = this.#queue.has(keyJson, window) ? this.#stored(stateKey) : undefined
    const value = this.#serde.decode(partial.bytes)
    const merge = this.#aggregator.merge as (a: A, b: A) => A
    const accumulator = previous === undefined ? value : merge(this.#serde.decode(previous), value)
    this.#store.put(stateKey, this.#serde.encode(accumulator))
    if (previous === undefined && this.#queue.add(keyJson, window)) {
      this.#context.undo.log(this.#queueUndo, true, keyJson, window)
    }
    if (this.#updates) this.#emit(record.key as K, window, accumulator, false)
  }

  #processSession(
    windows: SessionWindows,
    record: Keyed<T>,
    timestampMs: number,
    keyJson: string,
    keyBytes: Buffer,
  ): void {
    // The queue holds exactly the sessions that have state: a key's first record reads nothing.
    const open: OpenSession[] = []
    for (const window of this.#queue.windowsOf(keyJson)) {
      const stateKey = windowKey(keyBytes, window.startMs, window.endMs)
      open.push({ window, stateKey, bytes: this.#stored(stateKey) })
    }
    const merged = windows.merge(
      open.map((s) => s.window),
      timestampMs,
    )
    // A session that absorbed an open one is open itself (its close time is not earlier), so only a
    // new session of one event can be late.
    const lateByMs = windows.lateByMs(timestampMs, merged.session, this.#watermarkMs)
    if (lateByMs > 0) {
      this.#late(record, timestampMs, lateByMs, merged.session)
      return
    }
    const merge = this.#aggregator.merge as (a: A, b: A) => A
    let accumulator: A | undefined
    for (const window of merged.absorbed) {
      const session = open.find((s) => s.window.startMs === window.startMs && s.window.endMs === window.endMs)
      if (session === undefined) continue
      const value = this.#serde.decode(session.bytes)
      accumulator = accumulator === undefined ? value : merge(accumulator, value)
      if (merged.changed) {
        this.#store.delete(session.stateKey)
        if (this.#queue.remove(keyJson, window))
          this.#context.undo.log(this.#queueUndo, false, keyJson, window)
        this.#context.metrics.increment('sessionsMerged')
      }
    }
    accumulator = this.#aggregator.add(accumulator ?? this.#aggregator.init(), record.value, record.key as K)
    const window = merged.session
    this.#store.put(windowKey(keyBytes, window.startMs, window.endMs), this.#serde.encode(accumulator))
    if (this.#queue.add(keyJson, window)) this.#context.undo.log(this.#queueUndo, true, keyJson, window)
    if (this.#updates) this.#emit(record.key as K, window, accumulator, false)
  }

  /** The accumulator of a window the queue holds: the store has it, or the two disagree. */
  #stored(stateKey: Buffer): Uint8Array {
    const bytes = this.#store.get(stateKey)
    if (bytes === undefined) {
      throw new FreshetError(
        'INVALID_STATE',
        `window aggregate "${this.#storeName}": an open window has no state in its store`,
      )
    }
    return bytes
  }

  onWatermark(watermarkMs: number): void {
    if (watermarkMs <= this.#watermarkMs) return
    this.#watermarkMs = watermarkMs
    if (this.#queue.nextCloseAtMs > watermarkMs) return
    for (const { key: keyJson, window } of this.#queue.popClosed(watermarkMs)) {
      const keyBytes = Buffer.from(keyJson)
      const stateKey = this.#keyedByEnd
        ? windowKey(keyBytes, window.startMs, window.endMs)
        : windowKey(keyBytes, window.startMs)
      const bytes = this.#store.get(stateKey)
      if (bytes === undefined) continue
      this.#store.delete(stateKey)
      this.#emit(JSON.parse(keyJson) as K, window, this.#serde.decode(bytes), true)
      this.#context.requestCommit(this.#windows.closeAtMs(window))
    }
  }

  /** Once per commit, not per record: the open windows as the commit leaves them. */
  onCommit(): void {
    this.#context.metrics.set(OPEN_WINDOWS, this.#queue.size)
  }

  close(): void {
    this.#queue.clear()
  }

  #emit(key: K, window: Window, accumulator: A, final: boolean): void {
    const result: WindowResult<K, R> = { key, window, value: this.#result(accumulator), final }
    // Results carry the last instant of their window as event time (Flink's maxTimestamp), so a
    // window downstream of this one puts them into the window they summarise.
    const timestampMs = this.#windows.kind === 'session' ? window.endMs : window.endMs - 1
    this.#context.forward(
      { key, value: result },
      timestampMs,
      final ? this.#windows.closeAtMs(window) : undefined,
    )
    if (final) this.#context.metrics.increment('windowsEmitted')
  }

  #late(record: Keyed<T>, timestampMs: number, lateByMs: number, window: Window): void {
    this.#context.late({
      key: record.key,
      value: record.value,
      timestampMs,
      lateByMs,
      watermarkMs: this.#watermarkMs,
      window,
      operator: this.#context.operator,
      source: record.source,
    })
  }
}
