import { SortedStringMap, type SortedCursor } from './sorted-map.ts'

/**
 * The RocksDB store's write cache: every `put` and `delete` lands here, and `flush` writes the dirty
 * entries to RocksDB in one batch. Reads look here first.
 *
 * Two parts:
 * - Dirty entries, from a write until the next flush, in key order: a key id maps to a value id, or
 *   to `null` for a delete (a tombstone that hides the key on disk). Range scans merge them with the
 *   disk. They are never evicted: writing them to RocksDB before the transaction that logs them
 *   commits would leave state on disk that a restart cannot roll back.
 * - Clean entries: copies of what is on disk, at most `maxClean`, so that the hot keys of an
 *   aggregation (read and rewritten once per record) are read from memory after a flush. They equal
 *   the disk, so range scans ignore them and they need no order. Recency is kept in two generations
 *   of `maxClean / 2` entries: new and re-used entries go to the young one; when it is full it
 *   becomes the old one and the previous old one is dropped. Every operation is O(1); an exact LRU
 *   on one `Map` (delete and re-insert on each hit) made eviction scan the map's deleted slots and
 *   cost a quarter of a cold read (measured with bench/state.bench.ts).
 */
export class WriteCache {
  readonly #dirty = new SortedStringMap<string | null>()
  #young = new Map<string, string>()
  #old = new Map<string, string>()
  readonly #maxClean: number
  readonly #generationSize: number

  constructor(maxClean: number) {
    this.#maxClean = maxClean
    this.#generationSize = Math.max(1, Math.floor(maxClean / 2))
  }

  get dirtyCount(): number {
    return this.#dirty.size
  }

  get cleanCount(): number {
    return this.#young.size + this.#old.size
  }

  /** The cached value: a value id, `null` for a cached delete, undefined when the key is not cached. */
  get(id: string): string | null | undefined {
    const dirty = this.#dirty.get(id)
    if (dirty !== undefined) return dirty
    const young = this.#young.get(id)
    if (young !== undefined) return young
    const old = this.#old.get(id)
    if (old !== undefined) this.#addYoung(id, old)
    return old
  }

  /**
   * Records a write (`null` deletes); the entry is dirty until the next flush. Returns the dirty
   * value it replaced (`null` for a delete), or undefined when the key was not dirty.
   */
  write(id: string, value: string | null): string | null | undefined {
    const previous = this.#dirty.set(id, value)
    this.dropClean(id)
    return previous
  }

  /**
   * Puts back what `write` returned (src/state/undo-log.ts). A key that was not dirty leaves the
   * dirty entries, so reads go to the disk again; its clean copy is not restored (a miss, not an error).
   */
  revert(id: string, previous: string | null | undefined): void {
    if (previous === undefined) this.#dirty.delete(id)
    else this.#dirty.set(id, previous)
  }

  /** Caches a value just read from disk. */
  addClean(id: string, value: string): void {
    if (this.#maxClean > 0) this.#addYoung(id, value)
  }

  /** Forgets the clean copy of a key that is about to change on disk (restore). */
  dropClean(id: string): void {
    this.#young.delete(id)
    this.#old.delete(id)
  }

  /** The dirty entries in key order, for the flush batch. */
  dirtyEntries(): Generator<[id: string, value: string | null]> {
    return this.#dirty.entries()
  }

  /** After a successful flush: dirty values become clean copies of disk, deletes leave the cache. */
  markFlushed(): void {
    if (this.#maxClean > 0) {
      for (const [id, value] of this.#dirty.entries()) if (value !== null) this.#addYoung(id, value)
    }
    this.#dirty.clear()
  }

  /** Key and value bytes of the dirty entries: the data not yet on disk. */
  dirtyBytes(): number {
    let bytes = 0
    for (const [id, value] of this.#dirty.entries()) bytes += id.length + (value === null ? 0 : value.length)
    return bytes
  }

  /** Dirty puts minus dirty deletes: how far the cache moves the disk's key count, roughly. */
  dirtyCountDelta(): number {
    let delta = 0
    for (const [, value] of this.#dirty.entries()) delta += value === null ? -1 : 1
    return delta
  }

  /** Bumped when dirty keys are added or removed, so that a merging scan knows to re-position. */
  get dirtyVersion(): number {
    return this.#dirty.version
  }

  /** A cursor over the dirty entries (the only ones a range scan needs: clean ones equal the disk). */
  cursor(gte: string | undefined, lt: string | undefined): SortedCursor<string | null> {
    return this.#dirty.cursor(gte, lt)
  }

  clear(): void {
    this.#dirty.clear()
    this.#young.clear()
    this.#old.clear()
  }

  #addYoung(id: string, value: string): void {
    this.#old.delete(id)
    this.#young.set(id, value)
    if (this.#young.size >= this.#generationSize) {
      this.#old = this.#young
      this.#young = new Map()
    }
  }
}
