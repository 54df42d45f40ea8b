import assert from 'node:assert/strict'
import { test } from 'node:test'
import { FreshetError } from '../../src/errors/index.ts'
import { hopping, session, tumbling, WindowCloseQueue, type Window } from '../../src/windows/index.ts'

const w = (startMs: number, endMs: number): Window => ({ startMs, endMs })
const summary = (closed: ReadonlyArray<{ key: unknown; window: Window; closeAtMs: number }>): string[] =>
  closed.map((c) => `${String(c.key)}@${c.window.startMs}-${c.window.endMs}:${c.closeAtMs}`)

test('popClosed returns the windows whose close time the watermark reached, in close-time order', () => {
  const windows = tumbling({ sizeMs: 10, graceMs: 2 })
  const queue = new WindowCloseQueue<string>(windows)
  queue.add('b', windows.window(20))
  queue.add('a', windows.window(0))
  queue.add('c', windows.window(10))
  queue.add('a', windows.window(30))
  assert.equal(queue.size, 4)
  assert.equal(queue.nextCloseAtMs, 12)
  assert.deepEqual(queue.popClosed(11), [], 'nothing closes before end + grace')
  assert.deepEqual(summary(queue.popClosed(32)), ['a@0-10:12', 'c@10-20:22', 'b@20-30:32'])
  assert.equal(queue.size, 1)
  assert.deepEqual(summary(queue.popClosed(Infinity)), ['a@30-40:42'])
  assert.equal(queue.nextCloseAtMs, Infinity)
})

test('a window added many times is held and emitted once', () => {
  const windows = tumbling({ sizeMs: 10 })
  const queue = new WindowCloseQueue<string>(windows)
  assert.equal(queue.add('k', windows.window(0)), true)
  assert.equal(queue.add('k', windows.window(0)), false)
  assert.equal(queue.add('k', { startMs: 0, endMs: 10 }), false, 'equal by value, not identity')
  assert.equal(queue.size, 1)
  assert.equal(queue.popClosed(10).length, 1)
  assert.equal(queue.popClosed(Infinity).length, 0)
  assert.equal(queue.add('k', windows.window(0)), true, 'once emitted it can be added again')
})

test('windows closing together come out by start, then key, whatever the insertion order', () => {
  const windows = session({ gapMs: 10 })
  const orders = [
    ['y', 'x', 'z'],
    ['z', 'y', 'x'],
  ]
  const results = orders.map((keys) => {
    const queue = new WindowCloseQueue<string>(windows)
    for (const key of keys) queue.add(key, w(50, 90))
    queue.add('a', w(80, 90))
    queue.add('b', w(10, 90))
    return summary(queue.popClosed(101))
  })
  assert.deepEqual(results[0], ['b@10-90:101', 'x@50-90:101', 'y@50-90:101', 'z@50-90:101', 'a@80-90:101'])
  assert.deepEqual(results[1], results[0])
})

test('remove forgets a session absorbed by a merge; the merged one closes later', () => {
  const sessions = session({ gapMs: 10 })
  const queue = new WindowCloseQueue<string>(sessions)
  queue.add('k', w(0, 5))
  const merged = sessions.merge([w(0, 5)], 12)
  for (const absorbed of merged.absorbed) assert.equal(queue.remove('k', absorbed), true)
  queue.add('k', merged.session)
  assert.equal(queue.remove('k', w(0, 5)), false)
  assert.equal(queue.has('k', w(0, 5)), false)
  assert.equal(queue.nextCloseAtMs, 23, 'the removed entry no longer counts')
  assert.deepEqual(queue.popClosed(22), [])
  assert.deepEqual(summary(queue.popClosed(23)), ['k@0-12:23'])
})

test('removing and adding the same window back keeps it once', () => {
  const sessions = session({ gapMs: 10 })
  const queue = new WindowCloseQueue<string>(sessions)
  const s = w(0, 5)
  queue.add('k', s)
  queue.remove('k', s)
  queue.add('k', s)
  assert.equal(queue.size, 1)
  assert.equal(queue.popClosed(Infinity).length, 1)
})

test('many removals compact the heap without losing or reordering live windows', () => {
  const windows = tumbling({ sizeMs: 10 })
  const queue = new WindowCloseQueue<number>(windows)
  for (let key = 0; key < 500; key++) queue.add(key, windows.window((key % 50) * 10))
  for (let key = 0; key < 500; key++) if (key % 5 !== 0) queue.remove(key, windows.window((key % 50) * 10))
  assert.equal(queue.size, 100)
  const closed = queue.popClosed(Infinity)
  assert.equal(closed.length, 100)
  assert.ok(closed.every((c) => c.key % 5 === 0))
  for (let i = 1; i < closed.length; i++) {
    const [a, b] = [closed[i - 1], closed[i]] as [(typeof closed)[0], (typeof closed)[0]]
    assert.ok(a.closeAtMs < b.closeAtMs || (a.closeAtMs === b.closeAtMs && String(a.key) < String(b.key)))
  }
})

test('keyId tells apart keys that String() would confuse', () => {
  const windows = tumbling({ sizeMs: 10 })
  const plain = new WindowCloseQueue<{ id: number }>(windows)
  plain.add({ id: 1 }, windows.window(0))
  assert.equal(plain.add({ id: 2 }, windows.window(0)), false, 'both are "[object Object]"')
  const keyed = new WindowCloseQueue<{ id: number }>(windows, { keyId: (key) => String(key.id) })
  keyed.add({ id: 1 }, windows.window(0))
  assert.equal(keyed.add({ id: 2 }, windows.window(0)), true)
  assert.throws(
    () => new WindowCloseQueue(windows, { keyId: 'id' } as never),
    (error) => error instanceof FreshetError && /"keyId"/.test(error.message),
  )
})

test('clear empties the queue', () => {
  const windows = tumbling({ sizeMs: 10 })
  const queue = new WindowCloseQueue<string>(windows)
  queue.add('a', windows.window(0))
  queue.clear()
  assert.equal(queue.size, 0)
  assert.deepEqual(queue.popClosed(Infinity), [])
})

test("windowsOf gives a key's held windows, following adds, removals and closes", () => {
  const windows = session({ gapMs: 10 })
  const queue = new WindowCloseQueue<string>(windows)
  assert.deepEqual(queue.windowsOf('a'), [], 'a key never added holds nothing')
  queue.add('a', w(0, 5))
  queue.add('a', w(40, 45))
  queue.add('a', w(100, 100))
  queue.add('b', w(0, 5))
  assert.deepEqual(queue.windowsOf('a'), [w(0, 5), w(40, 45), w(100, 100)])
  assert.equal(queue.remove('a', w(40, 45)), true)
  assert.equal(queue.remove('a', w(40, 45)), false, 'removed once')
  assert.deepEqual(queue.windowsOf('a'), [w(0, 5), w(100, 100)])
  assert.equal(queue.has('a', w(0, 5)), true)
  assert.equal(queue.has('a', w(0, 6)), false, 'the end counts, not only the start')
  assert.deepEqual(summary(queue.popClosed(16)), ['a@0-5:16', 'b@0-5:16'])
  assert.deepEqual(queue.windowsOf('a'), [w(100, 100)])
  assert.deepEqual(queue.windowsOf('b'), [], 'a closed window leaves its key')
  assert.equal(queue.size, 1)
  queue.windowsOf('a').push(w(1, 2))
  assert.deepEqual(queue.windowsOf('a'), [w(100, 100)], 'the array returned is a copy')
})

test('a key holding thousands of windows (long hopping windows): each is found, removed and closed once', () => {
  const windows = hopping({ sizeMs: 3_600_000, advanceMs: 1_000 })
  const queue = new WindowCloseQueue<string>(windows)
  const starts = windows.assign(3_600_000, [])
  assert.equal(starts.length, 3_600)
  for (const start of starts) assert.equal(queue.add('k', windows.window(start)), true)
  for (const start of starts) assert.equal(queue.add('k', windows.window(start)), false, 'held once')
  assert.equal(queue.size, 3_600)
  assert.equal(queue.windowsOf('k').length, 3_600)
  assert.equal(queue.remove('k', windows.window(starts[10] as number)), true)
  assert.equal(queue.has('k', windows.window(starts[10] as number)), false)
  assert.equal(queue.has('k', windows.window(starts[11] as number)), true)
  const closed = queue.popClosed(Infinity)
  assert.equal(closed.length, 3_599)
  assert.deepEqual(queue.windowsOf('k'), [])
  assert.equal(queue.size, 0)
})
