/**
 * Reports that must not flood a log: at most one per key (an error code, say) per interval. The
 * occurrences held back in between are counted, and the next report of the key carries the count
 * with its latest sample; `flush()` reports what is still held once its interval has passed, so a
 * burst that stops is still reported in full.
 */
export class RateLimitedReports<T> {
  readonly #intervalMs: number
  readonly #emit: (sample: T, count: number) => void
  readonly #clock: () => number
  readonly #entries = new Map<string, { lastMs: number; held: number; sample: T }>()

  constructor(intervalMs: number, emit: (sample: T, count: number) => void, clock: () => number = Date.now) {
    this.#intervalMs = intervalMs
    this.#emit = emit
    this.#clock = clock
  }

  report(key: string, sample: T): void {
    const nowMs = this.#clock()
    const entry = this.#entries.get(key)
    if (entry === undefined) {
      this.#entries.set(key, { lastMs: nowMs, held: 0, sample })
      this.#emit(sample, 1)
      return
    }
    if (nowMs - entry.lastMs >= this.#intervalMs) {
      const count = entry.held + 1
      entry.lastMs = nowMs
      entry.held = 0
      entry.sample = sample
      this.#emit(sample, count)
      return
    }
    entry.held++
    entry.sample = sample
  }

  /** Reports what each key holds back whose interval has passed. */
  flush(): void {
    const nowMs = this.#clock()
    for (const entry of this.#entries.values()) {
      if (entry.held === 0 || nowMs - entry.lastMs < this.#intervalMs) continue
      const count = entry.held
      entry.lastMs = nowMs
      entry.held = 0
      this.#emit(entry.sample, count)
    }
  }
}
