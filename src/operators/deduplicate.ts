/**
 * Drops a record when a record with the same key and id was seen less than `withinMs` of event time
 * before or after it. The first occurrence passes; its time is kept until the watermark is
 * `withinMs` past it.
 *
 * A record older than the watermark is late: the entries it would have to be compared with may have
 * expired (those older than `watermarkMs - withinMs`), so the operator cannot tell whether it is a
 * duplicate. It goes to the `late` output with `lateByMs = watermarkMs - timestampMs`, and the window
 * `[t - withinMs, t + withinMs)` it needed. From the watermark on the answer is exact: every entry
 * within `withinMs` of a record at `t >= watermarkMs` is still held.
 *
 * State: the JSON of `[key, id]` (or `[key]`) -> time of the first occurrence (8 bytes).
 */
import { ExpiryQueue } from './expiry-queue.ts'
import { encodeKey, readTime, requireKey, TIME_BYTES, writeTime } from './serde.ts'
import type { OperatorStore } from './store.ts'
import type { Keyed, Operator, OperatorContext } from './types.ts'

export interface DeduplicateConfig<T, K> {
  readonly withinMs: number
  /** What makes two records of one key duplicates; without it, the key alone. */
  readonly id?: ((value: T, key: K) => unknown) | undefined
  readonly store: string
}

export class DeduplicateOperator<T, K> implements Operator<T, T> {
  readonly #withinMs: number
  readonly #id: ((value: T, key: K) => unknown) | undefined
  readonly #storeName: string
  readonly #expiries = new ExpiryQueue()
  #context!: OperatorContext<T>
  #store!: OperatorStore
  #watermarkMs = -Infinity

  constructor(config: DeduplicateConfig<T, K>) {
    this.#withinMs = config.withinMs
    this.#id = config.id
    this.#storeName = config.store
  }

  open(context: OperatorContext<T>): void {
    this.#context = context
    this.#store = context.store(this.#storeName)
    this.#expiries.clear()
    for (const [stateKey, value] of this.#store.range()) {
      this.#expiries.add(readTime(value, 0) + this.#withinMs, stateKey)
    }
  }

  process(record: Keyed<T>, timestampMs: number): void {
    requireKey(record, this.#context.operator)
    if (timestampMs < this.#watermarkMs) {
      this.#context.late({
        key: record.key,
        value: record.value,
        timestampMs,
        lateByMs: this.#watermarkMs - timestampMs,
        watermarkMs: this.#watermarkMs,
        window: { startMs: timestampMs - this.#withinMs, endMs: timestampMs + this.#withinMs },
        operator: this.#context.operator,
        source: record.source,
      })
      return
    }
    const stateKey = this.#stateKey(record)
    const previous = this.#store.get(stateKey)
    if (previous !== undefined) {
      const firstMs = readTime(previous, 0)
      if (Math.abs(timestampMs - firstMs) < this.#withinMs) {
        this.#context.metrics.increment('duplicatesDropped')
        return
      }
      // A new occurrence after the range: it starts the next one. (One far before the first keeps the
      // later first occurrence, which is what records still to come are compared with.)
      if (timestampMs < firstMs) {
        this.#context.forward(record, timestampMs)
        return
      }
    }
    const firstMs = Buffer.allocUnsafe(TIME_BYTES)
    writeTime(firstMs, 0, timestampMs)
    this.#store.put(stateKey, firstMs)
    // No undo needed when a record fails further down: the store's undo restores the entry, and an
    // expiry deletes only an entry whose time still matches. The restored one never does (the same
    // time would have made the failed record a duplicate); one a later record stores expires then anyway.
    this.#expiries.add(timestampMs + this.#withinMs, stateKey)
    this.#context.forward(record, timestampMs)
  }

  onWatermark(watermarkMs: number): void {
    if (watermarkMs <= this.#watermarkMs) return
    this.#watermarkMs = watermarkMs
    for (const { atMs, stateKey } of this.#expiries.popDue(watermarkMs)) {
      const value = this.#store.get(stateKey)
      // Entries replaced by a later occurrence expire later; their own queue entry is still ahead.
      if (value !== undefined && readTime(value, 0) + this.#withinMs === atMs) this.#store.delete(stateKey)
    }
  }

  onCommit(): void {}

  close(): void {
    this.#expiries.clear()
  }

  #stateKey(record: Keyed<T>): Buffer {
    const identity =
      this.#id === undefined ? [record.key] : [record.key, this.#id(record.value, record.key as K)]
    return encodeKey(identity)
  }
}
