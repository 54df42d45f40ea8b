/**
 * Temporal functions (Flink's "Temporal Functions"). TIMESTAMP_LTZ values are read in the
 * session's time zone (`table.local-time-zone`) wherever a calendar field is involved; the
 * "current time" functions are evaluated per row, as in Flink's streaming mode.
 */
import type { SqlType } from '../ast.ts'
import { datePattern, type DatePattern } from '../expr/date-pattern.ts'
import {
  civilFromDays,
  daysFromCivil,
  daysInMonth,
  floorDiv,
  instantToWall,
  MS_PER_DAY,
  parseDate,
  parseTimestamp,
  wallToInstant,
  zone,
  formatTimestamp,
} from '../expr/temporal.ts'
import { anyNullable, timestampType } from '../expr/typing.ts'
import { isNumeric, isString } from '../types/index.ts'
import {
  constantArgument,
  returns,
  type FunctionCall,
  type FunctionTable,
  type Impl,
  type ScalarFunction,
} from './registry.ts'

const UNIT_MS: Record<string, number> = {
  MILLISECOND: 1,
  SECOND: 1000,
  MINUTE: 60_000,
  HOUR: 3_600_000,
  DAY: MS_PER_DAY,
  WEEK: 7 * MS_PER_DAY,
}
const UNIT_MONTHS: Record<string, number> = { MONTH: 1, QUARTER: 3, YEAR: 12 }
const DEFAULT_FORMAT = 'yyyy-MM-dd HH:mm:ss'
/** Java's Long.MIN_VALUE, exact as a double. */
const LONG_MIN_VALUE = -(2 ** 63)

/** The time-unit keyword of argument `index` (`TIMESTAMPDIFF(MINUTE, ...)`, `FLOOR(t TO DAY)`). */
function unitArgument(call: FunctionCall, index: number): string {
  const unit = constantArgument(call, index, 'time unit')
  if (typeof unit !== 'string')
    return call.invalid(`${call.name} expects a time unit as argument ${index + 1}`)
  const upper = unit.toUpperCase()
  const known = upper in UNIT_MS || upper in UNIT_MONTHS
  return known ? upper : call.invalid(`unsupported time unit ${unit} in ${call.name}`)
}

/** Reads a temporal value as wall-clock ms (TIMESTAMP_LTZ in the session zone, DATE at midnight). */
function toWall(type: SqlType, zoneName: string): (value: number) => number {
  if (type.kind === 'DATE') return (days) => days * MS_PER_DAY
  if (type.kind === 'TIMESTAMP_LTZ') return (instant) => instantToWall(instant, zoneName)
  return (value) => value
}

function fromWall(type: SqlType, zoneName: string): (wall: number) => number {
  if (type.kind === 'DATE') return (wall) => floorDiv(wall, MS_PER_DAY)
  if (type.kind === 'TIMESTAMP_LTZ') return (wall) => wallToInstant(wall, zoneName)
  return (wall) => wall
}

function addMonths(wall: number, months: number): number {
  const days = floorDiv(wall, MS_PER_DAY)
  const { year, month, day } = civilFromDays(days)
  const index = year * 12 + (month - 1) + months
  const y = Math.floor(index / 12)
  const m = index - y * 12 + 1
  return daysFromCivil(y, m, Math.min(day, daysInMonth(y, m))) * MS_PER_DAY + (wall - days * MS_PER_DAY)
}

/** Whole months from `a` to `b`, truncated toward zero (Calcite's subtractMonths). */
function monthsBetween(a: number, b: number): number {
  const start = civilFromDays(floorDiv(a, MS_PER_DAY))
  const end = civilFromDays(floorDiv(b, MS_PER_DAY))
  let months = end.year * 12 + end.month - (start.year * 12 + start.month)
  const restA = a - daysFromCivil(start.year, start.month, 1) * MS_PER_DAY
  const restB = b - daysFromCivil(end.year, end.month, 1) * MS_PER_DAY
  if (months > 0 && restB < restA) months--
  if (months < 0 && restB > restA) months++
  return months
}

function floorWall(wall: number, unit: string): number {
  const ms = UNIT_MS[unit]
  if (ms !== undefined && unit !== 'WEEK') return floorDiv(wall, ms) * ms
  const { year, month } = civilFromDays(floorDiv(wall, MS_PER_DAY))
  const first = unit === 'YEAR' ? 1 : unit === 'QUARTER' ? month - ((month - 1) % 3) : month
  return daysFromCivil(year, first, 1) * MS_PER_DAY
}

function ceilWall(wall: number, unit: string): number {
  const floor = floorWall(wall, unit)
  if (floor === wall) return wall
  const ms = UNIT_MS[unit]
  return ms !== undefined ? floor + ms : addMonths(floor, UNIT_MONTHS[unit]!)
}

function rounder(round: (wall: number, unit: string) => number): (call: FunctionCall) => Impl {
  return (call) => {
    const type = call.types[0] as SqlType
    if (type.kind !== 'DATE' && type.kind !== 'TIMESTAMP' && type.kind !== 'TIMESTAMP_LTZ') {
      call.invalid(`${call.name}(x TO unit) takes a DATE, TIMESTAMP or TIMESTAMP_LTZ`)
    }
    const unit = unitArgument(call, 1)
    if (unit === 'WEEK') call.invalid(`${call.name} to WEEK is not supported`)
    const read = toWall(type, call.context.localTimeZone)
    const write = fromWall(type, call.context.localTimeZone)
    return (value: number) => write(round(read(value), unit))
  }
}

/** FLOOR(t TO unit), used by FLOOR when its second argument is a unit. */
export const temporalFloor = rounder(floorWall)
export const temporalCeil = rounder(ceilWall)

// -- Calendar fields ---------------------------------------------------------------------------

type Field = (wall: number) => number

function civilOf(wall: number): ReturnType<typeof civilFromDays> {
  return civilFromDays(floorDiv(wall, MS_PER_DAY))
}

function isoWeek(wall: number): number {
  const days = floorDiv(wall, MS_PER_DAY)
  const dayOfWeek = ((((days + 3) % 7) + 7) % 7) + 1
  const thursday = days - dayOfWeek + 4
  const { year } = civilFromDays(thursday)
  return Math.floor((thursday - daysFromCivil(year, 1, 1)) / 7) + 1
}

const FIELDS: Record<string, Field> = {
  YEAR: (w) => civilOf(w).year,
  QUARTER: (w) => Math.floor((civilOf(w).month - 1) / 3) + 1,
  MONTH: (w) => civilOf(w).month,
  WEEK: isoWeek,
  DAY: (w) => civilOf(w).day,
  DOY: (w) => {
    const days = floorDiv(w, MS_PER_DAY)
    return days - daysFromCivil(civilFromDays(days).year, 1, 1) + 1
  },
  // Sunday = 1 ... Saturday = 7, as Calcite.
  DOW: (w) => ((((floorDiv(w, MS_PER_DAY) + 4) % 7) + 7) % 7) + 1,
  ISODOW: (w) => ((((floorDiv(w, MS_PER_DAY) + 3) % 7) + 7) % 7) + 1,
  HOUR: (w) => Math.floor((w - floorDiv(w, MS_PER_DAY) * MS_PER_DAY) / 3_600_000),
  MINUTE: (w) => Math.floor((w - floorDiv(w, 60 * 60_000) * 3_600_000) / 60_000),
  SECOND: (w) => Math.floor((w - floorDiv(w, 60_000) * 60_000) / 1000),
  // Within the second, as Flink 2.2 gives them (EXTRACT(MILLISECOND FROM '... 00:01:12.345') is
  // 345), not Calcite's seconds-and-milliseconds (72345).
  MILLISECOND: (w) => w - floorDiv(w, 1000) * 1000,
  MICROSECOND: (w) => (w - floorDiv(w, 1000) * 1000) * 1000,
  EPOCH: (w) => floorDiv(w, 1000),
  DECADE: (w) => Math.floor(civilOf(w).year / 10),
  CENTURY: (w) => Math.ceil(civilOf(w).year / 100),
  MILLENNIUM: (w) => Math.ceil(civilOf(w).year / 1000),
}
FIELDS['DAYOFMONTH'] = FIELDS['DAY']!
FIELDS['DAYOFYEAR'] = FIELDS['DOY']!
FIELDS['DAYOFWEEK'] = FIELDS['DOW']!

function fieldFunction(field: Field, timeToo: boolean): ScalarFunction {
  return {
    params: ['temporal'],
    returns: returns('BIGINT'),
    strict: (call) => {
      const type = call.types[0] as SqlType
      if (type.kind === 'TIME' && !timeToo) call.invalid(`${call.name} does not take a TIME`)
      const read = toWall(type, call.context.localTimeZone)
      return (value: number) => field(read(value))
    },
  }
}

// -- Parsing and formatting --------------------------------------------------------------------

/** A compiled pattern for a constant format argument, or per row (cached) otherwise. */
function patternOf(call: FunctionCall, index: number): (format: string) => DatePattern | null {
  const constant = call.constants[index]
  if (typeof constant === 'string') {
    let compiled: DatePattern
    try {
      compiled = datePattern(constant)
    } catch (error) {
      return call.invalid((error as Error).message)
    }
    return () => compiled
  }
  return (format) => {
    try {
      return datePattern(format)
    } catch {
      return null
    }
  }
}

function checkZone(call: FunctionCall, index: number): void {
  const name = call.constants[index]
  if (typeof name !== 'string') return
  try {
    zone(name)
  } catch {
    call.invalid(`unknown time zone '${name}'`)
  }
}

function formatWall(pattern: DatePattern, wall: number, zoneName: string): string {
  const offset = pattern.needsOffset ? zone(zoneName).offsetMs(wallToInstant(wall, zoneName)) : 0
  return pattern.format(wall, offset)
}

function ltz(nullable: boolean): SqlType {
  return timestampType('TIMESTAMP_LTZ', 3, nullable)
}

const NOW: ScalarFunction = {
  params: [],
  returns: () => ltz(false),
  nondeterministic: true,
  strict: () => () => Date.now(),
}

export const TEMPORAL_FUNCTIONS: FunctionTable = {
  CURRENT_TIMESTAMP: NOW,
  NOW,
  CURRENT_ROW_TIMESTAMP: NOW,
  LOCALTIMESTAMP: {
    params: [],
    returns: () => timestampType('TIMESTAMP', 3, false),
    nondeterministic: true,
    strict: (call) => () => instantToWall(Date.now(), call.context.localTimeZone),
  },
  CURRENT_DATE: {
    params: [],
    returns: () => ({ kind: 'DATE', nullable: false }),
    nondeterministic: true,
    strict: (call) => () => floorDiv(instantToWall(Date.now(), call.context.localTimeZone), MS_PER_DAY),
  },
  CURRENT_TIME: {
    params: [],
    returns: () => ({ kind: 'TIME', precision: 0, nullable: false }),
    nondeterministic: true,
    strict: (call) => () => {
      const wall = instantToWall(Date.now(), call.context.localTimeZone)
      return Math.floor((wall - floorDiv(wall, MS_PER_DAY) * MS_PER_DAY) / 1000) * 1000
    },
  },
  UNIX_TIMESTAMP: {
    params: [],
    optional: ['string', 'string'],
    returns: (call) => ({ kind: 'BIGINT', nullable: call.types.some((type) => type.nullable) }),
    nondeterministic: true,
    strict: (call) => {
      const zoneName = call.context.localTimeZone
      if (call.types.length === 0) return () => Math.floor(Date.now() / 1000)
      const pattern = patternOf(call, 1)
      // Flink answers Long.MIN_VALUE, not NULL, for text that does not parse.
      return (text: string, format = DEFAULT_FORMAT) => {
        const wall = pattern(format)?.parse(text)
        return wall === undefined ? LONG_MIN_VALUE : floorDiv(wallToInstant(wall, zoneName), 1000)
      }
    },
  },
  FROM_UNIXTIME: {
    params: ['numeric'],
    optional: ['string'],
    returns: returns('VARCHAR', true),
    strict: (call) => {
      const zoneName = call.context.localTimeZone
      const pattern = patternOf(call, 1)
      return (seconds: number, format = DEFAULT_FORMAT) => {
        const compiled = pattern(format)
        return compiled === null
          ? null
          : formatWall(compiled, instantToWall(Math.floor(seconds) * 1000, zoneName), zoneName)
      }
    },
  },
  DATE_FORMAT: {
    params: ['any', 'string'],
    returns: returns('VARCHAR', true),
    strict: (call) => {
      const type = call.types[0] as SqlType
      const zoneName = call.context.localTimeZone
      const pattern = patternOf(call, 1)
      if (isString(type)) {
        return (text: string, format: string) => {
          const wall = parseTimestamp(text)
          const compiled = pattern(format)
          return wall === undefined || compiled === null ? null : formatWall(compiled, wall, zoneName)
        }
      }
      if (
        type.kind !== 'TIMESTAMP' &&
        type.kind !== 'TIMESTAMP_LTZ' &&
        type.kind !== 'DATE' &&
        type.kind !== 'NULL'
      ) {
        call.invalid('DATE_FORMAT takes a TIMESTAMP, TIMESTAMP_LTZ or STRING and a format')
      }
      const read = toWall(type, zoneName)
      return (value: number, format: string) => {
        const compiled = pattern(format)
        return compiled === null ? null : formatWall(compiled, read(value), zoneName)
      }
    },
  },
  TO_TIMESTAMP: {
    params: ['string'],
    optional: ['string'],
    returns: () => timestampType('TIMESTAMP', 3, true),
    strict: (call) => {
      if (call.types.length === 1) return (text: string) => parseTimestamp(text) ?? null
      const pattern = patternOf(call, 1)
      return (text: string, format: string) => pattern(format)?.parse(text) ?? null
    },
  },
  TO_DATE: {
    params: ['string'],
    optional: ['string'],
    returns: () => ({ kind: 'DATE', nullable: true }),
    strict: (call) => {
      if (call.types.length === 1) return (text: string) => parseDate(text) ?? null
      const pattern = patternOf(call, 1)
      return (text: string, format: string) => {
        const wall = pattern(format)?.parse(text)
        return wall === undefined ? null : floorDiv(wall, MS_PER_DAY)
      }
    },
  },
  TO_TIMESTAMP_LTZ: {
    params: ['any'],
    optional: ['any', 'string'],
    returns: (call) => {
      const first = call.types[0] as SqlType
      if (isNumeric(first)) {
        if (call.types.length === 3 || (call.types.length === 2 && !isNumeric(call.types[1]!))) {
          call.invalid('TO_TIMESTAMP_LTZ(numeric, precision) takes an integer precision of 0 or 3')
        }
        return ltz(anyNullable(call.types))
      }
      if (!isString(first) && first.kind !== 'NULL')
        call.invalid('TO_TIMESTAMP_LTZ takes a number or a string')
      if (call.types.length > 1 && !isString(call.types[1]!))
        call.invalid('the format of TO_TIMESTAMP_LTZ is a string')
      checkZone(call, 2)
      return ltz(true)
    },
    strict: (call) => {
      const zoneName = call.context.localTimeZone
      if (isNumeric(call.types[0]!)) {
        const precision = call.types.length === 2 ? constantArgument(call, 1, 'precision') : 3
        if (precision !== 0 && precision !== 3 && precision !== null) {
          call.invalid(`the precision of TO_TIMESTAMP_LTZ must be 0 or 3, not ${String(precision)}`)
        }
        return precision === 0
          ? (seconds: number) => Math.trunc(seconds * 1000)
          : (ms: number) => Math.trunc(ms)
      }
      const pattern = patternOf(call, 1)
      return (text: string, format = 'yyyy-MM-dd HH:mm:ss.SSS', zoneText = zoneName) => {
        const wall = call.types.length === 1 ? parseTimestamp(text) : pattern(format)?.parse(text)
        if (wall === undefined) return null
        try {
          return wallToInstant(wall, zoneText)
        } catch {
          return null
        }
      }
    },
  },
  CONVERT_TZ: {
    params: ['string', 'string', 'string'],
    returns: returns('VARCHAR', true),
    strict: (call) => {
      checkZone(call, 1)
      checkZone(call, 2)
      return (text: string, from: string, to: string) => {
        const wall = parseTimestamp(text)
        return wall === undefined ? null : formatTimestamp(instantToWall(wallToInstant(wall, from), to), 0)
      }
    },
  },
  TIMESTAMPDIFF: {
    params: ['string', 'temporal', 'temporal'],
    returns: (call) => ({ kind: 'INT', nullable: call.types[1]!.nullable || call.types[2]!.nullable }),
    strict: (call) => {
      const unit = unitArgument(call, 0)
      const [, a, b] = call.types as [SqlType, SqlType, SqlType]
      const zoneName = call.context.localTimeZone
      const months = UNIT_MONTHS[unit]
      const bothInstants = a.kind === 'TIMESTAMP_LTZ' && b.kind === 'TIMESTAMP_LTZ'
      const readA = bothInstants && months === undefined ? (v: number) => v : toWall(a, zoneName)
      const readB = bothInstants && months === undefined ? (v: number) => v : toWall(b, zoneName)
      if (months !== undefined) {
        return (_unit: string, x: number, y: number) =>
          Math.trunc(monthsBetween(readA(x), readB(y)) / months) | 0
      }
      // Flink 2.2 counts MILLISECOND in whole seconds (1.2 s apart is 1000, 0.8 s is 0).
      if (unit === 'MILLISECOND') {
        return (_unit: string, x: number, y: number) => (Math.trunc((readB(y) - readA(x)) / 1000) * 1000) | 0
      }
      const ms = UNIT_MS[unit]!
      return (_unit: string, x: number, y: number) => Math.trunc((readB(y) - readA(x)) / ms) | 0
    },
  },
  TIMESTAMPADD: {
    params: ['string', 'integer', 'temporal'],
    returns: (call) => {
      const type = call.types[2] as SqlType
      const unit = unitArgument(call, 0)
      const nullable = call.types[1]!.nullable || type.nullable
      if (type.kind === 'DATE' && unit !== 'DAY' && unit !== 'WEEK' && !(unit in UNIT_MONTHS)) {
        return timestampType('TIMESTAMP', 3, nullable)
      }
      return { ...type, nullable } as SqlType
    },
    strict: (call, result) => {
      const unit = unitArgument(call, 0)
      const type = call.types[2] as SqlType
      const zoneName = call.context.localTimeZone
      const read = toWall(type, zoneName)
      const write = fromWall(result, zoneName)
      const months = UNIT_MONTHS[unit]
      const ms = UNIT_MS[unit]!
      if (type.kind === 'TIMESTAMP_LTZ' && months === undefined)
        return (_u: string, n: number, t: number) => t + n * ms
      if (months !== undefined)
        return (_u: string, n: number, t: number) => write(addMonths(read(t), n * months))
      return (_u: string, n: number, t: number) => write(read(t) + n * ms)
    },
  },
  EXTRACT: {
    params: ['string', 'temporal'],
    returns: (call) => ({ kind: 'BIGINT', nullable: call.types[1]!.nullable }),
    strict: (call) => {
      const unit = constantArgument(call, 0, 'time unit')
      const field = typeof unit === 'string' ? FIELDS[unit.toUpperCase()] : undefined
      if (field === undefined) return call.invalid(`unsupported EXTRACT unit ${String(unit)}`)
      const read = toWall(call.types[1]!, call.context.localTimeZone)
      return (_unit: string, value: number) => field(read(value))
    },
  },
  YEAR: fieldFunction(FIELDS['YEAR']!, false),
  QUARTER: fieldFunction(FIELDS['QUARTER']!, false),
  MONTH: fieldFunction(FIELDS['MONTH']!, false),
  WEEK: fieldFunction(FIELDS['WEEK']!, false),
  DAYOFYEAR: fieldFunction(FIELDS['DOY']!, false),
  DAYOFMONTH: fieldFunction(FIELDS['DAY']!, false),
  DAYOFWEEK: fieldFunction(FIELDS['DOW']!, false),
  HOUR: fieldFunction(FIELDS['HOUR']!, true),
  MINUTE: fieldFunction(FIELDS['MINUTE']!, true),
  SECOND: fieldFunction(FIELDS['SECOND']!, true),
}
