/**
 * Avro schemas and SQL row types, both ways, as Flink 2.2's `avro` and `avro-confluent` formats
 * convert them (`AvroSchemaConverter` with `timestamp_mapping.legacy` at its default, true; the
 * `avro-confluent` format has no option to change it).
 *
 * Avro -> SQL (what columns Flink derives from `'avro-confluent.schema'`):
 * - record -> ROW, enum and string -> STRING, bytes -> BYTES, fixed -> VARBINARY(size);
 * - int -> INT (`date` -> DATE, `time-millis` -> TIME(3)), long -> BIGINT (`timestamp-millis` ->
 *   TIMESTAMP(3), `timestamp-micros` -> TIMESTAMP(6), `time-micros` -> TIME(6); the legacy mapping
 *   leaves `local-timestamp-millis`/`-micros` as BIGINT), `decimal` on bytes or fixed -> DECIMAL;
 * - array -> ARRAY, map -> MAP<STRING NOT NULL, v>; null -> NULL;
 * - a type is NOT NULL unless it is a union with `null`; a union of two or more non-null types
 *   becomes a RAW type in Flink, which no SQL column can declare: refused here.
 *
 * SQL -> Avro (the writer schema `avro-confluent` registers for a sink without
 * `'avro-confluent.schema'`): a record named `record` in namespace `org.apache.flink.avro.generated`;
 * a nested ROW is a record named `<parent record name>_<field>`; a nullable type is the union
 * `["null", T]` and its field gets `"default": null`; TINYINT and SMALLINT are `int`; TIMESTAMP(p)
 * with p <= 3 is `long`/`timestamp-millis`, TIME(p) with p <= 3 `int`/`time-millis`, DATE
 * `int`/`date`, DECIMAL `bytes`/`decimal`; BINARY and VARBINARY are `bytes`. TIMESTAMP_LTZ, and
 * TIMESTAMP or TIME above millisecond precision, have no legacy mapping: Flink refuses them.
 */
import { FreshetError } from '../../errors/index.ts'
import type { RowField, SqlType } from '../ast.ts'
import { formatType, withNullable } from './format.ts'

/** The record name Flink gives the schema it derives from a table (`AvroSchemaConverter`). */
export const FLINK_RECORD_NAME = 'org.apache.flink.avro.generated.record'

/** An Avro schema as JSON (object, array for unions, or a type name). */
export type AvroJson = string | AvroJson[] | { readonly [key: string]: unknown }

type AvroObject = { readonly [key: string]: unknown }

function isObject(value: unknown): value is AvroObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

/**
 * The SQL type Flink derives from an Avro schema (JSON value or text). A record gives a ROW, so
 * `avroToSqlType(schema).fields` are the columns of a table whose `'avro-confluent.schema'` is
 * that schema. Throws SCHEMA_INVALID for a schema that is not Avro, SQL_UNSUPPORTED for a union
 * of several non-null types.
 */
export function avroToSqlType(schema: AvroJson | string): SqlType {
  let json: unknown = schema
  if (typeof schema === 'string') {
    try {
      json = JSON.parse(schema)
    } catch {
      json = schema // a bare type name such as `string`
    }
  }
  return new AvroReader().convert(json, '', '')
}

/** The columns of a record schema: `avroToSqlType` of it, which must be a ROW. */
export function avroToColumns(schema: AvroJson | string): readonly RowField[] {
  const type = avroToSqlType(schema)
  if (type.kind !== 'ROW') {
    throw new FreshetError('SCHEMA_INVALID', `the Avro schema is a ${formatType(type)}, not a record`)
  }
  return type.fields
}

class AvroReader {
  readonly #named = new Map<string, { schema: AvroObject; namespace: string }>()
  readonly #converting = new Set<string>()

  convert(schema: unknown, namespace: string, path: string): SqlType {
    if (typeof schema === 'string') return this.#reference(schema, namespace, path)
    if (Array.isArray(schema)) return this.#union(schema, namespace, path)
    if (
      !isObject(schema) ||
      (typeof schema.type !== 'string' && !Array.isArray(schema.type) && !isObject(schema.type))
    ) {
      throw invalid(path, `not an Avro schema: ${JSON.stringify(schema)}`)
    }
    const type = schema.type
    if (typeof type !== 'string') return this.convert(type, namespace, path)
    switch (type) {
      case 'record':
      case 'error':
        return this.#record(schema, namespace, path)
      case 'enum':
        this.#define(schema, namespace, path)
        return { kind: 'VARCHAR', nullable: false }
      case 'fixed': {
        this.#define(schema, namespace, path)
        const size = schema.size
        if (typeof size !== 'number') throw invalid(path, 'a fixed type without a size')
        if (schema.logicalType === 'decimal') return decimal(schema, path)
        return { kind: 'VARBINARY', length: size, nullable: false }
      }
      case 'array':
        return { kind: 'ARRAY', element: this.convert(schema.items, namespace, `${path}[]`), nullable: false }
      case 'map':
        return {
          kind: 'MAP',
          key: { kind: 'VARCHAR', nullable: false },
          value: this.convert(schema.values, namespace, `${path}{}`),
          nullable: false,
        }
      default:
        return primitive(type, schema, path) ?? this.#reference(type, namespace, path)
    }
  }

  #reference(name: string, namespace: string, path: string): SqlType {
    const simple = primitive(name, {}, path)
    if (simple !== undefined) return simple
    const full = name.includes('.') || namespace === '' ? name : `${namespace}.${name}`
    const found = this.#named.get(full) ?? this.#named.get(name)
    if (found === undefined) throw invalid(path, `unknown Avro type ${name}`)
    if (this.#converting.has(full)) {
      throw new FreshetError(
        'SQL_UNSUPPORTED',
        `${where(path)}the recursive Avro type ${full} has no SQL type`,
      )
    }
    if (found.schema.type === 'enum') return { kind: 'VARCHAR', nullable: false }
    if (found.schema.type === 'fixed') {
      if (found.schema.logicalType === 'decimal') return decimal(found.schema, path)
      return { kind: 'VARBINARY', length: found.schema.size as number, nullable: false }
    }
    return this.#fields(found.schema, found.namespace, full, path)
  }

  #union(branches: unknown[], namespace: string, path: string): SqlType {
    const nonNull = branches.filter((b) => b !== 'null' && !(isObject(b) && b.type === 'null'))
    const hasNull = nonNull.length < branches.length
    if (branches.length - nonNull.length > 1) throw invalid(path, 'a union holds null twice')
    if (nonNull.length === 0) return { kind: 'NULL', nullable: true }
    if (nonNull.length > 1) {
      throw new FreshetError(
        'SQL_UNSUPPORTED',
        `${where(path)}a union of several non-null Avro types (${JSON.stringify(branches)}) has no SQL column type: Flink derives a RAW type that a table cannot declare`,
        { details: { path } },
      )
    }
    const type = this.convert(nonNull[0], namespace, path)
    return hasNull ? withNullable(type, true) : type
  }

  #record(schema: AvroObject, namespace: string, path: string): SqlType {
    const { full, namespace: own } = this.#define(schema, namespace, path)
    return this.#fields(schema, own, full, path)
  }

  #fields(schema: AvroObject, namespace: string, full: string, path: string): SqlType {
    if (!Array.isArray(schema.fields)) throw invalid(path, 'a record without fields')
    this.#converting.add(full)
    const fields: RowField[] = schema.fields.map((field: unknown) => {
      if (!isObject(field) || typeof field.name !== 'string')
        throw invalid(path, 'a record field without a name')
      return {
        name: field.name,
        type: this.convert(field.type, namespace, path === '' ? field.name : `${path}.${field.name}`),
      }
    })
    this.#converting.delete(full)
    return { kind: 'ROW', fields, nullable: false }
  }

  #define(schema: AvroObject, namespace: string, path: string): { full: string; namespace: string } {
    if (typeof schema.name !== 'string') throw invalid(path, `a ${String(schema.type)} without a name`)
    const explicit = typeof schema.namespace === 'string' ? schema.namespace : undefined
    const full = schema.name.includes('.')
      ? schema.name
      : (explicit ?? namespace) === ''
        ? schema.name
        : `${explicit ?? namespace}.${schema.name}`
    const own = full.includes('.') ? full.slice(0, full.lastIndexOf('.')) : ''
    this.#named.set(full, { schema, namespace: own })
    return { full, namespace: own }
  }
}

function primitive(name: string, schema: AvroObject, path: string): SqlType | undefined {
  const logical = schema.logicalType
  switch (name) {
    case 'null':
      return { kind: 'NULL', nullable: true }
    case 'boolean':
      return { kind: 'BOOLEAN', nullable: false }
    case 'int':
      if (logical === 'date') return { kind: 'DATE', nullable: false }
      if (logical === 'time-millis') return { kind: 'TIME', precision: 3, nullable: false }
      return { kind: 'INT', nullable: false }
    case 'long':
      if (logical === 'timestamp-millis') return { kind: 'TIMESTAMP', precision: 3, nullable: false }
      if (logical === 'timestamp-micros') return { kind: 'TIMESTAMP', precision: 6, nullable: false }
      if (logical === 'time-micros') return { kind: 'TIME', precision: 6, nullable: false }
      return { kind: 'BIGINT', nullable: false }
    case 'float':
      return { kind: 'FLOAT', nullable: false }
    case 'double':
      return { kind: 'DOUBLE', nullable: false }
    case 'string':
      return { kind: 'VARCHAR', nullable: false }
    case 'bytes':
      if (logical === 'decimal') return decimal(schema, path)
      return { kind: 'VARBINARY', nullable: false }
    default:
      return undefined
  }
}

function decimal(schema: AvroObject, path: string): SqlType {
  const precision = schema.precision
  const scale = schema.scale ?? 0
  if (typeof precision !== 'number' || typeof scale !== 'number') {
    throw invalid(path, 'a decimal without an integer precision and scale')
  }
  return { kind: 'DECIMAL', precision, scale, nullable: false }
}

function where(path: string): string {
  return path === '' ? '' : `${path}: `
}

function invalid(path: string, message: string): FreshetError {
  return new FreshetError('SCHEMA_INVALID', `${where(path)}${message}`, { details: { path } })
}

// -- SQL -> Avro -------------------------------------------------------------------------------

/**
 * The Avro schema Flink's `avro-confluent` (and `avro`) format writes for a row of these columns:
 * `AvroSchemaConverter.convertToSchema(ROW<columns> NOT NULL, recordName)`, with its key order, so
 * `JSON.stringify` of the result is the text Flink registers. Throws SQL_INVALID, with Flink's
 * message, for a type Flink cannot write.
 */
export function sqlRowToAvroSchema(
  columns: readonly RowField[],
  recordName: string = FLINK_RECORD_NAME,
): Record<string, unknown> {
  const dot = recordName.lastIndexOf('.')
  const name = dot < 0 ? recordName : recordName.slice(dot + 1)
  const namespace = dot < 0 ? undefined : recordName.slice(0, dot)
  return {
    type: 'record',
    name,
    ...(namespace === undefined ? {} : { namespace }),
    fields: recordFields(columns, name),
  }
}

function recordFields(columns: readonly RowField[], recordName: string): Record<string, unknown>[] {
  return columns.map((column) => {
    const type = toAvro(column.type, `${recordName}_${column.name}`)
    return column.type.nullable ? { name: column.name, type, default: null } : { name: column.name, type }
  })
}

function toAvro(t: SqlType, rowName: string): unknown {
  if (t.kind === 'NULL') return 'null'
  const bare = toAvroBare(t, rowName)
  return t.nullable ? ['null', bare] : bare
}

function toAvroBare(t: SqlType, rowName: string): unknown {
  switch (t.kind) {
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
    case 'BINARY':
    case 'VARBINARY':
      return 'bytes'
    case 'DECIMAL':
      return { type: 'bytes', logicalType: 'decimal', precision: t.precision, scale: t.scale }
    case 'DATE':
      return { type: 'int', logicalType: 'date' }
    case 'TIME':
      if (t.precision > 3) {
        throw cannotWrite(
          `Avro does not support TIME type with precision: ${t.precision}, it only supports precision less than 3.`,
        )
      }
      return { type: 'int', logicalType: 'time-millis' }
    case 'TIMESTAMP':
      if (t.precision > 3) {
        throw cannotWrite(
          `Avro does not support TIMESTAMP type with precision: ${t.precision}, it only supports precision less than 3.`,
        )
      }
      return { type: 'long', logicalType: 'timestamp-millis' }
    case 'ARRAY':
      return { type: 'array', items: toAvro(t.element, rowName) }
    case 'MAP':
      if (t.key.kind !== 'VARCHAR' && t.key.kind !== 'CHAR') {
        throw cannotWrite(
          `Avro format doesn't support non-string as key type of map. The key type is: ${formatType(t.key)}`,
        )
      }
      return { type: 'map', values: toAvro(t.value, rowName) }
    case 'MULTISET':
      if (t.element.kind !== 'VARCHAR' && t.element.kind !== 'CHAR') {
        throw cannotWrite(
          `Avro format doesn't support non-string as key type of map. The key type is: ${formatType(t.element)}`,
        )
      }
      // A multiset is a map from element to count; Flink writes the count as a nullable int.
      return { type: 'map', values: ['null', 'int'] }
    case 'ROW': {
      const name = rowName.includes('.') ? rowName.slice(rowName.lastIndexOf('.') + 1) : rowName
      return { type: 'record', name, fields: recordFields(t.fields, name) }
    }
    default:
      throw cannotWrite(`Unsupported to derive Schema for type: ${formatType(withNullable(t, true))}`)
  }
}

function cannotWrite(message: string): FreshetError {
  return new FreshetError('SQL_INVALID', message)
}
