/**
 * State entries ordered by the watermark at which they expire, so that a watermark advance finds
 * them without scanning the store. Entries are not removed when their state changes: the operator
 * checks, when one surfaces, whether the stored state still expires then (lazy deletion).
 */
export interface Expiry {
  readonly atMs: number
  readonly stateKey: Uint8Array
}

export class ExpiryQueue {
  readonly #heap: Expiry[] = []

  get size(): number {
    return this.#heap.length
  }

  add(atMs: number, stateKey: Uint8Array): void {
    const heap = this.#heap
    const entry: Expiry = { atMs, stateKey }
    let i = heap.push(entry) - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      const up = heap[parent] as Expiry
      if (up.atMs <= atMs) break
      heap[i] = up
      i = parent
    }
    heap[i] = entry
  }

  /** Takes out every entry with `atMs <= watermarkMs`, earliest first. */
  popDue(watermarkMs: number): Expiry[] {
    const due: Expiry[] = []
    while (this.#heap.length > 0 && (this.#heap[0] as Expiry).atMs <= watermarkMs) {
      due.push(this.#pop())
    }
    return due
  }

  clear(): void {
    this.#heap.length = 0
  }

  #pop(): Expiry {
    const heap = this.#heap
    const top = heap[0] as Expiry
    const last = heap.pop() as Expiry
    if (heap.length === 0) return top
    let i = 0
    for (;;) {
      const left = 2 * i + 1
      if (left >= heap.length) break
      const right = left + 1
      let child = left
      if (right < heap.length && (heap[right] as Expiry).atMs < (heap[left] as Expiry).atMs) child = right
      const smaller = heap[child] as Expiry
      if (smaller.atMs >= last.atMs) break
      heap[i] = smaller
      i = child
    }
    heap[i] = last
    return top
  }
}
