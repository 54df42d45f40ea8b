import { resolveSessionOptions, type SessionOptions } from './options.ts'
import { requireTimestampMs } from './time-windows.ts'
import type { EmitMode, SessionMerge, Window, WindowDefinition } from './types.ts'

/**
 * Session windows: the events of a key at most `gapMs` apart form one session `[startMs, endMs]`
 * (first and last event time, both inclusive). Events exactly `gapMs` apart are one session, as in
 * Flink (whose session windows merge when they touch: `TimeWindow.intersects` is inclusive at both
 * ends) and Kafka Streams (whose session store finds sessions within the gap, ends included).
 *
 * A session closes when the watermark passes `endMs + gapMs + graceMs`: an event at `endMs + gapMs`
 * still joins it, and a watermark `W` promises no event before `W` is still to come, so the session
 * stays open while `W <= endMs + gapMs + graceMs` and closes at one millisecond more (as in Kafka
 * Streams).
 */
export class SessionWindows implements WindowDefinition {
  readonly kind = 'session' as const
  readonly gapMs: number
  readonly graceMs: number
  readonly emit: EmitMode

  constructor(options: SessionOptions) {
    const resolved = resolveSessionOptions(options)
    this.gapMs = resolved.gapMs
    this.graceMs = resolved.graceMs
    this.emit = resolved.emit
  }

  /** True when an event at `timestampMs` joins `session`: `startMs - gapMs <= t <= endMs + gapMs`. */
  reaches(session: Window, timestampMs: number): boolean {
    return session.startMs - this.gapMs <= timestampMs && timestampMs <= session.endMs + this.gapMs
  }

  /**
   * Adds an event at `timestampMs` to the open sessions of one key (in any order; sessions already
   * closed and emitted are not passed, so a closed session is never reopened). The event joins every
   * session it reaches and the sessions it joins become one, so an event in the gap between two
   * sessions bridges them. Pure: `existing` is not modified.
   */
  merge(existing: readonly Window[], timestampMs: number): SessionMerge {
    requireTimestampMs(timestampMs, 'session')
    let startMs = timestampMs
    let endMs = timestampMs
    let absorbed: Window[] | undefined
    let taken: boolean[] | undefined
    // Open sessions of one key are more than gapMs apart, so one pass normally suffices; repeating
    // until nothing changes keeps the result right for any input order and overlapping inputs.
    for (let grew = true; grew;) {
      grew = false
      for (let i = 0; i < existing.length; i++) {
        if (taken?.[i] === true) continue
        const session = existing[i] as Window
        if (session.startMs - this.gapMs <= endMs && startMs <= session.endMs + this.gapMs) {
          taken ??= new Array<boolean>(existing.length).fill(false)
          taken[i] = true
          absorbed ??= []
          absorbed.push(session)
          if (session.startMs < startMs) startMs = session.startMs
          if (session.endMs > endMs) endMs = session.endMs
          grew = true
        }
      }
    }
    if (absorbed === undefined) {
      return { session: { startMs, endMs }, absorbed: [], changed: true }
    }
    absorbed.sort((a, b) => a.startMs - b.startMs || a.endMs - b.endMs)
    const only = absorbed.length === 1 ? (absorbed[0] as Window) : undefined
    if (only !== undefined && only.startMs === startMs && only.endMs === endMs) {
      return { session: only, absorbed, changed: false }
    }
    return { session: { startMs, endMs }, absorbed, changed: true }
  }

  closeAtMs(window: Window): number {
    return window.endMs + this.gapMs + this.graceMs + 1
  }

  isClosed(window: Window, watermarkMs: number): boolean {
    return watermarkMs >= this.closeAtMs(window)
  }

  lateByMs(timestampMs: number, window: Window, watermarkMs: number): number {
    return this.isClosed(window, watermarkMs) ? watermarkMs - this.graceMs - timestampMs : 0
  }
}

export function session(options: SessionOptions): SessionWindows {
  return new SessionWindows(options)
}
