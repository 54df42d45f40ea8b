// The four seed jobs written on the DSL, run on the test driver over generated shop traffic, each
// checked against an oracle computed here straight from the input events. Each job runs twice:
// straight through, and with a crash and restore every few hundred records; both must equal the
// oracle.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { EventGenerator } from '../../src/producer/index.ts'
import { UserEventSchema, type UserEvent } from '../../src/schemas/index.ts'
import { pipeline, type Topology } from '../../src/stream/index.ts'
import { TestDriver } from '../../src/testing/index.ts'
import { hopping, session, tumbling } from '../../src/windows/index.ts'
import { random } from '../operators/harness.ts'

const MINUTE = 60_000
const START_MS = 1_767_225_600_000 // 2026-01-01T00:00:00Z
const MAX_OUT_OF_ORDERNESS_MS = 5_000

/**
 * Shop traffic of 300 users over about 11 hours (one event every 2 s), with producer-like disorder:
 * each event may arrive up to 3 s after later ones, which the 5 s watermark bound absorbs.
 */
function shopTraffic(count: number): UserEvent[] {
  let clockMs = START_MS
  const generator = new EventGenerator({
    seed: 42,
    users: 300,
    activeSessions: 25,
    clock: () => (clockMs += 2_000),
  })
  const next = random(5)
  return generator
    .batch(count)
    .map((event) => ({ event, arrival: event.timestamp + next() * 3_000 }))
    .sort((a, b) => a.arrival - b.arrival)
    .map((e) => e.event)
}

const EVENTS = shopTraffic(20_000)

/** Runs a job over EVENTS keyed by user (as the producer writes them) and returns its output values. */
async function run<V>(topology: Topology, output: string, restartEvery?: number): Promise<V[]> {
  const driver = new TestDriver(topology, {
    partitions: 4,
    maxOutOfOrdernessMs: MAX_OUT_OF_ORDERNESS_MS,
  })
  const input = driver.input<UserEvent, string>('user-events')
  for (const [i, event] of EVENTS.entries()) {
    input.pipe(event, { key: event.user_id, timestampMs: event.timestamp })
    if (restartEvery !== undefined && i % restartEvery === restartEvery - 1) await driver.restart()
  }
  driver.advanceWatermark(Infinity)
  assert.deepEqual(driver.late(), [], 'the disorder stays within the watermark bound')
  return driver.output<V>(output).readValues()
}

const sortRows = <T>(rows: T[]): T[] =>
  rows
    .map((r) => [JSON.stringify(r), r] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, r]) => r)

// event-counts -----------------------------------------------------------------------------------

interface EventCount {
  event_type: string
  window_start: number
  window_end: number
  count: number
}

function eventCounts(): Topology {
  const app = pipeline({ applicationId: 'event-counts' })
  app
    .stream('user-events', { schema: UserEventSchema })
    .keyBy((e) => e.event_type, { name: 'by-type' })
    .window(tumbling({ sizeMs: MINUTE }))
    .count({ name: 'counts' })
    .map((r) => ({
      event_type: r.key,
      window_start: r.window.startMs,
      window_end: r.window.endMs,
      count: r.value,
    }))
    .to('event-counts')
  return app.build()
}

function eventCountsOracle(): EventCount[] {
  const counts = new Map<string, EventCount>()
  for (const e of EVENTS) {
    const start = e.timestamp - (e.timestamp % MINUTE)
    const id = `${e.event_type}/${start}`
    const row = counts.get(id) ?? {
      event_type: e.event_type,
      window_start: start,
      window_end: start + MINUTE,
      count: 0,
    }
    row.count++
    counts.set(id, row)
  }
  return sortRows([...counts.values()])
}

test('event-counts: events per event_type per one-minute tumbling window', async () => {
  const expected = eventCountsOracle()
  assert.ok(expected.length > 1_000)
  assert.deepEqual(sortRows(await run<EventCount>(eventCounts(), 'event-counts')), expected)
  assert.deepEqual(sortRows(await run<EventCount>(eventCounts(), 'event-counts', 777)), expected)
})

// revenue ------------------------------------------------------------------------------------------

interface Revenue {
  currency: string
  window_start: number
  purchases: number
  revenue: number
  average: number
}

function revenue(): Topology {
  const app = pipeline({ applicationId: 'revenue' })
  app
    .stream('user-events', { schema: UserEventSchema })
    .filter((e) => e.event_type === 'purchase')
    .keyBy((e) => e.data.currency ?? 'none', { name: 'by-currency' })
    .window(hopping({ sizeMs: 5 * MINUTE, advanceMs: MINUTE }))
    .aggregate(
      {
        init: () => ({ purchases: 0, revenue: 0 }),
        add: (acc, e) => ({ purchases: acc.purchases + 1, revenue: acc.revenue + (e.data.amount ?? 0) }),
        result: (acc) => ({ ...acc, average: acc.revenue / acc.purchases }),
      },
      { name: 'revenue' },
    )
    .map((r) => ({ currency: r.key, window_start: r.window.startMs, ...r.value }))
    .to('revenue')
  return app.build()
}

function revenueOracle(): Map<string, Revenue> {
  const rows = new Map<string, Revenue>()
  for (const e of EVENTS) {
    if (e.event_type !== 'purchase') continue
    const currency = e.data.currency ?? 'none'
    // The windows of 5 minutes starting every minute that contain t: starts in (t - 5 min, t].
    const latest = e.timestamp - (e.timestamp % MINUTE)
    for (let start = latest; start > e.timestamp - 5 * MINUTE && start >= 0; start -= MINUTE) {
      const id = `${currency}/${start}`
      const row = rows.get(id) ?? { currency, window_start: start, purchases: 0, revenue: 0, average: 0 }
      row.purchases++
      row.revenue += e.data.amount ?? 0
      row.average = row.revenue / row.purchases
      rows.set(id, row)
    }
  }
  return rows
}

test('revenue: purchase count, revenue and average per currency, hopping 5 min every minute', async () => {
  const expected = revenueOracle()
  assert.ok(expected.size > 500)
  for (const restartEvery of [undefined, 1_234]) {
    const actual = await run<Revenue>(revenue(), 'revenue', restartEvery)
    assert.equal(actual.length, expected.size, 'one final result per currency and window')
    for (const row of actual) {
      const want = expected.get(`${row.currency}/${row.window_start}`)
      assert.ok(want !== undefined, `unexpected window ${row.currency} ${row.window_start}`)
      assert.equal(row.purchases, want.purchases)
      // Sums of the same amounts in another order may differ in the last bits.
      assert.ok(Math.abs(row.revenue - want.revenue) < 1e-6, `${row.revenue} vs ${want.revenue}`)
      assert.ok(Math.abs(row.average - want.average) < 1e-9)
    }
  }
})

// sessions -----------------------------------------------------------------------------------------

interface SessionRow {
  user_id: string
  start: number
  end: number
  duration_ms: number
  events: number
  page_views: number
  purchases: number
  revenue_cents: number
}

interface SessionStats {
  events: number
  page_views: number
  purchases: number
  revenue_cents: number
}

const SESSION_GAP_MS = 30 * MINUTE

function sessions(): Topology {
  const app = pipeline({ applicationId: 'sessions' })
  app
    .stream('user-events', { schema: UserEventSchema })
    .byRecordKey()
    .window(session({ gapMs: SESSION_GAP_MS }))
    .aggregate(
      {
        init: (): SessionStats => ({ events: 0, page_views: 0, purchases: 0, revenue_cents: 0 }),
        add: (acc, e) => ({
          events: acc.events + 1,
          page_views: acc.page_views + (e.event_type === 'page_view' ? 1 : 0),
          purchases: acc.purchases + (e.event_type === 'purchase' ? 1 : 0),
          // Whole cents: sums are exact whatever order merges happen in.
          revenue_cents:
            acc.revenue_cents + (e.event_type === 'purchase' ? Math.round((e.data.amount ?? 0) * 100) : 0),
        }),
        merge: (a, b) => ({
          events: a.events + b.events,
          page_views: a.page_views + b.page_views,
          purchases: a.purchases + b.purchases,
          revenue_cents: a.revenue_cents + b.revenue_cents,
        }),
      },
      { name: 'sessions' },
    )
    .map((r): SessionRow => ({
      user_id: r.key,
      start: r.window.startMs,
      end: r.window.endMs,
      duration_ms: r.window.endMs - r.window.startMs,
      ...r.value,
    }))
    .to('sessions')
  return app.build()
}

function sessionsOracle(): SessionRow[] {
  const byUser = new Map<string, UserEvent[]>()
  for (const e of EVENTS) byUser.set(e.user_id, [...(byUser.get(e.user_id) ?? []), e])
  const rows: SessionRow[] = []
  for (const [user, events] of byUser) {
    events.sort((a, b) => a.timestamp - b.timestamp)
    let current: SessionRow | undefined
    for (const e of events) {
      if (current === undefined || e.timestamp - current.end >= SESSION_GAP_MS) {
        if (current !== undefined) rows.push(current)
        current = {
          user_id: user,
          start: e.timestamp,
          end: e.timestamp,
          duration_ms: 0,
          events: 0,
          page_views: 0,
          purchases: 0,
          revenue_cents: 0,
        }
      }
      current.end = e.timestamp
      current.duration_ms = current.end - current.start
      current.events++
      if (e.event_type === 'page_view') current.page_views++
      if (e.event_type === 'purchase') {
        current.purchases++
        current.revenue_cents += Math.round((e.data.amount ?? 0) * 100)
      }
    }
    if (current !== undefined) rows.push(current)
  }
  return sortRows(rows)
}

test('sessions: per user with a 30 min gap: start, end, duration, events, page views, purchases, revenue', async () => {
  const expected = sessionsOracle()
  const users = new Set(expected.map((r) => r.user_id)).size
  assert.ok(expected.length > users * 1.5, `several sessions per user: ${expected.length} for ${users} users`)
  assert.ok(expected.some((r) => r.purchases > 0))
  assert.deepEqual(sortRows(await run<SessionRow>(sessions(), 'sessions')), expected)
  assert.deepEqual(sortRows(await run<SessionRow>(sessions(), 'sessions', 501)), expected)
})

// top-users ----------------------------------------------------------------------------------------

interface TopUsers {
  window_start: number
  users: Array<{ user_id: string; events: number }>
}

const TOP_WINDOW_MS = 10 * MINUTE

function topUsers(): Topology {
  const app = pipeline({ applicationId: 'top-users' })
  app
    .stream('user-events', { schema: UserEventSchema })
    .byRecordKey()
    .window(tumbling({ sizeMs: TOP_WINDOW_MS }))
    .count({ name: 'events-per-user' })
    // All counts of a window meet on one key; their times (the window end - 1) put them in the
    // same window downstream.
    .keyBy(() => 'all', { name: 'all-users' })
    .window(tumbling({ sizeMs: TOP_WINDOW_MS }))
    .topN(10, { by: (r) => r.value, id: (r) => r.key, name: 'top-10' })
    .map((r): TopUsers => ({
      window_start: r.window.startMs,
      users: r.value.map((c) => ({ user_id: c.key, events: c.value })),
    }))
    .to('top-users')
  return app.build()
}

function topUsersOracle(): TopUsers[] {
  const counts = new Map<number, Map<string, number>>()
  for (const e of EVENTS) {
    const start = e.timestamp - (e.timestamp % TOP_WINDOW_MS)
    const users = counts.get(start) ?? new Map<string, number>()
    users.set(e.user_id, (users.get(e.user_id) ?? 0) + 1)
    counts.set(start, users)
  }
  return [...counts.entries()]
    .sort(([a], [b]) => a - b)
    .map(([start, users]) => ({
      window_start: start,
      users: [...users.entries()]
        .sort(([ua, a], [ub, b]) => b - a || (ua < ub ? -1 : 1))
        .slice(0, 10)
        .map(([user_id, events]) => ({ user_id, events })),
    }))
}

test('top-users: the 10 users with the most events per 10-minute tumbling window', async () => {
  const expected = topUsersOracle()
  assert.ok(expected.length > 60)
  assert.ok(expected.every((w) => w.users.length === 10))
  assert.deepEqual(await run<TopUsers>(topUsers(), 'top-users'), expected)
  assert.deepEqual(await run<TopUsers>(topUsers(), 'top-users', 999), expected)
})
