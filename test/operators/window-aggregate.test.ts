import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  avgAggregator,
  countAggregator,
  jsonSerde,
  sumAggregator,
  WindowAggregateOperator,
  type Aggregator,
  type WindowResult,
} from '../../src/operators/index.ts'
import {
  cumulating,
  hopping,
  session,
  tumbling,
  type CumulatingWindows,
  type SessionWindows,
  type TimeWindows,
} from '../../src/windows/index.ts'
import { Harness, random } from './harness.ts'

type CountSum = [number, number]

/** `[count, sum]` of the values: one aggregator gives both closed-form quantities. */
const countSum: Aggregator<number, CountSum> = {
  init: () => [0, 0],
  add: (acc, value) => [acc[0] + 1, acc[1] + value],
  merge: (a, b) => [a[0] + b[0], a[1] + b[1]],
}

function aggregate(
  windows: TimeWindows | CumulatingWindows | SessionWindows,
  aggregator: Aggregator<number, CountSum> = countSum,
) {
  return new WindowAggregateOperator<number, string, CountSum, CountSum>({
    windows,
    aggregator,
    store: 'windows',
    serde: jsonSerde(),
  })
}

function harness(windows: TimeWindows | CumulatingWindows | SessionWindows, maxOutOfOrdernessMs = 0) {
  return new Harness<number, WindowResult<string, CountSum>>(aggregate(windows), ['windows'], {
    maxOutOfOrdernessMs,
  })
}

/** Sum of the integers in [from, to). */
const rangeSum = (from: number, to: number): number => (to > from ? ((to - from) * (from + to - 1)) / 2 : 0)

test('tumbling windows over value = timestamp = sequence number have closed-form counts and sums', () => {
  const sizeMs = 7
  const n = 100
  const h = harness(tumbling({ sizeMs }))
  for (let i = 0; i < n; i++) h.feed('k', i, i)
  h.watermark(Infinity)
  const results = h.main().map((e) => e.value)
  assert.equal(results.length, Math.ceil(n / sizeMs))
  for (const [k, result] of results.entries()) {
    const startMs = k * sizeMs
    const endMs = Math.min(startMs + sizeMs, n)
    assert.deepEqual(result.window, { startMs, endMs: startMs + sizeMs })
    assert.deepEqual(result.value, [endMs - startMs, rangeSum(startMs, endMs)], `window ${startMs}`)
    assert.equal(result.final, true)
  }
  assert.equal(h.late.length, 0)
  assert.equal(h.stores.get('windows')?.approximateCount(), 0, 'emitted windows leave no state')
})

test('final results come out when the watermark reaches the window end, each with the window end - 1 as time', () => {
  const h = harness(tumbling({ sizeMs: 10 }))
  for (const t of [1, 5, 9]) h.feed('k', t, t)
  assert.equal(h.main().length, 0, 'nothing before the window closes')
  h.feed('k', 10, 10)
  assert.deepEqual(
    h.main().map((e) => [e.value.window.startMs, e.value.value, e.timestampMs]),
    [[0, [3, 15], 9]],
    'the record at 10 moved the watermark to 10 and closed [0, 10) before it was assigned',
  )
})

test('hopping windows overlap: each window has the closed-form count and sum of its range', () => {
  const sizeMs = 10
  const advanceMs = 3
  const n = 60
  const h = harness(hopping({ sizeMs, advanceMs }))
  for (let i = 0; i < n; i++) h.feed('k', i, i)
  h.watermark(Infinity)
  const byStart = new Map(h.main().map((e) => [e.value.window.startMs, e.value.value]))
  const starts: number[] = []
  for (let s = 0; s < n; s += advanceMs) starts.push(s)
  assert.deepEqual(
    [...byStart.keys()].sort((a, b) => a - b),
    starts,
  )
  for (const s of starts) {
    const to = Math.min(s + sizeMs, n)
    assert.deepEqual(byStart.get(s), [to - s, rangeSum(s, to)], `window [${s}, ${s + sizeMs})`)
  }
  // Every record counted once per window containing it: 3 or 4 windows (size 10, advance 3).
  const total = [...byStart.values()].reduce((sum, [count]) => sum + count, 0)
  const expected = Array.from(
    { length: n },
    (_, t) => hopping({ sizeMs, advanceMs }).assign(t).length,
  ).reduce((a, b) => a + b)
  assert.equal(total, expected)
})

test('cumulating windows: each growing window of a start has the closed-form count and sum, emitted at its own end', () => {
  const h = harness(cumulating({ sizeMs: 30, stepMs: 10 }))
  for (let i = 0; i < 60; i++) h.feed('k', i, i)
  // The watermark is 59: every window up to [30, 50) has closed, in order of its end.
  const closed = h
    .main()
    .map((e) => [e.value.window.startMs, e.value.window.endMs, e.value.value, e.timestampMs])
  assert.deepEqual(closed, [
    [0, 10, [10, rangeSum(0, 10)], 9],
    [0, 20, [20, rangeSum(0, 20)], 19],
    [0, 30, [30, rangeSum(0, 30)], 29],
    [30, 40, [10, rangeSum(30, 40)], 39],
    [30, 50, [20, rangeSum(30, 50)], 49],
  ])
  h.watermark(Infinity)
  assert.deepEqual(h.main().at(-1)?.value.value, [30, rangeSum(30, 60)])
  assert.equal(h.late.length, 0)
})

test('cumulating windows: a restarted operator emits the windows of one start still open, told apart by their end', () => {
  const h = harness(cumulating({ sizeMs: 30, stepMs: 10 }))
  for (let i = 0; i < 15; i++) h.feed('k', i, i)
  assert.equal(h.main().length, 1, '[0, 10) closed')
  h.restart(aggregate(cumulating({ sizeMs: 30, stepMs: 10 })), h.tracker.watermarkMs)
  for (let i = 15; i < 30; i++) h.feed('k', i, i)
  h.watermark(Infinity)
  assert.deepEqual(
    h.main().map((e) => [e.value.window.endMs, e.value.value]),
    [
      [10, [10, rangeSum(0, 10)]],
      [20, [20, rangeSum(0, 20)]],
      [30, [30, rangeSum(0, 30)]],
    ],
  )
})

test('cumulating windows: a record late for its shorter windows still counts in the longer open ones', () => {
  const h = harness(cumulating({ sizeMs: 30, stepMs: 10 }))
  h.feed('k', 25, 25) // watermark 25: [0, 10) and [0, 20) are closed
  h.feed('k', 5, 5)
  assert.deepEqual(
    h.late.map((l) => [l.timestampMs, l.window.endMs]),
    [
      [5, 10],
      [5, 20],
    ],
  )
  h.watermark(Infinity)
  assert.deepEqual(
    h.main().map((e) => [e.value.window.endMs, e.value.value]),
    [[30, [2, 30]]],
  )
})

test('a late record goes to the late output with lateByMs = watermark - grace - timestamp and the closed window', () => {
  const h = harness(tumbling({ sizeMs: 10, graceMs: 5 }))
  h.feed('k', 19, 19)
  h.feed('k', 24, 24) // watermark 24: [10, 20) closes at 25, still open
  h.feed('k', 19, 19)
  assert.equal(h.late.length, 0, 'on time at watermark 24')
  h.feed('k', 25, 25) // watermark 25 closes [10, 20)
  h.feed('k', 19, 19)
  h.feed('k', 10, 10)
  assert.deepEqual(
    h.late.map((l) => [l.timestampMs, l.lateByMs, l.watermarkMs, l.window]),
    [
      [19, 1, 25, { startMs: 10, endMs: 20 }],
      [10, 10, 25, { startMs: 10, endMs: 20 }],
    ],
  )
  assert.deepEqual(h.late[0]?.source, { topic: 'in', partition: 0, offset: 4n }, 'provenance of the record')
  assert.deepEqual(h.main()[0]?.value.value, [2, 38], 'the late records did not change the emitted result')
})

test('late records are never dropped silently: emitted counts plus late (record, window) pairs cover every assignment', () => {
  for (const seed of [1, 2, 3]) {
    const next = random(seed)
    const windows = hopping({ sizeMs: 20, advanceMs: 5, graceMs: 3 })
    const h = harness(windows, 4)
    let assignments = 0
    for (let i = 0; i < 2_000; i++) {
      // Mostly in order, sometimes far behind: some records miss some of their windows.
      const t = Math.max(0, i * 2 - (next() < 0.1 ? Math.floor(next() * 60) : Math.floor(next() * 4)))
      assignments += windows.assign(t).length
      h.feed(next() < 0.5 ? 'a' : 'b', t, t)
    }
    h.watermark(Infinity)
    const emitted = h.main().reduce((sum, e) => sum + e.value.value[0], 0)
    assert.ok(h.late.length > 0, `seed ${seed}: the data has late records`)
    assert.equal(emitted + h.late.length, assignments, `seed ${seed}`)
    for (const late of h.late) {
      assert.ok(late.lateByMs > 0)
      assert.equal(late.lateByMs, late.watermarkMs - windows.graceMs - late.timestampMs)
      assert.ok(windows.isClosed(late.window, late.watermarkMs), 'late only for a closed window')
      assert.ok(late.window.startMs <= late.timestampMs && late.timestampMs < late.window.endMs)
    }
  }
})

test('hopping: a record can be late for its oldest window and on time for newer ones', () => {
  const h = harness(hopping({ sizeMs: 10, advanceMs: 5 }))
  h.feed('k', 12, 12) // watermark 12 closes [0, 10)
  h.feed('k', 7, 7) // windows [0, 10) closed, [5, 15) open
  assert.deepEqual(
    h.late.map((l) => l.window),
    [{ startMs: 0, endMs: 10 }],
  )
  h.watermark(Infinity)
  const fiveToFifteen = h.main().find((e) => e.value.window.startMs === 5)
  assert.deepEqual(fiveToFifteen?.value.value, [2, 19])
})

test("emit 'updates' forwards every change with final: false, then the final result equal to the last update", () => {
  const h = harness(tumbling({ sizeMs: 10, emit: 'updates' }))
  for (const t of [1, 2, 3, 11]) h.feed('k', t, t)
  h.watermark(Infinity)
  const results = h.main().map((e) => [e.value.window.startMs, e.value.value, e.value.final])
  assert.deepEqual(results, [
    [0, [1, 1], false],
    [0, [2, 3], false],
    [0, [3, 6], false],
    [0, [3, 6], true], // the record at 11 closed [0, 10) before its own update
    [10, [1, 11], false],
    [10, [1, 11], true],
  ])
})

test("emit 'final' (the default) forwards one result per window and key", () => {
  const h = harness(tumbling({ sizeMs: 10 }))
  for (const t of [1, 2, 3, 11, 12]) h.feed(t % 2 === 0 ? 'even' : 'odd', t, t)
  h.watermark(Infinity)
  assert.deepEqual(
    h.main().map((e) => [e.key, e.value.window.startMs, e.value.value]),
    [
      ['even', 0, [1, 2]],
      ['odd', 0, [2, 4]],
      ['even', 10, [1, 12]],
      ['odd', 10, [1, 11]],
    ],
  )
})

test('sessions: an out-of-order event bridging two sessions merges them; the absorbed state is deleted', () => {
  const h = harness(session({ gapMs: 10 }), 100)
  for (const t of [1, 4, 7, 25, 33]) h.feed('u', t, t)
  const store = h.stores.get('windows')
  assert.equal(store?.approximateCount(), 2, 'two open sessions: [1, 7] and [25, 33]')
  h.feed('u', 16, 16) // 16 - 7 <= 10 and 25 - 16 <= 10: one session [1, 33]
  assert.equal(store?.approximateCount(), 1, 'the two absorbed sessions were replaced by one')
  h.watermark(Infinity)
  assert.deepEqual(
    h.main().map((e) => [e.value.window, e.value.value, e.timestampMs]),
    [[{ startMs: 1, endMs: 33 }, [6, 86], 33]],
  )
  assert.equal(store?.approximateCount(), 0)
})

test('sessions: events exactly gapMs apart are one session, one millisecond more are two; a session closes once the watermark passes end + gap + grace', () => {
  const h = harness(session({ gapMs: 10, graceMs: 2 }))
  h.feed('u', 0, 0)
  h.feed('u', 10, 10) // exactly the gap: [0, 10]
  assert.equal(h.stores.get('windows')?.approximateCount(), 1)
  h.feed('u', 21, 21) // 11 after the last event: a session of its own, [21, 21]
  assert.equal(h.stores.get('windows')?.approximateCount(), 2)
  h.feed('v', 22, 22) // watermark 22: [0, 10] may still take an event at 20 (grace 2): open
  assert.deepEqual(h.main(), [])
  h.feed('v', 23, 23) // watermark 23 passes 10 + 10 + 2: closed
  assert.deepEqual(
    h.main().map((e) => [e.key, e.value.window]),
    [['u', { startMs: 0, endMs: 10 }]],
  )
})

test('sessions with shuffled events match an oracle computed from the sorted events', () => {
  for (const seed of [7, 8, 9, 10]) {
    const next = random(seed)
    const gapMs = 30
    const disorderMs = 25
    const events: Array<{ key: string; t: number }> = []
    let t = 0
    for (let i = 0; i < 600; i++) {
      t += next() < 0.1 ? 40 + Math.floor(next() * 40) : Math.floor(next() * 12)
      events.push({ key: `u${Math.floor(next() * 4)}`, t })
    }
    // Bounded disorder: each event moves back by at most disorderMs, so none is late.
    const shuffled = events.map((e) => ({ ...e, at: e.t - next() * disorderMs })).sort((a, b) => a.at - b.at)
    const h = harness(session({ gapMs }), disorderMs)
    for (const e of shuffled) h.feed(e.key, e.t, e.t)
    h.watermark(Infinity)
    assert.equal(h.late.length, 0)

    const oracle: string[] = []
    for (const key of ['u0', 'u1', 'u2', 'u3']) {
      const times = events
        .filter((e) => e.key === key)
        .map((e) => e.t)
        .sort((a, b) => a - b)
      let start = times[0] as number
      let last = start
      let count = 0
      let sum = 0
      for (const time of times) {
        if (time - last > gapMs) {
          oracle.push(`${key} [${start}, ${last}] ${count} ${sum}`)
          start = time
          count = 0
          sum = 0
        }
        last = time
        count++
        sum += time
      }
      oracle.push(`${key} [${start}, ${last}] ${count} ${sum}`)
    }
    const actual = h.main().map((e) => {
      const { key, window, value } = e.value
      return `${key} [${window.startMs}, ${window.endMs}] ${value[0]} ${value[1]}`
    })
    assert.deepEqual(actual.sort(), oracle.sort(), `seed ${seed}`)
    assert.ok((h.metrics.get('sessionsMerged') ?? 0) > 0, `seed ${seed}: the disorder made sessions merge`)
  }
})

test('a session event late for its own session goes to the late output with that session as window', () => {
  const h = harness(session({ gapMs: 10 }))
  h.feed('u', 100, 100)
  h.feed('v', 130, 130) // watermark 130 closes u's [100, 100] (close at 110)
  h.feed('u', 105, 105) // would join [100, 100], which is closed; alone it is [105, 105], closed at 115
  assert.deepEqual(
    h.late.map((l) => [l.key, l.window, l.lateByMs]),
    [['u', { startMs: 105, endMs: 105 }, 25]],
  )
})

test('restart: a new operator over the same store emits exactly the windows still open', () => {
  const h = harness(tumbling({ sizeMs: 10 }))
  for (let i = 0; i < 25; i++) h.feed('k', i, i)
  assert.equal(h.main().length, 2)
  h.restart(aggregate(tumbling({ sizeMs: 10 })), h.tracker.watermarkMs)
  for (let i = 25; i < 40; i++) h.feed('k', i, i)
  h.watermark(Infinity)
  assert.deepEqual(
    h.main().map((e) => [e.value.window.startMs, e.value.value]),
    [
      [0, [10, 45]],
      [10, [10, 145]],
      [20, [10, 245]],
      [30, [10, 345]],
    ],
  )
})

test('session windows need an aggregator with merge', () => {
  assert.throws(
    () =>
      new WindowAggregateOperator({
        windows: session({ gapMs: 5 }),
        aggregator: { init: () => 0, add: (a: number) => a + 1 },
        store: 's',
        serde: jsonSerde<number>(),
      }),
    { code: 'FRESHET_TOPOLOGY_INVALID' },
  )
})

test('state per key and window stays small: count, sum and avg take well under 150 bytes', () => {
  for (const aggregator of [
    countAggregator(),
    sumAggregator((v: number) => v),
    avgAggregator((v: number) => v),
  ]) {
    const operator = new WindowAggregateOperator<number, string, unknown, unknown>({
      windows: hopping({ sizeMs: 300_000, advanceMs: 60_000 }),
      aggregator: aggregator as Aggregator<number, unknown, unknown, string>,
      store: 'windows',
      serde: jsonSerde(),
    })
    const h = new Harness<number, unknown>(operator, ['windows'], { maxOutOfOrdernessMs: 0 })
    const base = 1_760_000_000_000
    for (let i = 0; i < 1_000; i++) h.process(`user_${String(i).padStart(6, '0')}`, 1234.56 + i, base + i)
    const store = h.stores.get('windows')
    assert.ok(store !== undefined)
    const perKeyAndWindow = store.approximateBytes() / store.approximateCount()
    assert.ok(perKeyAndWindow <= 150, `${perKeyAndWindow} bytes per key and window`)
    assert.ok(perKeyAndWindow < 60, `compact layout: ${perKeyAndWindow} bytes`)
  }
})

test('open windows are counted exactly at each commit: sessions merged, closed, and after a restore', () => {
  const h = harness(session({ gapMs: 10 }), 100)
  assert.equal(h.metrics.get('openWindows'), 0, 'set when the operator opens')
  for (const t of [1, 4, 7, 25, 33]) h.feed('u', t, t)
  h.feed('v', 2, 2)
  assert.equal(h.metrics.get('openWindows'), 0, 'not per record: only at a commit')
  h.commit()
  assert.equal(h.metrics.get('openWindows'), 3, 'u: [1, 7] and [25, 33]; v: [2, 2]')
  h.feed('u', 16, 16) // bridges u's two sessions into one
  h.commit()
  assert.equal(h.metrics.get('openWindows'), 2)
  h.restart(aggregate(session({ gapMs: 10 })), -Infinity)
  assert.equal(h.metrics.get('openWindows'), 2, 'rebuilt from the store on open')
  h.watermark(Infinity)
  h.commit()
  assert.equal(h.metrics.get('openWindows'), 0, 'every session closed')
  assert.equal(h.main().length, 2)
})

test('a record rolled back after this operator took it opens no window: no state, no close-queue entry, not counted', () => {
  const h = harness(tumbling({ sizeMs: 10 }))
  h.feed('a', 1, 1)
  h.failing('a', 2, 2) // an existing window, updated then restored
  h.failing('new', 3, 3) // a new window, which must not stay in the close queue
  h.commit()
  assert.equal(h.metrics.get('openWindows'), 1)
  assert.deepEqual(h.stores.get('windows')?.drainChangelog().length, 1, 'only a’s window was changed')
  h.watermark(Infinity)
  assert.deepEqual(
    h.main().map((e) => [e.key, e.value.value]),
    [['a', [1, 1]]],
  )
})

test('sessions: a rolled-back bridging event brings back both sessions, and both close as before', () => {
  const h = harness(session({ gapMs: 10 }), 100)
  for (const t of [1, 4, 7, 25, 33]) h.feed('u', t, t)
  const store = h.stores.get('windows')
  h.failing('u', 16, 16) // would merge [1, 7] and [25, 33]
  assert.equal(store?.approximateCount(), 2, 'the absorbed sessions are back')
  h.commit()
  assert.equal(h.metrics.get('openWindows'), 2)
  h.watermark(Infinity)
  assert.deepEqual(
    h.main().map((e) => [e.value.window, e.value.value]),
    [
      [{ startMs: 1, endMs: 7 }, [3, 12]],
      [{ startMs: 25, endMs: 33 }, [2, 58]],
    ],
  )
  assert.equal(store?.approximateCount(), 0)
})
