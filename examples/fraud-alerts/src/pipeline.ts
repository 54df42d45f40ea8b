/**
 * Fraud alerts: a user whose payments within one window add up to more than a limit gets an alert.
 *
 * payments (keyed by user id) -> per user, tumbling windows -> count and total -> above the limit
 * -> alerts. The payments are keyed by user id already, so `byRecordKey()` needs no repartition.
 *
 * Settings come from `freshet run ./src/pipeline.ts --param key=value`: `limit` (default 1000),
 * `window` in seconds (default 60), `input` (default payments) and `output` (default alerts).
 */
import { pipeline, tumbling, type TopologyContext } from 'freshet'
import { AlertSchema, PaymentSchema, type Alert } from './generated/index.ts'

interface Totals {
  payments: number
  total: number
}

export default function fraudAlerts(context: TopologyContext) {
  const limit = Number(context.params.limit ?? 1000)
  const windowMs = Number(context.params.window ?? 60) * 1000
  const app = pipeline({ applicationId: context.applicationId ?? 'fraud-alerts' })
  app
    .stream(context.params.input ?? 'payments', { schema: PaymentSchema })
    .byRecordKey()
    .window(tumbling({ sizeMs: windowMs }))
    .aggregate(
      {
        init: (): Totals => ({ payments: 0, total: 0 }),
        add: (totals, payment) => ({ payments: totals.payments + 1, total: totals.total + payment.amount }),
      },
      { name: 'totals' },
    )
    .filter((result) => result.value.total > limit, { name: 'above-limit' })
    .map(
      (result): Alert => ({
        user_id: result.key,
        window_start: result.window.startMs,
        window_end: result.window.endMs,
        payments: result.value.payments,
        total: result.value.total,
      }),
      { name: 'alert' },
    )
    .to(context.params.output ?? 'alerts', { schema: AlertSchema })
  return app
}
