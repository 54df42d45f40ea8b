import { FreshetError } from '../errors/index.ts'
import { checks, validateOptions, type Check, type Spec } from '../options/index.ts'

/**
 * Producers stamp events before batching (linger) and retrying, and several producers write to one
 * partition with clocks that NTP keeps within a second or so; 5 s covers that disorder while
 * delaying final window results by only 5 s.
 */
export const DEFAULT_MAX_OUT_OF_ORDERNESS_MS = 5_000
/**
 * Long enough that a live partition with sparse traffic, a slow fetch or a consumer pause during a
 * rebalance is not taken for idle; short enough that one quiet partition holds results back for
 * half a minute at most.
 */
export const DEFAULT_IDLE_TIMEOUT_MS = 30_000
/**
 * Synchronised clocks differ by milliseconds and devices without NTP by seconds; an event a minute
 * or more ahead is a broken clock or a unit mistake (microseconds for milliseconds). Left in, it
 * would push the watermark ahead for good, since a watermark never goes back, and make every later
 * record late.
 */
export const DEFAULT_MAX_FUTURE_SKEW_MS = 60_000

export interface WatermarkOptions {
  /** How far behind the largest timestamp seen a partition's watermark stays. */
  maxOutOfOrdernessMs?: number
  /**
   * Processing time without an accepted record after which a partition stops holding the task
   * watermark back. `Infinity` never releases a partition.
   */
  idleTimeoutMs?: number
  /** Records more than this ahead of the processing-time clock are rejected. `Infinity` accepts all. */
  maxFutureSkewMs?: number
  /**
   * When every partition is idle, let the watermark follow the processing-time clock
   * (`nowMs - idleTimeoutMs - maxOutOfOrdernessMs`) so that the last windows of a stream that has
   * gone quiet close. Only right when event time tracks processing time (live data, not replays).
   */
  followClockWhenIdle?: boolean
  /** The processing-time clock, in milliseconds. Methods taking `nowMs` use it when `nowMs` is omitted. */
  clock?: () => number
}

export interface ResolvedWatermarkOptions {
  maxOutOfOrdernessMs: number
  idleTimeoutMs: number
  maxFutureSkewMs: number
  followClockWhenIdle: boolean
  clock: () => number
}

/** A whole number of milliseconds `>= min`, or `Infinity`. */
const durationOrInfinity =
  (min: number): Check<number> =>
  (where, key, value) => {
    if (value === Infinity) return value
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
      throw new FreshetError(
        'INVALID_OPTION',
        `${where}: option "${key}" must be an integer >= ${min} or Infinity, got ${JSON.stringify(value)}`,
        { details: { option: key, expected: `an integer >= ${min} or Infinity` } },
      )
    }
    return value
  }

const clockCheck: Check<() => number> = checks.func('a function () => number of milliseconds')

const watermarkSpec: Spec<WatermarkOptions> = {
  maxOutOfOrdernessMs: {
    check: (where, key, value) => {
      const ms = durationOrInfinity(0)(where, key, value)
      if (ms === Infinity) {
        throw new FreshetError(
          'INVALID_OPTION',
          `${where}: option "${key}" must be finite; an infinite bound would hold the watermark back forever`,
          { details: { option: key, expected: 'an integer >= 0' } },
        )
      }
      return ms
    },
    default: DEFAULT_MAX_OUT_OF_ORDERNESS_MS,
  },
  idleTimeoutMs: { check: durationOrInfinity(1), default: DEFAULT_IDLE_TIMEOUT_MS },
  maxFutureSkewMs: { check: durationOrInfinity(0), default: DEFAULT_MAX_FUTURE_SKEW_MS },
  followClockWhenIdle: { check: checks.boolean(), default: false },
  clock: { check: clockCheck, default: Date.now },
}

export function resolveWatermarkOptions(input: unknown): ResolvedWatermarkOptions {
  const options = validateOptions('WatermarkTracker', input, watermarkSpec)
  return {
    maxOutOfOrdernessMs: options.maxOutOfOrdernessMs ?? DEFAULT_MAX_OUT_OF_ORDERNESS_MS,
    idleTimeoutMs: options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
    maxFutureSkewMs: options.maxFutureSkewMs ?? DEFAULT_MAX_FUTURE_SKEW_MS,
    followClockWhenIdle: options.followClockWhenIdle ?? false,
    clock: options.clock ?? Date.now,
  }
}
