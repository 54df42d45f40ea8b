import { basename } from 'node:path'
import { checks, requireOptions, validateOptions, type Resolved, type Spec } from '../options/index.ts'

const MIB = 1024 * 1024

/**
 * Clean entries the RocksDB store's cache keeps after a flush. Hot keys of an aggregation are read
 * and rewritten once per record, so keeping the last ones in memory saves a disk read per record;
 * 10,000 entries of window state (20-byte keys, 40-byte values) take about 1.5 MiB of heap: two
 * strings of 40 and 56 bytes and a map entry each.
 */
export const DEFAULT_CACHE_MAX_ENTRIES = 10_000
/**
 * RocksDB's block cache for one store. 8 MiB is the binding's default; each task and partition has
 * its own store, so this is multiplied by the partitions a process owns.
 */
export const DEFAULT_BLOCK_CACHE_BYTES = 8 * MIB
/**
 * Memory for RocksDB's memtables of one store; they hold up to 1.5 times this in the worst case.
 * The write cache already batches writes per commit, so large memtables buy little; RocksDB's own
 * default (64 MiB per memtable, two of them) would cost 128 MiB per partition.
 */
export const DEFAULT_MEMTABLE_BUDGET_BYTES = 16 * MIB

export interface MemoryStateStoreOptions {
  /** Names the store in errors and metrics. */
  name?: string
  /** Track mutations for `drainChangelog()`; false for state that is rebuilt rather than restored. */
  changelog?: boolean
}

export interface RocksDbStateStoreOptions {
  /** The store's own directory, e.g. `storeDirectory(...)`; created when missing. */
  directory: string
  /** Names the store in errors and metrics; defaults to the directory's last segment. */
  name?: string
  changelog?: boolean
  /** Clean (flushed) entries kept in the write cache; dirty entries stay until flushed regardless. */
  cacheMaxEntries?: number
  /** RocksDB block cache size; 0 disables it. */
  blockCacheBytes?: number
  /** RocksDB memtable budget. */
  memtableBudgetBytes?: number
  /** ZSTD compression of RocksDB's lower levels. */
  compression?: boolean
}

export type ResolvedMemoryStateStoreOptions = Resolved<MemoryStateStoreOptions, 'name' | 'changelog'>
export type ResolvedRocksDbStateStoreOptions = Required<RocksDbStateStoreOptions>

const memorySpec: Spec<MemoryStateStoreOptions> = {
  name: { check: checks.string(), default: 'state' },
  changelog: { check: checks.boolean(), default: true },
}

const rocksDbSpec: Spec<RocksDbStateStoreOptions> = {
  directory: { check: checks.string() },
  name: { check: checks.string() },
  changelog: { check: checks.boolean(), default: true },
  cacheMaxEntries: { check: checks.int(0), default: DEFAULT_CACHE_MAX_ENTRIES },
  // The binding takes the block cache size as an unsigned 32-bit integer.
  blockCacheBytes: { check: checks.int(0, 2 ** 32 - 1), default: DEFAULT_BLOCK_CACHE_BYTES },
  memtableBudgetBytes: { check: checks.int(MIB), default: DEFAULT_MEMTABLE_BUDGET_BYTES },
  compression: { check: checks.boolean(), default: true },
}

export function resolveMemoryStateStoreOptions(input: unknown = {}): ResolvedMemoryStateStoreOptions {
  return validateOptions('MemoryStateStore', input, memorySpec) as ResolvedMemoryStateStoreOptions
}

export function resolveRocksDbStateStoreOptions(input: unknown): ResolvedRocksDbStateStoreOptions {
  const options = validateOptions('RocksDbStateStore', input, rocksDbSpec)
  requireOptions('RocksDbStateStore', options, ['directory'])
  return { ...options, name: options.name ?? basename(options.directory) } as ResolvedRocksDbStateStoreOptions
}
