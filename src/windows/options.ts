import { FreshetError } from '../errors/index.ts'
import { checks, requireOptions, validateOptions, type Check, type Spec } from '../options/index.ts'
import { EMIT_MODES, type EmitMode } from './types.ts'

/**
 * No grace by default: the watermark's out-of-orderness bound (`maxOutOfOrdernessMs`, src/time) already
 * delays closing for every window; grace is extra tolerance a job asks for explicitly, so that
 * results are not held back twice without anyone choosing it.
 */
export const DEFAULT_GRACE_MS = 0
export const DEFAULT_EMIT_MODE: EmitMode = 'final'
/**
 * Upper bound on `ceil(sizeMs / advanceMs)`, the number of hopping windows one record updates. Beyond
 * it every record fans out into so many windows (and so much state) that the definition is almost
 * certainly a unit mistake, e.g. an advance given in seconds.
 */
export const MAX_WINDOWS_PER_RECORD = 10_000

export interface TumblingOptions {
  /** Length of each window; windows are `[k * sizeMs + offsetMs, (k + 1) * sizeMs + offsetMs)`. */
  sizeMs: number
  /**
   * Shifts the windows' starts from the multiples of the advance (Flink's window offset: `-8 h`
   * makes daily windows start at midnight UTC+8). Taken modulo the advance; default 0.
   */
  offsetMs?: number
  /** How long after its end (in watermark time) a window still accepts records. */
  graceMs?: number
  emit?: EmitMode
}

export interface HoppingOptions {
  sizeMs: number
  /** Distance between the starts of consecutive windows; at most `sizeMs`. */
  advanceMs: number
  /** Shifts the starts from the multiples of `advanceMs` (see `TumblingOptions`). */
  offsetMs?: number
  graceMs?: number
  emit?: EmitMode
}

export interface CumulatingOptions {
  /**
   * The largest window: windows start at the multiples of `sizeMs` and grow by `stepMs` up to it
   * (`[k * sizeMs, k * sizeMs + n * stepMs)` for n = 1 .. sizeMs / stepMs).
   */
  sizeMs: number
  /** How much each window of one start is longer than the one before; divides `sizeMs`. */
  stepMs: number
  /** Shifts the starts from the multiples of `sizeMs` (see `TumblingOptions`). */
  offsetMs?: number
  graceMs?: number
  emit?: EmitMode
}

export interface SessionOptions {
  /** Inactivity gap: events at most `gapMs` apart belong to the same session. */
  gapMs: number
  graceMs?: number
  emit?: EmitMode
}

export interface WindowCloseQueueOptions<K> {
  /**
   * Identity of a key, for deduplication and to order windows that close at the same time. Defaults
   * to `String(key)`, right for string and number keys; give one for keys that are objects or bytes.
   */
  keyId?: (key: K) => string
}

const duration = checks.int(0)
const offset = checks.int(-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER)
const positiveDuration = checks.int(1)
const emitMode = checks.oneOf(EMIT_MODES)

const tumblingSpec: Spec<TumblingOptions> = {
  sizeMs: { check: positiveDuration },
  offsetMs: { check: offset, default: 0 },
  graceMs: { check: duration, default: DEFAULT_GRACE_MS },
  emit: { check: emitMode, default: DEFAULT_EMIT_MODE },
}

const hoppingSpec: Spec<HoppingOptions> = {
  sizeMs: { check: positiveDuration },
  advanceMs: { check: positiveDuration },
  offsetMs: { check: offset, default: 0 },
  graceMs: { check: duration, default: DEFAULT_GRACE_MS },
  emit: { check: emitMode, default: DEFAULT_EMIT_MODE },
}

const cumulatingSpec: Spec<CumulatingOptions> = {
  sizeMs: { check: positiveDuration },
  stepMs: { check: positiveDuration },
  offsetMs: { check: offset, default: 0 },
  graceMs: { check: duration, default: DEFAULT_GRACE_MS },
  emit: { check: emitMode, default: DEFAULT_EMIT_MODE },
}

const sessionSpec: Spec<SessionOptions> = {
  gapMs: { check: positiveDuration },
  graceMs: { check: duration, default: DEFAULT_GRACE_MS },
  emit: { check: emitMode, default: DEFAULT_EMIT_MODE },
}

const keyIdCheck = <K>(): Check<(key: K) => string> => checks.func('a function (key) => string')

export interface ResolvedTimeWindowOptions {
  sizeMs: number
  advanceMs: number
  /** In [0, advanceMs). */
  offsetMs: number
  graceMs: number
  emit: EmitMode
}

export interface ResolvedCumulatingOptions {
  sizeMs: number
  stepMs: number
  /** In [0, sizeMs). */
  offsetMs: number
  graceMs: number
  emit: EmitMode
}

export interface ResolvedSessionOptions {
  gapMs: number
  graceMs: number
  emit: EmitMode
}

export function resolveTumblingOptions(input: unknown): ResolvedTimeWindowOptions {
  const options = validateOptions('tumbling', input, tumblingSpec)
  requireOptions('tumbling', options, ['sizeMs'])
  return {
    sizeMs: options.sizeMs,
    advanceMs: options.sizeMs,
    offsetMs: modulo(options.offsetMs ?? 0, options.sizeMs),
    graceMs: options.graceMs ?? DEFAULT_GRACE_MS,
    emit: options.emit ?? DEFAULT_EMIT_MODE,
  }
}

export function resolveHoppingOptions(input: unknown): ResolvedTimeWindowOptions {
  const options = validateOptions('hopping', input, hoppingSpec)
  requireOptions('hopping', options, ['sizeMs', 'advanceMs'])
  const { sizeMs, advanceMs } = options
  if (advanceMs > sizeMs) {
    throw new FreshetError(
      'INVALID_OPTION',
      `hopping: option "advanceMs" (${advanceMs}) must be at most sizeMs (${sizeMs}); ` +
        'an advance larger than the size leaves gaps that no window covers',
      { details: { option: 'advanceMs', expected: `an integer in [1, ${sizeMs}]` } },
    )
  }
  const perRecord = Math.ceil(sizeMs / advanceMs)
  if (perRecord > MAX_WINDOWS_PER_RECORD) {
    throw new FreshetError(
      'INVALID_OPTION',
      `hopping: sizeMs / advanceMs = ${perRecord} windows per record; at most ${MAX_WINDOWS_PER_RECORD} ` +
        'are allowed (check the units of "advanceMs")',
      {
        details: {
          option: 'advanceMs',
          expected: `an integer in [${Math.ceil(sizeMs / MAX_WINDOWS_PER_RECORD)}, ${sizeMs}]`,
        },
      },
    )
  }
  return {
    sizeMs,
    advanceMs,
    offsetMs: modulo(options.offsetMs ?? 0, advanceMs),
    graceMs: options.graceMs ?? DEFAULT_GRACE_MS,
    emit: options.emit ?? DEFAULT_EMIT_MODE,
  }
}

export function resolveCumulatingOptions(input: unknown): ResolvedCumulatingOptions {
  const options = validateOptions('cumulating', input, cumulatingSpec)
  requireOptions('cumulating', options, ['sizeMs', 'stepMs'])
  const { sizeMs, stepMs } = options
  if (sizeMs % stepMs !== 0) {
    throw new FreshetError(
      'INVALID_OPTION',
      `cumulating: option "sizeMs" (${sizeMs}) must be a whole multiple of stepMs (${stepMs})`,
      { details: { option: 'sizeMs', expected: `a multiple of ${stepMs}` } },
    )
  }
  if (sizeMs / stepMs > MAX_WINDOWS_PER_RECORD) {
    throw new FreshetError(
      'INVALID_OPTION',
      `cumulating: sizeMs / stepMs = ${sizeMs / stepMs} windows per record; at most ${MAX_WINDOWS_PER_RECORD} ` +
        'are allowed (check the units of "stepMs")',
      {
        details: {
          option: 'stepMs',
          expected: `an integer in [${Math.ceil(sizeMs / MAX_WINDOWS_PER_RECORD)}, ${sizeMs}]`,
        },
      },
    )
  }
  return {
    sizeMs,
    stepMs,
    offsetMs: modulo(options.offsetMs ?? 0, sizeMs),
    graceMs: options.graceMs ?? DEFAULT_GRACE_MS,
    emit: options.emit ?? DEFAULT_EMIT_MODE,
  }
}

export function resolveSessionOptions(input: unknown): ResolvedSessionOptions {
  const options = validateOptions('session', input, sessionSpec)
  requireOptions('session', options, ['gapMs'])
  return {
    gapMs: options.gapMs,
    graceMs: options.graceMs ?? DEFAULT_GRACE_MS,
    emit: options.emit ?? DEFAULT_EMIT_MODE,
  }
}

export function resolveWindowCloseQueueOptions<K>(input: unknown): { keyId: (key: K) => string } {
  const options = validateOptions<WindowCloseQueueOptions<K>>('WindowCloseQueue', input, {
    keyId: { check: keyIdCheck<K>() },
  })
  return { keyId: options.keyId ?? String }
}

/** `a mod b` in [0, b). */
function modulo(a: number, b: number): number {
  return ((a % b) + b) % b
}
