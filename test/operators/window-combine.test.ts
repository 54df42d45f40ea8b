import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  countAggregator,
  jsonSerde,
  WindowAggregateOperator,
  WindowCombineOperator,
  WindowPartial,
  type Aggregator,
  type WindowResult,
} from '../../src/operators/index.ts'
import {
  cumulating,
  hopping,
  tumbling,
  type CumulatingWindows,
  type TimeWindows,
} from '../../src/windows/index.ts'
import { Harness, random, type Emitted } from './harness.ts'

const count = countAggregator() as Aggregator<number, number, number, string>

function combiner(windows: TimeWindows | CumulatingWindows, maxEntries?: number) {
  return new Harness<number, unknown>(
    new WindowCombineOperator<number, string, number>({
      windows,
      aggregator: count,
      serde: jsonSerde(),
      maxEntries,
    }),
  )
}

function aggregate(windows: TimeWindows | CumulatingWindows) {
  return new Harness<unknown, WindowResult<string, number>>(
    new WindowAggregateOperator<unknown, string, number, number>({
      windows,
      aggregator: count as Aggregator<unknown, number, number, string>,
      store: 'windows',
      serde: jsonSerde(),
    }),
    ['windows'],
  )
}

const partials = (emitted: readonly Emitted<unknown>[]) =>
  emitted
    .filter((e) => e.value instanceof WindowPartial)
    .map((e) => {
      const p = e.value as WindowPartial
      return [e.key, p.startMs, p.endMs, JSON.parse(Buffer.from(p.bytes).toString()), e.timestampMs]
    })

test('records fold into one partial per key and window, sent at the commit with the largest event time', () => {
  const h = combiner(tumbling({ sizeMs: 10 }))
  for (const [key, t] of [
    ['a', 1],
    ['b', 2],
    ['a', 7],
    ['a', 12],
    ['a', 3],
  ] as const)
    h.process(key, 1, t)
  assert.deepEqual(h.emitted, [], 'nothing before the commit')
  h.commit()
  assert.deepEqual(partials(h.emitted), [
    ['a', 0, 10, 3, 7],
    ['b', 0, 10, 1, 2],
    ['a', 10, 20, 1, 12],
  ])
  assert.equal(h.metrics.get('partialsSent'), 3)
  h.commit()
  assert.equal(h.emitted.length, 3, 'a commit leaves nothing behind')
})

test('a record late at the combiner goes on as itself, for the window aggregate to judge', () => {
  const h = combiner(hopping({ sizeMs: 10, advanceMs: 5 }))
  h.process('a', 1, 12) // windows [5, 15) and [10, 20)
  h.watermark(15) // closes [5, 15)
  h.process('a', 1, 13) // late for [5, 15), on time for [10, 20): as itself, folded nowhere
  h.process('a', 1, 16) // [10, 20) and [15, 25)
  assert.deepEqual(
    h.emitted.map((e) => [e.key, e.value, e.timestampMs]),
    [['a', 1, 13]],
  )
  h.commit()
  assert.deepEqual(partials(h.emitted), [
    ['a', 5, 15, 1, 12],
    ['a', 10, 20, 2, 16],
    ['a', 15, 25, 1, 16],
  ])
})

test('more partials than maxEntries are sent before the commit', () => {
  const h = combiner(tumbling({ sizeMs: 10 }), 3)
  for (const key of ['a', 'b']) h.process(key, 1, 1)
  assert.equal(h.emitted.length, 0)
  h.process('c', 1, 1)
  assert.equal(partials(h.emitted).length, 3)
  h.process('a', 1, 2)
  h.commit()
  assert.deepEqual(partials(h.emitted).slice(3), [['a', 0, 10, 1, 2]])
})

test('a record that fails further down takes back what it folded, and a flush it caused', () => {
  const h = combiner(tumbling({ sizeMs: 10 }), 2)
  h.process('a', 1, 1)
  h.failing('a', 1, 5) // changes a's partial
  h.failing('b', 1, 2) // opens b's, which fills the buffer and flushes it
  h.emitted.length = 0 // the task drops what the failed record sent
  h.commit()
  assert.deepEqual(partials(h.emitted), [['a', 0, 10, 1, 1]])
})

test('the window aggregate merges partials into their own window; a partial of a closed window is late', () => {
  const windows = hopping({ sizeMs: 10, advanceMs: 5 })
  const h = aggregate(windows)
  const partial = (startMs: number, n: number) =>
    new WindowPartial(startMs, startMs + 10, Buffer.from(String(n)))
  h.process('a', partial(10, 3), 14)
  h.process('a', partial(10, 2), 19)
  h.process('a', 1, 12) // a record: both of its windows
  h.watermark(15)
  h.process('a', partial(5, 4), 12)
  assert.equal(h.late.length, 1)
  assert.equal(h.late[0]?.window.startMs, 5)
  h.watermark(Infinity)
  assert.deepEqual(
    h.main().map((e) => [e.value.window.startMs, e.value.value]),
    [
      [5, 1],
      [10, 6],
    ],
  )
})

test('combined or not, the window aggregate gives the same counts: random out-of-order records, three upstream tasks', () => {
  for (const windows of [
    tumbling({ sizeMs: 50, graceMs: 10 }),
    hopping({ sizeMs: 60, advanceMs: 20 }),
    cumulating({ sizeMs: 60, stepMs: 20 }),
  ]) {
    const next = random(7)
    const upstream = [0, 1, 2].map(() => combiner(windows, 4))
    const direct = aggregate(windows)
    const combined = aggregate(windows)
    // Each upstream task's watermark trails its largest timestamp by 15; the downstream one is the
    // minimum of the markers sent at commits, after the commit's partials.
    const maxTs = [0, 0, 0]
    const marked = [-Infinity, -Infinity, -Infinity]
    const delivered = [0, 0, 0]
    const deliver = (i: number): void => {
      const task = upstream[i] as Harness<number, unknown>
      for (const e of task.emitted.slice(delivered[i])) {
        combined.process(e.key, e.value, e.timestampMs)
      }
      delivered[i] = task.emitted.length
    }
    for (let n = 0; n < 3000; n++) {
      const i = Math.floor(next() * 3)
      // Mostly within the bound of 15, some stragglers far behind.
      const t = Math.max(0, Math.floor(n / 3 + next() * 30 - 20 - (next() < 0.1 ? 80 : 0)))
      const key = `k${Math.floor(next() * 3)}`
      maxTs[i] = Math.max(maxTs[i] as number, t)
      const task = upstream[i] as Harness<number, unknown>
      task.watermark((maxTs[i] as number) - 15)
      task.process(key, 1, t)
      direct.process(key, 1, t)
      deliver(i)
      if (next() < 0.05) {
        task.commit()
        deliver(i)
        marked[i] = (maxTs[i] as number) - 15
        const watermarkMs = Math.min(...marked)
        direct.watermark(watermarkMs)
        combined.watermark(watermarkMs)
      }
    }
    for (const [i, task] of upstream.entries()) {
      task.commit()
      deliver(i)
    }
    direct.watermark(Infinity)
    combined.watermark(Infinity)
    const results = (h: Harness<unknown, WindowResult<string, number>>) =>
      h
        .main()
        .map((e) => `${e.value.key}@${e.value.window.startMs}-${e.value.window.endMs}=${e.value.value}`)
        .sort()
    assert.ok(direct.late.length > 0, `${windows.kind}: the data has late records`)
    assert.deepEqual(results(combined), results(direct), windows.kind)
    assert.equal(combined.late.length, direct.late.length, windows.kind)
  }
})

test('a watermark that closes a window with partials, held or sent, asks for a commit, once, with its close time', () => {
  const h = combiner(tumbling({ sizeMs: 10, graceMs: 2 }))
  h.watermark(5)
  assert.deepEqual(h.commitRequests, [], 'nothing held')
  h.process('a', 1, 3)
  h.process('b', 1, 14)
  h.watermark(11)
  assert.deepEqual(h.commitRequests, [], '[0, 10) closes at 12')
  h.watermark(12)
  assert.deepEqual(h.commitRequests, [12])
  h.watermark(13)
  assert.deepEqual(h.commitRequests, [12], 'once per close')
  h.watermark(22)
  assert.deepEqual(h.commitRequests, [12, 22])
  h.process('c', 1, 35)
  h.commit()
  h.watermark(41)
  assert.deepEqual(h.commitRequests, [12, 22])
  h.watermark(50)
  assert.deepEqual(h.commitRequests, [12, 22, 42], 'a sent partial awaits the marker that closes its window')
})

test('the window aggregate asks for a commit when it emits a final result', () => {
  const h = aggregate(tumbling({ sizeMs: 10 }))
  h.process('a', 1, 3)
  h.process('a', 1, 13)
  h.watermark(10)
  h.watermark(25)
  assert.deepEqual(h.commitRequests, [10, 20])
})

test('a record without a key fails at the combiner, as itself', () => {
  const h = combiner(tumbling({ sizeMs: 10 }))
  assert.throws(() => h.process(null, 1, 1), { code: 'FRESHET_RECORD_KEY_NULL' })
  h.commit()
  assert.deepEqual(h.emitted, [])
})
