// event-counts against an oracle counting the generated events straight, with the default and with
// another window size; each straight through and with a crash and restore every few hundred records.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { AnalyticsResult } from '../../src/schemas/index.ts'
import { EVENTS, MINUTE, row, runJob, shopTraffic, sortRows } from './harness.ts'

function oracle(windowMs: number, events = EVENTS): AnalyticsResult[] {
  const rows = new Map<string, AnalyticsResult>()
  for (const e of events) {
    const start = e.timestamp - (e.timestamp % windowMs)
    const id = `${e.event_type}/${start}`
    const r = rows.get(id) ?? row('event-counts', e.event_type, start, start + windowMs, { events: 0 })
    r.events = (r.events ?? 0) + 1
    rows.set(id, r)
  }
  return sortRows([...rows.values()])
}

test('event-counts: events per event type per one-minute tumbling window (the default)', async () => {
  const expected = oracle(MINUTE)
  assert.ok(expected.length > 2_000)
  assert.equal(new Set(expected.map((r) => r.key)).size, 10, 'every event type occurs')
  for (const restartEvery of [undefined, 777]) {
    const { rows, late } = await runJob('event-counts', {}, { restartEvery })
    assert.equal(late, 0)
    assert.deepEqual(sortRows(rows), expected)
  }
})

test('event-counts: windowMs sets the window size', async () => {
  const expected = oracle(7 * MINUTE)
  for (const restartEvery of [undefined, 1_001]) {
    const { rows } = await runJob('event-counts', { windowMs: 7 * MINUTE }, { restartEvery })
    assert.deepEqual(sortRows(rows), expected)
  }
})

test('event-counts: graceMs takes events later than the watermark bound', async () => {
  // Up to 30 s of disorder against a bound of 5 s: some events come after their window closed.
  const events = shopTraffic(5_000, 30_000)
  const strict = await runJob('event-counts', {}, { events })
  assert.ok(strict.late > 0, 'without grace some events are late')
  assert.notDeepEqual(sortRows(strict.rows), oracle(MINUTE, events))
  const tolerant = await runJob('event-counts', { graceMs: 25_000 }, { events })
  assert.equal(tolerant.late, 0)
  assert.deepEqual(sortRows(tolerant.rows), oracle(MINUTE, events))
})
