// The rows every job writes: AnalyticsResult as generated from schemas/analytics_result.avsc, with
// the figures a job does not compute null, and money summed in fixed point.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { fromMoneyUnits, toMoneyUnits, analyticsResult } from '../../src/jobs/result.ts'
import { AnalyticsResultSchema, loadSchema } from '../../src/schemas/index.ts'
import { RESULT_TYPE } from './harness.ts'

test('the catalog knows the schema by file, type and full name', () => {
  for (const name of ['analytics_result', 'AnalyticsResult', 'dev.freshet.analytics.AnalyticsResult'])
    assert.equal(loadSchema(name), AnalyticsResultSchema)
})

test('a row has the given figures and null for the others, and encodes with the .avsc', () => {
  const row = analyticsResult(
    'revenue',
    'EUR',
    { startMs: 0, endMs: 300_000 },
    { purchases: 2, currency: 'EUR' },
  )
  assert.deepEqual(row, {
    job: 'revenue',
    window_start: 0,
    window_end: 300_000,
    key: 'EUR',
    events: null,
    page_views: null,
    purchases: 2,
    revenue: null,
    average_amount: null,
    currency: 'EUR',
    duration_ms: null,
    rank: null,
  })
  assert.deepEqual({ ...RESULT_TYPE.fromBuffer(RESULT_TYPE.toBuffer(row)) }, row)
  // Every field of the schema is in the row, in the schema's order.
  assert.deepEqual(
    Object.keys(row),
    (AnalyticsResultSchema.schema as { fields: { name: string }[] }).fields.map((f) => f.name),
  )
})

test('money in fixed point: sums are exact and do not depend on the order of addition', () => {
  const amounts = [0.1, 0.2, 0.3, 19.99, 1_234.56, 0.07, 3_999]
  const forward = amounts.reduce((sum, a) => sum + toMoneyUnits(a), 0)
  const backward = amounts.reduceRight((sum, a) => sum + toMoneyUnits(a), 0)
  assert.equal(forward, backward)
  assert.equal(fromMoneyUnits(forward), 5_254.22)
  // What the plain double sums give instead:
  assert.notEqual(
    amounts.reduce((s, a) => s + a, 0),
    5_254.22,
  )
  assert.equal(fromMoneyUnits(toMoneyUnits(0.1) + toMoneyUnits(0.2)), 0.3)
  assert.equal(toMoneyUnits(12.3456), 123_456, 'four decimals are kept')
})
