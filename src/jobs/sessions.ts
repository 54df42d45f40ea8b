/**
 * sessions: each user's sessions (activity without a pause longer than gapMs), with their start,
 * end, duration, events, page views, purchases and revenue.
 *
 * user-events, keyed by user id already (no repartition) -> session(gapMs) -> one row per session,
 * keyed by the user id.
 */
import { UserEventSchema } from '../schemas/index.ts'
import { pipeline, type Topology } from '../stream/index.ts'
import { session } from '../windows/index.ts'
import { analyticsResult, fromMoneyUnits, requireUserKey, toMoneyUnits, writeResults } from './result.ts'
import type { ResolvedJobOptions } from './types.ts'

interface SessionState {
  events: number
  pageViews: number
  purchases: number
  /** Sum of the purchase amounts in MONEY_SCALE units. */
  units: number
  /** The currencies of the purchases, sorted; more than one makes the sum meaningless. */
  currencies: string[]
}

function addCurrency(currencies: string[], currency: string): string[] {
  return currencies.includes(currency) ? currencies : [...currencies, currency].sort()
}

export function sessionsJob(options: ResolvedJobOptions<'sessions'>): Topology {
  const app = pipeline({ applicationId: options.applicationId })
  const rows = app
    .stream(options.inputTopic, { schema: UserEventSchema })
    .byRecordKey<string>()
    .peek(requireUserKey, { name: 'require-user-key' })
    .window(session({ gapMs: options.gapMs, graceMs: options.graceMs }))
    .aggregate(
      {
        init: (): SessionState => ({ events: 0, pageViews: 0, purchases: 0, units: 0, currencies: [] }),
        add: (state, event) => {
          state.events++
          if (event.event_type === 'page_view') state.pageViews++
          if (event.event_type === 'purchase') {
            state.purchases++
            state.units += toMoneyUnits(event.data.amount ?? 0)
            if (event.data.currency !== null)
              state.currencies = addCurrency(state.currencies, event.data.currency)
          }
          return state
        },
        merge: (a, b) => ({
          events: a.events + b.events,
          pageViews: a.pageViews + b.pageViews,
          purchases: a.purchases + b.purchases,
          units: a.units + b.units,
          currencies: b.currencies.reduce(addCurrency, a.currencies),
        }),
      },
      { name: 'sessions' },
    )
    .map(
      (r) =>
        analyticsResult('sessions', r.key, r.window, {
          events: r.value.events,
          page_views: r.value.pageViews,
          purchases: r.value.purchases,
          revenue: r.value.currencies.length > 1 ? null : fromMoneyUnits(r.value.units),
          currency: r.value.currencies.length === 1 ? (r.value.currencies[0] as string) : null,
          duration_ms: r.window.endMs - r.window.startMs,
        }),
      { name: 'rows' },
    )
  writeResults(rows, options)
  return app.build()
}
