/**
 * Keyed state of the stream processor: a small synchronous store interface with changelog and
 * checkpoint support for exactly-once restore, an in-memory backend, a RocksDB backend behind a
 * write cache, and the key layout of windowed state. docs/state.md describes the design.
 */
export { storeDirectory, type StoreLocation } from './directory.ts'
export { MemoryStateStore } from './memory-store.ts'
export {
  DEFAULT_BLOCK_CACHE_BYTES,
  DEFAULT_CACHE_MAX_ENTRIES,
  DEFAULT_MEMTABLE_BUDGET_BYTES,
  type MemoryStateStoreOptions,
  type RocksDbStateStoreOptions,
} from './options.ts'
export { rocksDbAvailable } from './rocksdb-binding.ts'
export { RocksDbStateStore } from './rocksdb-store.ts'
export {
  STORE_TRANSITIONS,
  type ChangelogEntry,
  type StateEntry,
  type StateStore,
  type StoreState,
} from './types.ts'
export { UndoLog, type Revertible } from './undo-log.ts'
export { decodeWindowKey, windowKey, windowKeyPrefix, type WindowKey } from './window-key.ts'
