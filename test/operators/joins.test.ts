import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  IntervalJoinSideOperator,
  StreamTableJoinOperator,
  TableSourceOperator,
} from '../../src/operators/index.ts'
import { decodeWindowKey, MemoryStateStore } from '../../src/state/index.ts'
import { Harness, random } from './harness.ts'

test('stream-table: the table side writes the latest value per key, a null value deletes it', () => {
  const h = new Harness<{ rate: number } | null, unknown>(
    new TableSourceOperator<{ rate: number }>('rates'),
    ['rates'],
  )
  h.process('EUR', { rate: 1.1 }, 1)
  h.process('EUR', { rate: 1.2 }, 2)
  h.process('GBP', { rate: 1.3 }, 3)
  h.process('GBP', null, 4)
  const store = h.stores.get('rates') as MemoryStateStore
  assert.deepEqual(
    [...store.range()].map(([k, v]) => [Buffer.from(k).toString(), Buffer.from(v).toString()]),
    [['"EUR"', '{"rate":1.2}']],
  )
})

function joinHarness(left: boolean) {
  const rates = new MemoryStateStore({ name: 'rates' })
  const table = new Harness<{ rate: number } | null, unknown>(
    new TableSourceOperator<{ rate: number }>('rates'),
    [rates],
  )
  const join = new StreamTableJoinOperator<number, { rate: number }, string, string>({
    tableStore: 'rates',
    left,
    join: (amount, rate, key) => `${key} ${amount} ${rate === undefined ? 'none' : amount * rate.rate}`,
  })
  const stream = new Harness<number, string>(join, [rates])
  return { table, stream }
}

test('stream-table inner join: looks up the value at the moment the record arrives; misses are dropped', () => {
  const { table, stream } = joinHarness(false)
  stream.process('EUR', 10, 1)
  table.process('EUR', { rate: 2 }, 2)
  stream.process('EUR', 10, 3)
  table.process('EUR', { rate: 3 }, 4)
  stream.process('EUR', 10, 5)
  table.process('EUR', null, 6)
  stream.process('EUR', 10, 7)
  assert.deepEqual(
    stream.main().map((e) => [e.value, e.timestampMs]),
    [
      ['EUR 10 20', 3],
      ['EUR 10 30', 5],
    ],
  )
  assert.equal(stream.metrics.get('joinMisses'), 2)
})

test('stream-table left join: records without a table value join with undefined', () => {
  const { table, stream } = joinHarness(true)
  stream.process('EUR', 10, 1)
  table.process('EUR', { rate: 2 }, 2)
  stream.process('EUR', 10, 3)
  assert.deepEqual(
    stream.main().map((e) => e.value),
    ['EUR 10 none', 'EUR 10 20'],
  )
})

/** Both sides of an interval join over shared stores, fed through one tracker like one task. */
function intervalJoin(beforeMs: number, afterMs: number, maxOutOfOrdernessMs: number) {
  const join = (l: string, r: string, key: string): string => `${key}:${l}+${r}`
  const leftOp = new IntervalJoinSideOperator<string, string, string, string>({
    side: 'left',
    ownStore: 'L',
    otherStore: 'R',
    beforeMs,
    afterMs,
    join,
  })
  const rightOp = new IntervalJoinSideOperator<string, string, string, string>({
    side: 'right',
    ownStore: 'R',
    otherStore: 'L',
    beforeMs,
    afterMs,
    join,
  })
  const stores = [new MemoryStateStore({ name: 'L' }), new MemoryStateStore({ name: 'R' })]
  const left = new Harness<string, string>(leftOp, stores, { maxOutOfOrdernessMs })
  const right = new Harness<string, string>(rightOp, stores, { maxOutOfOrdernessMs })
  const feed = (side: 'left' | 'right', key: string, value: string, t: number): void => {
    // One task: one watermark for both sides.
    left.tracker.observe('in:0', t, 0)
    const watermarkMs = left.tracker.watermarkMs
    left.watermark(watermarkMs)
    right.watermark(watermarkMs)
    ;(side === 'left' ? left : right).process(key, value, t)
  }
  const output = (): string[] =>
    [...left.main(), ...right.main()].map((e) => `${e.value}@${e.timestampMs}`).sort()
  return { left, right, feed, output }
}

test('interval join: pairs with ta - beforeMs <= tb <= ta + afterMs, at the later time, from either side first', () => {
  const j = intervalJoin(5, 10, 100)
  j.feed('left', 'k', 'a', 100)
  j.feed('right', 'k', 'x', 95) // 100 - 5: joins
  j.feed('right', 'k', 'y', 94) // too early
  j.feed('right', 'k', 'z', 110) // 100 + 10: joins
  j.feed('right', 'k', 'w', 111) // too late
  j.feed('left', 'k', 'b', 116) // joins w (116 - 5 = 111) and z? 110 < 111: no
  j.feed('right', 'j', 'v', 100) // other key
  assert.deepEqual(j.output(), ['k:a+x@100', 'k:a+z@110', 'k:b+w@116'])
})

test('interval join against a nested-loop oracle, with shuffled arrival within the watermark bound', () => {
  for (const seed of [11, 12]) {
    const next = random(seed)
    const beforeMs = 7
    const afterMs = 12
    const disorderMs = 20
    const events: Array<{ side: 'left' | 'right'; key: string; value: string; t: number; at: number }> = []
    for (let i = 0; i < 400; i++) {
      const t = i * 2 + 30
      events.push({
        side: next() < 0.5 ? 'left' : 'right',
        key: `k${Math.floor(next() * 3)}`,
        value: `v${i}`,
        t,
        at: t - next() * disorderMs,
      })
    }
    events.sort((a, b) => a.at - b.at)
    const j = intervalJoin(beforeMs, afterMs, disorderMs)
    for (const e of events) j.feed(e.side, e.key, e.value, e.t)
    assert.equal(j.left.late.length + j.right.late.length, 0)
    const expected: string[] = []
    for (const l of events.filter((e) => e.side === 'left')) {
      for (const r of events.filter((e) => e.side === 'right' && e.key === l.key)) {
        if (l.t - beforeMs <= r.t && r.t <= l.t + afterMs)
          expected.push(`${l.key}:${l.value}+${r.value}@${Math.max(l.t, r.t)}`)
      }
    }
    assert.ok(expected.length > 50)
    assert.deepEqual(j.output(), expected.sort(), `seed ${seed}`)
    const buffered =
      (j.left.stores.get('L')?.approximateCount() ?? 0) + (j.left.stores.get('R')?.approximateCount() ?? 0)
    assert.ok(buffered < 60, `expired entries are deleted (${buffered} left)`)
  }
})

test('interval join: a record older than the watermark goes to the late output with the interval it needed', () => {
  const j = intervalJoin(5, 10, 0)
  j.feed('left', 'k', 'a', 100)
  j.feed('right', 'k', 'x', 90) // watermark 100: late by 10
  assert.deepEqual(
    j.right.late.map((l) => [l.value, l.lateByMs, l.window]),
    [['x', 10, { startMs: 80, endMs: 96 }]],
  )
  assert.deepEqual(j.output(), [])
})

test('interval join: a buffered record rolled back leaves no buffer entry, and its expiry deletes nothing later', () => {
  const j = intervalJoin(5, 10, 0)
  // The two harnesses share the stores; the left one's log is the task's here.
  for (const store of j.left.stores.values()) store.setUndoLog(j.left.undo)
  j.feed('left', 'k', 'a', 100)
  j.left.undo.begin()
  j.feed('left', 'k', 'rolled-back', 101)
  j.left.undo.rollback()
  const own = j.left.stores.get('L') as MemoryStateStore
  assert.deepEqual(
    own.drainChangelog().map((e) => e.value?.toString()),
    ['["a"]'],
    'only a was buffered',
  )
  j.feed('right', 'k', 'x', 105)
  assert.deepEqual(j.output(), ['k:a+x@105'])
  // Past every expiry: a's buffer entry is deleted; the rolled-back record's expiry writes nothing.
  j.left.watermark(1_000)
  assert.deepEqual(
    own.drainChangelog().map((e) => [decodeWindowKey(e.key).startMs, e.value]),
    [[100, null]],
  )
})
