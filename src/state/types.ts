import type { UndoLog } from './undo-log.ts'

/** A stored key and value, as range scans yield them. */
export type StateEntry = readonly [key: Buffer, value: Buffer]

/** One record of a store's changelog: the key's latest value, or `null` for a delete (a tombstone). */
export interface ChangelogEntry {
  readonly key: Buffer
  readonly value: Buffer | null
}

/** Lifecycle of a store. Every operation but `close` needs `open`. */
export type StoreState = 'open' | 'closing' | 'closed'

export const STORE_TRANSITIONS: Readonly<Record<StoreState, readonly StoreState[]>> = {
  open: ['closing'],
  closing: ['closed'],
  closed: [],
}

/**
 * Keyed state of one task and one partition: byte keys and values, ordered by unsigned byte order.
 * Serialization is the caller's. Per-record operations (`get`, `put`, `delete`, `range`, `prefix`)
 * are synchronous; only `flush`, `restore` and `close` touch the disk and return promises.
 *
 * Keys and values passed in are copied (the caller may reuse its buffers); buffers returned are the
 * caller's to keep.
 *
 * Exactly-once protocol, as the task runs it at each commit (docs/state.md):
 *   1. `drainChangelog()`: the mutations since the last drain, one entry per key.
 *   2. Produce them to the store's compacted changelog topic in the same transaction as the task's
 *      outputs and input offsets, and commit the transaction.
 *   3. `writeCheckpoint(nextOffset)`: the changelog offset a restore would resume from.
 *   4. `flush()`: persist the cached changes and the checkpoint together.
 * A crash at any step leaves the store at an earlier checkpoint whose changelog tail (read with
 * `read_committed`) brings it to the last committed transaction, and no further.
 */
export interface StateStore {
  readonly name: string
  readonly state: StoreState

  /** The value of `key`, or undefined when it has none. */
  get(key: Uint8Array): Buffer | undefined
  put(key: Uint8Array, value: Uint8Array): void
  /** Removes `key`; deleting a missing key is allowed and still logged (as a tombstone). */
  delete(key: Uint8Array): void
  /**
   * Entries with `gte <= key < lt` in byte order; a missing bound is open. Changes made while
   * iterating are seen from the iterator's current position on (a key deleted ahead is skipped,
   * one inserted ahead is visited). Break out of the loop, or finish it, to release the iterator.
   */
  range(gte?: Uint8Array, lt?: Uint8Array): IterableIterator<StateEntry>
  /** Entries whose key starts with `prefix`, in byte order. */
  prefix(prefix: Uint8Array): IterableIterator<StateEntry>
  /**
   * The keys of `range(gte, lt)`, as that scan would give them, without their values: RocksDB then
   * reads no value at all (an operator rebuilding an index of its keys needs no more).
   */
  keys(gte?: Uint8Array, lt?: Uint8Array): IterableIterator<Buffer>

  /** Number of keys, estimated by the backend: exact in memory, RocksDB's estimate plus the cache on disk. */
  approximateCount(): number
  /** Bytes the store's data takes: key and value bytes in memory; files, memtables and cache in RocksDB. */
  approximateBytes(): number
  /** Keys changed since the last flush (RocksDB: the write cache's dirty entries); a task may commit early on it. */
  unflushedCount(): number

  /**
   * Logs every `put` and `delete` made while `log` is recording a record (data, changelog buffer
   * and unflushed keys), so that `log.rollback()` leaves the store as it was before the record.
   * `undefined` stops logging. The task sets one log on all of its stores (src/state/undo-log.ts).
   */
  setUndoLog(log: UndoLog | undefined): void

  /**
   * The mutations since the last drain, one entry per key with its latest value (`null` = deleted),
   * in the order the keys were first changed. Empty when the store was created with `changelog: false`.
   */
  drainChangelog(): ChangelogEntry[]
  /**
   * Applies changelog records in order (the last one of a key wins) straight to the store, without
   * logging them again. With `nextOffset`, also sets the checkpoint, persisted together with the
   * entries. Needs a store with nothing unflushed.
   */
  restore(entries: Iterable<ChangelogEntry>, nextOffset?: bigint): Promise<void>
  /** Sets the changelog offset to resume restoring from; persisted by the next `flush`. */
  writeCheckpoint(nextOffset: bigint): void
  /** The checkpoint last written (persisted or not), or after reopening, the persisted one; null if none. */
  readCheckpoint(): bigint | null
  /**
   * Persists the changes since the last flush and the checkpoint, atomically. Fails with
   * `FRESHET_STATE_CHANGELOG_NOT_DRAINED` when there are mutations not yet drained to the changelog:
   * persisting them would put state on disk that no committed changelog record backs.
   */
  flush(): Promise<void>
  /**
   * Releases the store. Does not flush: changes since the last flush belong to a transaction that
   * has not committed and are dropped. Closing again is a no-op.
   */
  close(): Promise<void>
}
