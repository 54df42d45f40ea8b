/**
 * CAST between SQL types with Flink's (non-legacy) cast rules: a string that does not parse fails
 * the job (TRY_CAST gives NULL instead, see compile.ts), a number too large for a DECIMAL gives
 * NULL, floating point to integer truncates toward zero and saturates as Java's `(int) d` does,
 * exact numbers to a narrower integer wrap as Java's narrowing does, CHAR(n) pads and VARCHAR(n)
 * cuts, BOOLEAN prints as `TRUE`/`FALSE`, TIMESTAMP <-> TIMESTAMP_LTZ goes through the session's
 * time zone.
 */
import type { SqlType } from '../ast.ts'
import {
  decimalString,
  fitsDecimal,
  INTEGER_RANGE,
  javaDoubleString,
  javaFloatString,
  roundHalfUp,
  wrapper,
} from './numeric.ts'
import type { Fail } from './runtime-errors.ts'
import {
  floorDiv,
  formatDate,
  formatTime,
  formatTimestamp,
  instantToWall,
  MS_PER_DAY,
  parseDate,
  parseTime,
  parseTimestamp,
  truncateMillis,
  wallToInstant,
} from './temporal.ts'
import { type IntegerKind } from './typing.ts'
import { formatType, isBinary, isInteger, isNumeric, isString, sameShape } from '../types/index.ts'

/** Converts one non-null value; may throw through `fail`. */
export type Caster = (value: unknown) => unknown

const INTEGER_TEXT = /^[+-]?\d+(?:\.\d*)?$/
const DECIMAL_TEXT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/
const DOUBLE_TEXT = /^[+-]?(?:NaN|Infinity|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?[fFdD]?)$/
const TRUE_TEXT = new Set(['true', 't', 'yes', 'y', '1'])
const FALSE_TEXT = new Set(['false', 'f', 'no', 'n', '0'])

function quoted(value: unknown): string {
  return `'${String(value)}'`
}

/**
 * The conversion from `from` to `to`, or undefined when Flink refuses the cast at validation.
 * `zone` is the session's `table.local-time-zone`; `fail` raises the runtime error of a bad value.
 */
export function caster(from: SqlType, to: SqlType, zone: string, fail: Fail): Caster | undefined {
  if (from.kind === 'NULL') return () => null
  const target = formatType({ ...to, nullable: true } as SqlType)
  const bad = (value: unknown): never => fail(`cannot cast ${quoted(value)} to ${target}`)
  switch (to.kind) {
    case 'TINYINT':
    case 'SMALLINT':
    case 'INT':
    case 'BIGINT':
      return toInteger(from, to.kind, bad)
    case 'FLOAT':
    case 'DOUBLE': {
      const round = to.kind === 'FLOAT' ? Math.fround : (value: number) => value
      if (isNumeric(from))
        return to.kind === 'FLOAT' ? (value) => Math.fround(value as number) : (value) => value
      if (from.kind === 'BOOLEAN') return (value) => (value ? 1 : 0)
      if (isString(from)) {
        return (value) => {
          const text = (value as string).trim()
          if (!DOUBLE_TEXT.test(text)) return bad(value)
          return round(Number(text.replace(/[fFdD]$/, '')))
        }
      }
      if (from.kind === 'TIMESTAMP_LTZ') return (value) => (value as number) / 1000
      return undefined
    }
    case 'DECIMAL': {
      const { precision, scale } = to
      const fit = (value: number): number | null => {
        const rounded = roundHalfUp(value, scale)
        return fitsDecimal(rounded, precision, scale) ? rounded : null
      }
      if (isNumeric(from)) return (value) => fit(value as number)
      if (from.kind === 'BOOLEAN') return (value) => fit(value ? 1 : 0)
      if (isString(from)) {
        return (value) => {
          const text = (value as string).trim()
          return DECIMAL_TEXT.test(text) ? fit(Number(text)) : bad(value)
        }
      }
      if (from.kind === 'TIMESTAMP_LTZ') return (value) => fit((value as number) / 1000)
      return undefined
    }
    case 'BOOLEAN':
      if (from.kind === 'BOOLEAN') return (value) => value
      if (isNumeric(from)) return (value) => value !== 0
      if (isString(from)) {
        return (value) => {
          const text = (value as string).trim().toLowerCase()
          if (TRUE_TEXT.has(text)) return true
          if (FALSE_TEXT.has(text)) return false
          return bad(value)
        }
      }
      return undefined
    case 'CHAR':
    case 'VARCHAR': {
      const print = stringOf(from, zone)
      if (print === undefined) return undefined
      const length = to.length
      if (length === undefined) return print
      if (to.kind === 'CHAR') return (value) => (print(value) as string).slice(0, length).padEnd(length, ' ')
      return (value) => (print(value) as string).slice(0, length)
    }
    case 'BINARY':
    case 'VARBINARY':
      if (isBinary(from)) return (value) => value
      if (isString(from)) return (value) => Buffer.from(value as string, 'utf8')
      return undefined
    case 'DATE':
      if (from.kind === 'DATE') return (value) => value
      if (from.kind === 'TIMESTAMP') return (value) => floorDiv(value as number, MS_PER_DAY)
      if (from.kind === 'TIMESTAMP_LTZ')
        return (value) => floorDiv(instantToWall(value as number, zone), MS_PER_DAY)
      if (isString(from)) return (value) => parseDate(value as string) ?? bad(value)
      return undefined
    case 'TIME':
      if (from.kind === 'TIME') return (value) => value
      if (from.kind === 'TIMESTAMP')
        return (value) => (value as number) - floorDiv(value as number, MS_PER_DAY) * MS_PER_DAY
      if (from.kind === 'TIMESTAMP_LTZ') {
        return (value) => {
          const wall = instantToWall(value as number, zone)
          return wall - floorDiv(wall, MS_PER_DAY) * MS_PER_DAY
        }
      }
      if (isString(from)) return (value) => parseTime(value as string) ?? bad(value)
      return undefined
    case 'TIMESTAMP': {
      const p = to.precision
      if (from.kind === 'TIMESTAMP')
        return from.precision <= p ? (value) => value : (value) => truncateMillis(value as number, p)
      if (from.kind === 'DATE') return (value) => (value as number) * MS_PER_DAY
      if (from.kind === 'TIMESTAMP_LTZ')
        return (value) => truncateMillis(instantToWall(value as number, zone), p)
      if (isString(from)) {
        return (value) => {
          const wall = parseTimestamp(value as string)
          return wall === undefined ? bad(value) : truncateMillis(wall, p)
        }
      }
      return undefined
    }
    case 'TIMESTAMP_LTZ': {
      const p = to.precision
      if (from.kind === 'TIMESTAMP_LTZ')
        return from.precision <= p ? (value) => value : (value) => truncateMillis(value as number, p)
      if (from.kind === 'TIMESTAMP') return (value) => truncateMillis(wallToInstant(value as number, zone), p)
      if (from.kind === 'DATE') return (value) => wallToInstant((value as number) * MS_PER_DAY, zone)
      if (isNumeric(from)) return (value) => truncateMillis(Math.floor((value as number) * 1000), p)
      if (isString(from)) {
        return (value) => {
          const wall = parseTimestamp(value as string)
          return wall === undefined ? bad(value) : truncateMillis(wallToInstant(wall, zone), p)
        }
      }
      return undefined
    }
    case 'INTERVAL':
      return from.kind === 'INTERVAL' && from.unit === to.unit ? (value) => value : undefined
    case 'ARRAY':
    case 'MULTISET': {
      if (from.kind !== to.kind) return undefined
      if (sameShape(from, to)) return (value) => value
      const element = caster((from as typeof to).element, to.element, zone, fail)
      if (element === undefined) return undefined
      return (value) => (value as unknown[]).map((item) => (item === null ? null : element(item)))
    }
    default:
      return from.kind === to.kind && sameShape(from, to) ? (value) => value : undefined
  }
}

function toInteger(from: SqlType, kind: IntegerKind, bad: (value: unknown) => never): Caster | undefined {
  const wrap = wrapper(kind)
  const [min, max] = INTEGER_RANGE[kind]
  if (isInteger(from)) return (value) => wrap(value as number)
  if (from.kind === 'DECIMAL') return (value) => wrap(Math.trunc(value as number))
  if (from.kind === 'FLOAT' || from.kind === 'DOUBLE') {
    // Java's (int) d saturates at the int range; (byte)/(short) then wrap that int.
    const [satMin, satMax] = kind === 'BIGINT' ? INTEGER_RANGE.BIGINT : INTEGER_RANGE.INT
    return (value) => {
      const d = value as number
      if (Number.isNaN(d)) return 0
      return wrap(Math.min(satMax, Math.max(satMin, Math.trunc(d))))
    }
  }
  if (from.kind === 'BOOLEAN') return (value) => (value ? 1 : 0)
  if (isString(from)) {
    return (value) => {
      const text = (value as string).trim()
      if (!INTEGER_TEXT.test(text)) return bad(value)
      const n = Math.trunc(Number(text))
      return n < min || n > max ? bad(value) : n === 0 ? 0 : n
    }
  }
  if (from.kind === 'TIMESTAMP_LTZ') return (value) => wrap(floorDiv(value as number, 1000))
  return undefined
}

/** Flink's text form of a value of any type (CAST to STRING, string concatenation of results). */
export function stringOf(from: SqlType, zone: string): Caster | undefined {
  switch (from.kind) {
    case 'CHAR':
    case 'VARCHAR':
      return (value) => value
    case 'BOOLEAN':
      return (value) => (value ? 'TRUE' : 'FALSE')
    case 'TINYINT':
    case 'SMALLINT':
    case 'INT':
    case 'BIGINT':
      return (value) => String(value)
    case 'FLOAT':
      return (value) => javaFloatString(value as number)
    case 'DOUBLE':
      return (value) => javaDoubleString(value as number)
    case 'DECIMAL': {
      const scale = from.scale
      return (value) => decimalString(value as number, scale)
    }
    case 'DATE':
      return (value) => formatDate(value as number)
    case 'TIME': {
      const p = from.precision
      return (value) => formatTime(value as number, p)
    }
    case 'TIMESTAMP': {
      const p = from.precision
      return (value) => formatTimestamp(value as number, p)
    }
    case 'TIMESTAMP_LTZ': {
      const p = from.precision
      return (value) => formatTimestamp(instantToWall(value as number, zone), p)
    }
    case 'BINARY':
    case 'VARBINARY':
      return (value) => (value as Buffer).toString('utf8')
    case 'INTERVAL':
      return from.unit === 'DAY_TIME' ? (value) => intervalString(value as number) : undefined
    case 'ARRAY':
    case 'MULTISET': {
      const element = stringOf(from.element, zone)
      if (element === undefined) return undefined
      return (value) =>
        `[${(value as unknown[]).map((item) => (item === null ? 'NULL' : element(item))).join(', ')}]`
    }
    case 'MAP': {
      const key = stringOf(from.key, zone)
      const val = stringOf(from.value, zone)
      if (key === undefined || val === undefined) return undefined
      return (value) => {
        const parts: string[] = []
        for (const [k, v] of value as Map<unknown, unknown>) {
          parts.push(`${k === null ? 'NULL' : key(k)}=${v === null ? 'NULL' : val(v)}`)
        }
        return `{${parts.join(', ')}}`
      }
    }
    case 'ROW': {
      const fields = from.fields.map((field) => ({ name: field.name, print: stringOf(field.type, zone) }))
      if (fields.some((field) => field.print === undefined)) return undefined
      return (value) => {
        const row = value as Record<string, unknown>
        return `(${fields.map((f) => (row[f.name] == null ? 'NULL' : f.print!(row[f.name]))).join(', ')})`
      }
    }
    default:
      return undefined
  }
}

/** A day-time interval as Flink prints INTERVAL DAY TO SECOND(3): `+1 02:03:04.005`. */
function intervalString(ms: number): string {
  const sign = ms < 0 ? '-' : '+'
  const abs = Math.abs(ms)
  const days = Math.floor(abs / MS_PER_DAY)
  return `${sign}${days} ${formatTime(abs - days * MS_PER_DAY, 3)}`
}

/**
 * The implicit conversion of a value of `from` to the common type `to` of a comparison, CASE or
 * COALESCE, where the runtime representation differs; undefined when the value can be used as it is.
 * DATE becomes TIMESTAMP (midnight) or TIMESTAMP_LTZ (midnight in the session zone); TIMESTAMP and
 * TIMESTAMP_LTZ become each other through the session zone, as Flink's implicit cast between them
 * (a CASE or COALESCE of the two takes the kind of the one with the smaller precision).
 */
export function widening(from: SqlType, to: SqlType, zone: string): Caster | undefined {
  if (from.kind === 'DATE' && to.kind === 'TIMESTAMP') return (days) => (days as number) * MS_PER_DAY
  if (from.kind === 'DATE' && to.kind === 'TIMESTAMP_LTZ')
    return (days) => wallToInstant((days as number) * MS_PER_DAY, zone)
  if (from.kind === 'TIMESTAMP' && to.kind === 'TIMESTAMP_LTZ')
    return (wall) => wallToInstant(wall as number, zone)
  if (from.kind === 'TIMESTAMP_LTZ' && to.kind === 'TIMESTAMP')
    return (instant) => instantToWall(instant as number, zone)
  return undefined
}
