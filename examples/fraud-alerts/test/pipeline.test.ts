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

test('payments of the first version of the schema (no country yet) read with the default', async () => {
  const topology = fraudAlerts({ applicationId: undefined, params: { limit: '100' } }).build()
  const driver = await TestDriver.create(topology, { maxOutOfOrdernessMs: 0 })
  // schemas/payment.avsc before `country` was added (with a default, so old payments still read).
  const paymentV1 = {
    type: 'record',
    name: 'Payment',
    namespace: 'shop.payments',
    fields: [
      { name: 'id', type: 'string' },
      { name: 'user_id', type: 'string' },
      { name: 'merchant', type: 'string' },
      { name: 'amount', type: 'double' },
      { name: 'currency', type: { type: 'enum', name: 'Currency', symbols: ['EUR', 'USD', 'GBP'] } },
      { name: 'timestamp', type: { type: 'long', logicalType: 'timestamp-millis' } },
    ],
  }
  const { country: _country, ...old } = payment('ann', 150, 1_000)
  driver.input<Payment, string>('payments').pipe(old as Payment, { key: 'ann', writerSchema: paymentV1 })
  driver.advanceWatermark(Infinity)
  assert.deepEqual(driver.output<Alert>('alerts').readValues(), [
    { user_id: 'ann', window_start: 0, window_end: MINUTE_MS, payments: 1, total: 150 },
  ])
})

test('the payments are keyed by user already: no repartition topic, one changelog', () => {
  const { topics } = fraudAlerts({ applicationId: 'fraud', params: {} }).build().description
  assert.deepEqual(topics.repartition, [])
  assert.deepEqual(topics.changelog, ['fraud-totals-store-changelog'])
})
