/**
 * The one file that knows the RocksDB binding, `@nxtedition/rocksdb` (docs/decisions/0002).
 *
 * It uses the binding's synchronous calls (`_getManySync`, the iterator's `_nextvSync`, the batch's
 * `_writeSync`), which its own code builds on but its abstract-level interface does not document.
 * That is why package.json pins the exact version and test/state/rocksdb-store.test.ts exercises
 * every call made here; an upgrade is a change to this file and a run of those tests.
 *
 * The binding crashes the process (not an exception) when a native call reaches a closed database,
 * so `RocksDb` refuses every call once `close` has begun.
 */
import { createRequire } from 'node:module'
import { FreshetError, toFreshetError } from '../errors/index.ts'

/** A column family handle, opaque to JavaScript. */
type ColumnHandle = object

interface ColumnOption {
  column?: ColumnHandle
}

interface NativeBatch {
  put(key: Buffer, value: Buffer, options?: ColumnOption): void
  del(key: Buffer, options?: ColumnOption): void
  _writeSync(options?: { sync?: boolean }): void
  close(): Promise<void>
}

interface NativeIterator {
  _nextvSync(size: number, options: object): { rows: Buffer[]; finished: boolean }
  close(): Promise<void>
}

interface NativeDb {
  open(options: object): Promise<void>
  close(): Promise<void>
  readonly columns: Record<string, ColumnHandle>
  _getManySync(keys: Buffer[], options: ColumnOption): Array<Buffer | undefined | null>
  batch(): NativeBatch
  iterator(options: object): NativeIterator
  getProperty(name: string): string
}

type NativeDbClass = new (location: string, options: object) => NativeDb

const BINDING = '@nxtedition/rocksdb'
/** Column family for the store's own records (checkpoint, format), out of the way of user keys. */
const META_COLUMN = 'freshet-meta'

let loaded: NativeDbClass | undefined

/** Loaded on first use, so that importing src/state does not need the native module. */
function nativeDbClass(): NativeDbClass {
  if (loaded !== undefined) return loaded
  try {
    const required = createRequire(import.meta.url)(BINDING) as { RocksLevel: NativeDbClass }
    loaded = required.RocksLevel
    return loaded
  } catch (error) {
    throw toFreshetError(error, 'STATE_BACKEND_UNAVAILABLE', `cannot load the RocksDB binding ${BINDING}`)
  }
}

/** Whether the RocksDB binding loads on this platform. */
export function rocksDbAvailable(): boolean {
  try {
    nativeDbClass()
    return true
  } catch {
    return false
  }
}

export interface RocksDbTuning {
  blockCacheBytes: number
  memtableBudgetBytes: number
  compression: boolean
}

/** A write batch's content: key and value bytes; a null value deletes. */
export interface BatchWrite {
  readonly data: Iterable<readonly [key: Buffer, value: Buffer | null]>
  readonly meta: Iterable<readonly [key: Buffer, value: Buffer]>
}

const BUFFERS = { keyEncoding: 'buffer', valueEncoding: 'buffer' } as const

export class RocksDb {
  readonly #db: NativeDb
  readonly #meta: ColumnHandle
  readonly #store: string
  readonly #iterators = new Set<NativeIterator>()
  #closing = false

  private constructor(db: NativeDb, store: string) {
    this.#db = db
    this.#store = store
    const meta = db.columns[META_COLUMN]
    if (meta === undefined)
      throw new FreshetError('STATE_IO_FAILED', `state store "${store}": meta column missing`)
    this.#meta = meta
  }

  static async open(directory: string, store: string, tuning: RocksDbTuning): Promise<RocksDb> {
    const NativeDbClass = nativeDbClass()
    const db = new NativeDbClass(directory, BUFFERS)
    const dataColumn = {
      cacheSize: tuning.blockCacheBytes,
      compression: tuning.compression,
      compaction: 'level',
      memtableMemoryBudget: tuning.memtableBudgetBytes,
    }
    // The meta column holds a few bytes; it needs neither a block cache nor compression.
    const metaColumn = { cacheSize: 0, compression: false }
    try {
      await db.open({
        createIfMissing: true,
        parallelism: 1,
        columns: { default: dataColumn, [META_COLUMN]: metaColumn },
      })
    } catch (error) {
      // The binding reports a held LOCK file as the cause, with its own code.
      const cause = (error as { cause?: { code?: unknown } }).cause
      const where = { details: { store, directory } }
      if (cause?.code === 'LEVEL_LOCKED') {
        throw toFreshetError(
          cause,
          'STATE_LOCKED',
          `state store "${store}": ${directory} is open elsewhere`,
          where,
        )
      }
      throw toFreshetError(
        cause ?? error,
        'STATE_IO_FAILED',
        `state store "${store}": cannot open ${directory}`,
        where,
      )
    }
    return new RocksDb(db, store)
  }

  get(key: Buffer): Buffer | undefined {
    this.#assertUsable()
    return this.#db._getManySync([key], {})[0] ?? undefined
  }

  getMeta(key: Buffer): Buffer | undefined {
    this.#assertUsable()
    return this.#db._getManySync([key], { column: this.#meta })[0] ?? undefined
  }

  /** Writes one atomic batch. Synchronous: the binding writes the WAL and memtable on this thread. */
  write(batch: BatchWrite): void {
    this.#assertUsable()
    const native = this.#db.batch()
    try {
      for (const [key, value] of batch.data) {
        if (value === null) native.del(key)
        else native.put(key, value)
      }
      for (const [key, value] of batch.meta) native.put(key, value, { column: this.#meta })
      native._writeSync()
    } catch (error) {
      throw toFreshetError(error, 'STATE_IO_FAILED', `state store "${this.#store}": write batch failed`)
    } finally {
      // Frees the native batch and detaches it from the database; nothing to wait for.
      void native.close()
    }
  }

  /**
   * An ordered cursor over `[gte or > gt, lt)`; close it with `closeIterator`. With `values: false`
   * its rows hold undefined for every value, which it does not read.
   */
  iterator(bound: { gte?: Buffer; gt?: Buffer; lt?: Buffer }, values = true): NativeIterator {
    this.#assertUsable()
    const iterator = this.#db.iterator({ ...BUFFERS, ...bound, values })
    this.#iterators.add(iterator)
    return iterator
  }

  /** Up to `size` rows `[key, value, key, value, ...]` and whether the cursor is exhausted. */
  next(iterator: NativeIterator, size: number): { rows: Buffer[]; finished: boolean } {
    this.#assertUsable()
    return iterator._nextvSync(size, {})
  }

  closeIterator(iterator: NativeIterator): void {
    if (!this.#iterators.delete(iterator)) return
    void iterator.close()
  }

  /** A RocksDB integer property of the data column, e.g. `rocksdb.estimate-num-keys`. */
  property(name: string): number {
    this.#assertUsable()
    const value = Number(this.#db.getProperty(name))
    return Number.isFinite(value) ? value : 0
  }

  async close(): Promise<void> {
    if (this.#closing) return
    this.#closing = true
    for (const iterator of this.#iterators) void iterator.close()
    this.#iterators.clear()
    try {
      await this.#db.close()
    } catch (error) {
      throw toFreshetError(error, 'STATE_IO_FAILED', `state store "${this.#store}": close failed`)
    }
  }

  #assertUsable(): void {
    if (this.#closing) {
      throw new FreshetError('INVALID_STATE', `state store "${this.#store}": RocksDB is closed`, {
        details: { store: this.#store },
      })
    }
  }
}

export type { NativeIterator }
