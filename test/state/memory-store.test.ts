import assert from 'node:assert/strict'
import { test } from 'node:test'
import { isFreshetError } from '../../src/errors/index.ts'
import { MemoryStateStore } from '../../src/state/index.ts'
import { stateStoreContract } from './contract.ts'
import { b } from './helpers.ts'

stateStoreContract('MemoryStateStore', {
  create: async (t, options = {}) => {
    const store = new MemoryStateStore({ name: 'contract', ...options })
    t.after(() => store.close())
    return store
  },
})

test('MemoryStateStore: options are validated where they enter', () => {
  assert.throws(
    () => new MemoryStateStore({ name: 'x', size: 3 } as never),
    (error: unknown) =>
      isFreshetError(error, 'FRESHET_INVALID_OPTION') &&
      /unknown option "size"; allowed: name, changelog/.test(error.message),
  )
  assert.throws(
    () => new MemoryStateStore({ changelog: 'yes' } as never),
    (error: unknown) =>
      isFreshetError(error, 'FRESHET_INVALID_OPTION') && /"changelog" must be a boolean/.test(error.message),
  )
  assert.equal(new MemoryStateStore().name, 'state')
})

test('MemoryStateStore: approximateBytes is the exact key and value bytes', () => {
  const store = new MemoryStateStore()
  store.put(b('ab'), b('xyz'))
  store.put(b('c'), b(''))
  assert.equal(store.approximateBytes(), 6)
  store.put(b('ab'), b('x'))
  assert.equal(store.approximateBytes(), 4)
  store.delete(b('ab'))
  store.delete(b('ab'))
  assert.equal(store.approximateBytes(), 1)
  assert.equal(store.approximateCount(), 1)
})
