// top-users against an oracle ranking the generated events' users per window straight, with the
// default and with other options; each straight through and with a crash and restore every N records.
// The rows of a window come in rank order and windows in time order, so the output is compared as
// it is, unsorted.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { buildJob } from '../../src/jobs/index.ts'
import type { AnalyticsResult, UserEvent } from '../../src/schemas/index.ts'
import { partitionFor, TestDriver } from '../../src/testing/index.ts'
import { EVENTS, MINUTE, row, runJob, START_MS } from './harness.ts'

function oracle(windowMs: number, topN: number): AnalyticsResult[] {
  const counts = new Map<number, Map<string, number>>()
  for (const e of EVENTS) {
    const start = e.timestamp - (e.timestamp % windowMs)
    const users = counts.get(start) ?? new Map<string, number>()
    users.set(e.user_id, (users.get(e.user_id) ?? 0) + 1)
    counts.set(start, users)
  }
  return [...counts.entries()]
    .sort(([a], [b]) => a - b)
    .flatMap(([start, users]) =>
      [...users.entries()]
        // Most events first; equal counts by user id.
        .sort(([ua, a], [ub, b]) => b - a || (ua < ub ? -1 : 1))
        .slice(0, topN)
        .map(([user, events], i) => row('top-users', user, start, start + windowMs, { events, rank: i + 1 })),
    )
}

test('top-users: the 10 users with the most events per one-minute tumbling window (the default)', async () => {
  const expected = oracle(MINUTE, 10)
  const windows = new Set(expected.map((r) => r.window_start)).size
  assert.ok(windows > 600)
  assert.ok(expected.filter((r) => r.rank === 10).length > windows / 2, 'most windows have 10 users')
  assert.ok(
    expected.some((r, i) => i > 0 && expected[i - 1]?.events === r.events && r.rank !== 1),
    'ties are broken',
  )
  for (const restartEvery of [undefined, 999]) {
    const { rows, late } = await runJob('top-users', {}, { restartEvery })
    assert.equal(late, 0)
    assert.deepEqual(rows, expected)
  }
})

test('top-users: windowMs and topN set the windows and the length of the ranking', async () => {
  const expected = oracle(10 * MINUTE, 3)
  assert.ok(expected.every((r) => (r.rank ?? 0) <= 3))
  for (const restartEvery of [undefined, 2_345]) {
    const { rows } = await runJob('top-users', { windowMs: 10 * MINUTE, topN: 3 }, { restartEvery })
    assert.deepEqual(rows, expected)
  }
})

// Root cause, first: the counts per user were made in parallel while the watermark of a repartition
// topic followed its record timestamps. A counting task whose partition went quiet emitted its
// counts of a window only at its next event, after the other tasks' counts of later windows had
// moved the ranking's watermark past that window, so its users were dropped as late. The watermark
// of a repartition topic is now the minimum over the tasks writing it, which waits for the quiet one.
// Second: counted straight in the tasks of the input partitions, the quiet task would go idle after
// idleTimeoutMs, stop holding the ranking back and still hold its counts; behind the by-user
// repartition topic it holds nothing, as its events have crossed already.
test('top-users: the users of a partition that goes quiet, or idle, are still ranked in their window', async () => {
  const [quiet, busy] = ['user_000001', 'user_000002', 'user_000003', 'user_000004'].reduce<string[]>(
    (found, user) =>
      found.some((other) => partitionFor(other, 2) === partitionFor(user, 2)) ? found : [...found, user],
    [],
  )
  assert.ok(quiet !== undefined && busy !== undefined, 'two users on different partitions')
  const at = (user: string, seconds: number): UserEvent => ({
    ...(EVENTS[0] as UserEvent),
    user_id: user,
    timestamp: START_MS + seconds * 1_000,
  })
  for (const idle of [false, true]) {
    const driver = new TestDriver(buildJob('top-users'), { partitions: 2, idleTimeoutMs: 30_000 })
    const input = driver.input<UserEvent, string>('user-events')
    for (const e of [...[10, 11, 12, 13, 14].map((s) => at(quiet, s)), at(busy, 20)]) {
      input.pipe(e, { key: e.user_id })
    }
    // Both partitions go idle; the busy one wakes up and moves on, by several windows, alone.
    if (idle) driver.advanceWallClock(30_000)
    for (const e of [...[70, 130, 190].map((s) => at(busy, s)), at(quiet, 200)]) {
      input.pipe(e, { key: e.user_id })
    }
    driver.advanceWatermark(Infinity)
    assert.deepEqual(driver.late(), [], `idle: ${idle}`)
    const firstWindow = driver
      .output<AnalyticsResult>('event-analytics')
      .readValues()
      .filter((r) => r.window_start === START_MS)
    assert.deepEqual(
      firstWindow.map((r) => [r.rank, r.key, r.events]),
      [
        [1, quiet, 5],
        [2, busy, 1],
      ],
      `idle: ${idle}`,
    )
    await driver.close()
  }
})
