/**
 * The analytics the dashboard shows, folded from the `AnalyticsResult` rows the four seed jobs
 * write: events per type per window, revenue per currency per window, closed sessions and their
 * durations, the latest top-users ranking. Rows are kept by (window, key), so a row sent again (an
 * update of the same window) replaces the one before, and only the newest windows are kept.
 */
import { EventTypeSymbols, type AnalyticsResult } from '../schemas/index.ts'

export interface CountsWindow {
  startMs: number
  endMs: number
  /** Events per event type. */
  counts: Record<string, number>
}

export interface RevenueWindow {
  startMs: number
  endMs: number
  /** Per currency ('unknown' for purchases without one). */
  byCurrency: Record<string, { revenue: number; purchases: number }>
}

export interface SessionsBucket {
  /** Start of the bucket of session ends (event time). */
  startMs: number
  closed: number
  averageDurationMs: number
}

export interface TopUsers {
  startMs: number
  endMs: number
  rows: Array<{ rank: number; user: string; events: number }>
}

export interface AnalyticsSnapshot {
  /** The event types in schema order: the page colours and stacks them in this order. */
  eventTypes: readonly string[]
  /** Oldest first. */
  eventCounts: CountsWindow[]
  revenue: RevenueWindow[]
  sessions: {
    /** Sessions closed since the dashboard started reading. */
    closed: number
    /** Over the sessions that ended in the newest `sessionsRecentMs` of event time. */
    averageDurationMs: number | null
    buckets: SessionsBucket[]
  }
  topUsers: TopUsers | null
  /** Rows folded in so far. */
  rows: number
}

export interface AnalyticsBoardOptions {
  /** Windows kept per windowed job. */
  windows?: number
  /** Width of a bucket of closed sessions, by session end. */
  sessionsBucketMs?: number
  /** Buckets of closed sessions kept. */
  sessionsBuckets?: number
}

const UNKNOWN_CURRENCY = 'unknown'

/** The newest `keep` entries of a map keyed by window start. */
function trim<V>(windows: Map<number, V>, keep: number): void {
  if (windows.size <= keep) return
  const starts = [...windows.keys()].sort((a, b) => a - b)
  for (const start of starts.slice(0, starts.length - keep)) windows.delete(start)
}

export class AnalyticsBoard {
  readonly #keepWindows: number
  readonly #bucketMs: number
  readonly #keepBuckets: number
  readonly #counts = new Map<number, CountsWindow>()
  readonly #revenue = new Map<number, RevenueWindow>()
  readonly #sessionBuckets = new Map<number, { closed: number; durationMs: number }>()
  readonly #topUsers = new Map<number, TopUsers>()
  #closedSessions = 0
  #rows = 0

  constructor(options: AnalyticsBoardOptions = {}) {
    this.#keepWindows = options.windows ?? 12
    this.#bucketMs = options.sessionsBucketMs ?? 10_000
    this.#keepBuckets = options.sessionsBuckets ?? 30
  }

  add(row: AnalyticsResult): void {
    this.#rows++
    switch (row.job) {
      case 'event-counts': {
        const window = this.#window(this.#counts, row, () => ({ counts: {} }))
        window.counts[row.key] = row.events ?? 0
        trim(this.#counts, this.#keepWindows)
        return
      }
      case 'revenue': {
        const window = this.#window(this.#revenue, row, () => ({ byCurrency: {} }))
        window.byCurrency[row.currency ?? UNKNOWN_CURRENCY] = {
          revenue: row.revenue ?? 0,
          purchases: row.purchases ?? 0,
        }
        trim(this.#revenue, this.#keepWindows)
        return
      }
      case 'sessions': {
        this.#closedSessions++
        const start = Math.floor(row.window_end / this.#bucketMs) * this.#bucketMs
        const bucket = this.#sessionBuckets.get(start) ?? { closed: 0, durationMs: 0 }
        bucket.closed++
        bucket.durationMs += row.duration_ms ?? row.window_end - row.window_start
        this.#sessionBuckets.set(start, bucket)
        trim(this.#sessionBuckets, this.#keepBuckets)
        return
      }
      case 'top-users': {
        const window = this.#window(this.#topUsers, row, () => ({ rows: [] }))
        const rank = row.rank ?? window.rows.length + 1
        window.rows = window.rows.filter((r) => r.rank !== rank)
        window.rows.push({ rank, user: row.key, events: row.events ?? 0 })
        window.rows.sort((a, b) => a.rank - b.rank)
        trim(this.#topUsers, 2)
        return
      }
      default:
        // A job the dashboard does not know: counted in `rows`, shown nowhere.
        return
    }
  }

  #window<W extends { startMs: number; endMs: number }>(
    windows: Map<number, W>,
    row: AnalyticsResult,
    empty: () => Omit<W, 'startMs' | 'endMs'>,
  ): W {
    let window = windows.get(row.window_start)
    if (window === undefined) {
      window = { startMs: row.window_start, endMs: row.window_end, ...empty() } as W
      windows.set(row.window_start, window)
    }
    return window
  }

  snapshot(): AnalyticsSnapshot {
    const ordered = <V>(windows: Map<number, V>): V[] =>
      [...windows.entries()].sort(([a], [b]) => a - b).map(([, v]) => structuredClone(v))
    const buckets = [...this.#sessionBuckets.entries()]
      .sort(([a], [b]) => a - b)
      .map(([startMs, b]) => ({ startMs, closed: b.closed, averageDurationMs: b.durationMs / b.closed }))
    // The newest buckets are still filling: the average is over the newest minute of complete ones,
    // or whatever there is.
    const recent = buckets.slice(-7, -1).length > 0 ? buckets.slice(-7, -1) : buckets.slice(-1)
    const closed = recent.reduce((n, b) => n + b.closed, 0)
    const topUsers = ordered(this.#topUsers).at(-1) ?? null
    return {
      eventTypes: EventTypeSymbols,
      eventCounts: ordered(this.#counts),
      revenue: ordered(this.#revenue),
      sessions: {
        closed: this.#closedSessions,
        averageDurationMs:
          closed === 0 ? null : recent.reduce((ms, b) => ms + b.averageDurationMs * b.closed, 0) / closed,
        buckets,
      },
      topUsers,
      rows: this.#rows,
    }
  }
}
