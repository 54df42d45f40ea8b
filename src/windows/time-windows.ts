import { FreshetError } from '../errors/index.ts'
import { MAX_TIMESTAMP_MS } from '../time/index.ts'
import {
  resolveHoppingOptions,
  resolveTumblingOptions,
  type HoppingOptions,
  type ResolvedTimeWindowOptions,
  type TumblingOptions,
} from './options.ts'
import type { EmitMode, Window, WindowDefinition } from './types.ts'

/** Throws FRESHET_TIMESTAMP_INVALID unless `timestampMs` is a finite number in `[0, MAX_TIMESTAMP_MS]`. */
export function requireTimestampMs(timestampMs: number, where: string): void {
  // Written so that NaN fails too.
  if (!(timestampMs >= 0 && timestampMs <= MAX_TIMESTAMP_MS)) {
    throw new FreshetError(
      'TIMESTAMP_INVALID',
      `${where}: timestamp must be milliseconds since the epoch in [0, ${MAX_TIMESTAMP_MS}], got ${String(timestampMs)}`,
      { details: { timestampMs } },
    )
  }
}

/**
 * Tumbling or hopping windows `[startMs, startMs + sizeMs)`, with starts at the multiples of
 * `advanceMs` counted from the epoch (tumbling: `advanceMs === sizeMs`). Windows never start before
 * the epoch, so a record in the first `sizeMs` after it belongs to fewer hopping windows (as in Kafka
 * Streams).
 */
/**
 * Windows `[startMs, endMs)` that close when the watermark reaches their end plus grace: time
 * windows and cumulating windows (sessions close a gap later).
 */
export abstract class EndClosedWindows implements WindowDefinition {
  abstract readonly kind: 'tumbling' | 'hopping' | 'cumulating'
  abstract readonly graceMs: number
  abstract readonly emit: EmitMode

  closeAtMs(window: Window): number {
    return window.endMs + this.graceMs
  }

  isClosed(window: Window, watermarkMs: number): boolean {
    return watermarkMs >= window.endMs + this.graceMs
  }

  lateByMs(timestampMs: number, window: Window, watermarkMs: number): number {
    return watermarkMs >= window.endMs + this.graceMs ? watermarkMs - this.graceMs - timestampMs : 0
  }
}

export class TimeWindows extends EndClosedWindows {
  readonly kind: 'tumbling' | 'hopping'
  readonly sizeMs: number
  readonly advanceMs: number
  /** Starts are the multiples of `advanceMs` plus this, in [0, advanceMs). */
  readonly offsetMs: number
  readonly graceMs: number
  readonly emit: EmitMode
  /** The most windows one record belongs to: `ceil(sizeMs / advanceMs)`. */
  readonly maxWindowsPerRecord: number

  constructor(kind: 'tumbling', options: TumblingOptions)
  constructor(kind: 'hopping', options: HoppingOptions)
  constructor(kind: 'tumbling' | 'hopping', input: TumblingOptions | HoppingOptions) {
    super()
    const options: ResolvedTimeWindowOptions =
      kind === 'tumbling' ? resolveTumblingOptions(input) : resolveHoppingOptions(input)
    this.kind = kind
    this.sizeMs = options.sizeMs
    this.advanceMs = options.advanceMs
    this.offsetMs = options.offsetMs
    this.graceMs = options.graceMs
    this.emit = options.emit
    this.maxWindowsPerRecord = Math.ceil(options.sizeMs / options.advanceMs)
  }

  /**
   * The starts of the windows containing `timestampMs`, ascending, written into `out` (whose length
   * is set to their number) and returned. Pass the same array on every call to allocate nothing per
   * record. Throws FRESHET_TIMESTAMP_INVALID for a negative or non-finite timestamp.
   */
  assign(timestampMs: number, out: number[] = []): number[] {
    requireTimestampMs(timestampMs, this.kind)
    // Starts and sizes are whole milliseconds, so t and floor(t) fall into the same windows.
    const t = Math.floor(timestampMs)
    const latestStartMs = t - ((t - this.offsetMs + this.advanceMs) % this.advanceMs)
    if (this.advanceMs === this.sizeMs) {
      out.length = 1
      out[0] = latestStartMs
      return out
    }
    // The earliest window containing t starts after t - sizeMs; the candidate below is at most one
    // advance too early, because (maxWindowsPerRecord - 1) * advanceMs < sizeMs.
    let startMs = latestStartMs - (this.maxWindowsPerRecord - 1) * this.advanceMs
    if (startMs + this.sizeMs <= t) startMs += this.advanceMs
    // No window starts before the epoch (with an offset: the first start after it).
    while (startMs < 0) startMs += this.advanceMs
    const count = (latestStartMs - startMs) / this.advanceMs + 1
    out.length = count
    for (let i = 0; i < count; i++) out[i] = startMs + i * this.advanceMs
    return out
  }

  /** The window starting at `startMs` (a start returned by `assign`). */
  window(startMs: number): Window {
    return { startMs, endMs: startMs + this.sizeMs }
  }
}

/** Fixed-size, non-overlapping windows: each record belongs to exactly one. */
export function tumbling(options: TumblingOptions): TimeWindows {
  return new TimeWindows('tumbling', options)
}

/** Fixed-size windows starting every `advanceMs`: each record belongs to up to `ceil(sizeMs / advanceMs)`. */
export function hopping(options: HoppingOptions): TimeWindows {
  return new TimeWindows('hopping', options)
}
