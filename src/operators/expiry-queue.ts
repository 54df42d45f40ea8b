/**
 * State entries ordered by the watermark at which they expire, so that a watermark advance finds
 * them without scanning the store. Entries are not removed when their state changes: the operator
 * checks, when one surfaces, whether the stored state still expires then (lazy deletion), or
 * cancels the entry (`cancel`) when the record that added it failed.
 */
export interface Expiry {
  readonly atMs: number
  readonly stateKey: Uint8Array
}

interface Entry extends Expiry {
  cancelled: boolean
}

export class ExpiryQueue {
  readonly #heap: Entry[] = []

  /** Entries held, cancelled ones included until they surface. */
  get size(): number {
    return this.#heap.length
  }

  /** Returns the entry, for `cancel`. */
  add(atMs: number, stateKey: Uint8Array): Expiry {
    const heap = this.#heap
    const entry: Entry = { atMs, stateKey, cancelled: false }
    let i = heap.push(entry) - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      const up = heap[parent] as Entry
      if (up.atMs <= atMs) break
      heap[i] = up
      i = parent
    }
    heap[i] = entry
    return entry
  }

  /** Drops an entry `add` returned: `popDue` will not return it. */
  cancel(expiry: Expiry): void {
    ;(expiry as Entry).cancelled = true
  }

  /** Takes out every entry with `atMs <= watermarkMs` that was not cancelled, earliest first. */
  popDue(watermarkMs: number): Expiry[] {
    const due: Expiry[] = []
    while (this.#heap.length > 0 && (this.#heap[0] as Entry).atMs <= watermarkMs) {
      const entry = this.#pop()
      if (!entry.cancelled) due.push(entry)
    }
    return due
  }

  clear(): void {
    this.#heap.length = 0
  }

  #pop(): Entry {
    const heap = this.#heap
    const top = heap[0] as Entry
    const last = heap.pop() as Entry
    if (heap.length === 0) return top
    let i = 0
    for (;;) {
      const left = 2 * i + 1
      if (left >= heap.length) break
      const right = left + 1
      let child = left
      if (right < heap.length && (heap[right] as Entry).atMs < (heap[left] as Entry).atMs) child = right
      const smaller = heap[child] as Entry
      if (smaller.atMs >= last.atMs) break
      heap[i] = smaller
      i = child
    }
    heap[i] = last
    return top
  }
}
