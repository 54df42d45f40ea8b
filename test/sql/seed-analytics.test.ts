// The seed analytics written in SQL (sql/*.sql) give exactly the rows of the seed jobs: planned
// onto the DSL, run on the test driver over the same generated shop traffic (with disorder within
// the watermark bound), written as Avro with schemas/analytics_result.avsc.
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { test } from 'node:test'
import type { AnalyticsResult, UserEvent } from '../../src/schemas/index.ts'
import { HEADER_BYTES } from '../../src/serde/index.ts'
import { planSqlFile } from '../../src/sql/index.ts'
import { MemoryRegistry, TestDriver } from '../../src/testing/index.ts'
import { EVENTS, RESULT_TYPE, runJob, sortRows } from '../jobs/harness.ts'

const SQL_DIR = join(import.meta.dirname, '../../sql')

async function runSql(file: string, events: readonly UserEvent[] = EVENTS): Promise<AnalyticsResult[]> {
  const sessions = file === 'sessions.sql'
  const registry = new MemoryRegistry()
  const planned = await planSqlFile(join(SQL_DIR, file), { registry: () => registry })
  const driver = await TestDriver.create(planned.topology, {
    partitions: 4,
    maxOutOfOrdernessMs: planned.maxOutOfOrdernessMs ?? 0,
  })
  const input = driver.input<UserEvent, string>('user-events')
  for (const event of events) input.pipe(event, { key: event.user_id, timestampMs: event.timestamp })
  driver.advanceWatermark(Infinity)
  const records = driver.output<AnalyticsResult, unknown>('event-analytics').readAll()
  for (const record of records) {
    assert.ok(record.bytes !== undefined, 'the sink serialized the row')
    assert.deepEqual({ ...RESULT_TYPE.fromBuffer(record.bytes.subarray(HEADER_BYTES)) }, record.value)
    // As the seed jobs write them: a time window's last instant; a session's last event.
    const timestampMs = sessions ? record.value.window_end : record.value.window_end - 1
    assert.equal(record.timestampMs, timestampMs, 'the record timestamp')
  }
  assert.equal(driver.late().length, 0)
  await driver.close()
  return records.map((r) => r.value)
}

for (const job of ['event-counts', 'revenue', 'top-users', 'sessions'] as const) {
  test(`sql/${job}.sql writes the rows of the seed job ${job}`, async () => {
    const sql = await runSql(`${job}.sql`)
    const dsl = (await runJob(job)).rows
    assert.ok(dsl.length > 100, `the seed job wrote ${dsl.length} rows`)
    assert.deepEqual(sortRows(sql), sortRows(dsl))
  })
}

test('sql/dedup-purchases.sql writes each purchased line item once, however often its event was written', async () => {
  const registry = new MemoryRegistry()
  const planned = await planSqlFile(join(SQL_DIR, 'dedup-purchases.sql'), { registry: () => registry })
  const driver = await TestDriver.create(planned.topology, {
    partitions: 4,
    maxOutOfOrdernessMs: planned.maxOutOfOrdernessMs ?? 0,
  })
  const input = driver.input<UserEvent, string>('user-events')
  const purchases = EVENTS.filter((e) => e.event_type === 'purchase')
  assert.ok(purchases.length > 50, `${purchases.length} purchases`)
  // Every third purchase written again right after itself, as a retried send writes it.
  for (const [i, event] of EVENTS.entries()) {
    input.pipe(event, { key: event.user_id, timestampMs: event.timestamp })
    if (event.event_type === 'purchase' && i % 3 === 0) {
      input.pipe(event, { key: event.user_id, timestampMs: event.timestamp })
    }
  }
  driver.advanceWatermark(Infinity)
  const rows = driver.output<Record<string, unknown>, unknown>('purchases').readValues()
  assert.equal(driver.late().length, 0)
  await driver.close()
  const expected = purchases.map((e) => ({
    transaction_id: e.data.transaction_id,
    product_id: e.data.product_id,
    user_id: e.user_id,
    amount: e.data.amount,
    currency: e.data.currency,
    purchased_at: e.timestamp,
  }))
  const key = (r: Record<string, unknown>): string => `${String(r.transaction_id)}/${String(r.product_id)}`
  assert.equal(new Set(expected.map(key)).size, expected.length, 'the generator writes each line item once')
  const sort = (list: Array<Record<string, unknown>>) =>
    [...list].sort((a, b) => key(a).localeCompare(key(b)))
  assert.deepEqual(sort(rows), sort(expected))
})

test('sql/funnel.sql counts the distinct viewers, carters and buyers of each 5-minute window, and the rates', async () => {
  const registry = new MemoryRegistry()
  const planned = await planSqlFile(join(SQL_DIR, 'funnel.sql'), { registry: () => registry })
  const driver = await TestDriver.create(planned.topology, {
    partitions: 4,
    maxOutOfOrdernessMs: planned.maxOutOfOrdernessMs ?? 0,
  })
  const input = driver.input<UserEvent, string>('user-events')
  for (const event of EVENTS) input.pipe(event, { key: event.user_id, timestampMs: event.timestamp })
  driver.advanceWatermark(Infinity)
  const rows = driver.output<Record<string, unknown>, unknown>('funnel').readValues()
  assert.equal(driver.late().length, 0)
  await driver.close()
  const WINDOW_MS = 300_000
  const windows = new Map<number, { view: Set<string>; cart: Set<string>; buy: Set<string> }>()
  for (const e of EVENTS) {
    const start = e.timestamp - (e.timestamp % WINDOW_MS)
    const w = windows.get(start) ?? { view: new Set(), cart: new Set(), buy: new Set() }
    windows.set(start, w)
    if (e.event_type === 'page_view') w.view.add(e.user_id)
    if (e.event_type === 'add_to_cart') w.cart.add(e.user_id)
    if (e.event_type === 'purchase') w.buy.add(e.user_id)
  }
  const expected = [...windows].map(([start, w]) => ({
    window_start: start,
    window_end: start + WINDOW_MS,
    viewers: w.view.size,
    carters: w.cart.size,
    buyers: w.buy.size,
    view_to_cart: w.view.size === 0 ? null : w.cart.size / w.view.size,
    cart_to_purchase: w.cart.size === 0 ? null : w.buy.size / w.cart.size,
  }))
  assert.ok(
    expected.some((r) => r.buyers > 0),
    'some window has buyers',
  )
  const byStart = (a: Record<string, unknown>, b: Record<string, unknown>) =>
    (a.window_start as number) - (b.window_start as number)
  assert.deepEqual([...rows].sort(byStart), expected.sort(byStart))
})
