// sessions against an oracle that splits each user's generated events at pauses longer than gapMs,
// with the default gap and another; each straight through and with a crash and restore every N
// records. Sessions merge when a late event bridges two, which the restarts cut through too.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { MONEY_SCALE } from '../../src/jobs/index.ts'
import { ErrorCodes, FreshetError } from '../../src/errors/index.ts'
import type { AnalyticsResult, UserEvent } from '../../src/schemas/index.ts'
import { TestDriver } from '../../src/testing/index.ts'
import { buildJob } from '../../src/jobs/index.ts'
import { EVENTS, MINUTE, runJob, row, sortRows, START_MS } from './harness.ts'

interface Session {
  user: string
  start: number
  end: number
  events: number
  pageViews: number
  purchases: number
  units: number
  currencies: Set<string>
}

function oracle(gapMs: number, events: readonly UserEvent[] = EVENTS): AnalyticsResult[] {
  const byUser = new Map<string, UserEvent[]>()
  for (const e of events) byUser.set(e.user_id, [...(byUser.get(e.user_id) ?? []), e])
  const sessions: Session[] = []
  for (const [user, own] of byUser) {
    let current: Session | undefined
    for (const e of [...own].sort((a, b) => a.timestamp - b.timestamp)) {
      if (current === undefined || e.timestamp - current.end > gapMs) {
        current = {
          user,
          start: e.timestamp,
          end: e.timestamp,
          events: 0,
          pageViews: 0,
          purchases: 0,
          units: 0,
          currencies: new Set(),
        }
        sessions.push(current)
      }
      current.end = e.timestamp
      current.events++
      if (e.event_type === 'page_view') current.pageViews++
      if (e.event_type === 'purchase') {
        current.purchases++
        current.units += Math.round((e.data.amount ?? 0) * MONEY_SCALE)
        if (e.data.currency !== null) current.currencies.add(e.data.currency)
      }
    }
  }
  return sortRows(
    sessions.map((s) =>
      row('sessions', s.user, s.start, s.end, {
        events: s.events,
        page_views: s.pageViews,
        purchases: s.purchases,
        revenue: s.currencies.size > 1 ? null : s.units / MONEY_SCALE,
        currency: s.currencies.size === 1 ? ([...s.currencies][0] as string) : null,
        duration_ms: s.end - s.start,
      }),
    ),
  )
}

test('sessions: per user, a 30-minute gap (the default): start, end, duration, events, page views, purchases, revenue', async () => {
  const expected = oracle(30 * MINUTE)
  const users = new Set(expected.map((r) => r.key)).size
  assert.ok(expected.length > users * 1.5, `several sessions per user: ${expected.length} for ${users} users`)
  assert.ok(expected.some((r) => (r.purchases ?? 0) > 0 && r.currency !== null))
  for (const restartEvery of [undefined, 501]) {
    const { rows, late } = await runJob('sessions', {}, { restartEvery })
    assert.equal(late, 0)
    assert.deepEqual(sortRows(rows), expected)
  }
})

test('sessions: gapMs sets the gap', async () => {
  const expected = oracle(3 * MINUTE)
  assert.ok(expected.length > oracle(30 * MINUTE).length, 'a shorter gap splits sessions')
  for (const restartEvery of [undefined, 1_999]) {
    const { rows } = await runJob('sessions', { gapMs: 3 * MINUTE }, { restartEvery })
    assert.deepEqual(sortRows(rows), expected)
  }
})

test('sessions: revenue in more than one currency has no single sum; a late event bridges two sessions', async () => {
  const event = (
    minute: number,
    type: UserEvent['event_type'],
    amount?: number,
    currency?: string,
  ): UserEvent => ({
    timestamp: START_MS + minute * MINUTE,
    event_type: type,
    user_id: 'user_000007',
    version: '1.0',
    data: {
      product_id: null,
      amount: amount ?? null,
      currency: currency ?? null,
      session_id: 's',
      device: 'desktop',
      browser: 'firefox',
      search_query: null,
      transaction_id: null,
    },
  })
  const events = [
    event(0, 'page_view'),
    event(1, 'purchase', 10, 'USD'),
    event(8, 'page_view'), // 7 minutes after the last: a session of its own, with a gap of 5
    event(4, 'purchase', 20, 'EUR'), // arrives late, within 5 minutes of both: one session
  ]
  // A watermark bound of 10 minutes keeps the first session open until the bridging event arrives.
  const driver = new TestDriver(buildJob('sessions', { gapMs: 5 * MINUTE }), {
    maxOutOfOrdernessMs: 10 * MINUTE,
  })
  for (const e of events) driver.input<UserEvent, string>('user-events').pipe(e, { key: e.user_id })
  driver.advanceWatermark(Infinity)
  const rows = driver.output<AnalyticsResult>('event-analytics').readValues()
  assert.deepEqual(rows, [
    row('sessions', 'user_000007', START_MS, START_MS + 8 * MINUTE, {
      events: 4,
      page_views: 2,
      purchases: 2,
      revenue: null,
      currency: null,
      duration_ms: 8 * MINUTE,
    }),
  ])
  assert.deepEqual(rows, oracle(5 * MINUTE, events))
  assert.ok((driver.metrics()['sessions']?.['sessionsMerged'] ?? 0) > 0, 'the sessions merged')
})

test('sessions: an input keyed by something else than the user id fails the job, naming the record', () => {
  const driver = new TestDriver(buildJob('sessions'))
  const event = EVENTS[0] as UserEvent
  assert.throws(
    () => driver.input<UserEvent, string>('user-events').pipe(event, { key: 'sess_1' }),
    (error: unknown) =>
      error instanceof FreshetError &&
      error.code === ErrorCodes.OPERATOR_FAILED.code &&
      error.topic === 'user-events' &&
      error.offset === '0' &&
      /must be keyed by user_id/.test(error.message),
  )
})
