/**
 * revenue: purchases, their revenue and average amount per currency, over hopping windows.
 *
 * user-events -> purchases only -> key by currency (repartition) -> hopping(windowMs, advanceMs)
 * -> sum in fixed point -> one row per currency and window, keyed by the currency.
 */
import { UserEventSchema } from '../schemas/index.ts'
import { pipeline, type Topology } from '../stream/index.ts'
import { hopping } from '../windows/index.ts'
import { analyticsResult, fromMoneyUnits, toMoneyUnits, writeResults } from './result.ts'
import type { ResolvedJobOptions } from './types.ts'

/**
 * The key of purchases without a currency. They are counted there rather than dropped, so that they
 * stay visible; one without an amount adds 0.
 */
export const UNKNOWN_CURRENCY = 'unknown'

interface RevenueState {
  purchases: number
  /** Sum of the amounts in MONEY_SCALE units. */
  units: number
}

export function revenueJob(options: ResolvedJobOptions<'revenue'>): Topology {
  const app = pipeline({ applicationId: options.applicationId })
  const rows = app
    .stream(options.inputTopic, { schema: UserEventSchema })
    .filter((event) => event.event_type === 'purchase', { name: 'purchases' })
    .keyBy((event) => event.data.currency ?? UNKNOWN_CURRENCY, { name: 'by-currency' })
    .window(hopping({ sizeMs: options.windowMs, advanceMs: options.advanceMs, graceMs: options.graceMs }))
    .aggregate(
      {
        init: (): RevenueState => ({ purchases: 0, units: 0 }),
        add: (state, event) => {
          state.purchases++
          state.units += toMoneyUnits(event.data.amount ?? 0)
          return state
        },
        merge: (a, b) => ({ purchases: a.purchases + b.purchases, units: a.units + b.units }),
        // Fixed-point units add up exactly in any order.
        combinable: true,
      },
      { name: 'totals' },
    )
    .map(
      (r) =>
        analyticsResult('revenue', r.key, r.window, {
          purchases: r.value.purchases,
          revenue: fromMoneyUnits(r.value.units),
          average_amount: fromMoneyUnits(r.value.units) / r.value.purchases,
          currency: r.key === UNKNOWN_CURRENCY ? null : r.key,
        }),
      { name: 'rows' },
    )
  writeResults(rows, options)
  return app.build()
}
