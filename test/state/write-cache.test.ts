import assert from 'node:assert/strict'
import { test } from 'node:test'
import { WriteCache } from '../../src/state/write-cache.ts'

test('dirty entries stay until flushed, in key order; then values are clean and deletes leave', () => {
  const cache = new WriteCache(10)
  cache.write('d', '4')
  cache.write('a', '1')
  cache.write('b', null)
  cache.write('c', '3')
  assert.equal(cache.dirtyCount, 4)
  assert.deepEqual(
    [...cache.dirtyEntries()],
    [
      ['a', '1'],
      ['b', null],
      ['c', '3'],
      ['d', '4'],
    ],
  )
  assert.equal(cache.get('b'), null, 'a dirty delete answers "deleted", not "unknown"')
  assert.equal(cache.dirtyBytes(), 1 + 1 + 1 + 2 + 2)
  assert.equal(cache.dirtyCountDelta(), 2)
  cache.markFlushed()
  assert.equal(cache.dirtyCount, 0)
  assert.equal(cache.cleanCount, 3)
  assert.equal(cache.get('a'), '1')
  assert.equal(cache.get('b'), undefined)
})

test('never more than maxClean clean entries; the ones used lately survive, unused ones go', () => {
  const cache = new WriteCache(4)
  cache.addClean('a', 'A')
  cache.addClean('b', 'B') // the young generation (2 entries) is full: a and b are now the old one
  cache.addClean('c', 'C')
  assert.equal(cache.get('a'), 'A') // used: back to the young one, which turns over again
  assert.equal(cache.get('b'), undefined, 'not used in time: dropped')
  assert.equal(cache.get('c'), 'C')
  assert.equal(cache.get('a'), 'A')
  for (let i = 0; i < 1000; i++) {
    cache.addClean(`k${i}`, 'v')
    assert.ok(cache.cleanCount <= 4, `${cache.cleanCount} clean entries`)
  }
  assert.equal(cache.get('a'), undefined)
  assert.equal(cache.get('k999'), 'v')
})

test('a write replaces the clean copy; dropClean leaves dirty entries alone', () => {
  const cache = new WriteCache(10)
  cache.addClean('a', 'disk')
  cache.write('a', 'new')
  cache.dropClean('a')
  assert.equal(cache.get('a'), 'new')
  assert.equal(cache.cleanCount, 0)
  cache.markFlushed()
  assert.equal(cache.get('a'), 'new')
  cache.dropClean('a')
  assert.equal(cache.get('a'), undefined)
  assert.equal(cache.dirtyCount + cache.cleanCount, 0)
})

test('a cache of no clean entries keeps nothing after a flush', () => {
  const cache = new WriteCache(0)
  cache.addClean('a', '1')
  assert.equal(cache.cleanCount, 0)
  cache.write('b', '2')
  assert.equal(cache.get('b'), '2')
  cache.markFlushed()
  assert.equal(cache.dirtyCount + cache.cleanCount, 0)
})
