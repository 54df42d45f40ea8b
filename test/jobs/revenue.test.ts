// revenue against an oracle summing the generated purchases straight, with the default hopping
// windows and with others; each straight through and with a crash and restore every N records.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { MONEY_SCALE, UNKNOWN_CURRENCY } from '../../src/jobs/index.ts'
import type { AnalyticsResult, UserEvent } from '../../src/schemas/index.ts'
import { EVENTS, MINUTE, row, runJob, sortRows, START_MS } from './harness.ts'

function oracle(
  windowMs: number,
  advanceMs: number,
  events: readonly UserEvent[] = EVENTS,
): AnalyticsResult[] {
  const sums = new Map<string, { currency: string; start: number; purchases: number; units: number }>()
  for (const e of events) {
    if (e.event_type !== 'purchase') continue
    const currency = e.data.currency ?? UNKNOWN_CURRENCY
    // The windows containing t start at the multiples of advanceMs in (t - windowMs, t].
    const latest = e.timestamp - (e.timestamp % advanceMs)
    for (let start = latest; start > e.timestamp - windowMs && start >= 0; start -= advanceMs) {
      const id = `${currency}/${start}`
      const sum = sums.get(id) ?? { currency, start, purchases: 0, units: 0 }
      sum.purchases++
      sum.units += Math.round((e.data.amount ?? 0) * MONEY_SCALE)
      sums.set(id, sum)
    }
  }
  return sortRows(
    [...sums.values()].map((s) =>
      row('revenue', s.currency, s.start, s.start + windowMs, {
        purchases: s.purchases,
        revenue: s.units / MONEY_SCALE,
        average_amount: s.units / MONEY_SCALE / s.purchases,
        currency: s.currency === UNKNOWN_CURRENCY ? null : s.currency,
      }),
    ),
  )
}

test('revenue: purchases, revenue and average per currency, 5-minute windows every minute (the default)', async () => {
  const expected = oracle(5 * MINUTE, MINUTE)
  assert.ok(expected.length > 1_000)
  assert.ok(new Set(expected.map((r) => r.key)).size >= 5, 'several currencies')
  assert.ok(expected.some((r) => (r.purchases ?? 0) > 1))
  for (const restartEvery of [undefined, 1_234]) {
    const { rows, late } = await runJob('revenue', {}, { restartEvery })
    assert.equal(late, 0)
    // Sums in fixed point are exact: equal to the last bit, whatever the order of addition.
    assert.deepEqual(sortRows(rows), expected)
  }
})

test('revenue: windowMs and advanceMs set the hopping windows; advanceMs = windowMs tumbles', async () => {
  for (const [windowMs, advanceMs] of [
    [10 * MINUTE, 150_000],
    [2 * MINUTE, 2 * MINUTE],
  ] as const) {
    const expected = oracle(windowMs, advanceMs)
    for (const restartEvery of [undefined, 555]) {
      const { rows } = await runJob('revenue', { windowMs, advanceMs }, { restartEvery })
      assert.deepEqual(sortRows(rows), expected, `${windowMs}/${advanceMs}`)
    }
  }
})

test('revenue: a purchase without currency counts under "unknown", one without amount adds 0', async () => {
  const purchase = (minute: number, amount: number | null, currency: string | null): UserEvent => ({
    timestamp: START_MS + minute * MINUTE,
    event_type: 'purchase',
    user_id: 'user_000001',
    version: '1.0',
    data: {
      product_id: 'prod_00001',
      amount,
      currency,
      session_id: 's',
      device: 'mobile',
      browser: 'safari',
      search_query: null,
      transaction_id: 't',
    },
  })
  const events = [
    purchase(0, 10.1, 'EUR'),
    purchase(0, 0.2, 'EUR'),
    purchase(1, 5, null),
    purchase(1, null, 'EUR'),
  ]
  const { rows } = await runJob('revenue', { windowMs: 2 * MINUTE, advanceMs: 2 * MINUTE }, { events })
  assert.deepEqual(sortRows(rows), oracle(2 * MINUTE, 2 * MINUTE, events))
  assert.deepEqual(
    rows.map((r) => [r.key, r.currency, r.purchases, r.revenue, r.average_amount]),
    [
      ['EUR', 'EUR', 3, 10.3, 10.3 / 3],
      [UNKNOWN_CURRENCY, null, 1, 5, 5],
    ],
  )
})
