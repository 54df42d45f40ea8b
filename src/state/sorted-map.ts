/**
 * An ordered map from strings to values, the sorted structure behind the memory store and the write
 * cache. Keys are Latin-1 strings made from key bytes (see `bytes.ts`), so the string order `<` is
 * the byte order RocksDB uses.
 *
 * Layout: a list of sorted chunks of at most `2 * CHUNK_LOAD` keys, plus the largest key of each
 * chunk. A lookup is two binary searches; an insert or delete splices one small array. Compared with
 * one sorted array this keeps inserts cheap for large maps; compared with a balanced tree it keeps
 * keys in a few dense arrays, which costs less memory per entry and iterates faster.
 */

/** Half the largest chunk size: chunks split in two when they grow past `2 * CHUNK_LOAD` keys. */
const CHUNK_LOAD = 256

function lowerBound(keys: readonly string[], key: string): number {
  let lo = 0
  let hi = keys.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if ((keys[mid] as string) < key) lo = mid + 1
    else hi = mid
  }
  return lo
}

export interface SortedStringMapOptions {
  /**
   * false keeps keys only (a sorted set): no value array beside each chunk, 8 bytes less per key.
   * `get` and `valueAt` then give undefined. Default true.
   */
  values?: boolean
}

export class SortedStringMap<V> {
  #keys: string[][] = []
  /** One array per chunk beside `#keys`; null for a map of keys only. */
  #values: V[][] | null
  /** `#maxes[i]` is the last (largest) key of chunk `i`. */
  #maxes: string[] = []
  #size = 0
  /** Bumped whenever keys move (insert, delete, clear), so that cursors know to find their place again. */
  #version = 0

  constructor(options: SortedStringMapOptions = {}) {
    this.#values = options.values === false ? null : []
  }

  get size(): number {
    return this.#size
  }

  get version(): number {
    return this.#version
  }

  get(key: string): V | undefined {
    const chunk = lowerBound(this.#maxes, key)
    if (chunk === this.#maxes.length) return undefined
    const keys = this.#keys[chunk] as string[]
    const at = lowerBound(keys, key)
    return keys[at] === key ? this.#values?.[chunk]?.[at] : undefined
  }

  has(key: string): boolean {
    const chunk = lowerBound(this.#maxes, key)
    if (chunk === this.#maxes.length) return false
    const keys = this.#keys[chunk] as string[]
    return keys[lowerBound(keys, key)] === key
  }

  /** The smallest key `>= key`, or undefined when every key is smaller. */
  ceiling(key: string): string | undefined {
    const chunk = lowerBound(this.#maxes, key)
    if (chunk === this.#maxes.length) return undefined
    const keys = this.#keys[chunk] as string[]
    return keys[lowerBound(keys, key)]
  }

  /**
   * For keys that carry data after a prefix that at most one key has: puts `key` in place of the key
   * starting with `prefix`, or inserts it when there is none (`key` must start with `prefix`).
   * Returns the key replaced, or undefined. The value, in a map with values, is kept or undefined.
   */
  setByPrefix(prefix: string, key: string): string | undefined {
    const chunk = lowerBound(this.#maxes, prefix)
    if (chunk < this.#maxes.length) {
      const keys = this.#keys[chunk] as string[]
      const at = lowerBound(keys, prefix)
      const previous = keys[at] as string
      if (previous.startsWith(prefix)) {
        keys[at] = key
        if (at === keys.length - 1) this.#maxes[chunk] = key
        this.#version++
        return previous
      }
    }
    this.set(key, undefined as V)
    return undefined
  }

  /** Removes the key starting with `prefix` (see `setByPrefix`) and returns it, or undefined. */
  deleteByPrefix(prefix: string): string | undefined {
    const key = this.ceiling(prefix)
    if (key === undefined || !key.startsWith(prefix)) return undefined
    this.delete(key)
    return key
  }

  /** Sets `key`; returns the value it replaced, or undefined when the key is new. */
  set(key: string, value: V): V | undefined {
    if (this.#size === 0) {
      this.#keys.push([key])
      this.#values?.push([value])
      this.#maxes.push(key)
      this.#size = 1
      this.#version++
      return undefined
    }
    let chunk = lowerBound(this.#maxes, key)
    if (chunk === this.#maxes.length) {
      // Larger than every key: append to the last chunk.
      chunk--
      ;(this.#keys[chunk] as string[]).push(key)
      this.#values?.[chunk]?.push(value)
      this.#maxes[chunk] = key
    } else {
      const keys = this.#keys[chunk] as string[]
      const at = lowerBound(keys, key)
      if (keys[at] === key) {
        const values = this.#values?.[chunk]
        if (values === undefined) return undefined
        const previous = values[at]
        values[at] = value
        return previous
      }
      keys.splice(at, 0, key)
      this.#values?.[chunk]?.splice(at, 0, value)
    }
    this.#size++
    this.#version++
    if ((this.#keys[chunk] as string[]).length > 2 * CHUNK_LOAD) this.#split(chunk)
    return undefined
  }

  delete(key: string): boolean {
    const chunk = lowerBound(this.#maxes, key)
    if (chunk === this.#maxes.length) return false
    const keys = this.#keys[chunk] as string[]
    const at = lowerBound(keys, key)
    if (keys[at] !== key) return false
    keys.splice(at, 1)
    this.#values?.[chunk]?.splice(at, 1)
    if (keys.length === 0) {
      this.#keys.splice(chunk, 1)
      this.#values?.splice(chunk, 1)
      this.#maxes.splice(chunk, 1)
    } else if (at === keys.length) {
      this.#maxes[chunk] = keys[at - 1] as string
    }
    this.#size--
    this.#version++
    return true
  }

  clear(): void {
    this.#keys = []
    if (this.#values !== null) this.#values = []
    this.#maxes = []
    this.#size = 0
    this.#version++
  }

  /** A cursor at the first key `>= gte` (or the first key), stopping before `lt` (or at the end). */
  cursor(gte?: string, lt?: string): SortedCursor<V> {
    return new SortedCursor(this, gte, lt)
  }

  /** Entries with `gte <= key < lt` in key order. Safe against changes made while iterating. */
  *entries(gte?: string, lt?: string): Generator<[string, V]> {
    const cursor = this.cursor(gte, lt)
    for (let key = cursor.key(); key !== undefined; key = cursor.key()) {
      const value = cursor.value() as V
      // Move past the key before handing it out: the caller may delete it.
      cursor.advance()
      yield [key, value]
    }
  }

  /** Where `key` would be: chunk and index, for `SortedCursor`. */
  locate(key: string | undefined, inclusive: boolean): [number, number] {
    if (key === undefined) return [0, 0]
    const chunk = lowerBound(this.#maxes, key)
    if (chunk === this.#maxes.length) return [chunk, 0]
    const keys = this.#keys[chunk] as string[]
    let at = lowerBound(keys, key)
    if (!inclusive && keys[at] === key) at++
    if (at === keys.length) return [chunk + 1, 0]
    return [chunk, at]
  }

  /** The key and value at a position from `locate`, or undefined past the end. */
  keyAt(chunk: number, at: number): string | undefined {
    return this.#keys[chunk]?.[at]
  }

  valueAt(chunk: number, at: number): V | undefined {
    return this.#values?.[chunk]?.[at]
  }

  chunkLength(chunk: number): number {
    return this.#keys[chunk]?.length ?? 0
  }

  #split(chunk: number): void {
    const keys = this.#keys[chunk] as string[]
    this.#keys.splice(chunk + 1, 0, keys.splice(CHUNK_LOAD))
    const values = this.#values
    if (values !== null) values.splice(chunk + 1, 0, (values[chunk] as V[]).splice(CHUNK_LOAD))
    this.#maxes.splice(chunk, 0, keys[keys.length - 1] as string)
  }
}

/**
 * A position in a `SortedStringMap` that survives changes to the map. It remembers what is left to
 * visit as a bound (the keys after the last one it moved past) and, when the map's keys have moved
 * since it last looked, finds its place again by that bound. So a caller may put and delete while it
 * iterates: keys deleted ahead are not visited, keys inserted ahead are, and values are read fresh.
 */
export class SortedCursor<V> {
  readonly #map: SortedStringMap<V>
  readonly #lt: string | undefined
  /** What is left to visit: the keys `>= #from` (`> #from` unless `#inclusive`). */
  #from: string | undefined
  #inclusive = true
  #chunk = 0
  #at = 0
  /** The map version that `#chunk` and `#at` were computed at. */
  #version = -1

  constructor(map: SortedStringMap<V>, gte: string | undefined, lt: string | undefined) {
    this.#map = map
    this.#from = gte
    this.#lt = lt
  }

  /** The next key to visit, or undefined at the end of the range. Does not move the cursor. */
  key(): string | undefined {
    this.#locate()
    const key = this.#map.keyAt(this.#chunk, this.#at)
    if (key === undefined || (this.#lt !== undefined && key >= this.#lt)) return undefined
    return key
  }

  /** The value of `key()`. */
  value(): V | undefined {
    return this.key() === undefined ? undefined : this.#map.valueAt(this.#chunk, this.#at)
  }

  /** Moves past `key()`. */
  advance(): void {
    const key = this.key()
    if (key === undefined) return
    this.#from = key
    this.#inclusive = false
    this.#step()
  }

  /**
   * Moves past every key that starts with `prefix`, a prefix of `key()`: for keys that carry data
   * after a prefix, which a caller may rewrite while it holds them.
   */
  advancePast(prefix: string): void {
    // Above every Latin-1 string that starts with the prefix, below every larger key; built only
    // when the map changed and the cursor must find its place again.
    this.#from = `${prefix}\u0100`
    this.#inclusive = true
    if (this.#version !== this.#map.version) return
    for (let at = this.#map.keyAt(this.#chunk, this.#at); at?.startsWith(prefix) === true;) {
      this.#step()
      at = this.#map.keyAt(this.#chunk, this.#at)
    }
  }

  /** Moves past `key` and everything before it, unless the cursor is already there. */
  seekPast(key: string): void {
    if (this.#from !== undefined && (key < this.#from || (key === this.#from && !this.#inclusive))) return
    this.#from = key
    this.#inclusive = false
    if (this.#version !== this.#map.version) return // found again from the bound on the next read
    for (let at = this.#map.keyAt(this.#chunk, this.#at); at !== undefined && at <= key;) {
      this.#step()
      at = this.#map.keyAt(this.#chunk, this.#at)
    }
  }

  #step(): void {
    this.#at++
    if (this.#at >= this.#map.chunkLength(this.#chunk)) {
      this.#chunk++
      this.#at = 0
    }
  }

  #locate(): void {
    if (this.#version === this.#map.version) return
    ;[this.#chunk, this.#at] = this.#map.locate(this.#from, this.#inclusive)
    this.#version = this.#map.version
  }
}
