import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  avgAggregator,
  countAggregator,
  distinctCountAggregator,
  extremumAggregator,
  sumAggregator,
  topNAggregator,
  type Aggregator,
} from '../../src/operators/index.ts'
import { random } from './harness.ts'

function fold<T, A, R>(aggregator: Aggregator<T, A, R>, values: readonly T[]): R {
  let acc = aggregator.init()
  for (const value of values) acc = aggregator.add(acc, value, undefined)
  return (aggregator.result ?? ((a: A) => a as unknown as R))(acc)
}

/** Folds two halves separately and merges them: what a session merge does. */
function foldSplit<T, A, R>(aggregator: Aggregator<T, A, R>, values: readonly T[], at: number): R {
  const half = (part: readonly T[]): A => {
    let acc = aggregator.init()
    for (const value of part) acc = aggregator.add(acc, value, undefined)
    return acc
  }
  const merged = (aggregator.merge as (a: A, b: A) => A)(half(values.slice(0, at)), half(values.slice(at)))
  return (aggregator.result ?? ((a: A) => a as unknown as R))(merged)
}

const values = [5, 3, 9, 1, 9, 4, 7]

test('count, sum, min, max and avg fold to their definitions', () => {
  assert.equal(fold(countAggregator(), values), 7)
  assert.equal(
    fold(
      sumAggregator((v: number) => v),
      values,
    ),
    38,
  )
  assert.equal(
    fold(
      extremumAggregator((v: number) => v, 'min'),
      values,
    ),
    1,
  )
  assert.equal(
    fold(
      extremumAggregator((v: number) => v, 'max'),
      values,
    ),
    9,
  )
  assert.equal(
    fold(
      avgAggregator((v: number) => v),
      values,
    ),
    38 / 7,
  )
})

test('merging two partial accumulators equals folding everything (what sessions rely on)', () => {
  const aggregators: Aggregator<number, unknown, unknown>[] = [
    countAggregator() as Aggregator<number, unknown, unknown>,
    sumAggregator((v: number) => v) as Aggregator<number, unknown, unknown>,
    extremumAggregator((v: number) => v, 'min') as Aggregator<number, unknown, unknown>,
    extremumAggregator((v: number) => v, 'max') as Aggregator<number, unknown, unknown>,
    avgAggregator((v: number) => v) as Aggregator<number, unknown, unknown>,
    distinctCountAggregator((v: number) => v % 4) as Aggregator<number, unknown, unknown>,
    topNAggregator(3, { by: (v: number) => v }) as Aggregator<number, unknown, unknown>,
  ]
  for (const aggregator of aggregators) {
    for (let at = 0; at <= values.length; at++) {
      assert.deepEqual(foldSplit(aggregator, values, at), fold(aggregator, values), `split at ${at}`)
    }
  }
})

test('min and max accept an empty side in a merge', () => {
  const min = extremumAggregator((v: number) => v, 'min')
  const merge = min.merge as (a: number | null, b: number | null) => number | null
  assert.equal(merge(null, 4), 4)
  assert.equal(merge(4, null), 4)
})

test('distinctCount counts distinct selected values, by their JSON text', () => {
  assert.equal(
    fold(
      distinctCountAggregator((v: { user: string }) => v.user),
      [{ user: 'a' }, { user: 'b' }, { user: 'a' }],
    ),
    2,
  )
  assert.equal(
    fold(
      distinctCountAggregator((v: number) => v),
      [1, 1, 2, 3, 3, 3],
    ),
    3,
  )
  assert.equal(
    fold(
      distinctCountAggregator((v: string) => v),
      ['1', 1 as unknown as string],
    ),
    2,
    "'1' and 1 differ",
  )
})

test('topN keeps the n best by score, descending by default and ascending on request', () => {
  assert.deepEqual(fold(topNAggregator(3, { by: (v: number) => v }), values), [9, 9, 7])
  assert.deepEqual(fold(topNAggregator(3, { by: (v: number) => v, descending: false }), values), [1, 3, 4])
  assert.deepEqual(fold(topNAggregator(10, { by: (v: number) => v }), [2, 1]), [2, 1], 'fewer values than n')
})

test('topN does not depend on arrival order, ties included (broken by the values’ JSON text)', () => {
  const items = Array.from({ length: 40 }, (_, i) => ({ user: `u${i}`, score: i % 5 }))
  const expected = fold(topNAggregator(7, { by: (v: { user: string; score: number }) => v.score }), items)
  const next = random(3)
  for (let round = 0; round < 20; round++) {
    const shuffled = [...items].sort(() => next() - 0.5)
    assert.deepEqual(
      fold(topNAggregator(7, { by: (v: { user: string; score: number }) => v.score }), shuffled),
      expected,
    )
  }
  assert.deepEqual(
    expected.map((v) => v.user),
    ['u14', 'u19', 'u24', 'u29', 'u34', 'u39', 'u4'],
  )
})

test('topN with an id replaces an earlier value of the same id instead of ranking it twice', () => {
  const top = topNAggregator(2, { by: (v: { user: string; n: number }) => v.n, id: (v) => v.user })
  const result = fold(top, [
    { user: 'a', n: 1 },
    { user: 'b', n: 2 },
    { user: 'a', n: 3 },
    { user: 'a', n: 4 },
  ])
  assert.deepEqual(result, [
    { user: 'a', n: 4 },
    { user: 'b', n: 2 },
  ])
})
