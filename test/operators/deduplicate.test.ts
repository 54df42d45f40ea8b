import assert from 'node:assert/strict'
import { test } from 'node:test'
import { DeduplicateOperator } from '../../src/operators/index.ts'
import { Harness, random } from './harness.ts'

interface Click {
  id: string
  n: number
}

function harness(withinMs: number, byId: boolean, maxOutOfOrdernessMs = 0) {
  const operator = new DeduplicateOperator<Click, string>({
    withinMs,
    id: byId ? (v) => v.id : undefined,
    store: 'seen',
  })
  return new Harness<Click, Click>(operator, ['seen'], { maxOutOfOrdernessMs })
}

test('the first occurrence passes; the same key and id less than withinMs later is dropped', () => {
  const h = harness(10, true, 100)
  h.feed('k', { id: 'a', n: 1 }, 100)
  h.feed('k', { id: 'a', n: 2 }, 109)
  h.feed('k', { id: 'b', n: 3 }, 105)
  h.feed('j', { id: 'a', n: 4 }, 105)
  h.feed('k', { id: 'a', n: 5 }, 110) // exactly withinMs after the first: a new occurrence
  h.feed('k', { id: 'a', n: 6 }, 115)
  assert.deepEqual(
    h.main().map((e) => e.value.n),
    [1, 3, 4, 5],
  )
  assert.equal(h.metrics.get('duplicatesDropped'), 2)
})

test('without an id the key alone identifies duplicates', () => {
  const h = harness(10, false, 100)
  h.feed('k', { id: 'a', n: 1 }, 100)
  h.feed('k', { id: 'b', n: 2 }, 101)
  h.feed('j', { id: 'b', n: 3 }, 101)
  assert.deepEqual(
    h.main().map((e) => e.value.n),
    [1, 3],
  )
})

test('an out-of-order duplicate within the range of the first occurrence is dropped too', () => {
  const h = harness(10, true, 100)
  h.feed('k', { id: 'a', n: 1 }, 200)
  h.feed('k', { id: 'a', n: 2 }, 191)
  h.feed('k', { id: 'a', n: 3 }, 190) // 10 before: outside the range, passes
  assert.deepEqual(
    h.main().map((e) => e.value.n),
    [1, 3],
  )
})

test('entries expire once the watermark is withinMs past them; records older than the watermark are late', () => {
  const h = harness(10, true, 0)
  h.feed('k', { id: 'a', n: 1 }, 100)
  assert.equal(h.stores.get('seen')?.approximateCount(), 1)
  h.feed('k', { id: 'z', n: 2 }, 110) // watermark 110 = 100 + 10: 'a' expires
  assert.equal(h.stores.get('seen')?.approximateCount(), 1)
  h.feed('k', { id: 'a', n: 3 }, 105)
  assert.deepEqual(
    h.late.map((l) => [l.timestampMs, l.lateByMs, l.window]),
    [[105, 5, { startMs: 95, endMs: 115 }]],
  )
  assert.deepEqual(
    h.main().map((e) => e.value.n),
    [1, 2],
  )
})

test('against an oracle: every record is either forwarded, dropped as a duplicate of an earlier one, or late', () => {
  for (const seed of [1, 2, 3]) {
    const next = random(seed)
    const withinMs = 50
    const h = harness(withinMs, true, 20)
    const input: Array<{ key: string; id: string; t: number; n: number }> = []
    for (let n = 0; n < 3_000; n++) {
      const t = n * 3 - Math.floor(next() * 15) + 20
      input.push({ key: `k${Math.floor(next() * 3)}`, id: `i${Math.floor(next() * 10)}`, t, n })
    }
    for (const r of input) h.feed(r.key, { id: r.id, n: r.n }, r.t)
    assert.equal(h.late.length, 0, 'disorder within the watermark bound')
    // Oracle: replay in arrival order with an unbounded memory of first occurrences.
    const first = new Map<string, number>()
    const expected: number[] = []
    for (const r of input) {
      const id = `${r.key}/${r.id}`
      const f = first.get(id)
      if (f !== undefined && Math.abs(r.t - f) < withinMs) continue
      if (f === undefined || r.t > f) first.set(id, r.t)
      expected.push(r.n)
    }
    assert.deepEqual(
      h.main().map((e) => e.value.n),
      expected,
      `seed ${seed}`,
    )
    assert.ok(expected.length < input.length, 'some duplicates')
    assert.ok((h.stores.get('seen')?.approximateCount() ?? 0) <= 30, 'expired entries are deleted')
  }
})

test('restart: a new operator over the same store still drops duplicates and still expires', () => {
  const h = harness(10, true, 0)
  h.feed('k', { id: 'a', n: 1 }, 100)
  h.restart(new DeduplicateOperator<Click, string>({ withinMs: 10, id: (v) => v.id, store: 'seen' }), 100)
  h.feed('k', { id: 'a', n: 2 }, 105)
  h.feed('k', { id: 'b', n: 3 }, 111)
  assert.deepEqual(
    h.main().map((e) => e.value.n),
    [1, 3],
  )
  assert.equal(h.stores.get('seen')?.approximateCount(), 1, "'a' expired after the restart")
})
