import { AnalyticsResultSchema, UserEventSchema } from '../schemas/index.ts'

/** A field of the consumed values to count the most frequent values of, and its title. */
export interface StatsField {
  field: string
  title: string
}

/** What the statistics count, by the full name of the reader schema. */
const FIELDS_BY_SCHEMA: Record<string, StatsField[]> = {
  [UserEventSchema.name]: [
    { field: 'event_type', title: 'Event Types' },
    { field: 'user_id', title: 'Users' },
  ],
  [AnalyticsResultSchema.name]: [
    { field: 'job', title: 'Jobs' },
    { field: 'key', title: 'Keys' },
  ],
}

/** The fields counted for values of the schema named `schemaName` (none for an unknown schema). */
export function statsFieldsFor(schemaName: string): StatsField[] {
  return FIELDS_BY_SCHEMA[schemaName] ?? []
}

export interface StatsSnapshot {
  total: number
  errors: number
  deadLettered: number
  elapsedMs: number
  ratePerSec: number
  /** Per counted field, its most frequent values with their counts. */
  top: Array<{ field: string; title: string; values: Array<[string, number]> }>
}

/** Running statistics of consumed values, updated once per batch. */
export class ConsumerStats {
  readonly #startMs = performance.now()
  readonly #fields: StatsField[]
  readonly #counts: Array<Map<string, number>>
  total = 0
  errors = 0
  deadLettered = 0

  constructor(fields: StatsField[] = statsFieldsFor(UserEventSchema.name)) {
    this.#fields = fields
    this.#counts = fields.map(() => new Map())
  }

  addEvents(events: readonly unknown[]): void {
    this.total += events.length
    for (const [i, { field }] of this.#fields.entries()) {
      const counts = this.#counts[i] as Map<string, number>
      for (const e of events) {
        const value = String((e as Record<string, unknown>)[field])
        counts.set(value, (counts.get(value) ?? 0) + 1)
      }
    }
  }

  snapshot(top = 5): StatsSnapshot {
    const elapsedMs = performance.now() - this.#startMs
    const byCount = (m: Map<string, number>): Array<[string, number]> =>
      [...m.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, top)
    return {
      total: this.total,
      errors: this.errors,
      deadLettered: this.deadLettered,
      elapsedMs,
      ratePerSec: elapsedMs > 0 ? (this.total * 1000) / elapsedMs : 0,
      top: this.#fields.map((f, i) => ({ ...f, values: byCount(this.#counts[i] as Map<string, number>) })),
    }
  }
}

export function formatStats(s: StatsSnapshot): string {
  return [
    `Total Events: ${s.total}`,
    `Elapsed Time: ${(s.elapsedMs / 1000).toFixed(2)}s`,
    `Event Rate: ${s.ratePerSec.toFixed(2)} events/sec`,
    `Errors: ${s.errors} (dead-lettered: ${s.deadLettered})`,
    ...s.top.flatMap((t) => ['', `Top ${t.title}:`, ...t.values.map(([v, n]) => `  ${v}: ${n} events`)]),
  ].join('\n')
}
