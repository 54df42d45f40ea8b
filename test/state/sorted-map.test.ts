import assert from 'node:assert/strict'
import { test } from 'node:test'
import { SortedStringMap } from '../../src/state/sorted-map.ts'
import { seededRandom } from './helpers.ts'

/** The reference: a Map and a sort on every read. */
function reference(map: Map<string, number>, gte?: string, lt?: string): Array<[string, number]> {
  return [...map.entries()]
    .filter(([key]) => (gte === undefined || key >= gte) && (lt === undefined || key < lt))
    .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))
}

test('SortedStringMap agrees with a sorted Map over random inserts, overwrites and deletes (chunks split and empty)', () => {
  const random = seededRandom(11)
  const map = new SortedStringMap<number>()
  const model = new Map<string, number>()
  const key = (): string => String(Math.floor(random() * 3000)).padStart(4, '0')
  for (let step = 0; step < 30_000; step++) {
    const roll = random()
    const k = key()
    if (roll < 0.55) {
      map.set(k, step)
      model.set(k, step)
    } else if (roll < 0.9) {
      assert.equal(map.delete(k), model.delete(k))
    } else {
      assert.equal(map.get(k), model.get(k))
      assert.equal(map.has(k), model.has(k))
    }
    assert.equal(map.size, model.size)
    if (step % 1000 === 0) {
      const gte = random() < 0.5 ? undefined : key()
      const lt = random() < 0.5 ? undefined : key()
      assert.deepEqual([...map.entries(gte, lt)], reference(model, gte, lt), `step ${step}`)
    }
  }
  assert.ok(model.size > 1000, 'the map grew past several chunks')
  assert.deepEqual([...map.entries()], reference(model))
  map.clear()
  assert.equal(map.size, 0)
  assert.deepEqual([...map.entries()], [])
})

test('a cursor finds its place again after the map changes under it', () => {
  const map = new SortedStringMap<string>()
  for (let i = 0; i < 2000; i += 2) map.set(String(i).padStart(4, '0'), 'v')
  const cursor = map.cursor('0100', '0200')
  assert.equal(cursor.key(), '0100')
  cursor.advance()
  assert.equal(cursor.key(), '0102')
  map.delete('0102') // the key the cursor looks at
  map.set('0101', 'behind-or-at') // after the last key moved past (0100): visited
  assert.equal(cursor.key(), '0101')
  cursor.advance()
  assert.equal(cursor.key(), '0104')
  cursor.seekPast('0150')
  assert.equal(cursor.key(), '0152')
  cursor.seekPast('0120') // already past it: no effect
  assert.equal(cursor.key(), '0152')
  for (let i = 0; i < 3000; i++) map.set(`0153-${i}`, 'x') // splits chunks around the cursor
  cursor.advance()
  assert.equal(cursor.key(), '0153-0')
  cursor.seekPast('0198')
  assert.equal(cursor.key(), undefined, 'stops before lt')
  assert.equal(cursor.value(), undefined)
})

test('entries() tolerates deleting every key it visits', () => {
  const map = new SortedStringMap<number>()
  for (let i = 0; i < 1500; i++) map.set(String(i).padStart(4, '0'), i)
  let visited = 0
  for (const [key] of map.entries()) {
    map.delete(key)
    visited++
  }
  assert.equal(visited, 1500)
  assert.equal(map.size, 0)
})

test('a map of keys only: keys carrying data after a prefix are replaced, removed and skipped by that prefix', () => {
  const set = new SortedStringMap<never>({ values: false })
  const put = (prefix: string, data: string): string | undefined => set.setByPrefix(prefix, prefix + data)
  for (let i = 0; i < 1500; i++) assert.equal(put(`k${String(i).padStart(4, '0')}:`, 'x'), undefined)
  assert.equal(set.size, 1500)
  assert.equal(set.get('k0007:x'), undefined, 'no values are kept')
  assert.equal(put('k0007:', 'zzz'), 'k0007:x', 'replaced in place, the old key returned')
  assert.equal(put('k1499:', 'a'), 'k1499:x', 'the last key of a chunk too')
  assert.equal(set.size, 1500)
  assert.equal(set.ceiling('k0007:'), 'k0007:zzz')
  assert.equal(set.ceiling('k1499:b'), undefined)
  assert.equal(set.deleteByPrefix('k0008:'), 'k0008:x')
  assert.equal(set.deleteByPrefix('k0008:'), undefined)
  assert.equal(set.size, 1499)
  // A cursor moved past a prefix does not come back to that key when it is rewritten meanwhile.
  const cursor = set.cursor('k0006:', 'k0010:')
  const seen: string[] = []
  for (let key = cursor.key(); key !== undefined; key = cursor.key()) {
    seen.push(key)
    const prefix = key.slice(0, 6)
    put(prefix, '~~~~') // sorts after the key it replaces
    put('k0009a', '') // inserted ahead: visited
    cursor.advancePast(prefix)
    if (seen.length > 10) break
  }
  assert.deepEqual(seen, ['k0006:x', 'k0007:zzz', 'k0009:x', 'k0009a'])
  assert.equal([...set.entries()].length, 1500)
})
