import { FreshetError } from '../errors/index.ts'
import { fromId, lowerId, prefixEnd, toId } from './bytes.ts'
import {
  assertNothingUnflushed,
  ChangelogBuffer,
  checkCheckpoint,
  decodeCheckpoint,
  encodeCheckpoint,
} from './changelog.ts'
import { StoreLifecycle } from './lifecycle.ts'
import {
  resolveRocksDbStateStoreOptions,
  type ResolvedRocksDbStateStoreOptions,
  type RocksDbStateStoreOptions,
} from './options.ts'
import { RocksDb, type NativeIterator } from './rocksdb-binding.ts'
import type { ChangelogEntry, StateEntry, StateStore, StoreState } from './types.ts'
import type { Revertible, UndoLog } from './undo-log.ts'
import { WriteCache } from './write-cache.ts'

/** Layout version of the store's directory, kept in its meta column; bump it on incompatible changes. */
const FORMAT_VERSION = 1
const FORMAT_KEY = Buffer.from('format')
const CHECKPOINT_KEY = Buffer.from('checkpoint')
/** Rows fetched by a range's first disk read; later reads take more (prefix scans are often short). */
const FIRST_FETCH_ROWS = 16
const MAX_FETCH_ROWS = 1024
/** The value of an entry a keys-only scan read from disk: never handed to a caller. */
const NO_VALUE = Buffer.alloc(0)

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

/**
 * A state store in RocksDB (one instance per task, partition and store, in its own directory) behind
 * a write cache: per-record reads and writes stay in memory, `flush` writes the changes since the last
 * flush and the checkpoint in one atomic RocksDB write batch. See docs/state.md.
 */
export class RocksDbStateStore implements StateStore {
  readonly name: string
  readonly directory: string
  readonly #db: RocksDb
  readonly #lifecycle: StoreLifecycle
  readonly #cache: WriteCache
  readonly #changelog: ChangelogBuffer
  #persistedCheckpoint: bigint | null
  #stagedCheckpoint: bigint | undefined
  /** Bumped whenever a write batch changes the disk, so that open ranges re-read it from their position. */
  #generation = 0
  #closing: Promise<void> | undefined
  #undo: UndoLog | undefined
  /** Takes back one logged write: (key id, dirty value it replaced, changelog value it replaced). */
  readonly #reverter: Revertible = {
    revert: (id, previous, pending) => {
      // A closing store has dropped its cache and changelog already; there is nothing to take back.
      if (this.#lifecycle.state !== 'open') return
      this.#cache.revert(id as string, previous as string | null | undefined)
      this.#changelog.revert(id as string, pending as string | null | undefined)
    },
  }

  private constructor(db: RocksDb, options: ResolvedRocksDbStateStoreOptions, checkpoint: bigint | null) {
    this.#db = db
    this.name = options.name
    this.directory = options.directory
    this.#lifecycle = new StoreLifecycle(this.name)
    this.#cache = new WriteCache(options.cacheMaxEntries)
    this.#changelog = new ChangelogBuffer(options.changelog)
    this.#persistedCheckpoint = checkpoint
  }

  /** Opens (or creates) the store in `options.directory`. Fails with `FRESHET_STATE_LOCKED` while another instance has it open. */
  static async open(options: RocksDbStateStoreOptions): Promise<RocksDbStateStore> {
    const resolved = resolveRocksDbStateStoreOptions(options)
    const db = await RocksDb.open(resolved.directory, resolved.name, resolved)
    try {
      const format = db.getMeta(FORMAT_KEY)
      if (format === undefined) {
        db.write({ data: [], meta: [[FORMAT_KEY, Buffer.from([FORMAT_VERSION])]] })
      } else if (format.length !== 1 || format[0] !== FORMAT_VERSION) {
        throw new FreshetError(
          'STATE_FORMAT_UNSUPPORTED',
          `state store "${resolved.name}": ${resolved.directory} has layout version ${format.toString('hex')}, ` +
            `this freshet reads version ${FORMAT_VERSION}; delete the directory to restore from the changelog`,
          { details: { store: resolved.name, directory: resolved.directory } },
        )
      }
      const stored = db.getMeta(CHECKPOINT_KEY)
      const checkpoint = stored === undefined ? null : decodeCheckpoint(resolved.name, stored)
      return new RocksDbStateStore(db, resolved, checkpoint)
    } catch (error) {
      // The open failure is what the caller needs to see; a failing close on top of it is not.
      await db.close().catch(() => undefined)
      throw error
    }
  }

  get state(): StoreState {
    return this.#lifecycle.state
  }

  get(key: Uint8Array): Buffer | undefined {
    this.#lifecycle.assertOpen('get')
    const id = toId(key)
    const cached = this.#cache.get(id)
    if (cached !== undefined) return cached === null ? undefined : fromId(cached)
    const value = this.#db.get(asBuffer(key))
    if (value !== undefined) this.#cache.addClean(id, toId(value))
    return value
  }

  put(key: Uint8Array, value: Uint8Array): void {
    this.#lifecycle.assertOpen('put')
    this.#write(toId(key), toId(value))
  }

  delete(key: Uint8Array): void {
    this.#lifecycle.assertOpen('delete')
    this.#write(toId(key), null)
  }

  setUndoLog(log: UndoLog | undefined): void {
    this.#undo = log
  }

  range(gte?: Uint8Array, lt?: Uint8Array): IterableIterator<StateEntry> {
    this.#lifecycle.assertOpen('range')
    const lower = gte === undefined || gte.length === 0 ? undefined : Buffer.from(gte)
    const upper = lt === undefined ? undefined : Buffer.from(lt)
    return this.#scan(lower, upper)
  }

  prefix(prefix: Uint8Array): IterableIterator<StateEntry> {
    this.#lifecycle.assertOpen('prefix')
    return this.#scan(prefix.length === 0 ? undefined : Buffer.from(prefix), prefixEnd(prefix))
  }

  *keys(gte?: Uint8Array, lt?: Uint8Array): IterableIterator<Buffer> {
    this.#lifecycle.assertOpen('keys')
    const lower = gte === undefined || gte.length === 0 ? undefined : Buffer.from(gte)
    const upper = lt === undefined ? undefined : Buffer.from(lt)
    for (const [key] of this.#scan(lower, upper, false)) yield key
  }

  approximateCount(): number {
    this.#lifecycle.assertOpen('approximateCount')
    return Math.max(0, this.#db.property('rocksdb.estimate-num-keys') + this.#cache.dirtyCountDelta())
  }

  approximateBytes(): number {
    this.#lifecycle.assertOpen('approximateBytes')
    return (
      this.#db.property('rocksdb.total-sst-files-size') +
      this.#db.property('rocksdb.cur-size-all-mem-tables') +
      this.#cache.dirtyBytes()
    )
  }

  unflushedCount(): number {
    this.#lifecycle.assertOpen('unflushedCount')
    return this.#cache.dirtyCount
  }

  drainChangelog(): ChangelogEntry[] {
    this.#lifecycle.assertOpen('drainChangelog')
    return this.#changelog.drain()
  }

  async restore(entries: Iterable<ChangelogEntry>, nextOffset?: bigint): Promise<void> {
    this.#lifecycle.assertOpen('restore')
    assertNothingUnflushed(this.name, this.#cache.dirtyCount)
    const checkpoint = nextOffset === undefined ? undefined : checkCheckpoint(this.name, nextOffset)
    const cache = this.#cache
    function* data(): Generator<[Buffer, Buffer | null]> {
      for (const { key, value } of entries) {
        cache.dropClean(toId(key))
        yield [asBuffer(key), value === null ? null : asBuffer(value)]
      }
    }
    this.#db.write({
      data: data(),
      meta: checkpoint === undefined ? [] : [[CHECKPOINT_KEY, encodeCheckpoint(checkpoint)]],
    })
    this.#generation++
    if (checkpoint !== undefined) {
      this.#persistedCheckpoint = checkpoint
      this.#stagedCheckpoint = undefined
    }
  }

  writeCheckpoint(nextOffset: bigint): void {
    this.#lifecycle.assertOpen('writeCheckpoint')
    this.#stagedCheckpoint = checkCheckpoint(this.name, nextOffset)
  }

  readCheckpoint(): bigint | null {
    this.#lifecycle.assertOpen('readCheckpoint')
    return this.#stagedCheckpoint ?? this.#persistedCheckpoint
  }

  /**
   * Writes the dirty entries and the staged checkpoint in one RocksDB write batch. The batch is
   * atomic and the write-ahead log replays batches in order after a crash, so the directory always
   * holds the state of some flush together with that flush's checkpoint. The WAL is not synced:
   * a machine crash may lose the last batches, which only moves the store back to an earlier
   * checkpoint; the changelog replays from there.
   */
  async flush(): Promise<void> {
    this.#lifecycle.assertOpen('flush')
    this.#changelog.assertDrained(this.name)
    const checkpoint = this.#stagedCheckpoint
    if (this.#cache.dirtyCount === 0 && checkpoint === undefined) return
    const dirty = this.#cache.dirtyEntries()
    function* data(): Generator<[Buffer, Buffer | null]> {
      for (const [id, value] of dirty) yield [fromId(id), value === null ? null : fromId(value)]
    }
    this.#db.write({
      data: data(),
      meta: checkpoint === undefined ? [] : [[CHECKPOINT_KEY, encodeCheckpoint(checkpoint)]],
    })
    // Everything below runs in the same tick as the write: no put can slip in between.
    this.#cache.markFlushed()
    this.#generation++
    if (checkpoint !== undefined) this.#persistedCheckpoint = checkpoint
    this.#stagedCheckpoint = undefined
  }

  async close(): Promise<void> {
    if (this.#closing !== undefined) return this.#closing
    this.#lifecycle.transition('closing')
    this.#cache.clear()
    this.#changelog.clear()
    this.#closing = this.#db.close().finally(() => this.#lifecycle.transition('closed'))
    return this.#closing
  }

  /**
   * Every write lands in the cache's dirty entries, which already look the key up: what they held
   * is all a rollback needs, since a key that was not dirty reads from the disk, which no write
   * between flushes touches.
   */
  #write(id: string, valueId: string | null): void {
    const previous = this.#cache.write(id, valueId)
    const undo = this.#undo
    if (undo !== undefined && undo.recording)
      undo.log(this.#reverter, id, previous, this.#changelog.pending(id))
    this.#changelog.record(id, valueId)
  }

  /**
   * Merges the cache's dirty entries (which win on equal keys, and hide the keys they delete) with
   * the disk, in key order. Each side moves past what it yields. When the caller has changed the
   * store while holding an entry (the cache's keys moved, or a flush or restore wrote to disk), both
   * sides first move past the last key yielded: a side that had looked ahead, or re-reads the disk,
   * must not yield a key that sorts before the position of the merge. Without `values`, entries
   * from disk carry an empty value, which RocksDB does not read.
   */
  *#scan(
    gte: Buffer | undefined,
    lt: Buffer | undefined,
    values = true,
  ): Generator<StateEntry, undefined, undefined> {
    if (lt !== undefined && lt.length === 0) return
    const cache = this.#cache.cursor(lowerId(gte), lt === undefined ? undefined : toId(lt))
    const disk = new DiskCursor(this.#db, gte, lt, () => this.#generation, values)
    let cacheVersion = this.#cache.dirtyVersion
    let generation = this.#generation
    let last: Buffer | undefined
    try {
      for (;;) {
        this.#lifecycle.assertOpen('iterate')
        if (last !== undefined && cacheVersion !== this.#cache.dirtyVersion) {
          cache.seekPast(toId(last))
          cacheVersion = this.#cache.dirtyVersion
        }
        if (last !== undefined && generation !== this.#generation) {
          disk.seekPast(last)
          generation = this.#generation
        }
        const cacheId = cache.key()
        const diskKey = disk.key()
        if (cacheId === undefined) {
          if (diskKey === undefined) return
          last = diskKey
          const entry: StateEntry = [diskKey, disk.value() ?? NO_VALUE]
          disk.advance()
          yield entry
          continue
        }
        const diskId = diskKey === undefined ? undefined : toId(diskKey)
        if (diskId !== undefined && diskId < cacheId) {
          last = diskKey
          const entry: StateEntry = [diskKey as Buffer, disk.value() ?? NO_VALUE]
          disk.advance()
          yield entry
          continue
        }
        const value = cache.value() as string | null
        cache.advance()
        if (diskId === cacheId) disk.advance()
        last = fromId(cacheId)
        if (value !== null) yield [last, fromId(value)]
      }
    } finally {
      disk.close()
    }
  }
}

/**
 * A position in RocksDB's key order that, like `SortedCursor`, survives changes: when a write batch
 * has changed the disk since it last read (the generation moved), it drops what it buffered and
 * reads again from the last key it moved past (or from where `seekPast` put it).
 */
class DiskCursor {
  readonly #db: RocksDb
  readonly #lt: Buffer | undefined
  readonly #generationOf: () => number
  /** What is left to visit: the keys `>= #from` (`> #from` unless `#inclusive`). */
  #from: Buffer | undefined
  #inclusive = true
  /** Whether buffered rows may lie before `#from` (after `seekPast`) and must be skipped. */
  #skipping = false
  #iterator: NativeIterator | undefined
  /** Rows read ahead: key, value, key, value, ... */
  #rows: Buffer[] = []
  #at = 0
  #finished = false
  #fetch = FIRST_FETCH_ROWS
  #generation: number
  readonly #values: boolean

  constructor(
    db: RocksDb,
    gte: Buffer | undefined,
    lt: Buffer | undefined,
    generation: () => number,
    values: boolean,
  ) {
    this.#db = db
    this.#from = gte
    this.#lt = lt
    this.#generationOf = generation
    this.#generation = generation()
    this.#values = values
  }

  /** The next key to visit, or undefined at the end. Does not move the cursor. */
  key(): Buffer | undefined {
    if (this.#generation !== this.#generationOf()) this.#restart()
    for (;;) {
      if (this.#at >= this.#rows.length && !this.#fill()) return undefined
      const key = this.#rows[this.#at] as Buffer
      if (!this.#skipping || this.#from === undefined) return key
      const order = Buffer.compare(key, this.#from)
      if (order > 0 || (order === 0 && this.#inclusive)) {
        this.#skipping = false // rows come in order: the rest are past the bound too
        return key
      }
      this.#at += 2
    }
  }

  /** The value of `key()`. */
  value(): Buffer | undefined {
    return this.key() === undefined ? undefined : this.#rows[this.#at + 1]
  }

  /** Moves past `key()`. */
  advance(): void {
    const key = this.key()
    if (key === undefined) return
    this.#from = key
    this.#inclusive = false
    this.#at += 2
  }

  /** Moves past `key` and everything before it, unless the cursor is already there. */
  seekPast(key: Buffer): void {
    if (this.#from !== undefined) {
      const order = Buffer.compare(key, this.#from)
      if (order < 0 || (order === 0 && !this.#inclusive)) return
    }
    this.#from = key
    this.#inclusive = false
    this.#skipping = true
  }

  close(): void {
    if (this.#iterator !== undefined) this.#db.closeIterator(this.#iterator)
    this.#iterator = undefined
  }

  #restart(): void {
    this.#generation = this.#generationOf()
    this.close()
    this.#rows = []
    this.#at = 0
    this.#finished = false
  }

  /** Reads the next rows; false at the end. */
  #fill(): boolean {
    this.#rows = []
    this.#at = 0
    // A read may return no rows without being finished (the binding caps a read's bytes), so read on.
    while (this.#rows.length === 0 && !this.#finished) {
      if (this.#iterator === undefined) {
        const bound: { gte?: Buffer; gt?: Buffer; lt?: Buffer } = {}
        if (this.#from !== undefined) bound[this.#inclusive ? 'gte' : 'gt'] = this.#from
        if (this.#lt !== undefined) bound.lt = this.#lt
        this.#iterator = this.#db.iterator(bound, this.#values)
      }
      const { rows, finished } = this.#db.next(this.#iterator, this.#fetch)
      this.#fetch = Math.min(MAX_FETCH_ROWS, this.#fetch * 4)
      this.#rows = rows
      this.#finished = finished
    }
    if (this.#finished) this.close()
    return this.#rows.length > 0
  }
}
