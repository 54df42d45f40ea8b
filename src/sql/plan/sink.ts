/**
 * The end of an INSERT: the query's rows, matched by position to the target table's columns (or to
 * the INSERT's column list, the others null), written with the table's connector and format.
 *
 * - kafka: the topic, values in the table's format (Avro registered under `<topic>-value`, with the
 *   table's `avro-confluent.schema` or the schema Flink derives from the columns; or Flink's JSON,
 *   src/sql/formats/json.ts). The
 *   record key is the stream's key: the group key of a window aggregation, none otherwise. The
 *   record timestamp is the row's event time, as Flink writes it.
 * - upsert-kafka: the same, keyed by the PRIMARY KEY columns in the key format (Flink's JSON of
 *   them), through one more repartition by that key; an updating result (a GROUP BY without a
 *   window) only into a table whose PRIMARY KEY is the GROUP BY key.
 * - print: each row on stdout (stderr with 'standard-error'), as `+I[v1, v2]` like Flink's.
 * - blackhole: nothing.
 *
 * The interactive client's bare SELECT ends in `planCollect` instead: its rows go to a callback.
 */
import type { InsertStatement, SqlType } from '../ast.ts'
import { sqlInvalid, sqlUnsupported } from '../errors.ts'
import type { Row } from '../expr/types.ts'
import type { AvroSchemaJson } from '../../schemas/index.ts'
import { AvroSerializer, type Serializer } from '../../serde/index.ts'
import { FlinkJsonSerializer } from '../formats/json.ts'
import { RawSerializer } from '../formats/raw.ts'
import { windowWithoutAggregation, type QueryContext } from './query.ts'
import type { Relation } from './relation.ts'
import {
  checkSink,
  type FormatDefinition,
  type KafkaKey,
  type KafkaValue,
  type TableDefinition,
} from '../catalog/index.ts'
import type { Stream } from '../../stream/index.ts'
import { checkInsertCompatible, sqlRowToAvroSchema } from '../types/index.ts'
import { keyFields, rawColumn, singleTopic } from './source.ts'

export interface SinkPlan {
  readonly table: TableDefinition
  readonly insert: InsertStatement
  /** The topic written, for kafka tables. */
  readonly topic: string | undefined
}

export function planSink(
  relation: Relation,
  table: TableDefinition,
  insert: InsertStatement,
  context: QueryContext,
): SinkPlan {
  const { file } = context
  checkSink(table, file, insert.at)
  if (relation.windows !== undefined) throw windowWithoutAggregation(file, relation.windows.at)
  const connector = table.connector
  if (connector.kind === 'datagen')
    throw sqlInvalid(file, insert.at, `table "${table.name}" uses 'datagen', which can only be read`)
  const written = table.columns.find((c) => c.kind === 'metadata' && !c.virtual)
  if (written !== undefined) {
    throw sqlUnsupported(
      file,
      insert.at,
      `writing the METADATA column "${written.name}"`,
      'declare it VIRTUAL (read only), or write to a table without it',
    )
  }
  const physical = table.columns.flatMap((c) => (c.kind === 'physical' ? [c] : []))
  const targets =
    insert.columns === undefined
      ? physical
      : insert.columns.map((name) => {
          const column = physical.find((c) => c.name === name)
          if (column === undefined)
            throw sqlInvalid(file, insert.at, `table "${table.name}" has no column "${name}"`)
          return column
        })
  if (relation.columns.length !== targets.length) {
    throw sqlInvalid(
      file,
      insert.query.at,
      `INSERT INTO ${table.name}: the query gives ${relation.columns.length} columns and the table takes ${targets.length} (${targets.map((c) => c.name).join(', ')})`,
    )
  }
  relation.columns.forEach((source, i) => {
    const target = targets[i]!
    const check = checkInsertCompatible(source.type, target.type, target.name, i)
    if (!check.compatible)
      throw sqlInvalid(file, insert.query.at, `INSERT INTO ${table.name}: ${check.reason}`)
  })
  const names = physical.map((c) => c.name)
  const reads = physical.map((c) => {
    const i = targets.indexOf(c)
    return i < 0 ? () => null : relation.columns[i]!.read
  })
  const rows = relation.stream.map(
    (row) => {
      const out: Record<string, unknown> = {}
      for (let i = 0; i < names.length; i++) out[names[i]!] = reads[i]!(row)
      return out as Row
    },
    { name: context.name('into') },
  )

  if (relation.updating === true && connector.kind !== 'upsert-kafka' && connector.kind !== 'blackhole') {
    throw sqlInvalid(
      file,
      insert.at,
      `table "${table.name}" ('${connector.kind}') cannot take the updating result of a GROUP BY or Top-N without a window: ` +
        "write it to an 'upsert-kafka' table whose PRIMARY KEY is the key of the updates (the GROUP BY key; a Top-N's PARTITION BY columns and rank)",
    )
  }
  if (connector.kind === 'blackhole') return { table, insert, topic: undefined }
  if (connector.kind === 'print') {
    const prefix = connector.printIdentifier === undefined ? '' : `${connector.printIdentifier}> `
    const write = connector.standardError ? console.error : console.log
    rows.peek(
      (row) =>
        write(`${prefix}+I[${names.map((n) => printValue((row as Record<string, unknown>)[n])).join(', ')}]`),
      {
        name: context.name('print'),
      },
    )
    return { table, insert, topic: undefined }
  }
  if (connector.kind === 'upsert-kafka') {
    // The rows of one key must follow each other: the query's key is the table's PRIMARY KEY.
    const primaryKey = connector.key.fields
    if (relation.updating === true) {
      const keyTargets = (relation.upsertKey ?? []).map((name) => {
        const i = relation.columns.findIndex((c) => c.name === name)
        return i < 0 ? undefined : targets[i]?.name
      })
      const same =
        relation.upsertKey !== undefined &&
        keyTargets.length === primaryKey.length &&
        primaryKey.every((k) => keyTargets.includes(k))
      if (!same) {
        throw sqlUnsupported(
          file,
          insert.at,
          `an upsert-kafka table whose PRIMARY KEY (${primaryKey.join(', ')}) is not the key of the query's updates` +
            (relation.upsertKey === undefined ? '' : ` (${relation.upsertKey.join(', ')})`),
          'give the table the GROUP BY columns (a Top-N: the PARTITION BY columns and the rank) as its PRIMARY KEY, and select them unchanged',
        )
      }
    }
    const topic = singleTopic(table, connector.topics, connector.topicPattern, file)
    writeKeyed(rows, topic, table, connector.key, connector.value, context, 'upsert-key')
    return { table, insert, topic }
  }
  const topic = singleTopic(table, connector.topics, connector.topicPattern, file)
  if (connector.key !== undefined) {
    writeKeyed(rows, topic, table, connector.key, connector.value, context, 'key')
    return { table, insert, topic }
  }
  rows.to(topic, {
    serde: serializerFor(connector.value.format, topic, table, context) as Serializer<Row>,
  })
  return { table, insert, topic }
}

/**
 * Writes `rows` keyed by the `key` columns in the key format, as Flink writes them: the record key is
 * the JSON of the key columns (named without `key.fields-prefix`), the value the `value` columns in
 * the value format. Keyed by the key's text (one more repartition), the rows of a key go to the
 * partition Kafka's default partitioner gives its bytes, in order.
 */
function writeKeyed(
  rows: Stream<Row>,
  topic: string,
  table: TableDefinition,
  key: KafkaKey,
  value: KafkaValue,
  context: QueryContext,
  role: string,
): void {
  const { file } = context
  if (key.format.kind !== 'json') {
    throw sqlUnsupported(file, table.at, `'key.format' = '${key.format.kind}'`, "use 'json'")
  }
  const prefix = key.prefix?.length ?? 0
  const keySerializer = new FlinkJsonSerializer(keyFields(table, key), key.format)
  const keyNames = key.fields.map((name) => [name, name.slice(prefix)] as const)
  const physical = table.physicalColumns
  if (value.format.kind !== 'json' && value.fields.length !== physical.length) {
    throw sqlUnsupported(
      file,
      table.at,
      "'value.fields-include' = 'EXCEPT_KEY' with a value format other than json",
    )
  }
  const valueSerializer =
    value.format.kind === 'json'
      ? new FlinkJsonSerializer(
          physical.filter((c) => value.fields.includes(c.name)),
          value.format,
        )
      : serializerFor(value.format, topic, table, context)
  rows
    .keyBy(
      (row) => {
        const keyRow: Record<string, unknown> = {}
        for (const [column, field] of keyNames) keyRow[field] = (row as Record<string, unknown>)[column]
        return keySerializer.serialize(keyRow).toString('utf8')
      },
      { name: context.name(role) },
    )
    .to(topic, { serde: valueSerializer as Serializer<Row> })
}

/** A row of the client's SELECT: its column values in the order of `CollectPlan.columns`. */
export interface CollectedRow {
  readonly values: readonly unknown[]
}

export interface CollectPlan {
  readonly columns: ReadonlyArray<{ readonly name: string; readonly type: SqlType }>
  /**
   * The rows are updates (a GROUP BY without a window): a row whose `keyIndexes` values were seen
   * before replaces that earlier row. Without key indexes (a projection dropped a key column)
   * every row is shown as it comes.
   */
  readonly updating: boolean
  readonly keyIndexes?: readonly number[] | undefined
}

/** The end of the client's SELECT: each row's values, in column order, to `collect`. */
export function planCollect(
  relation: Relation,
  context: QueryContext,
  collect: (row: CollectedRow) => void,
): CollectPlan {
  if (relation.windows !== undefined) throw windowWithoutAggregation(context.file, relation.windows.at)
  const reads = relation.columns.map((c) => c.read)
  relation.stream.peek(
    (row) => {
      const values = new Array<unknown>(reads.length)
      for (let i = 0; i < reads.length; i++) values[i] = reads[i]!(row)
      collect({ values })
    },
    { name: context.name('collect') },
  )
  const names = relation.columns.map((c) => c.name)
  const keyIndexes = relation.upsertKey?.map((k) => names.indexOf(k))
  return {
    columns: relation.columns.map((c) => ({ name: c.name, type: c.type })),
    updating: relation.updating === true,
    ...(keyIndexes === undefined || keyIndexes.some((i) => i < 0) ? {} : { keyIndexes }),
  }
}

function printValue(value: unknown): string {
  if (value === null || value === undefined) return 'NULL'
  return typeof value === 'string' ? value : JSON.stringify(value)
}

function serializerFor(
  format: FormatDefinition,
  topic: string,
  table: TableDefinition,
  context: QueryContext,
): Serializer<unknown> {
  const { file } = context
  switch (format.kind) {
    case 'avro-confluent':
      return new AvroSerializer<unknown>({
        registry: context.registry(format.url),
        topic,
        schema: (format.schema === undefined
          ? sqlRowToAvroSchema(table.physicalColumns)
          : JSON.parse(format.schema)) as AvroSchemaJson,
        ...(format.subject === undefined ? {} : { subject: format.subject }),
      })
    case 'json':
      return new FlinkJsonSerializer(table.physicalColumns, format)
    case 'raw':
      return new RawSerializer(rawColumn(table, file), format)
  }
}
