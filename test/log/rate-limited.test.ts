import assert from 'node:assert/strict'
import { test } from 'node:test'
import { RateLimitedReports } from '../../src/log/index.ts'

test('at most one report per key per interval; what was held back is counted into the next, and flush() reports the rest', () => {
  let nowMs = 0
  const emitted: Array<[string, number]> = []
  const reports = new RateLimitedReports<string>(
    5_000,
    (sample, count) => emitted.push([sample, count]),
    () => nowMs,
  )
  reports.report('A', 'a1')
  reports.report('A', 'a2')
  reports.report('B', 'b1')
  nowMs = 4_999
  reports.report('A', 'a3')
  reports.flush()
  assert.deepEqual(emitted, [
    ['a1', 1],
    ['b1', 1],
  ])
  nowMs = 5_000
  reports.report('A', 'a4')
  // a2, a3 held back, a4 reported with them: the latest sample carries the count.
  assert.deepEqual(emitted.at(-1), ['a4', 3])
  reports.report('A', 'a5')
  reports.report('A', 'a6')
  reports.flush()
  assert.equal(emitted.length, 3, 'nothing flushed before its interval has passed')
  nowMs = 10_000
  reports.flush()
  assert.deepEqual(emitted.at(-1), ['a6', 2])
  reports.flush()
  assert.equal(emitted.length, 4, 'a flush with nothing held reports nothing')
  const total = emitted.filter(([s]) => s.startsWith('a')).reduce((sum, [, n]) => sum + n, 0)
  assert.equal(total, 6, 'every occurrence is counted once')
})
