import { AnalyticsResultSchema, UserEventSchema } from '../schemas/index.ts'

/** A field of the consumed values to count the most frequent values of, and its title. */
export interface StatsField {
  field: string
  title: string
}

/** The fields counted for the values of freshet's own schemas, by full name. */
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

/** The record keys of values of any other schema, counted in their place. */
export const RECORD_KEYS: StatsField = { field: '(record key)', title: 'Record Keys' }

/** The fields counted for values of the schema named `schemaName` (none for an unknown schema). */
export function statsFieldsFor(schemaName: string): StatsField[] {
  return FIELDS_BY_SCHEMA[schemaName] ?? []
}

/** One decoded record, as the statistics count it. */
export interface CountedRecord {
  /** Full name of the schema the value was decoded with (the writer's, or the reader schema). */
  schema: string
  key: Buffer | null
  value: unknown
}

export interface StatsSnapshot {
  total: number
  /** Records that could not be decoded: skipped plus dead-lettered. */
  errors: number
  skipped: number
  deadLettered: number
  elapsedMs: number
  ratePerSec: number
  /** Records per schema, most frequent first. */
  schemas: Array<[string, number]>
  /**
   * Per counted field, its most frequent values with their counts: the fields of freshet's own
   * schemas for their values, the record keys for the values of any other schema.
   */
  top: Array<{ field: string; title: string; values: Array<[string, number]> }>
}

/** Running statistics of consumed records, updated once per batch. */
export class ConsumerStats {
  readonly #startMs = performance.now()
  readonly #schemas = new Map<string, number>()
  /** Per counted field (by title, as two schemas may count a field of one name), its values. */
  readonly #counts = new Map<string, { field: StatsField; values: Map<string, number> }>()
  total = 0
  errors = 0
  skipped = 0
  deadLettered = 0

  add(records: readonly CountedRecord[]): void {
    this.total += records.length
    for (const { schema, key, value } of records) {
      this.#schemas.set(schema, (this.#schemas.get(schema) ?? 0) + 1)
      const fields = statsFieldsFor(schema)
      if (fields.length === 0) {
        this.#count(RECORD_KEYS, key === null ? '(no key)' : key.toString('utf8'))
        continue
      }
      for (const field of fields) this.#count(field, String((value as Record<string, unknown>)[field.field]))
    }
  }

  #count(field: StatsField, value: string): void {
    let entry = this.#counts.get(field.title)
    if (entry === undefined) this.#counts.set(field.title, (entry = { field, values: new Map() }))
    entry.values.set(value, (entry.values.get(value) ?? 0) + 1)
  }

  snapshot(top = 5): StatsSnapshot {
    const elapsedMs = performance.now() - this.#startMs
    const byCount = (m: Map<string, number>): Array<[string, number]> =>
      [...m.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    return {
      total: this.total,
      errors: this.errors,
      skipped: this.skipped,
      deadLettered: this.deadLettered,
      elapsedMs,
      ratePerSec: elapsedMs > 0 ? (this.total * 1000) / elapsedMs : 0,
      schemas: byCount(this.#schemas),
      top: [...this.#counts.values()].map(({ field, values }) => ({
        ...field,
        values: byCount(values).slice(0, top),
      })),
    }
  }
}

export function formatStats(s: StatsSnapshot): string {
  return [
    `Total Events: ${s.total}`,
    `Elapsed Time: ${(s.elapsedMs / 1000).toFixed(2)}s`,
    `Event Rate: ${s.ratePerSec.toFixed(2)} events/sec`,
    `Errors: ${s.errors} (skipped: ${s.skipped}, dead-lettered: ${s.deadLettered})`,
    ...(s.schemas.length === 0 ? [] : ['', 'Schemas:', ...s.schemas.map(([name, n]) => `  ${name}: ${n}`)]),
    ...s.top.flatMap((t) => ['', `Top ${t.title}:`, ...t.values.map(([v, n]) => `  ${v}: ${n} events`)]),
  ].join('\n')
}
