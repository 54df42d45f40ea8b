/**
 * The formats of Kafka tables: `json`, `avro-confluent` and `raw`, with Flink 2.2's option names
 * (each under the format's prefix: `json.` for `'format'`, `value.json.` for `'value.format'`,
 * `key.json.` for `'key.format'`), defaults and checks.
 */
import type { RowField } from '../ast.ts'
import { avroToSqlType, formatType, quoteIdentifier, sqlRowToAvroSchema } from '../types/index.ts'
import type { OptionReader } from './options.ts'
import type { AvroConfluentFormat, FormatDefinition, JsonFormat, RawFormat } from './types.ts'

export const SUPPORTED_FORMATS = ['avro-confluent', 'json', 'raw'] as const

/** Formats Flink ships (in its SQL jars) that freshet does not read or write. */
const FLINK_ONLY_FORMATS = [
  'avro',
  'canal-json',
  'csv',
  'debezium-avro-confluent',
  'debezium-json',
  'maxwell-json',
  'ogg-json',
  'orc',
  'parquet',
  'protobuf',
]

export interface FormatContext {
  readonly fail: (message: string) => never
  readonly unsupported: (construct: string, hint?: string) => never
}

/**
 * The format named by option `formatKey` (`format`, `value.format`, `key.format`), its options
 * read and declared on `reader`.
 */
export function readFormat(reader: OptionReader, formatKey: string, ctx: FormatContext): FormatDefinition {
  const identifier = reader.string(formatKey)!
  const prefix = `${formatKey.slice(0, -'format'.length)}${identifier}.`
  switch (identifier) {
    case 'json':
      return readJson(reader, prefix, ctx)
    case 'avro-confluent':
      return readAvroConfluent(reader, prefix, ctx)
    case 'raw':
      return readRaw(reader, prefix, ctx)
    default:
      if (FLINK_ONLY_FORMATS.includes(identifier)) {
        return ctx.unsupported(`the '${identifier}' format`, `use one of ${SUPPORTED_FORMATS.join(', ')}`)
      }
      return ctx.fail(
        `Could not find any format factory for identifier '${identifier}' in '${formatKey}'. ` +
          `Available format identifiers are: ${[...SUPPORTED_FORMATS, ...FLINK_ONLY_FORMATS].sort().join(', ')}`,
      )
  }
}

function readJson(reader: OptionReader, prefix: string, ctx: FormatContext): JsonFormat {
  const timestampFormat = reader.string(`${prefix}timestamp-format.standard`) ?? 'SQL'
  // Flink compares these two values case-sensitively (JsonFormatOptionsUtil), unlike enums.
  if (timestampFormat !== 'SQL' && timestampFormat !== 'ISO-8601') {
    ctx.fail(
      `Unsupported value '${timestampFormat}' for timestamp-format.standard. Supported values are [SQL, ISO-8601].`,
    )
  }
  const mapNullKeyText = reader.string(`${prefix}map-null-key.mode`) ?? 'FAIL'
  const upper = mapNullKeyText.toUpperCase()
  const mapNullKeyMode = upper === 'DROP' || upper === 'LITERAL' ? upper : 'FAIL'
  const failOnMissingField = reader.boolean(`${prefix}fail-on-missing-field`, false)
  const ignoreParseErrors = reader.boolean(`${prefix}ignore-parse-errors`, false)
  // Flink checks these two only when it creates a decoder (reading) or an encoder (writing).
  const whenRead =
    failOnMissingField && ignoreParseErrors
      ? `fail-on-missing-field and ignore-parse-errors shouldn't both be true.`
      : undefined
  const whenWritten =
    upper === mapNullKeyMode
      ? undefined
      : `Unsupported value '${mapNullKeyText}' for option map-null-key.mode. Supported values are [LITERAL, FAIL, DROP].`
  return {
    kind: 'json',
    failOnMissingField,
    ignoreParseErrors,
    timestampFormat,
    mapNullKeyMode,
    mapNullKeyLiteral: reader.string(`${prefix}map-null-key.literal`) ?? 'null',
    encodeDecimalAsPlainNumber: reader.boolean(`${prefix}encode.decimal-as-plain-number`, false),
    encodeIgnoreNullFields: reader.boolean(`${prefix}encode.ignore-null-fields`, false),
    decodeJsonParserEnabled: reader.boolean(`${prefix}decode.json-parser.enabled`, true),
    ...(whenRead === undefined && whenWritten === undefined ? {} : { refused: { whenRead, whenWritten } }),
  }
}

/** `avro-confluent.*` option -> the Confluent client setting Flink passes it as. */
const REGISTRY_CLIENT_OPTIONS: Readonly<Record<string, string>> = {
  'ssl.keystore.location': 'schema.registry.ssl.keystore.location',
  'ssl.keystore.password': 'schema.registry.ssl.keystore.password',
  'ssl.truststore.location': 'schema.registry.ssl.truststore.location',
  'ssl.truststore.password': 'schema.registry.ssl.truststore.password',
  'basic-auth.credentials-source': 'basic.auth.credentials.source',
  'basic-auth.user-info': 'basic.auth.user.info',
  'bearer-auth.credentials-source': 'bearer.auth.credentials.source',
  'bearer-auth.token': 'bearer.auth.token',
}

function readAvroConfluent(reader: OptionReader, prefix: string, ctx: FormatContext): AvroConfluentFormat {
  // url, subject and schema also answer to their deprecated `schema-registry.` names.
  reader.declare(
    `${prefix}schema-registry.url`,
    `${prefix}schema-registry.subject`,
    `${prefix}schema-registry.schema`,
  )
  const url = reader.string(`${prefix}url`, `${prefix}schema-registry.url`)
  if (url === undefined) {
    ctx.fail(
      `Error creating format 'avro-confluent' in option space '${prefix}': ` +
        `One or more required options are missing.\n\nMissing required options are:\n\nurl`,
    )
  }
  const subject = reader.string(`${prefix}subject`, `${prefix}schema-registry.subject`)
  const schema = reader.string(`${prefix}schema`, `${prefix}schema-registry.schema`)
  const registryProperties: Record<string, string> = {}
  for (const [option, clientKey] of Object.entries(REGISTRY_CLIENT_OPTIONS)) {
    const value = reader.string(`${prefix}${option}`)
    if (value !== undefined) registryProperties[clientKey] = value
  }
  reader.declare(`${prefix}properties`)
  const mapPrefix = `${prefix}properties.`
  for (const key of reader.keys()) {
    if (!key.startsWith(mapPrefix)) continue
    reader.declare(key)
    registryProperties[key.slice(mapPrefix.length)] = reader.string(key)!
  }
  if (schema !== undefined) {
    try {
      JSON.parse(schema)
    } catch (error) {
      ctx.fail(`'${prefix}schema' is not an Avro schema: ${(error as Error).message}`)
    }
  }
  return { kind: 'avro-confluent', url, subject, schema, registryProperties }
}

/** Charsets Flink's `raw.charset` commonly names that Node can encode and decode. */
const CHARSETS: Readonly<Record<string, BufferEncoding>> = {
  'utf-8': 'utf8',
  utf8: 'utf8',
  'utf-16le': 'utf16le',
  'iso-8859-1': 'latin1',
  latin1: 'latin1',
  'us-ascii': 'ascii',
  ascii: 'ascii',
}

function readRaw(reader: OptionReader, prefix: string, ctx: FormatContext): RawFormat {
  const charset = reader.string(`${prefix}charset`) ?? 'UTF-8'
  if (CHARSETS[charset.toLowerCase()] === undefined) {
    ctx.fail(`Unsupported '${prefix}charset' name: ${charset}.`)
  }
  const endianness = reader.string(`${prefix}endianness`) ?? 'big-endian'
  if (endianness !== 'big-endian' && endianness !== 'little-endian') {
    ctx.fail(
      `Unsupported endianness name: ${endianness}. Valid values of '${prefix}endianness' option are 'big-endian' and 'little-endian'.`,
    )
  }
  return { kind: 'raw', charset, encoding: CHARSETS[charset.toLowerCase()] ?? 'utf8', endianness }
}

/** Node's name of a `raw.charset` value (UTF-8 -> utf8). */
export function nodeEncoding(charset: string): BufferEncoding {
  return (CHARSETS[charset.toLowerCase()] ?? 'utf8') as BufferEncoding
}

const RAW_TYPES = new Set([
  'CHAR',
  'VARCHAR',
  'BINARY',
  'VARBINARY',
  'BOOLEAN',
  'TINYINT',
  'SMALLINT',
  'INT',
  'BIGINT',
  'FLOAT',
  'DOUBLE',
])

/**
 * Checks the columns a format carries (the value's or the key's physical columns, in order) as
 * Flink does when it creates the format: `raw` takes one column of a scalar type; `avro-confluent`
 * with `'avro-confluent.schema'` needs exactly the columns Flink derives from that schema, and
 * without it columns Flink can write as Avro.
 */
export function checkFormatColumns(
  format: FormatDefinition,
  columns: readonly RowField[],
  ctx: FormatContext,
): void {
  switch (format.kind) {
    case 'raw': {
      if (columns.length !== 1) {
        ctx.fail(
          `The 'raw' format only supports single physical column. However the defined schema contains multiple physical columns: [${columns
            .map((c) => `${quoteIdentifier(c.name)} ${formatType(c.type)}`)
            .join(', ')}]`,
        )
      }
      const type = columns[0]!.type
      if (!RAW_TYPES.has(type.kind)) {
        ctx.fail(`The 'raw' format doesn't supports '${formatType(type)}' as column type.`)
      }
      return
    }
    case 'avro-confluent':
      if (format.schema === undefined) {
        try {
          sqlRowToAvroSchema(columns)
        } catch (error) {
          ctx.fail(
            `The 'avro-confluent' format cannot derive an Avro schema from the columns: ${(error as Error).message}`,
          )
        }
      } else {
        checkAvroSchemaColumns(format.schema, columns, ctx)
      }
      return
    case 'json':
      return
  }
}

function checkAvroSchemaColumns(schema: string, columns: readonly RowField[], ctx: FormatContext): void {
  let derived
  try {
    derived = avroToSqlType(schema)
  } catch (error) {
    return ctx.fail(`'avro-confluent.schema' cannot be read as a table: ${(error as Error).message}`)
  }
  if (derived.kind !== 'ROW') {
    return ctx.fail(`'avro-confluent.schema' is a ${formatType(derived)}, not a record`)
  }
  const problems: string[] = []
  const declared = new Map(columns.map((c) => [c.name, c.type]))
  const expected = new Map(derived.fields.map((f) => [f.name, f.type]))
  for (const field of derived.fields) {
    const type = declared.get(field.name)
    if (type === undefined) {
      problems.push(`column ${quoteIdentifier(field.name)} ${formatType(field.type)} is missing`)
    } else if (formatType(type) !== formatType(field.type)) {
      problems.push(
        `column ${quoteIdentifier(field.name)} is ${formatType(type)}, the schema gives ${formatType(field.type)}`,
      )
    }
  }
  for (const column of columns) {
    if (!expected.has(column.name)) {
      problems.push(`column ${quoteIdentifier(column.name)} is not in the schema`)
    }
  }
  if (problems.length === 0) {
    const order = derived.fields.map((f) => f.name).join(',')
    if (order !== columns.map((c) => c.name).join(',')) {
      problems.push(
        `the columns must come in the schema's order: ${derived.fields.map((f) => quoteIdentifier(f.name)).join(', ')}`,
      )
    }
  }
  if (problems.length > 0) {
    ctx.fail(
      `Schema provided for 'avro-confluent' format does not match the table schema: ${problems.join('; ')}. ` +
        `Flink derives the columns ${formatType(derived).replace(/ NOT NULL$/, '')}`,
    )
  }
}
