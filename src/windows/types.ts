/**
 * A window of event time. For time windows (tumbling, hopping, cumulating) it is the half-open interval
 * `[startMs, endMs)`. For session windows both ends are inclusive: `startMs` is the first and `endMs`
 * the last event time of the session (Kafka Streams' convention), so a session of one event has
 * `startMs === endMs`.
 */
export interface Window {
  readonly startMs: number
  readonly endMs: number
}

/**
 * When a windowed operator emits: `final` once per window, when it closes; `updates` on every change
 * of the window's result as well (the last update of a window equals its final result).
 */
export type EmitMode = 'final' | 'updates'
export const EMIT_MODES: readonly EmitMode[] = ['final', 'updates']

export type WindowKind = 'tumbling' | 'hopping' | 'cumulating' | 'session'

/**
 * What every window definition answers about closing and lateness. A window is closed (its result is
 * final, it accepts no more records) once the watermark reaches `closeAtMs(window)`.
 */
export interface WindowDefinition {
  readonly kind: WindowKind
  readonly graceMs: number
  readonly emit: EmitMode
  /** The watermark at which `window` closes: `endMs + graceMs` (sessions: `endMs + gapMs + graceMs`). */
  closeAtMs(window: Window): number
  /** `watermarkMs >= closeAtMs(window)`. */
  isClosed(window: Window, watermarkMs: number): boolean
  /**
   * 0 when `window` is open at `watermarkMs`; otherwise `watermarkMs - graceMs - timestampMs`, which
   * is positive for a record that belongs to `window`, and at least 1 for whole milliseconds (see
   * docs/windows-and-time.md, "Late records").
   */
  lateByMs(timestampMs: number, window: Window, watermarkMs: number): number
}

/** The result of adding one event to the sessions of a key. */
export interface SessionMerge {
  /** The session the event belongs to after merging. */
  readonly session: Window
  /**
   * The existing sessions folded into `session`, ascending by start. Their aggregates combine into
   * the new session's and they are replaced by it (one of them may equal `session` when the event
   * fell inside it). Empty when the event starts a new session.
   */
  readonly absorbed: readonly Window[]
  /** True when `session` differs from every absorbed session, i.e. its bounds are new. */
  readonly changed: boolean
}

/** A window taken out of a `WindowCloseQueue` because the watermark reached its close time. */
export interface ClosedWindow<K> {
  readonly key: K
  readonly window: Window
  readonly closeAtMs: number
}
