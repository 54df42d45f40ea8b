import assert from 'node:assert/strict'
import { test } from 'node:test'
import { isFreshetError } from '../../src/errors/index.ts'
import {
  DEFAULT_BLOCK_CACHE_BYTES,
  DEFAULT_CACHE_MAX_ENTRIES,
  DEFAULT_MEMTABLE_BUDGET_BYTES,
  resolveMemoryStateStoreOptions,
  resolveRocksDbStateStoreOptions,
} from '../../src/state/options.ts'

test('defaults fill what is not given', () => {
  assert.deepEqual(resolveMemoryStateStoreOptions(), { name: 'state', changelog: true })
  assert.deepEqual(resolveRocksDbStateStoreOptions({ directory: '/s/app/0_1/counts' }), {
    directory: '/s/app/0_1/counts',
    name: 'counts',
    changelog: true,
    cacheMaxEntries: DEFAULT_CACHE_MAX_ENTRIES,
    blockCacheBytes: DEFAULT_BLOCK_CACHE_BYTES,
    memtableBudgetBytes: DEFAULT_MEMTABLE_BUDGET_BYTES,
    compression: true,
  })
})

test('unknown options are named with the allowed ones', () => {
  assert.throws(
    () => resolveRocksDbStateStoreOptions({ directory: '/x', writeBufferSize: 1 }),
    (error: unknown) =>
      isFreshetError(error, 'FRESHET_INVALID_OPTION') &&
      error.message ===
        'RocksDbStateStore: unknown option "writeBufferSize"; allowed: directory, name, changelog, cacheMaxEntries, blockCacheBytes, memtableBudgetBytes, compression',
  )
  assert.throws(
    () => resolveMemoryStateStoreOptions(null),
    (error: unknown) =>
      isFreshetError(error, 'FRESHET_INVALID_OPTION') && /options must be an object/.test(error.message),
  )
})
