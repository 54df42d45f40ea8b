/**
 * SQL types at compile time: constructors, families, and the result-type rules of arithmetic and
 * of comparisons. Flink's type names, nullability and the least common type (CASE, COALESCE,
 * UNION) are the ones in `../types/`.
 *
 * DECIMAL rules follow Flink's LogicalTypeMerging: `+`/`-` keep max(s1, s2) digits of scale and one
 * more integer digit, `*` adds precisions and scales, `/` keeps max(6, s1 + p2 + 1) digits of
 * scale; beyond precision 38 the scale is cut down to no less than min(s, 6).
 */
import type { SqlType } from '../ast.ts'
import {
  INTEGER_DIGITS,
  isBinary,
  isInteger,
  isNumeric,
  isString,
  leastRestrictive,
  MAX_DECIMAL_PRECISION,
  withNullable,
  type IntegerKind,
} from '../types/index.ts'

export type { IntegerKind } from '../types/index.ts'

const INTEGER_RANK: Record<IntegerKind, number> = { TINYINT: 1, SMALLINT: 2, INT: 3, BIGINT: 4 }

export function simple(
  kind: 'BOOLEAN' | IntegerKind | 'FLOAT' | 'DOUBLE' | 'DATE',
  nullable: boolean,
): SqlType {
  return { kind, nullable }
}

export function stringType(nullable: boolean): SqlType {
  return { kind: 'VARCHAR', nullable }
}

export function decimalType(precision: number, scale: number, nullable: boolean): SqlType {
  return { kind: 'DECIMAL', precision, scale, nullable }
}

export function timestampType(
  kind: 'TIMESTAMP' | 'TIMESTAMP_LTZ',
  precision: number,
  nullable: boolean,
): SqlType {
  return { kind, precision, nullable }
}

export function anyNullable(types: readonly SqlType[]): boolean {
  return types.some((type) => type.nullable)
}

/** Precision and scale of a type seen as DECIMAL (integers as DECIMAL(digits, 0)). */
function asDecimal(type: SqlType): { precision: number; scale: number } {
  if (type.kind === 'DECIMAL') return { precision: type.precision, scale: type.scale }
  if (isInteger(type)) return { precision: INTEGER_DIGITS[type.kind], scale: 0 }
  return { precision: MAX_DECIMAL_PRECISION, scale: 0 }
}

/** Flink's `adjustPrecisionScale`: keep precision <= 38, giving up scale first, down to min(s, 6). */
export function boundedDecimal(precision: number, scale: number, nullable: boolean): SqlType {
  if (precision <= MAX_DECIMAL_PRECISION) return decimalType(precision, scale, nullable)
  const integerDigits = precision - scale
  const minScale = Math.min(scale, 6)
  return decimalType(
    MAX_DECIMAL_PRECISION,
    Math.max(MAX_DECIMAL_PRECISION - integerDigits, minScale),
    nullable,
  )
}

export type ArithmeticOperator = '+' | '-' | '*' | '/' | '%'

/**
 * The result type of `a op b` on numeric operands, or undefined when one is not numeric. Integers
 * keep the wider integer type (INT / INT is INT); FLOAT or DOUBLE win over exact types (DOUBLE when
 * either is DOUBLE or the other is DECIMAL); `%` has the type of its right operand (Calcite's MOD).
 */
export function arithmeticType(op: ArithmeticOperator, a: SqlType, b: SqlType): SqlType | undefined {
  const nullable = a.nullable || b.nullable
  if (!isNumeric(a) || !isNumeric(b)) return undefined
  if (op === '%' && isInteger(a) && isInteger(b)) return withNullable(b, nullable)
  if (isInteger(a) && isInteger(b)) {
    return INTEGER_RANK[a.kind] >= INTEGER_RANK[b.kind]
      ? withNullable(a, nullable)
      : withNullable(b, nullable)
  }
  if (a.kind === 'DOUBLE' || b.kind === 'DOUBLE') return simple('DOUBLE', nullable)
  if (a.kind === 'FLOAT' || b.kind === 'FLOAT') {
    return a.kind === 'DECIMAL' || b.kind === 'DECIMAL'
      ? simple('DOUBLE', nullable)
      : simple('FLOAT', nullable)
  }
  const x = asDecimal(a)
  const y = asDecimal(b)
  switch (op) {
    case '+':
    case '-': {
      const scale = Math.max(x.scale, y.scale)
      const precision = Math.max(x.precision - x.scale, y.precision - y.scale) + scale + 1
      return boundedDecimal(precision, scale, nullable)
    }
    case '*':
      return boundedDecimal(x.precision + y.precision, x.scale + y.scale, nullable)
    case '/': {
      const scale = Math.max(6, x.scale + y.precision + 1)
      return boundedDecimal(x.precision - x.scale + y.scale + scale, scale, nullable)
    }
    case '%': {
      const scale = Math.max(x.scale, y.scale)
      const precision = Math.min(x.precision - x.scale, y.precision - y.scale) + scale
      return boundedDecimal(precision, scale, nullable)
    }
  }
}

/** DATE, TIMESTAMP and TIMESTAMP_LTZ compare in the later of the two: Flink casts implicitly that way. */
const TIME_RANK: Partial<Record<SqlType['kind'], number>> = { DATE: 1, TIMESTAMP: 2, TIMESTAMP_LTZ: 3 }

/** Whether two types may be compared (`=`, `<`, IN, BETWEEN), as Flink's validator allows. */
export function comparable(a: SqlType, b: SqlType): boolean {
  if (a.kind === 'NULL' || b.kind === 'NULL') return true
  if (isNumeric(a) && isNumeric(b)) return true
  if (isString(a) && isString(b)) return true
  if (isBinary(a) && isBinary(b)) return true
  if (TIME_RANK[a.kind] !== undefined && TIME_RANK[b.kind] !== undefined) return true
  if (a.kind === 'ARRAY' && b.kind === 'ARRAY') return comparable(a.element, b.element)
  if (a.kind === 'MAP' && b.kind === 'MAP') return comparable(a.key, b.key) && comparable(a.value, b.value)
  return a.kind === b.kind
}

/**
 * The type two or more operands are compared in (`=`, `<`, BETWEEN, IN, simple CASE, NULLIF), or
 * undefined when there is none: their least common type (`leastCommonType`), except that DATE,
 * TIMESTAMP and TIMESTAMP_LTZ of different kinds meet in the later kind of the three, so that a
 * DATE compares with a TIMESTAMP as a TIMESTAMP (midnight) and a TIMESTAMP with a TIMESTAMP_LTZ as
 * an instant, where UNION ALL and CASE results find no common type or take the first one's kind.
 */
export function comparisonType(types: readonly SqlType[]): SqlType | undefined {
  let result: SqlType | undefined = types[0]
  for (const type of types.slice(1)) {
    if (result === undefined) return undefined
    result = laterInTime(result, type) ?? leastRestrictive(result, type)
  }
  return result
}

function laterInTime(a: SqlType, b: SqlType): SqlType | undefined {
  const ra = TIME_RANK[a.kind]
  const rb = TIME_RANK[b.kind]
  if (ra === undefined || rb === undefined || ra === rb) return undefined
  const kind = (ra > rb ? a.kind : b.kind) as 'TIMESTAMP' | 'TIMESTAMP_LTZ'
  const precision = Math.max('precision' in a ? a.precision : 0, 'precision' in b ? b.precision : 0)
  return timestampType(kind, precision, a.nullable || b.nullable)
}

/** Whether values of the type have an order (`<`, MIN, GREATEST), not only equality. */
export function orderable(type: SqlType): boolean {
  return type.kind !== 'ARRAY' && type.kind !== 'MAP' && type.kind !== 'ROW' && type.kind !== 'MULTISET'
}
