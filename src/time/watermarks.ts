import { ErrorCodes, FreshetError } from '../errors/index.ts'
import { resolveWatermarkOptions, type WatermarkOptions } from './options.ts'
import { isValidTimestampMs, MAX_TIMESTAMP_MS } from './timestamps.ts'
import type {
  ObserveVerdict,
  PartitionId,
  PartitionWatermark,
  TimestampAccepted,
  WatermarkSnapshot,
} from './types.ts'

interface PartitionState {
  maxTimestampMs: number
  lastActivityMs: number
  idle: boolean
  /** The partition's input has ended (`finish`): it never holds the watermark back again. */
  finished: boolean
}

const ACCEPTED: TimestampAccepted = Object.freeze({ ok: true })
const NONE: readonly PartitionId[] = Object.freeze([])

/**
 * The event-time watermark of one task, from the records of its input partitions.
 *
 * - A partition's watermark is the largest timestamp it has delivered minus `maxOutOfOrdernessMs`
 *   (-Infinity before its first record).
 * - The task watermark is the minimum over the partitions that are not idle, and never goes back.
 * - A partition is idle once `idleTimeoutMs` of processing time have passed since its last accepted
 *   record (or its assignment, when it has delivered nothing): from then on it does not hold the task
 *   watermark back. Its next record makes it active again; if that record is older than the task
 *   watermark the task watermark stays where it is (the record may be late for its windows) and only
 *   moves on once that partition has caught up.
 * - A newly assigned partition holds the watermark until its first record or its idle timeout, as in
 *   Flink: without a record there is no telling how far behind it is.
 * - When every partition is idle the watermark moves to the largest partition watermark (everything
 *   every partition delivered is then complete), and with `followClockWhenIdle` on with the clock.
 * - A record more than `maxFutureSkewMs` ahead of the clock is rejected before it can move anything.
 * - A finished partition (`finish`: a bounded input read to its end) holds nothing back; once every
 *   partition is finished the watermark is `MAX_TIMESTAMP_MS`, which closes every window (Flink's
 *   final watermark at the end of a bounded source).
 *
 * Deterministic: processing time comes from the `nowMs` arguments, or from the injected `clock`.
 */
export class WatermarkTracker {
  readonly maxOutOfOrdernessMs: number
  readonly idleTimeoutMs: number
  readonly maxFutureSkewMs: number
  readonly followClockWhenIdle: boolean
  readonly #clock: () => number
  readonly #partitions = new Map<PartitionId, PartitionState>()
  #watermarkMs = -Infinity
  /** No active partition can become idle before this processing time (a lower bound, kept lazily). */
  #nextIdleCheckMs = Infinity

  constructor(options: WatermarkOptions = {}) {
    const resolved = resolveWatermarkOptions(options)
    this.maxOutOfOrdernessMs = resolved.maxOutOfOrdernessMs
    this.idleTimeoutMs = resolved.idleTimeoutMs
    this.maxFutureSkewMs = resolved.maxFutureSkewMs
    this.followClockWhenIdle = resolved.followClockWhenIdle
    this.#clock = resolved.clock
  }

  /** The task watermark: no record with a smaller timestamp is expected any more. */
  get watermarkMs(): number {
    return this.#watermarkMs
  }

  /** Partitions currently tracked, sorted. */
  get partitions(): PartitionId[] {
    return [...this.#partitions.keys()].sort()
  }

  /** Starts tracking `partitions` (already tracked ones keep their state). */
  assign(partitions: Iterable<PartitionId>, nowMs: number = this.#clock()): void {
    for (const partition of partitions) {
      if (this.#partitions.has(partition)) continue
      this.#partitions.set(partition, {
        maxTimestampMs: -Infinity,
        lastActivityMs: nowMs,
        idle: false,
        finished: false,
      })
      this.#nextIdleCheckMs = Math.min(this.#nextIdleCheckMs, nowMs + this.idleTimeoutMs)
    }
  }

  /**
   * Marks `partition` finished: its input has ended (a bounded source read up to its end offset, a
   * repartition topic whose writers have all finished). It is no longer idle or active and never
   * holds the watermark back; when every tracked partition is finished the watermark becomes
   * `MAX_TIMESTAMP_MS`. Returns whether the partition was not finished before.
   */
  finish(partition: PartitionId, nowMs: number = this.#clock()): boolean {
    const state = this.#partitions.get(partition)
    if (state === undefined) {
      throw new FreshetError('INVALID_STATE', `WatermarkTracker: partition "${partition}" is not assigned`, {
        details: { partition, assigned: this.partitions },
      })
    }
    if (state.finished) return false
    state.finished = true
    state.idle = false
    this.#recompute(nowMs)
    return true
  }

  /** Whether every tracked partition is finished (and at least one is tracked). */
  get finished(): boolean {
    if (this.#partitions.size === 0) return false
    for (const state of this.#partitions.values()) if (!state.finished) return false
    return true
  }

  /** Stops tracking `partitions`; the task watermark may advance, as they no longer hold it back. */
  revoke(partitions: Iterable<PartitionId>, nowMs: number = this.#clock()): void {
    let removed = false
    for (const partition of partitions) removed = this.#partitions.delete(partition) || removed
    if (removed) this.#recompute(nowMs)
  }

  /**
   * Accounts for one record of `partition`. Returns `{ ok: true }`, or a rejection (invalid timestamp,
   * or too far ahead of the clock) that left the tracker untouched. Throws FRESHET_INVALID_STATE for a
   * partition that is not assigned, which means records of a revoked partition were still processed.
   */
  observe(partition: PartitionId, timestampMs: number, nowMs: number = this.#clock()): ObserveVerdict {
    if (!isValidTimestampMs(timestampMs)) {
      return { ok: false, code: ErrorCodes.TIMESTAMP_INVALID.code, timestampMs }
    }
    const state = this.#partitions.get(partition)
    if (state === undefined) {
      throw new FreshetError('INVALID_STATE', `WatermarkTracker: partition "${partition}" is not assigned`, {
        details: { partition, assigned: this.partitions },
      })
    }
    const aheadByMs = timestampMs - nowMs
    if (aheadByMs > this.maxFutureSkewMs) {
      return { ok: false, code: ErrorCodes.TIMESTAMP_FUTURE.code, timestampMs, aheadByMs }
    }
    // Processing time may step back (NTP); idle timers must not restart because of it.
    if (nowMs > state.lastActivityMs) state.lastActivityMs = nowMs
    let changed = false
    if (state.idle) {
      state.idle = false
      this.#nextIdleCheckMs = Math.min(this.#nextIdleCheckMs, state.lastActivityMs + this.idleTimeoutMs)
      changed = true
    }
    if (timestampMs > state.maxTimestampMs) {
      state.maxTimestampMs = timestampMs
      changed = true
    }
    if (nowMs >= this.#nextIdleCheckMs && this.#markIdle(nowMs).length > 0) changed = true
    if (changed) this.#recompute(nowMs)
    return ACCEPTED
  }

  /**
   * Marks partitions idle whose last record is `idleTimeoutMs` or more in the past, and advances the
   * watermark accordingly. Call it on a timer: `observe` does the same check, but only while records
   * arrive. Returns the partitions that have just become idle (for a log line), sorted.
   */
  advanceIdle(nowMs: number = this.#clock()): readonly PartitionId[] {
    const newlyIdle = nowMs >= this.#nextIdleCheckMs ? this.#markIdle(nowMs) : NONE
    // With every partition idle the clock alone may move the watermark, so recompute regardless.
    if (newlyIdle.length > 0 || this.followClockWhenIdle) this.#recompute(nowMs)
    return newlyIdle
  }

  /** Every tracked partition's state, sorted by partition. */
  partitionWatermarks(): PartitionWatermark[] {
    return this.partitions.map((partition) => {
      const state = this.#partitions.get(partition) as PartitionState
      return {
        partition,
        watermarkMs: state.maxTimestampMs - this.maxOutOfOrdernessMs,
        maxTimestampMs: state.maxTimestampMs,
        idle: state.idle,
        finished: state.finished,
        lastActivityMs: state.lastActivityMs,
      }
    })
  }

  /** The state to checkpoint, as plain JSON. */
  snapshot(): WatermarkSnapshot {
    return {
      version: 1,
      watermarkMs: finiteOrNull(this.#watermarkMs),
      partitions: this.partitions.map((partition) => {
        const state = this.#partitions.get(partition) as PartitionState
        return { partition, maxTimestampMs: finiteOrNull(state.maxTimestampMs), idle: state.idle }
      }),
    }
  }

  /**
   * Replaces the whole state with a checkpoint: exactly the snapshot's partitions are tracked
   * afterwards, their idle timers starting at `nowMs`. Throws FRESHET_WATERMARK_SNAPSHOT_INVALID for
   * anything `snapshot()` could not have produced.
   */
  restore(snapshot: unknown, nowMs: number = this.#clock()): void {
    const parsed = parseSnapshot(snapshot)
    this.#partitions.clear()
    this.#nextIdleCheckMs = Infinity
    for (const entry of parsed.partitions) {
      this.#partitions.set(entry.partition, {
        maxTimestampMs: entry.maxTimestampMs ?? -Infinity,
        lastActivityMs: nowMs,
        idle: entry.idle,
        finished: false,
      })
      if (!entry.idle) this.#nextIdleCheckMs = Math.min(this.#nextIdleCheckMs, nowMs + this.idleTimeoutMs)
    }
    this.#watermarkMs = parsed.watermarkMs ?? -Infinity
  }

  /** Marks the partitions idle whose timeout has passed; recomputes the next check time. */
  #markIdle(nowMs: number): PartitionId[] {
    const newlyIdle: PartitionId[] = []
    let next = Infinity
    for (const [partition, state] of this.#partitions) {
      if (state.idle || state.finished) continue
      const idleAtMs = state.lastActivityMs + this.idleTimeoutMs
      if (nowMs >= idleAtMs) {
        state.idle = true
        newlyIdle.push(partition)
      } else if (idleAtMs < next) next = idleAtMs
    }
    this.#nextIdleCheckMs = next
    return newlyIdle.sort()
  }

  #recompute(nowMs: number): void {
    let minActiveMs = Infinity
    let maxIdleMs = -Infinity
    let active = 0
    let finished = 0
    for (const state of this.#partitions.values()) {
      if (state.finished) {
        finished++
        continue
      }
      const watermarkMs = state.maxTimestampMs - this.maxOutOfOrdernessMs
      if (state.idle) {
        if (watermarkMs > maxIdleMs) maxIdleMs = watermarkMs
      } else {
        active++
        if (watermarkMs < minActiveMs) minActiveMs = watermarkMs
      }
    }
    let candidateMs: number
    if (active > 0) candidateMs = minActiveMs
    else if (this.#partitions.size === 0) candidateMs = -Infinity
    else if (finished === this.#partitions.size) candidateMs = MAX_TIMESTAMP_MS
    else {
      candidateMs = maxIdleMs
      if (this.followClockWhenIdle) {
        candidateMs = Math.max(candidateMs, nowMs - this.idleTimeoutMs - this.maxOutOfOrdernessMs)
      }
    }
    if (candidateMs > this.#watermarkMs) this.#watermarkMs = candidateMs
  }
}

function finiteOrNull(ms: number): number | null {
  return Number.isFinite(ms) ? ms : null
}

function parseSnapshot(snapshot: unknown): WatermarkSnapshot {
  const fail = (why: string): FreshetError =>
    new FreshetError('WATERMARK_SNAPSHOT_INVALID', `WatermarkTracker.restore: ${why}`)
  const isMs = (value: unknown): value is number | null =>
    value === null || (typeof value === 'number' && Number.isFinite(value) && value <= MAX_TIMESTAMP_MS)
  if (snapshot === null || typeof snapshot !== 'object') throw fail('snapshot must be an object')
  const { version, watermarkMs, partitions } = snapshot as Record<string, unknown>
  if (version !== 1) throw fail(`unknown snapshot version ${JSON.stringify(version)}`)
  if (!isMs(watermarkMs)) throw fail('watermarkMs must be a finite number or null')
  if (!Array.isArray(partitions)) throw fail('partitions must be an array')
  const seen = new Set<string>()
  for (const entry of partitions as unknown[]) {
    if (entry === null || typeof entry !== 'object') throw fail('each partition must be an object')
    const { partition, maxTimestampMs, idle } = entry as Record<string, unknown>
    if (typeof partition !== 'string' || partition.length === 0) throw fail('partition must be a string')
    if (seen.has(partition)) throw fail(`partition "${partition}" appears twice`)
    seen.add(partition)
    if (!isMs(maxTimestampMs)) throw fail(`maxTimestampMs of "${partition}" must be a number or null`)
    if (typeof idle !== 'boolean') throw fail(`idle of "${partition}" must be a boolean`)
  }
  return snapshot as WatermarkSnapshot
}
