import assert from 'node:assert/strict'
import { test } from 'node:test'
import { AnalyticsBoard, quantile } from '../../src/dashboard/index.ts'
import { analyticsResult, type Figures } from '../../src/jobs/result.ts'
import type { AnalyticsResult } from '../../src/schemas/index.ts'

/** A row of `job` (any name: the board must also take a job it does not know). */
function row(
  job: string,
  startMs: number,
  endMs: number,
  key: string,
  figures: Partial<Figures>,
): AnalyticsResult {
  return { ...analyticsResult('event-counts', key, { startMs, endMs }, figures), job }
}

test('event counts: one column per window, a row sent again replaces the one before', () => {
  const board = new AnalyticsBoard()
  board.add(row('event-counts', 0, 10, 'page_view', { events: 5 }))
  board.add(row('event-counts', 0, 10, 'purchase', { events: 1 }))
  board.add(row('event-counts', 10, 20, 'page_view', { events: 7 }))
  board.add(row('event-counts', 0, 10, 'page_view', { events: 6 }))
  assert.deepEqual(board.snapshot().eventCounts, [
    { startMs: 0, endMs: 10, counts: { page_view: 6, purchase: 1 } },
    { startMs: 10, endMs: 20, counts: { page_view: 7 } },
  ])
})

test('only the newest windows are kept, oldest first, whatever order the rows come in', () => {
  const board = new AnalyticsBoard({ windows: 3 })
  for (const start of [50, 10, 40, 20, 30]) {
    board.add(row('revenue', start, start + 10, 'EUR', { revenue: start, purchases: 1 }))
  }
  assert.deepEqual(
    board.snapshot().revenue.map((w) => w.startMs),
    [30, 40, 50],
  )
})

test('revenue per currency; purchases without a currency are "unknown"', () => {
  const board = new AnalyticsBoard()
  board.add(row('revenue', 0, 60, 'USD', { revenue: 12.5, purchases: 2, currency: 'USD' }))
  board.add(row('revenue', 0, 60, '?', { revenue: 3, purchases: 1, currency: null }))
  assert.deepEqual(board.snapshot().revenue[0]?.byCurrency, {
    USD: { revenue: 12.5, purchases: 2 },
    unknown: { revenue: 3, purchases: 1 },
  })
})

test('sessions: counted, bucketed by their end, averaged over the complete buckets', () => {
  const board = new AnalyticsBoard({ sessionsBucketMs: 10 })
  board.add(row('sessions', 0, 4, 'u1', { duration_ms: 4 }))
  board.add(row('sessions', 0, 8, 'u2', { duration_ms: 8 }))
  board.add(row('sessions', 5, 15, 'u3', { duration_ms: 10 }))
  // The newest bucket (20..30) is still filling: the average leaves it out.
  board.add(row('sessions', 20, 21, 'u4', { duration_ms: 1 }))
  const sessions = board.snapshot().sessions
  assert.equal(sessions.closed, 4)
  assert.deepEqual(sessions.buckets, [
    { startMs: 0, closed: 2, averageDurationMs: 6 },
    { startMs: 10, closed: 1, averageDurationMs: 10 },
    { startMs: 20, closed: 1, averageDurationMs: 1 },
  ])
  assert.equal(sessions.averageDurationMs, (4 + 8 + 10) / 3)
})

test('top users: the newest window, by rank; an unknown job is counted and shown nowhere', () => {
  const board = new AnalyticsBoard()
  board.add(row('top-users', 0, 10, 'old', { events: 50, rank: 1 }))
  board.add(row('top-users', 10, 20, 'b', { events: 3, rank: 2 }))
  board.add(row('top-users', 10, 20, 'a', { events: 9, rank: 1 }))
  board.add(row('other-job', 10, 20, 'x', { events: 1 }))
  const snapshot = board.snapshot()
  assert.deepEqual(snapshot.topUsers, {
    startMs: 10,
    endMs: 20,
    rows: [
      { rank: 1, user: 'a', events: 9 },
      { rank: 2, user: 'b', events: 3 },
    ],
  })
  assert.equal(snapshot.rows, 4)
})

test('a snapshot is a copy: later rows do not change it', () => {
  const board = new AnalyticsBoard()
  board.add(row('event-counts', 0, 10, 'login', { events: 1 }))
  const before = board.snapshot()
  board.add(row('event-counts', 0, 10, 'login', { events: 2 }))
  assert.equal(before.eventCounts[0]?.counts.login, 1)
})

test('quantile: nearest rank over sorted values', () => {
  const values = Array.from({ length: 100 }, (_, i) => i + 1)
  assert.equal(quantile(values, 0.5), 50)
  assert.equal(quantile(values, 0.99), 99)
  assert.equal(quantile(values, 1), 100)
  assert.equal(quantile([7], 0.99), 7)
  assert.equal(quantile([], 0.5), null)
})
