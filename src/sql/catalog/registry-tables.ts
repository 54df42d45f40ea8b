/**
 * A catalog from the schema registry: for each subject `<topic>-value` holding an Avro record, the
 * `CREATE TABLE` that reads the topic in Flink (and in freshet) without the enum pitfall of
 * docs/flink.md: the columns Flink derives from the latest schema (NOT NULL where the schema has
 * no null), the exact writer schema in `'avro-confluent.schema'` (so an Avro enum reads as a
 * STRING), reading from the earliest offset, and an event-time column with a watermark when the
 * schema has a timestamp.
 *
 * Event time, in order of preference:
 * 1. a top-level `long` with logicalType `timestamp-millis` (TIMESTAMP(3)): the watermark is on
 *    that column; of several, the one named like an event time (`timestamp`, `event_time`, `ts`,
 *    ...), else the first;
 * 2. a top-level plain `long` so named, holding epoch milliseconds: a computed column
 *    `event_time AS TO_TIMESTAMP_LTZ(<col>, 3)` carries the watermark;
 * 3. none: no watermark (the table still reads, but event-time windows need one).
 * The watermark allows 5 seconds of disorder, freshet's default grace for its own jobs' events.
 */
import type { RegisteredSchema } from '../../registry/index.ts'
import type { RowField } from '../ast.ts'
import { avroToSqlType, formatType, identifier, type AvroJson } from '../types/index.ts'

/** What `registryTables` needs of a registry client (`RegistryClient` has it). */
export interface RegistryCatalogClient {
  listSubjects(): Promise<string[]>
  getLatest(subject: string): Promise<RegisteredSchema>
}

export interface RegistryTableOptions {
  /** `properties.bootstrap.servers` of the tables. */
  readonly bootstrapServers: string
  /** `avro-confluent.url`: the registry as Flink's jobs reach it. */
  readonly registryUrl: string
  /** Seconds of disorder the watermark allows; default 5. */
  readonly watermarkDelaySeconds?: number
}

export interface EventTime {
  /** The column the watermark is on. */
  readonly column: string
  /** The schema field it comes from. */
  readonly field: string
  /** `timestamp-millis`: the field itself; `epoch-millis`: a computed TO_TIMESTAMP_LTZ column. */
  readonly kind: 'timestamp-millis' | 'epoch-millis'
}

export interface RegistryTable {
  readonly topic: string
  readonly subject: string
  readonly schemaId: number
  readonly version: number
  /** The table's name: the topic with every character outside [A-Za-z0-9_] as `_`. */
  readonly table: string
  readonly columns: readonly RowField[]
  readonly eventTime?: EventTime | undefined
  /** The CREATE TABLE statement, with its closing semicolon. */
  readonly ddl: string
}

export interface RegistryCatalog {
  readonly tables: readonly RegistryTable[]
  /** Subjects `<topic>-value` that give no table, and why (not Avro, not a record, ...). */
  readonly skipped: ReadonlyArray<{ readonly subject: string; readonly reason: string }>
}

const VALUE_SUFFIX = '-value'
const EVENT_TIME_NAMES = [
  'event_time',
  'timestamp',
  'ts',
  'event_ts',
  'event_timestamp',
  'time',
  'timestamp_ms',
]

/** One table per subject `<topic>-value` of the registry, from the latest version, by topic. */
export async function registryTables(
  client: RegistryCatalogClient,
  options: RegistryTableOptions,
): Promise<RegistryCatalog> {
  const subjects = (await client.listSubjects()).filter((s) => s.endsWith(VALUE_SUFFIX)).sort()
  const tables: RegistryTable[] = []
  const skipped: { subject: string; reason: string }[] = []
  for (const subject of subjects) {
    const latest = await client.getLatest(subject)
    const topic = subject.slice(0, -VALUE_SUFFIX.length)
    try {
      tables.push({
        ...tableForTopic(topic, latest.schema, options),
        subject,
        schemaId: latest.id,
        version: latest.version,
      })
    } catch (error) {
      skipped.push({ subject, reason: (error as Error).message })
    }
  }
  return { tables, skipped }
}

/** The CREATE TABLE text for one topic whose values are written with `schema` (Avro JSON text). */
export function ddlForTopic(topic: string, schema: string, options: RegistryTableOptions): string {
  return tableForTopic(topic, schema, options).ddl
}

function tableForTopic(
  topic: string,
  schema: string,
  options: RegistryTableOptions,
): Omit<RegistryTable, 'subject' | 'schemaId' | 'version'> {
  const json = JSON.parse(schema) as unknown
  const type = avroToSqlType(json as AvroJson)
  if (type.kind !== 'ROW') throw new Error(`the schema is a ${formatType(type)}, not a record`)
  const columns = type.fields
  const table = topic.replace(/[^A-Za-z0-9_]/g, '_')
  const eventTime = findEventTime(json, columns)
  const delay = options.watermarkDelaySeconds ?? 5
  const lines = columns.map((c) => `  ${identifier(c.name)} ${formatType(c.type, { fieldName: identifier })}`)
  if (eventTime !== undefined) {
    const column = identifier(eventTime.column)
    if (eventTime.kind === 'epoch-millis') {
      lines.push(`  ${column} AS TO_TIMESTAMP_LTZ(${identifier(eventTime.field)}, 3)`)
    }
    lines.push(`  WATERMARK FOR ${column} AS ${column} - INTERVAL '${delay}' SECOND`)
  }
  const withOptions: [string, string][] = [
    ['connector', 'kafka'],
    ['topic', topic],
    ['properties.bootstrap.servers', options.bootstrapServers],
    ['scan.startup.mode', 'earliest-offset'],
    ['format', 'avro-confluent'],
    ['avro-confluent.url', options.registryUrl],
    ['avro-confluent.schema', JSON.stringify(json)],
  ]
  const ddl =
    `CREATE TABLE ${identifier(table)} (\n${lines.join(',\n')}\n) WITH (\n` +
    withOptions.map(([k, v]) => `  ${sqlString(k)} = ${sqlString(v)}`).join(',\n') +
    '\n);'
  return { topic, table, columns, eventTime, ddl }
}

function findEventTime(json: unknown, columns: readonly RowField[]): EventTime | undefined {
  const rank = (name: string): number => {
    const i = EVENT_TIME_NAMES.indexOf(name.toLowerCase())
    return i < 0 ? EVENT_TIME_NAMES.length : i
  }
  const byRank = (names: string[]): string[] => [...names].sort((a, b) => rank(a) - rank(b))
  // 1. timestamp-millis columns (TIMESTAMP(3)), preferring the usual names.
  const timestamps = columns
    .filter((c) => c.type.kind === 'TIMESTAMP' && c.type.precision === 3)
    .map((c) => c.name)
  if (timestamps.length > 0) {
    const field = byRank(timestamps)[0]!
    return { column: field, field, kind: 'timestamp-millis' }
  }
  // 2. a plain long named like an event time, in epoch milliseconds.
  const fields = isRecord(json) && Array.isArray(json.fields) ? (json.fields as unknown[]) : []
  const epochs = columns
    .filter((c) => c.type.kind === 'BIGINT' && rank(c.name) < EVENT_TIME_NAMES.length)
    .filter((c) => isPlainLong(fields.find((f) => isRecord(f) && f.name === c.name)))
    .map((c) => c.name)
  if (epochs.length === 0) return undefined
  const field = byRank(epochs)[0]!
  const taken = new Set(columns.map((c) => c.name))
  const column = ['event_time', 'rowtime', 'event_time_ltz'].find((n) => !taken.has(n))!
  return { column, field, kind: 'epoch-millis' }
}

function isPlainLong(field: unknown): boolean {
  if (!isRecord(field)) return false
  const type = field.type
  if (type === 'long') return true
  if (Array.isArray(type)) return type.includes('long') && type.length <= 2
  return isRecord(type) && type.type === 'long' && type.logicalType === undefined
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`
}
