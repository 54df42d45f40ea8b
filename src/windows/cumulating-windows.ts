import { resolveCumulatingOptions, type CumulatingOptions } from './options.ts'
import { EndClosedWindows, requireTimestampMs } from './time-windows.ts'
import type { EmitMode, Window } from './types.ts'

/**
 * Cumulating windows (Flink's CUMULATE): windows that start together at the multiples of `sizeMs`
 * and end every `stepMs`, `[s, s + stepMs)`, `[s, s + 2 * stepMs)`, ... `[s, s + sizeMs)`. Each
 * result is an early, growing view of the largest window, emitted as its own window closes. Windows
 * of one start differ by their end, so a window is identified by both (its state key holds both).
 */
export class CumulatingWindows extends EndClosedWindows {
  readonly kind = 'cumulating' as const
  readonly sizeMs: number
  readonly stepMs: number
  /** Starts are the multiples of `sizeMs` plus this, in [0, sizeMs). */
  readonly offsetMs: number
  readonly graceMs: number
  readonly emit: EmitMode
  /** The most windows one record belongs to: `sizeMs / stepMs`. */
  readonly maxWindowsPerRecord: number

  constructor(input: CumulatingOptions) {
    super()
    const options = resolveCumulatingOptions(input)
    this.sizeMs = options.sizeMs
    this.stepMs = options.stepMs
    this.offsetMs = options.offsetMs
    this.graceMs = options.graceMs
    this.emit = options.emit
    this.maxWindowsPerRecord = options.sizeMs / options.stepMs
  }

  /**
   * The windows containing `timestampMs`, by ascending end, written into `out` (whose length is set
   * to their number) and returned. Throws FRESHET_TIMESTAMP_INVALID for a negative or non-finite
   * timestamp.
   */
  assign(timestampMs: number, out: Window[] = []): Window[] {
    requireTimestampMs(timestampMs, this.kind)
    const t = Math.floor(timestampMs)
    const startMs = t - ((t - this.offsetMs + this.sizeMs) % this.sizeMs)
    // The first end after t, then every step up to the largest window's.
    const firstEndMs = t - ((t - startMs) % this.stepMs) + this.stepMs
    const count = (startMs + this.sizeMs - firstEndMs) / this.stepMs + 1
    out.length = count
    for (let i = 0; i < count; i++) out[i] = { startMs, endMs: firstEndMs + i * this.stepMs }
    return out
  }
}

/** Windows of one start growing by `stepMs` up to `sizeMs`: each record belongs to up to `sizeMs / stepMs`. */
export function cumulating(options: CumulatingOptions): CumulatingWindows {
  return new CumulatingWindows(options)
}
