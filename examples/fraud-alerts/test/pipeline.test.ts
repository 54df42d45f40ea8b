// The pipeline under freshet's test driver: no broker, records piped in, results read out.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { TestDriver } from 'freshet/testing'
import type { Alert, Payment } from '../src/generated/index.ts'
import fraudAlerts from '../src/pipeline.ts'

const MINUTE_MS = 60_000

function payment(user: string, amount: number, atMs: number): Payment {
  return {
    id: `${user}-${atMs}`,
    user_id: user,
    merchant: 'shop',
    amount,
    currency: 'EUR',
    country: null,
    timestamp: atMs,
  }
}

test('a user over the limit within one window gets one alert with the count and the total', async () => {
  const topology = fraudAlerts({ applicationId: undefined, params: { limit: '500' } }).build()
  const driver = await TestDriver.create(topology, { maxOutOfOrdernessMs: 0 })
  const payments = driver.input<Payment, string>('payments')
  payments.pipe(payment('ann', 300, 1_000), { key: 'ann' })
  payments.pipe(payment('bob', 200, 2_000), { key: 'bob' })
  payments.pipe(payment('ann', 250, 30_000), { key: 'ann' })
  payments.pipe(payment('bob', 100, 40_000), { key: 'bob' })
  // The next window: ann's total starts again from 0.
  payments.pipe(payment('ann', 400, MINUTE_MS + 1_000), { key: 'ann' })
  driver.advanceWatermark(Infinity)

  const alerts = driver.output<Alert>('alerts').readValues()
  assert.deepEqual(alerts, [
    { user_id: 'ann', window_start: 0, window_end: MINUTE_MS, payments: 2, total: 550 },
  ])
})

test('a total that does not fit the alert schema fails in the test, as it would in the worker', async () => {
  const topology = fraudAlerts({ applicationId: 'fraud-test', params: { limit: '0' } }).build()
  const driver = await TestDriver.create(topology, { onBadRecord: 'fail' })
  // A producer that sent the amount as a string: the total becomes a string, not a double.
  const bad = { ...payment('eve', 10, 1_000), amount: '10' as unknown as number }
  driver.input<Payment, string>('payments').pipe(bad, { key: 'eve' })
  assert.throws(() => driver.advanceWatermark(Infinity), {
    code: 'FRESHET_SERDE_ENCODE_FAILED',
    message: /field total must be/,
  })
})

test('the payments are keyed by user already: no repartition topic, one changelog', () => {
  const { topics } = fraudAlerts({ applicationId: 'fraud', params: {} }).build().description
  assert.deepEqual(topics.repartition, [])
  assert.deepEqual(topics.changelog, ['fraud-totals-store-changelog'])
})
