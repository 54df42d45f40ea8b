import { resolveWindowCloseQueueOptions, type WindowCloseQueueOptions } from './options.ts'
import type { ClosedWindow, Window, WindowDefinition } from './types.ts'

interface Entry<K> {
  readonly key: K
  readonly keyId: string
  readonly window: Window
  readonly closeAtMs: number
  /** Set by `remove`; the entry stays in the heap until it surfaces or the heap is compacted. */
  removed: boolean
}

/** Close time first; then start, key and end, so that output order survives a restore. */
function before<K>(a: Entry<K>, b: Entry<K>): boolean {
  if (a.closeAtMs !== b.closeAtMs) return a.closeAtMs < b.closeAtMs
  if (a.window.startMs !== b.window.startMs) return a.window.startMs < b.window.startMs
  if (a.keyId !== b.keyId) return a.keyId < b.keyId
  return a.window.endMs < b.window.endMs
}

/**
 * The open windows of an operator, ordered by close time, so that a watermark advance finds the
 * windows to emit in O(log n) each instead of scanning every key. A (key, window) pair is held once
 * however often it is added. Windows closing at the same time come out by start, then key id, then
 * end: an order that depends only on the windows, not on the order they were added in, so a job
 * restored from a checkpoint emits in the same order as one that never stopped.
 */
export class WindowCloseQueue<K> {
  readonly #definition: WindowDefinition
  readonly #keyId: (key: K) => string
  readonly #heap: Entry<K>[] = []
  readonly #live = new Map<string, Entry<K>>()

  constructor(definition: WindowDefinition, options: WindowCloseQueueOptions<K> = {}) {
    this.#definition = definition
    this.#keyId = resolveWindowCloseQueueOptions<K>(options).keyId
  }

  /** Number of windows held. */
  get size(): number {
    return this.#live.size
  }

  /** The earliest close time held (Infinity when empty): `popClosed` below it returns nothing. */
  get nextCloseAtMs(): number {
    this.#dropRemovedTop()
    return this.#heap[0]?.closeAtMs ?? Infinity
  }

  /** Holds `window` of `key` until it closes; returns false when it was held already. */
  add(key: K, window: Window): boolean {
    const keyId = this.#keyId(key)
    const id = entryId(keyId, window)
    if (this.#live.has(id)) return false
    const entry: Entry<K> = {
      key,
      keyId,
      window: { startMs: window.startMs, endMs: window.endMs },
      closeAtMs: this.#definition.closeAtMs(window),
      removed: false,
    }
    this.#live.set(id, entry)
    this.#push(entry)
    return true
  }

  has(key: K, window: Window): boolean {
    return this.#live.has(entryId(this.#keyId(key), window))
  }

  /** Forgets `window` of `key` (a session absorbed by a merge); returns false when it was not held. */
  remove(key: K, window: Window): boolean {
    const id = entryId(this.#keyId(key), window)
    const entry = this.#live.get(id)
    if (entry === undefined) return false
    entry.removed = true
    this.#live.delete(id)
    // Removed entries are skipped when they surface; rebuild once they are most of the heap.
    if (this.#heap.length > 64 && this.#heap.length > 2 * this.#live.size) this.#compact()
    return true
  }

  /** Takes out and returns, in close-time order, every window with `closeAtMs <= watermarkMs`. */
  popClosed(watermarkMs: number): ClosedWindow<K>[] {
    const closed: ClosedWindow<K>[] = []
    for (;;) {
      const top = this.#heap[0]
      if (top === undefined || top.closeAtMs > watermarkMs) break
      this.#pop()
      if (top.removed) continue
      this.#live.delete(entryId(top.keyId, top.window))
      closed.push({ key: top.key, window: top.window, closeAtMs: top.closeAtMs })
    }
    return closed
  }

  clear(): void {
    this.#heap.length = 0
    this.#live.clear()
  }

  #dropRemovedTop(): void {
    while (this.#heap[0]?.removed === true) this.#pop()
  }

  #compact(): void {
    const live = this.#heap.filter((entry) => !entry.removed)
    this.#heap.length = 0
    for (const entry of live) this.#push(entry)
  }

  #push(entry: Entry<K>): void {
    const heap = this.#heap
    let i = heap.push(entry) - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      const up = heap[parent] as Entry<K>
      if (!before(entry, up)) break
      heap[i] = up
      i = parent
    }
    heap[i] = entry
  }

  #pop(): void {
    const heap = this.#heap
    const last = heap.pop() as Entry<K>
    if (heap.length === 0) return
    let i = 0
    for (;;) {
      const left = 2 * i + 1
      if (left >= heap.length) break
      const right = left + 1
      let child = left
      if (right < heap.length && before(heap[right] as Entry<K>, heap[left] as Entry<K>)) child = right
      const smaller = heap[child] as Entry<K>
      if (!before(smaller, last)) break
      heap[i] = smaller
      i = child
    }
    heap[i] = last
  }
}

function entryId(keyId: string, window: Window): string {
  // The separator cannot occur in the decimal numbers, so ids of different pairs never collide.
  return `${window.startMs}/${window.endMs}/${keyId}`
}
