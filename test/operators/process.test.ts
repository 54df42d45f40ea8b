import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ProcessOperator, structuredSerde, valueStore, type StoreSpecs } from '../../src/operators/index.ts'
import { Harness } from './harness.ts'

test('process keeps state per key through a typed handle and forwards what it returns', () => {
  const operator = new ProcessOperator<string, number, number>({
    stores: { totals: valueStore<number>() },
    expand: false,
    fn: (record, context) => {
      const totals = context.stores.totals as {
        get(k: string): number | undefined
        put(k: string, v: number): void
      }
      const total = (totals.get(record.key) ?? 0) + record.value
      totals.put(record.key, total)
      return total > 5 ? total : undefined
    },
  })
  const h = new Harness<number, number>(operator, ['totals'])
  for (const [key, v] of [
    ['a', 3],
    ['b', 1],
    ['a', 4],
    ['b', 2],
  ] as const)
    h.process(key, v, 0)
  assert.deepEqual(
    h.main().map((e) => [e.key, e.value]),
    [['a', 7]],
  )
  assert.equal(Buffer.from(h.stores.get('totals')?.get(Buffer.from('"b"')) ?? []).toString(), '3')
})

test('process with expand forwards every value of the returned iterable; the context carries the watermark', () => {
  const operator = new ProcessOperator<string, number, string>({
    stores: {} as StoreSpecs,
    expand: true,
    fn: (record, context) => [`${record.value}`, `wm ${context.watermarkMs}`],
  })
  const h = new Harness<number, string>(operator, [])
  h.feed('k', 7, 7)
  assert.deepEqual(
    h.main().map((e) => e.value),
    ['7', 'wm 7'],
  )
})

test('a store can use structured serialization for values JSON cannot hold', () => {
  const operator = new ProcessOperator<string, number, number>({
    stores: { seen: valueStore<Set<number>>({ serde: structuredSerde() }) },
    expand: false,
    fn: (record, context) => {
      const seen = context.stores.seen as {
        get(k: string): Set<number> | undefined
        put(k: string, v: Set<number>): void
      }
      const set = seen.get(record.key) ?? new Set<number>()
      set.add(record.value)
      seen.put(record.key, set)
      return set.size
    },
  })
  const h = new Harness<number, number>(operator, ['seen'])
  for (const v of [1, 2, 1, 3]) h.process('k', v, 0)
  assert.deepEqual(
    h.main().map((e) => e.value),
    [1, 2, 2, 3],
  )
})
