import type { UndoLog } from '../state/index.ts'
import type { Window } from '../windows/index.ts'
import type { OperatorStore } from './store.ts'

/** Where a record entered the application: its source topic, partition and offset. */
export interface Provenance {
  readonly topic: string
  readonly partition: number
  readonly offset: bigint
}

/**
 * A record between operators: its key, its value and where it came from. The event time travels
 * beside it (`process(record, timestampMs)`) so that an operator that only changes the value does
 * not have to copy it.
 */
export interface Keyed<V, K = unknown> {
  readonly key: K
  readonly value: V
  /** The input record this one derives from; kept through repartitioning. */
  readonly source?: Provenance | undefined
}

/**
 * A record that arrived after every window it belongs to had closed (or, for deduplication and
 * joins, after the watermark passed it). Late records are never dropped silently: they go to the
 * operator's `late` output, which the test driver collects and the runtime counts and logs.
 */
export interface LateRecord<V, K = unknown> {
  readonly key: K
  readonly value: V
  /** Event time of the record. */
  readonly timestampMs: number
  /** How far the record trailed the watermark beyond the grace period; always >= 1. */
  readonly lateByMs: number
  /** The watermark of the operator when the record arrived. */
  readonly watermarkMs: number
  /** The closed window (or for deduplication and joins, the interval the record needed). */
  readonly window: Window
  /** The operator that could not take the record. */
  readonly operator: string
  readonly source?: Provenance | undefined
}

/**
 * The result of a window for one key. `final` is true for the one result emitted when the window
 * closes; with `emit: 'updates'` the results before it have `final: false`.
 */
export interface WindowResult<K, R> {
  readonly key: K
  /** `[startMs, endMs)` for time windows; for sessions the first and last event time, inclusive. */
  readonly window: Window
  readonly value: R
  readonly final: boolean
}

/** The gauge of a windowed operator: windows it holds open (sessions, for session windows). */
export const OPEN_WINDOWS = 'openWindows'

/** Counters and gauges an operator keeps; the runtime exports them as metrics. */
export interface OperatorMetrics {
  increment(name: string, by?: number): void
  /** A gauge: the operator's current figure (open windows), set when it changes, not per record. */
  set(name: string, value: number): void
}

/** What an operator is given when it opens: its stores, its outputs and its task. */
export interface OperatorContext<Out> {
  /** Name of the topology node the operator implements. */
  readonly operator: string
  /** The task running it: one partition of one sub-topology. */
  readonly subtopology: number
  readonly partition: number
  /**
   * Sends a record to the operator's children on the main output. `closedAtMs`: the record is the
   * final result of a window that closed at that event time (`closeAtMs`); sinks downstream in the
   * same task report it with what they write, for the window-result delay.
   */
  forward(record: Keyed<Out>, timestampMs: number, closedAtMs?: number): void
  /** Sends a record on a named output: a branch, or `late`. */
  forwardTo(output: string, record: Keyed<unknown>, timestampMs: number): void
  /** Reports a late record on the `late` output. */
  late(record: LateRecord<unknown>): void
  /** A store the operator owns or was connected to in the topology. */
  store(name: string): OperatorStore
  /**
   * A window closed at `closedAtMs` (event time) and what it produced waits for the next commit:
   * when the data is live, the task commits without waiting out the commit interval, so that a
   * result (or the partials a window needs downstream) is visible as soon as it may be.
   */
  requestCommit(closedAtMs: number): void
  /** Writes a record to a topic (sink operators only). */
  send(topic: string, record: Keyed<unknown>, timestampMs: number): void
  readonly metrics: OperatorMetrics
  /**
   * The running record's undo log. Store writes are logged by the stores; an operator logs the
   * changes it makes to what it keeps in memory beside them (a close queue, an expiry queue) while
   * processing a record, so that a record failing further down leaves them as they were.
   */
  readonly undo: Pick<UndoLog, 'log'>
}

/**
 * One operator of a task, behind the lifecycle of docs/decisions/0003-engine-architecture.md.
 * Everything is synchronous: per-record work never awaits.
 *
 * The task calls `onWatermark` on every operator, upstream first, before it hands an operator the
 * record that moved the watermark. So a windowed operator sees: observe (the task), emit what
 * closed (`onWatermark`), assign (`process`), the order docs/windows-and-time.md derives. Each
 * operator keeps the last watermark it was given: results an upstream operator emits while closing
 * its windows reach the operators below it before the watermark does, as in Flink.
 */
export interface Operator<In, Out> {
  open(context: OperatorContext<Out>): void
  process(record: Keyed<In>, timestampMs: number): void
  onWatermark(watermarkMs: number): void
  /** Called before the task commits: flush what must go into this transaction. */
  onCommit(): void
  close(): void
}

/** Creates a fresh operator instance for one task. */
export type OperatorFactory = () => Operator<unknown, unknown>
