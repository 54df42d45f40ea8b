/**
 * The end of an INSERT: the query's rows, matched by position to the target table's columns (or to
 * the INSERT's column list, the others null), written with the table's connector and format.
 *
 * - kafka: the topic, values in the table's format (Avro registered under `<topic>-value`, with the
 *   table's `avro-confluent.schema` or the schema Flink derives from the columns; or JSON). The
 *   record key is the stream's key: the group key of a window aggregation, none otherwise. The
 *   record timestamp is the row's event time, as Flink writes it.
 * - print: each row on stdout (stderr with 'standard-error'), as `+I[v1, v2]` like Flink's.
 * - blackhole: nothing.
 */
import type { InsertStatement, SqlType } from '../ast.ts'
import { sqlInvalid, sqlUnsupported } from '../errors.ts'
import type { Row } from '../expr/types.ts'
import type { AvroSchemaJson, JsonValue } from '../../schemas/index.ts'
import { AvroSerializer, JsonSerializer, type Serializer } from '../../serde/index.ts'
import type { QueryContext } from './query.ts'
import type { Relation } from './relation.ts'
import type { TableSpec, ValueFormat } from './tables.ts'

export interface SinkPlan {
  readonly table: TableSpec
  readonly insert: InsertStatement
  /** The topic written, for kafka tables. */
  readonly topic: string | undefined
}

export function planSink(
  relation: Relation,
  table: TableSpec,
  insert: InsertStatement,
  context: QueryContext,
): SinkPlan {
  const { file } = context
  const connector = table.connector
  if (connector.kind === 'datagen')
    throw sqlInvalid(file, insert.at, `table "${table.name}" uses 'datagen', which can only be read`)
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
    if (!assignable(source.type, target.type)) {
      throw sqlInvalid(
        file,
        insert.query.at,
        `INSERT INTO ${table.name}: column ${i + 1} (${source.name}) is ${source.type.kind} and ${target.name} is ${target.type.kind}`,
      )
    }
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
    { name: context.name(`into-${table.name}`) },
  )

  if (connector.kind === 'blackhole') return { table, insert, topic: undefined }
  if (connector.kind === 'print') {
    const prefix = connector.identifier === undefined ? '' : `${connector.identifier}> `
    const write = connector.standardError ? console.error : console.log
    rows.peek(
      (row) =>
        write(`${prefix}+I[${names.map((n) => printValue((row as Record<string, unknown>)[n])).join(', ')}]`),
      {
        name: context.name(`print-${table.name}`),
      },
    )
    return { table, insert, topic: undefined }
  }
  if (connector.kind === 'upsert-kafka')
    throw sqlUnsupported(file, insert.at, "writing the 'upsert-kafka' connector")
  if (connector.key !== undefined) throw sqlUnsupported(file, insert.at, "writing a table with 'key.fields'")
  rows.to(connector.topic, {
    serde: serializerFor(connector.value, connector.topic, table, context) as Serializer<Row>,
  })
  return { table, insert, topic: connector.topic }
}

function printValue(value: unknown): string {
  if (value === null || value === undefined) return 'NULL'
  return typeof value === 'string' ? value : JSON.stringify(value)
}

const NUMERIC = new Set(['TINYINT', 'SMALLINT', 'INT', 'BIGINT', 'FLOAT', 'DOUBLE', 'DECIMAL'])
const STRING = new Set(['CHAR', 'VARCHAR'])
const TIME = new Set(['TIMESTAMP', 'TIMESTAMP_LTZ'])

/** Whether Flink takes a query column of type `from` into a table column of type `to`. */
function assignable(from: SqlType, to: SqlType): boolean {
  if (from.kind === 'NULL') return to.nullable
  if (from.kind === to.kind) return true
  if (NUMERIC.has(from.kind) && NUMERIC.has(to.kind)) return true
  if (STRING.has(from.kind) && STRING.has(to.kind)) return true
  return TIME.has(from.kind) && TIME.has(to.kind)
}

function serializerFor(
  format: ValueFormat,
  topic: string,
  table: TableSpec,
  context: QueryContext,
): Serializer<unknown> {
  const { file } = context
  switch (format.format) {
    case 'avro-confluent':
      return new AvroSerializer<unknown>({
        registry: context.registry(format.registryUrl),
        topic,
        schema: format.schema ?? rowSchema(table, file),
        ...(format.subject === undefined ? {} : { subject: format.subject }),
      })
    case 'json':
      return new JsonSerializer<unknown>()
    case 'raw':
      throw sqlUnsupported(file, table.at, "writing 'format' = 'raw'")
  }
}

/** The Avro schema Flink's avro-confluent format derives from a sink table's physical columns. */
function rowSchema(table: TableSpec, file: string): AvroSchemaJson {
  const fields = table.columns.flatMap((c) => {
    if (c.kind !== 'physical') return []
    const type = avroType(c.type, file, table)
    return [c.type.nullable ? { name: c.name, type: ['null', type], default: null } : { name: c.name, type }]
  })
  return { type: 'record', name: 'record', namespace: 'org.apache.flink.avro.generated', fields }
}

function avroType(type: SqlType, file: string, table: TableSpec): JsonValue {
  switch (type.kind) {
    case 'BOOLEAN':
      return 'boolean'
    case 'TINYINT':
    case 'SMALLINT':
    case 'INT':
      return 'int'
    case 'BIGINT':
      return 'long'
    case 'FLOAT':
      return 'float'
    case 'DOUBLE':
      return 'double'
    case 'CHAR':
    case 'VARCHAR':
      return 'string'
    case 'TIMESTAMP':
    case 'TIMESTAMP_LTZ':
      return { type: 'long', logicalType: 'timestamp-millis' }
    case 'DATE':
      return { type: 'int', logicalType: 'date' }
    default:
      throw sqlUnsupported(file, table.at, `a ${type.kind} column in an Avro sink table`)
  }
}
