import { resolveWindowCloseQueueOptions, type WindowCloseQueueOptions } from './options.ts'
import type { ClosedWindow, Window, WindowDefinition } from './types.ts'

interface Entry<K> {
  readonly key: K
  readonly keyId: string
  /** The window's bounds, held flat: an operator may hold a million windows, one object each. */
  readonly startMs: number
  readonly endMs: number
  readonly closeAtMs: number
  /** Set by `remove`; the entry stays in the heap until it surfaces or the heap is compacted. */
  removed: boolean
}

/** Close time first; then start, key and end, so that output order survives a restore. */
function before<K>(a: Entry<K>, b: Entry<K>): boolean {
  if (a.closeAtMs !== b.closeAtMs) return a.closeAtMs < b.closeAtMs
  if (a.startMs !== b.startMs) return a.startMs < b.startMs
  if (a.keyId !== b.keyId) return a.keyId < b.keyId
  return a.endMs < b.endMs
}

/**
 * The open windows of an operator, ordered by close time, so that a watermark advance finds the
 * windows to emit in O(log n) each instead of scanning every key. A (key, window) pair is held once
 * however often it is added. Windows closing at the same time come out by start, then key id, then
 * end: an order that depends only on the windows, not on the order they were added in, so a job
 * restored from a checkpoint emits in the same order as one that never stopped.
 *
 * The queue is also an index of each key's open windows (`windowsOf`): an operator whose state
 * holds exactly the windows it queued learns from memory which windows of a key have state, and
 * reads the store only for those (a key's first record reads nothing, a session needs no scan).
 */
export class WindowCloseQueue<K> {
  readonly #definition: WindowDefinition
  readonly #keyId: (key: K) => string
  readonly #heap: Entry<K>[] = []
  /**
   * Each key's open windows, by key id: one entry (the common case, kept without a container), or
   * several by `windowId` (hopping windows hold thousands per key: lookups stay O(1)).
   */
  readonly #live = new Map<string, Entry<K> | Map<string, Entry<K>>>()
  #size = 0

  constructor(definition: WindowDefinition, options: WindowCloseQueueOptions<K> = {}) {
    this.#definition = definition
    this.#keyId = resolveWindowCloseQueueOptions<K>(options).keyId
  }

  /** Number of windows held. */
  get size(): number {
    return this.#size
  }

  /** The earliest close time held (Infinity when empty): `popClosed` below it returns nothing. */
  get nextCloseAtMs(): number {
    this.#dropRemovedTop()
    return this.#heap[0]?.closeAtMs ?? Infinity
  }

  /** Holds `window` of `key` until it closes; returns false when it was held already. */
  add(key: K, window: Window): boolean {
    const keyId = this.#keyId(key)
    const held = this.#live.get(keyId)
    if (held !== undefined && find(held, window) !== undefined) return false
    const entry: Entry<K> = {
      key,
      keyId,
      startMs: window.startMs,
      endMs: window.endMs,
      closeAtMs: this.#definition.closeAtMs(window),
      removed: false,
    }
    if (held === undefined) this.#live.set(keyId, entry)
    else if (held instanceof Map) held.set(windowId(window), entry)
    else {
      const several = new Map<string, Entry<K>>([[windowId(held), held]])
      several.set(windowId(window), entry)
      this.#live.set(keyId, several)
    }
    this.#size++
    this.#push(entry)
    return true
  }

  has(key: K, window: Window): boolean {
    const held = this.#live.get(this.#keyId(key))
    return held !== undefined && find(held, window) !== undefined
  }

  /** The windows of `key` held now, in the order they were added (a new array). */
  windowsOf(key: K): Window[] {
    const held = this.#live.get(this.#keyId(key))
    if (held === undefined) return []
    return held instanceof Map ? Array.from(held.values(), windowOf) : [windowOf(held)]
  }

  /** Forgets `window` of `key` (a session absorbed by a merge); returns false when it was not held. */
  remove(key: K, window: Window): boolean {
    const entry = this.#unlink(this.#keyId(key), window)
    if (entry === undefined) return false
    entry.removed = true
    // Removed entries are skipped when they surface; rebuild once they are most of the heap.
    if (this.#heap.length > 64 && this.#heap.length > 2 * this.#size) this.#compact()
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
      const window = windowOf(top)
      this.#unlink(top.keyId, window)
      closed.push({ key: top.key, window, closeAtMs: top.closeAtMs })
    }
    return closed
  }

  clear(): void {
    this.#heap.length = 0
    this.#live.clear()
    this.#size = 0
  }

  /** Takes the entry of (key id, window) out of the index and returns it, or undefined. */
  #unlink(keyId: string, window: Window): Entry<K> | undefined {
    const held = this.#live.get(keyId)
    if (held === undefined) return undefined
    const entry = find(held, window)
    if (entry === undefined) return undefined
    if (!(held instanceof Map)) this.#live.delete(keyId)
    else {
      held.delete(windowId(window))
      if (held.size === 1) this.#live.set(keyId, held.values().next().value as Entry<K>)
    }
    this.#size--
    return entry
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

/** The entry of `window` among a key's held entries, or undefined. */
function find<K>(held: Entry<K> | Map<string, Entry<K>>, window: Window): Entry<K> | undefined {
  if (held instanceof Map) return held.get(windowId(window))
  return held.startMs === window.startMs && held.endMs === window.endMs ? held : undefined
}

/** A window's bounds as one string; the separator cannot occur in the decimal numbers. */
function windowId(window: Window): string {
  return `${window.startMs}/${window.endMs}`
}

function windowOf<K>(entry: Entry<K>): Window {
  return { startMs: entry.startMs, endMs: entry.endMs }
}
