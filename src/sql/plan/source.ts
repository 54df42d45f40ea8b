/**
 * A source table as the start of a plan: a stream of the decoded values of its topic, read with
 * the table's format, with its event time from the WATERMARK column.
 *
 * Physical columns are read from the decoded value by name, METADATA columns (`timestamp`,
 * `partition`, `offset`, `topic`, `headers`, `leader-epoch`) from its Kafka record; computed columns
 * are compiled over both and evaluated where they are read (no extra operator). A table without a WATERMARK has no
 * time attribute; its rows carry the Kafka record timestamp as event time.
 *
 * An `upsert-kafka` table is a changelog: each record updates its key (the PRIMARY KEY columns, read
 * from the record key), a tombstone (null value) deletes it, as a row of the key columns marked
 * with `isDeletion`. Only a temporal join reads it, as the versioned table (`Relation.versioned`).
 */
import type { Expr, RowField, SqlType } from '../ast.ts'
import { sqlInvalid, sqlUnsupported } from '../errors.ts'
import { compileExpression } from '../expr/index.ts'
import type { ErrorLocation } from '../../errors/index.ts'
import {
  AvroDeserializer,
  type Deserializer,
  type RecordDeserializer,
  type SourceRecord,
} from '../../serde/index.ts'
import type { Row } from '../expr/types.ts'
import { instantToWall } from '../expr/temporal.ts'
import { formatType } from '../types/index.ts'
import { FlinkJsonDeserializer } from '../formats/json.ts'
import { isRawColumn, RawDeserializer } from '../formats/raw.ts'
import type { AvroSchemaJson } from '../../schemas/index.ts'
import type { Pipeline } from '../../stream/index.ts'
import { fromRecordTimestamp, type TimestampExtractor } from '../../time/index.ts'
import { planDatagen, type GeneratedSource } from '../datagen/index.ts'
import type { SourceGenerator } from '../../runtime/index.ts'
import type { QueryContext } from './query.ts'
import type { Relation } from './relation.ts'
import { ColumnScope, fieldReader, type RelationColumn } from './scope.ts'
import {
  checkSource,
  type FormatDefinition,
  type JsonFormat,
  type KafkaKey,
  type TableDefinition,
} from '../catalog/index.ts'

export interface SourcePlan {
  readonly table: TableDefinition
  readonly topic: string
  readonly relation: Relation
  readonly deserializer: Deserializer<unknown> | undefined
  readonly watermarkDelayMs: number | undefined
  /** `'scan.bounded.mode' = 'latest-offset'`: read up to the offsets the topic has at the start. */
  readonly bounded: boolean
  /** A `datagen` table's generator, which writes its rows into `topic`. */
  readonly generator?: SourceGenerator | undefined
}

export function planSource(app: Pipeline, table: TableDefinition, context: QueryContext): SourcePlan {
  const { file } = context
  checkSource(table, file, table.at)
  const connector = table.connector
  if (connector.kind === 'print' || connector.kind === 'blackhole') {
    throw sqlInvalid(
      file,
      table.at,
      `table "${table.name}" uses the '${connector.kind}' connector, which can only be written to`,
    )
  }
  // A `datagen` table is generated into a topic of the job's own (src/runtime/generators.ts).
  const generated = connector.kind === 'datagen' ? planDatagen(table, connector, context) : undefined
  const upsert = connector.kind === 'upsert-kafka'
  if (
    connector.kind !== 'datagen' &&
    connector.bounded.mode !== 'unbounded' &&
    connector.bounded.mode !== 'latest-offset'
  ) {
    throw sqlUnsupported(
      file,
      table.at,
      `'scan.bounded.mode' = '${connector.bounded.mode}'`,
      "a bounded table reads up to the offsets it has when the job starts ('latest-offset')",
    )
  }
  if (
    connector.kind === 'kafka' &&
    (connector.startup.mode === 'latest-offset' ||
      connector.startup.mode === 'timestamp' ||
      connector.startup.mode === 'specific-offsets')
  ) {
    throw sqlUnsupported(
      file,
      table.at,
      `'scan.startup.mode' = '${connector.startup.mode}'`,
      "a job starts from its group's committed offsets, else from the earliest ('earliest-offset' or 'group-offsets')",
    )
  }
  if (connector.kind !== 'datagen' && connector.key !== undefined && connector.key.format.kind !== 'json') {
    throw sqlUnsupported(file, table.at, `'key.format' = '${connector.key.format.kind}'`, "use 'json'")
  }

  // Physical and METADATA columns, then computed columns over them.
  const physical: RelationColumn[] = []
  for (const column of table.columns) {
    if (column.kind === 'physical' || column.kind === 'metadata') {
      physical.push({
        name: column.name,
        type: column.type,
        qualifiers: [table.name],
        read:
          column.kind === 'physical'
            ? fieldReader(column.name)
            : metadataReader(column.key, column.type, context.localTimeZone, () =>
                sqlUnsupported(
                  file,
                  column.at,
                  `the METADATA key '${column.key}' as ${formatType(column.type)}`,
                ),
              ),
      })
    }
  }
  const physicalScope = new ColumnScope(file, physical)
  const columns: RelationColumn[] = []
  for (const column of table.columns) {
    if (column.kind === 'physical' || column.kind === 'metadata') {
      columns.push(physical.find((p) => p.name === column.name)!)
    } else if (column.kind === 'computed') {
      const compiled = compileExpression(column.expr, {
        file,
        localTimeZone: context.localTimeZone,
        scope: physicalScope,
      })
      columns.push({
        name: column.name,
        type: compiled.type,
        qualifiers: [table.name],
        read: compiled.evaluate,
      })
    }
  }

  // The time attribute and its watermark delay.
  let timestamp: TimestampExtractor<unknown> = fromRecordTimestamp()
  let watermarkDelayMs: number | undefined
  const watermark = table.watermark
  if (watermark !== undefined) {
    const time = columns.find((c) => c.name === watermark.column)
    if (time === undefined)
      throw sqlInvalid(file, watermark.at, `WATERMARK FOR ${watermark.column}: no such column`)
    if ((time.type.kind !== 'TIMESTAMP' && time.type.kind !== 'TIMESTAMP_LTZ') || time.type.precision > 3) {
      throw sqlInvalid(
        file,
        watermark.at,
        `WATERMARK FOR ${watermark.column}: the rowtime column must be TIMESTAMP(3) or TIMESTAMP_LTZ(3)`,
      )
    }
    if (time.type.kind === 'TIMESTAMP_LTZ' && context.localTimeZone !== 'UTC') {
      throw sqlUnsupported(
        file,
        watermark.at,
        `windows on a TIMESTAMP_LTZ rowtime with 'table.local-time-zone' = '${context.localTimeZone}'`,
      )
    }
    watermarkDelayMs = watermarkDelay(watermark.expr, watermark.column, file)
    const read = time.read
    // A null or unreadable event time is refused as FRESHET_TIMESTAMP_INVALID, so the bad-record
    // policy takes the record (Flink fails the job).
    timestamp = (value) => {
      const t = read(value)
      return typeof t === 'number' ? t : Number.NaN
    }
  }

  const topic =
    connector.kind === 'datagen'
      ? (generated as GeneratedSource).topic
      : singleTopic(table, connector.topics, connector.topicPattern, file)
  const stream = app.stream<unknown>(topic, {
    name: context.sourceName(table.name),
    timestamp,
  })
  if (connector.kind === 'datagen') {
    const { deserializer, generator } = generated as GeneratedSource
    return {
      table,
      topic,
      relation: { stream, columns, timeColumn: watermark?.column },
      deserializer,
      watermarkDelayMs,
      bounded: false,
      generator,
    }
  }
  const key = connector.key
  const values = deserializerFor(connector.value.format, topic, table, context, connector.value.fields)
  const keys =
    key === undefined
      ? undefined
      : {
          decoder: new FlinkJsonDeserializer(keyFields(table, key), key.format as JsonFormat),
          columns: key.fields.map((column) => [column, column.slice(key.prefix?.length ?? 0)] as const),
        }
  const withRecord = keys !== undefined || table.columns.some((c) => c.kind === 'metadata')
  return {
    table,
    topic,
    relation: {
      stream,
      columns,
      timeColumn: watermark?.column,
      ...(upsert ? { versioned: { primaryKey: connector.key.fields } } : {}),
    },
    deserializer: withRecord ? new RecordRowDeserializer(values, keys, upsert) : values,
    watermarkDelayMs,
    bounded: connector.bounded.mode === 'latest-offset',
  }
}

/** Where a row decoded by a `MetadataDeserializer` keeps its Kafka record. */
const RECORD = Symbol('kafka record')
/** Marks the row of an upsert-kafka tombstone: its key columns, the others null. */
const DELETION = Symbol('deletion')

/** Whether a row of an upsert-kafka table is a tombstone: its key is deleted. */
export function isDeletion(row: Row): boolean {
  return row !== null && typeof row === 'object' && (row as Record<symbol, unknown>)[DELETION] === true
}

/**
 * A Kafka table's rows from whole records: the value decoded as `values` does, the `key.fields`
 * columns from the record key (JSON, field names without `key.fields-prefix`), and the record kept
 * for the METADATA columns. With `tombstones` (upsert-kafka), a record without a value is a
 * deletion of its key.
 */
class RecordRowDeserializer implements RecordDeserializer<unknown> {
  readonly #values: Deserializer<unknown>
  readonly #keys:
    { decoder: Deserializer<unknown>; columns: ReadonlyArray<readonly [string, string]> } | undefined
  readonly #tombstones: boolean

  constructor(
    values: Deserializer<unknown>,
    keys: { decoder: Deserializer<unknown>; columns: ReadonlyArray<readonly [string, string]> } | undefined,
    tombstones = false,
  ) {
    this.#values = values
    this.#keys = keys
    this.#tombstones = tombstones
  }

  deserialize(buf: Buffer | null | undefined, location?: ErrorLocation): Promise<unknown> {
    return this.#values.deserialize(buf, location)
  }

  deserializeSync(buf: Buffer | null | undefined, location?: ErrorLocation): unknown {
    return this.#values.deserializeSync(buf, location)
  }

  prepare(buffers: Iterable<Buffer | null | undefined>): Promise<void> {
    return this.#values.prepare(buffers)
  }

  deserializeRecord(record: SourceRecord): unknown {
    const { topic, partition, offset } = record
    const row =
      this.#tombstones && (record.value === null || record.value === undefined)
        ? { [DELETION]: true }
        : this.#values.deserializeSync(record.value, { topic, partition, offset })
    if (row === null || typeof row !== 'object') return row
    ;(row as Record<symbol, SourceRecord>)[RECORD] = record
    const keys = this.#keys
    if (keys !== undefined) {
      const key =
        record.key === null || record.key === undefined
          ? {}
          : (keys.decoder.deserializeSync(record.key, { topic, partition, offset }) as Record<
              string,
              unknown
            >)
      for (const [column, field] of keys.columns)
        (row as Record<string, unknown>)[column] = key[field] ?? null
    }
    return row
  }
}

/**
 * A METADATA column of the Kafka connector, read from the row's record (null where there is none:
 * rows piped into the test driver). `timestamp` is TIMESTAMP_LTZ(3), or TIMESTAMP(3) in the session
 * time zone, as Flink casts it; the other keys take their own type.
 */
function metadataReader(
  key: string,
  type: SqlType,
  zoneName: string,
  refuse: () => Error,
): (row: Row) => unknown {
  const recordOf = (row: Row): SourceRecord | undefined =>
    row === null || typeof row !== 'object' ? undefined : (row as Record<symbol, SourceRecord>)[RECORD]
  const read = (get: (record: SourceRecord) => unknown) => (row: Row) => {
    const record = recordOf(row)
    return record === undefined ? null : get(record)
  }
  switch (key) {
    case 'timestamp':
      if (type.kind === 'TIMESTAMP_LTZ') return read((r) => r.timestampMs)
      if (type.kind === 'TIMESTAMP') return read((r) => instantToWall(r.timestampMs, zoneName))
      throw refuse()
    case 'partition':
      if (type.kind !== 'INT' && type.kind !== 'BIGINT') throw refuse()
      return read((r) => r.partition)
    case 'offset':
      if (type.kind !== 'BIGINT') throw refuse()
      return read((r) => Number(r.offset))
    case 'topic':
      if (type.kind !== 'VARCHAR') throw refuse()
      return read((r) => r.topic)
    case 'leader-epoch':
      if (type.kind !== 'INT') throw refuse()
      return read((r) => r.leaderEpoch ?? null)
    case 'headers':
      if (type.kind !== 'MAP') throw refuse()
      return read((r) => new Map(r.headers))
    default:
      // `timestamp-type`: the client does not say which the broker used.
      throw refuse()
  }
}

/** `ts` or `ts - INTERVAL 'n' unit`: the bounded out-of-orderness Flink's WATERMARK declares. */
function watermarkDelay(expr: Expr, column: string, file: string): number {
  if (expr.kind === 'column' && expr.name === column) return 0
  if (
    expr.kind === 'binary' &&
    expr.op === '-' &&
    expr.left.kind === 'column' &&
    expr.left.name === column &&
    expr.right.kind === 'interval'
  ) {
    return expr.right.ms
  }
  throw sqlUnsupported(file, expr.at, 'a WATERMARK expression other than `column` or `column - INTERVAL ...`')
}

function deserializerFor(
  format: FormatDefinition,
  topic: string,
  table: TableDefinition,
  context: QueryContext,
  fields: readonly string[],
): Deserializer<unknown> {
  switch (format.kind) {
    case 'avro-confluent':
      return new AvroDeserializer<unknown>({
        registry: context.registry(format.url),
        topic,
        ...(format.schema === undefined ? {} : { readerSchema: JSON.parse(format.schema) as AvroSchemaJson }),
      })
    case 'json':
      if (format.ignoreParseErrors) {
        throw sqlUnsupported(
          context.file,
          table.at,
          "'json.ignore-parse-errors' = 'true'",
          "a record that does not decode goes to the job's dead-letter topic (--on-bad-record)",
        )
      }
      return new FlinkJsonDeserializer(
        table.physicalColumns.filter((c) => fields.includes(c.name)),
        format,
      )
    case 'raw':
      return new RawDeserializer(rawColumn(table, context.file), format)
  }
}

/** The `key.fields` columns as fields of the key format: their names without `key.fields-prefix`. */
export function keyFields(table: TableDefinition, key: KafkaKey): RowField[] {
  return key.fields.map((name) => {
    const column = table.physicalColumns.find((c) => c.name === name)!
    return { name: name.slice(key.prefix?.length ?? 0), type: column.type }
  })
}

/** The one physical column of a `raw` table, when freshet reads and writes it. */
export function rawColumn(table: TableDefinition, file: string): { name: string; type: SqlType } {
  const column = table.physicalColumns[0]!
  if (!isRawColumn(column)) {
    throw sqlUnsupported(
      file,
      table.at,
      `'format' = 'raw' with a ${formatType(column.type)} column`,
      'use STRING or BYTES',
    )
  }
  return column
}

/** The one topic of a Kafka table (`topic` with several names, or `topic-pattern`, is not run). */
export function singleTopic(
  table: TableDefinition,
  topics: readonly string[] | undefined,
  pattern: string | undefined,
  file: string,
): string {
  if (pattern !== undefined) throw sqlUnsupported(file, table.at, "'topic-pattern'")
  if (topics === undefined || topics.length !== 1) {
    throw sqlUnsupported(file, table.at, "a 'topic' option naming several topics")
  }
  return topics[0]!
}
