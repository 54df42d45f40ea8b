/**
 * Flink's `json` format for the rows of a table: how Flink 2.2 reads a JSON object into a row of
 * the table's physical columns and writes a row back (flink-json's converters), on freshet's
 * runtime values (src/sql/expr/types.ts). The same topic then reads and writes the same on both
 * engines: a TIMESTAMP is `"2026-01-01 10:00:00.5"`, not a number.
 *
 * Reading (per column, by name; a missing field is null unless `json.fail-on-missing-field`):
 * - BOOLEAN: a boolean, or the text `true` (any case; other text is false).
 * - TINYINT to BIGINT: a number (cut to an integer) or a numeric text; FLOAT, DOUBLE: a number or
 *   a numeric text. DECIMAL(p, s): rounded half-up to `s` digits, null when it needs more than `p`.
 * - CHAR, VARCHAR, STRING: text as is; any other JSON value as its JSON text.
 * - DATE `yyyy-MM-dd`; TIME `HH:mm:ss[.f]`; TIMESTAMP `yyyy-MM-dd HH:mm:ss[.f]` (`'T'` instead of
 *   the space with `json.timestamp-format.standard` = `ISO-8601`); TIMESTAMP_LTZ the same with a
 *   trailing `Z`, in UTC.
 * - BINARY, VARBINARY, BYTES: base64 text. ARRAY, MAP (an object), ROW (an object by field name).
 * A value that does not convert makes the record a bad record (`FRESHET_SERDE_SCHEMA_MISMATCH`:
 * dead-lettered by default; Flink fails the job), or a skipped one with `json.ignore-parse-errors`.
 *
 * Writing: the inverse, timestamps with as many fraction digits as they need (none for a whole
 * second), as Flink prints them; nulls written as null unless `json.encode.ignore-null-fields`.
 */
import type { RowField, SqlType } from '../ast.ts'
import type { JsonFormat } from '../catalog/index.ts'
import { FreshetError, type ErrorLocation } from '../../errors/index.ts'
import type { Deserializer, Serializer } from '../../serde/index.ts'
import { fitsDecimal, roundHalfUp } from '../expr/numeric.ts'
import { floorDiv, formatDate, MS_PER_DAY, parseDate, parseTime, parseTimestamp } from '../expr/temporal.ts'

/** The `json` format with every option at Flink's default. */
export const FLINK_JSON_DEFAULTS: JsonFormat = {
  kind: 'json',
  failOnMissingField: false,
  ignoreParseErrors: false,
  timestampFormat: 'SQL',
  mapNullKeyMode: 'FAIL',
  mapNullKeyLiteral: 'null',
  encodeDecimalAsPlainNumber: false,
  encodeIgnoreNullFields: false,
  decodeJsonParserEnabled: true,
}

type Read = (value: unknown) => unknown
type Write = (value: unknown) => unknown

/** A value that does not fit its column: the record is a bad record. */
class Mismatch extends Error {}

function mismatch(type: SqlType, value: unknown): never {
  throw new Mismatch(`${JSON.stringify(value)} is not a ${type.kind}`)
}

function numberOf(type: SqlType, value: unknown): number {
  if (typeof value === 'number') return value
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value)
  return mismatch(type, value)
}

function textOf(type: SqlType, value: unknown): string {
  return typeof value === 'string' ? value : mismatch(type, value)
}

/** The time of day with minimal fraction digits (`appendFraction(0, 9)`): `10:00:00`, `10:00:00.5`. */
function timeText(msOfDay: number): string {
  const seconds = Math.floor(msOfDay / 1000)
  const two = (n: number): string => String(n).padStart(2, '0')
  const text = `${two(Math.floor(seconds / 3600))}:${two(Math.floor(seconds / 60) % 60)}:${two(seconds % 60)}`
  const millis = msOfDay % 1000
  return millis === 0 ? text : `${text}.${String(millis).padStart(3, '0').replace(/0+$/, '')}`
}

function timestampText(ms: number, iso: boolean): string {
  const days = floorDiv(ms, MS_PER_DAY)
  return `${formatDate(days)}${iso ? 'T' : ' '}${timeText(ms - days * MS_PER_DAY)}`
}

function reader(type: SqlType, format: JsonFormat): Read {
  const iso = format.timestampFormat === 'ISO-8601'
  switch (type.kind) {
    case 'BOOLEAN':
      return (v) =>
        typeof v === 'boolean' ? v : typeof v === 'string' ? v.toLowerCase() === 'true' : mismatch(type, v)
    case 'TINYINT':
    case 'SMALLINT':
    case 'INT':
    case 'BIGINT':
      return (v) => Math.trunc(numberOf(type, v))
    case 'FLOAT':
    case 'DOUBLE':
      return (v) => numberOf(type, v)
    case 'DECIMAL':
      return (v) => {
        const rounded = roundHalfUp(numberOf(type, v), type.scale)
        return fitsDecimal(rounded, type.precision, type.scale) ? rounded : null
      }
    case 'CHAR':
    case 'VARCHAR':
      return (v) => (typeof v === 'string' ? v : JSON.stringify(v))
    case 'DATE':
      return (v) => parseDate(textOf(type, v)) ?? mismatch(type, v)
    case 'TIME':
      return (v) => parseTime(textOf(type, v)) ?? mismatch(type, v)
    case 'TIMESTAMP':
    case 'TIMESTAMP_LTZ': {
      const ltz = type.kind === 'TIMESTAMP_LTZ'
      return (v) => {
        let text = textOf(type, v)
        if (ltz) text = text.endsWith('Z') ? text.slice(0, -1) : mismatch(type, v)
        if (iso !== text.includes('T')) return mismatch(type, v)
        return parseTimestamp(text) ?? mismatch(type, v)
      }
    }
    case 'BINARY':
    case 'VARBINARY':
      return (v) => Buffer.from(textOf(type, v), 'base64')
    case 'ARRAY':
    case 'MULTISET': {
      const element = nullable(reader(type.element, format))
      return (v) => (Array.isArray(v) ? v.map(element) : mismatch(type, v))
    }
    case 'MAP': {
      const key = reader(type.key, format)
      const value = nullable(reader(type.value, format))
      return (v) =>
        isObject(v) ? new Map(Object.entries(v).map(([k, x]) => [key(k), value(x)])) : mismatch(type, v)
    }
    case 'ROW': {
      const row = rowReader(type.fields, format)
      return (v) => (isObject(v) ? row(v) : mismatch(type, v))
    }
    case 'INTERVAL':
    case 'NULL':
      return (v) => mismatch(type, v)
  }
}

function writer(type: SqlType, format: JsonFormat): Write {
  const iso = format.timestampFormat === 'ISO-8601'
  switch (type.kind) {
    case 'DATE':
      return (v) => formatDate(v as number)
    case 'TIME':
      return (v) => timeText(v as number)
    case 'TIMESTAMP':
      return (v) => timestampText(v as number, iso)
    case 'TIMESTAMP_LTZ':
      return (v) => `${timestampText(v as number, iso)}Z`
    case 'BINARY':
    case 'VARBINARY':
      return (v) => (v as Buffer).toString('base64')
    case 'ARRAY':
    case 'MULTISET': {
      const element = nullable(writer(type.element, format))
      return (v) => (v as unknown[]).map(element)
    }
    case 'MAP': {
      const value = nullable(writer(type.value, format))
      return (v) => {
        const out: Record<string, unknown> = {}
        for (const [k, x] of v as Map<unknown, unknown>) {
          if (k === null) {
            if (format.mapNullKeyMode === 'DROP') continue
            if (format.mapNullKeyMode === 'FAIL') {
              throw new Mismatch('a MAP with a null key (json.map-null-key.mode = FAIL)')
            }
            out[format.mapNullKeyLiteral] = value(x)
          } else out[String(k)] = value(x)
        }
        return out
      }
    }
    case 'ROW': {
      const row = rowWriter(type.fields, format)
      return (v) => row(v as Record<string, unknown>)
    }
    default:
      return (v) => v
  }
}

function nullable<F extends Read | Write>(convert: F): F {
  return ((v: unknown) => (v === null || v === undefined ? null : convert(v))) as F
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

function rowReader(
  fields: readonly RowField[],
  format: JsonFormat,
): (object: Record<string, unknown>) => unknown {
  const converters = fields.map((f) => [f.name, nullable(reader(f.type, format))] as const)
  return (object) => {
    const row: Record<string, unknown> = {}
    for (const [name, convert] of converters) {
      if (format.failOnMissingField && !Object.hasOwn(object, name)) {
        throw new Mismatch(`field "${name}" is missing (json.fail-on-missing-field)`)
      }
      row[name] = convert(object[name])
    }
    return row
  }
}

function rowWriter(
  fields: readonly RowField[],
  format: JsonFormat,
): (row: Record<string, unknown>) => unknown {
  const converters = fields.map((f) => [f.name, nullable(writer(f.type, format))] as const)
  return (row) => {
    const out: Record<string, unknown> = {}
    for (const [name, convert] of converters) {
      const value = convert(row[name])
      if (value === null && format.encodeIgnoreNullFields) continue
      out[name] = value
    }
    return out
  }
}

/** Reads a table's rows in Flink's JSON format. */
export class FlinkJsonDeserializer implements Deserializer<unknown> {
  readonly #read: (object: Record<string, unknown>) => unknown

  constructor(fields: readonly RowField[], format: JsonFormat) {
    this.#read = rowReader(fields, format)
  }

  deserialize(buf: Buffer | null | undefined, location?: ErrorLocation): Promise<unknown> {
    try {
      return Promise.resolve(this.deserializeSync(buf, location))
    } catch (error) {
      return Promise.reject(error as Error)
    }
  }

  deserializeSync(buf: Buffer | null | undefined, location: ErrorLocation = {}): unknown {
    if (buf == null) {
      throw new FreshetError(
        'SERDE_NULL_VALUE',
        'cannot decode a missing value (null or tombstone)',
        location,
      )
    }
    try {
      const parsed = JSON.parse(buf.toString('utf8')) as unknown
      if (!isObject(parsed)) throw new Mismatch('the value is not a JSON object')
      return this.#read(parsed)
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error)
      throw new FreshetError('SERDE_SCHEMA_MISMATCH', `json format: ${why}`, { ...location, cause: error })
    }
  }

  prepare(): Promise<void> {
    return Promise.resolve()
  }
}

/** Writes a table's rows in Flink's JSON format. */
export class FlinkJsonSerializer implements Serializer<unknown> {
  readonly #write: (row: Record<string, unknown>) => unknown

  constructor(fields: readonly RowField[], format: JsonFormat) {
    this.#write = rowWriter(fields, format)
  }

  init(): Promise<void> {
    return Promise.resolve()
  }

  serialize(value: unknown): Buffer {
    try {
      return Buffer.from(JSON.stringify(this.#write(value as Record<string, unknown>)))
    } catch (error) {
      throw new FreshetError('SERDE_ENCODE_FAILED', `json format: ${(error as Error).message}`, {
        cause: error,
      })
    }
  }
}
