/**
 * The rows of a `datagen` table, as Flink 2.2's generators make them, on freshet's runtime values
 * (src/sql/expr/types.ts). Row `index` (from 0) of the table:
 *
 * - **sequence** columns (numbers, CHAR, VARCHAR): `start + index`, as text for CHAR and VARCHAR.
 *   The shortest sequence ends the table, as in Flink, whose source ends when a sequence is used up.
 * - **random** columns: integers uniform in `[min, max]` (the type's range by default; BIGINT
 *   within ±(2^53 - 1), the runtime's exact integers), FLOAT and DOUBLE uniform in `[min, max]`
 *   (Flink's defaults: the smallest positive to the largest value), DECIMAL(p, s) uniform and
 *   rounded to `s` digits (at most the largest value of `p` digits); CHAR, VARCHAR and STRING
 *   lowercase hexadecimal text of `length` characters (100 by default, at most the declared
 *   length; from 1 to `length` with `var-len`), BINARY, VARBINARY and BYTES `length` random bytes;
 *   BOOLEAN either; TIMESTAMP and TIMESTAMP_LTZ the current time less up to `max-past`; DATE and
 *   TIME the current date and time of day (UTC). Each is null with probability `null-rate`.
 * - `number-of-rows` bounds the table; without it and without a sequence it is unbounded.
 *
 * ARRAY, MAP, MULTISET and ROW columns are refused: compute them from scalar columns instead.
 */
import type { SqlType } from '../ast.ts'
import { sqlInvalid, sqlUnsupported } from '../errors.ts'
import { roundHalfUp } from '../expr/numeric.ts'
import { MS_PER_DAY } from '../expr/temporal.ts'
import { formatType } from '../types/index.ts'
import type { DatagenConnector, DatagenField, TableDefinition } from '../catalog/index.ts'

export interface DatagenRows {
  /** How many rows the table has; undefined when unbounded. */
  readonly rows: number | undefined
  /** Row `index` as an object of the physical columns' values. */
  row(index: number): Record<string, unknown>
}

type Generate = (index: number) => unknown

const INTEGER_RANGES: Record<string, readonly [number, number]> = {
  TINYINT: [-128, 127],
  SMALLINT: [-32_768, 32_767],
  INT: [-2_147_483_648, 2_147_483_647],
  BIGINT: [-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
}
const FLOAT_MIN = 1.401298464324817e-45
const FLOAT_MAX = 3.4028234663852886e38
/** Flink's VARCHAR without a length (STRING) is VARCHAR(2147483647). */
const MAX_LENGTH = 2_147_483_647

export function datagenRows(table: TableDefinition, connector: DatagenConnector, file: string): DatagenRows {
  const fail = (why: string): never => {
    throw sqlInvalid(file, table.at, `table "${table.name}": ${why}`)
  }
  const columns: Array<[string, Generate]> = []
  let rows = connector.numberOfRows
  for (const column of table.physicalColumns) {
    const field = connector.fields[column.name] as DatagenField
    const where = `column ${column.name} ${formatType(column.type)}`
    if (['ARRAY', 'MAP', 'MULTISET', 'ROW'].includes(column.type.kind)) {
      throw sqlUnsupported(
        file,
        table.at,
        `generating the ${where} with 'datagen'`,
        'generate its scalar parts and build it in a computed column (for example ARRAY[a, b])',
      )
    }
    if (field.kind === 'sequence') {
      const start = exactInteger(field.start, `'fields.${column.name}.start'`, fail)
      const end = exactInteger(field.end, `'fields.${column.name}.end'`, fail)
      if (start > end) fail(`the sequence of ${column.name} starts (${start}) after its end (${end})`)
      rows = Math.min(rows ?? Number.MAX_SAFE_INTEGER, end - start + 1)
      const text = column.type.kind === 'CHAR' || column.type.kind === 'VARCHAR'
      columns.push([column.name, text ? (i) => String(start + i) : (i) => start + i])
      continue
    }
    const value = randomValue(column.type, field, where, fail)
    const nullRate = field.nullRate
    columns.push([column.name, nullRate > 0 ? () => (Math.random() < nullRate ? null : value()) : value])
  }
  return {
    rows,
    row(index) {
      const row: Record<string, unknown> = {}
      for (const [name, generate] of columns) row[name] = generate(index)
      return row
    },
  }
}

function randomValue(
  type: SqlType,
  field: Extract<DatagenField, { kind: 'random' }>,
  where: string,
  fail: (why: string) => never,
): () => unknown {
  const bounds = (
    low: number,
    high: number,
    parse: (text: string, what: string) => number,
  ): [number, number] => {
    const min = field.min === undefined ? low : parse(field.min, 'min')
    const max = field.max === undefined ? high : parse(field.max, 'max')
    if (min > max) fail(`${where}: min (${min}) is greater than max (${max})`)
    return [min, max]
  }
  switch (type.kind) {
    case 'TINYINT':
    case 'SMALLINT':
    case 'INT':
    case 'BIGINT': {
      const [low, high] = INTEGER_RANGES[type.kind] as [number, number]
      const [min, max] = bounds(low, high, (text, what) => {
        const n = exactInteger(text, `${where}: ${what}`, fail)
        if (n < low || n > high) fail(`${where}: ${what} ${text} is out of the range ${low} to ${high}`)
        return n
      })
      return () => min + Math.floor(Math.random() * (max - min + 1))
    }
    case 'FLOAT':
    case 'DOUBLE': {
      const float = type.kind === 'FLOAT'
      const [min, max] = bounds(
        float ? FLOAT_MIN : Number.MIN_VALUE,
        float ? FLOAT_MAX : Number.MAX_VALUE,
        (t, w) => finite(t, `${where}: ${w}`, fail),
      )
      // min + r * (max - min) overflows for the full range; this form does not.
      const uniform = (): number => {
        const r = Math.random()
        return min * (1 - r) + max * r
      }
      return float ? () => Math.fround(uniform()) : uniform
    }
    case 'DECIMAL': {
      const largest = 10 ** (type.precision - type.scale) - 10 ** -type.scale
      const [min, max] = bounds(0, largest, (t, w) => finite(t, `${where}: ${w}`, fail))
      const low = Math.max(min, -largest)
      const high = Math.min(max, largest)
      return () => roundHalfUp(low + Math.random() * (high - low), type.scale)
    }
    case 'BOOLEAN':
      return () => Math.random() < 0.5
    case 'CHAR':
    case 'VARCHAR': {
      const declared = type.length ?? MAX_LENGTH
      const length = type.kind === 'CHAR' ? declared : Math.min(field.length ?? declared, declared)
      if (length < 1) fail(`${where}: 'length' must be positive`)
      return field.varLen ? () => hex(1 + Math.floor(Math.random() * length)) : () => hex(length)
    }
    case 'BINARY':
    case 'VARBINARY': {
      const declared = type.length ?? MAX_LENGTH
      const length = type.kind === 'BINARY' ? declared : Math.min(field.length ?? declared, declared)
      return field.varLen
        ? () => randomBytes(1 + Math.floor(Math.random() * length))
        : () => randomBytes(length)
    }
    case 'TIMESTAMP':
    case 'TIMESTAMP_LTZ': {
      // TIMESTAMP is the wall clock read in UTC; the session's zone only matters to the LTZ form.
      const pastMs = field.maxPastMs ?? 0
      return () => Date.now() - Math.floor(Math.random() * (pastMs + 1))
    }
    case 'DATE':
      return () => Math.floor(Date.now() / MS_PER_DAY)
    case 'TIME':
      return () => Date.now() % MS_PER_DAY
    default:
      return fail(`${where}: 'datagen' cannot generate this type`)
  }
}

function exactInteger(text: string, what: string, fail: (why: string) => never): number {
  const n = Number(text.trim())
  if (!Number.isSafeInteger(n)) fail(`${what} must be a whole number within ±(2^53 - 1), not '${text}'`)
  return n
}

function finite(text: string, what: string, fail: (why: string) => never): number {
  const n = Number(text.trim())
  if (text.trim() === '' || !Number.isFinite(n)) fail(`${what} must be a number, not '${text}'`)
  return n
}

const HEX = '0123456789abcdef'

function hex(length: number): string {
  let out = ''
  for (let i = 0; i < length; i++) out += HEX[Math.floor(Math.random() * 16)]
  return out
}

function randomBytes(length: number): Buffer {
  const out = Buffer.allocUnsafe(length)
  for (let i = 0; i < length; i++) out[i] = Math.floor(Math.random() * 256)
  return out
}
