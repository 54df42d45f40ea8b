import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ExpiryQueue } from '../../src/operators/index.ts'
import { random } from './harness.ts'

test('popDue takes out every entry due at the watermark, earliest first, and leaves the rest', () => {
  const queue = new ExpiryQueue()
  const next = random(4)
  const times = Array.from({ length: 500 }, () => Math.floor(next() * 1_000))
  for (const [i, atMs] of times.entries()) queue.add(atMs, Buffer.from([i & 0xff]))
  const due = queue.popDue(499).map((e) => e.atMs)
  assert.deepEqual(
    due,
    times.filter((t) => t <= 499).sort((a, b) => a - b),
  )
  assert.equal(queue.size, times.filter((t) => t > 499).length)
  assert.deepEqual(queue.popDue(499), [])
  assert.equal(queue.popDue(Infinity).length, times.filter((t) => t > 499).length)
  assert.equal(queue.size, 0)
})

test('a cancelled entry is never returned; the others come out as before', () => {
  const queue = new ExpiryQueue()
  const kept = queue.add(10, Buffer.from('kept'))
  const cancelled = queue.add(5, Buffer.from('cancelled'))
  queue.add(20, Buffer.from('later'))
  queue.cancel(cancelled)
  assert.deepEqual(
    queue.popDue(15).map((e) => [e.atMs, Buffer.from(e.stateKey).toString()]),
    [[10, 'kept']],
  )
  assert.equal(kept.atMs, 10)
  assert.deepEqual(
    queue.popDue(Infinity).map((e) => e.atMs),
    [20],
  )
  assert.equal(queue.size, 0)
})
