/**
 * Flink's implicit casts (`LogicalTypeCasts.supportsImplicitCast`), which decide whether an INSERT
 * column of one type may go into a sink column of another, and the common type of two types.
 *
 * Checked against Flink 2.2 (an INSERT of `CAST(NULL AS source)` into a sink column of type
 * target): INT -> BIGINT, INT -> DECIMAL(5, 2), DECIMAL(20, 2) -> DECIMAL(5, 2), DECIMAL -> FLOAT,
 * STRING -> VARCHAR(3), CHAR(3) -> STRING, TIMESTAMP(3) <-> TIMESTAMP_LTZ(3), TIMESTAMP(6) ->
 * TIMESTAMP(3), TIMESTAMP -> DATE, TIMESTAMP -> TIME, BINARY(3) -> BYTES, ARRAY<INT> ->
 * ARRAY<BIGINT>, ROW<x INT> -> ROW<y BIGINT> are accepted; BIGINT -> INT, INT -> TINYINT,
 * DOUBLE -> FLOAT, STRING -> CHAR(3), INT -> STRING, STRING -> INT, DATE -> TIMESTAMP(3),
 * BYTES -> BINARY(3), BOOLEAN -> INT are refused with "Incompatible types for sink column".
 * A nullable value into a NOT NULL column is accepted when planning; Flink's sink then fails on
 * the first null (`table.exec.sink.not-null-enforcer` = ERROR).
 */
import type { SqlType } from '../ast.ts'
import { isApproximate, isBinary, isNumeric, isString, type IntegerKind } from './families.ts'
import { formatType, MAX_LENGTH, sameShape } from './format.ts'

type Kind = SqlType['kind']

const INTEGERS: readonly Kind[] = ['TINYINT', 'SMALLINT', 'INT', 'BIGINT']
const NUMERIC: readonly Kind[] = [...INTEGERS, 'DECIMAL', 'FLOAT', 'DOUBLE']

/** For each target kind, the source kinds that cast to it implicitly (besides itself). */
const IMPLICIT: Readonly<Partial<Record<Kind, readonly Kind[]>>> = {
  VARCHAR: ['CHAR'],
  VARBINARY: ['BINARY'],
  SMALLINT: ['TINYINT'],
  INT: ['TINYINT', 'SMALLINT'],
  BIGINT: ['TINYINT', 'SMALLINT', 'INT'],
  DECIMAL: NUMERIC,
  FLOAT: [...INTEGERS, 'DECIMAL'],
  DOUBLE: NUMERIC,
  DATE: ['TIMESTAMP'],
  TIME: ['TIMESTAMP'],
  TIMESTAMP: ['TIMESTAMP_LTZ'],
  TIMESTAMP_LTZ: ['TIMESTAMP'],
}

const CONSTRUCTED: readonly Kind[] = ['ARRAY', 'MULTISET', 'MAP', 'ROW']

/** Whether a value of `source` converts to `target` without an explicit CAST, nullability aside. */
export const isAssignable = (source: SqlType, target: SqlType): boolean =>
  supportsImplicitCast(source, target)

/** See `isAssignable`: Flink's name. */
export function supportsImplicitCast(source: SqlType, target: SqlType): boolean {
  if (source.kind === 'NULL') return true
  if (CONSTRUCTED.includes(source.kind) || CONSTRUCTED.includes(target.kind)) {
    if (source.kind !== target.kind) return false
    const a = children(source)
    const b = children(target)
    return a.length === b.length && a.every((child, i) => supportsImplicitCast(child, b[i]!))
  }
  if (source.kind === target.kind) {
    if (source.kind === 'INTERVAL' && target.kind === 'INTERVAL') return source.unit === target.unit
    // CHAR(n) and BINARY(n) take only their own kind; lengths and precisions may differ.
    return true
  }
  return (IMPLICIT[target.kind] ?? []).includes(source.kind)
}

const CHARACTER: readonly Kind[] = ['CHAR', 'VARCHAR']
const BINARY: readonly Kind[] = ['BINARY', 'VARBINARY']
const DATETIME: readonly Kind[] = ['DATE', 'TIME', 'TIMESTAMP', 'TIMESTAMP_LTZ']
const PREDEFINED: readonly Kind[] = [...NUMERIC, ...CHARACTER, ...BINARY, ...DATETIME, 'BOOLEAN', 'INTERVAL']

/**
 * Whether `CAST(source AS target)` is valid (Flink's explicit casts, coarsely: every predefined
 * type to and from strings, numbers among themselves and from BOOLEAN, date-time types among
 * themselves and from numbers, constructed types child by child).
 */
export function supportsExplicitCast(source: SqlType, target: SqlType): boolean {
  if (supportsImplicitCast(source, target)) return true
  if (CONSTRUCTED.includes(source.kind) || CONSTRUCTED.includes(target.kind)) {
    if (source.kind !== target.kind) return false
    const a = children(source)
    const b = children(target)
    return a.length === b.length && a.every((child, i) => supportsExplicitCast(child, b[i]!))
  }
  if (CHARACTER.includes(target.kind))
    return PREDEFINED.includes(source.kind) && !BINARY.includes(source.kind)
  if (CHARACTER.includes(source.kind))
    return PREDEFINED.includes(target.kind) && !BINARY.includes(target.kind)
  if (BINARY.includes(target.kind)) return BINARY.includes(source.kind)
  if (NUMERIC.includes(target.kind))
    return NUMERIC.includes(source.kind) || source.kind === 'BOOLEAN' || source.kind === 'INTERVAL'
  if (target.kind === 'BOOLEAN') return NUMERIC.includes(source.kind)
  if (DATETIME.includes(target.kind)) return DATETIME.includes(source.kind) || INTEGERS.includes(source.kind)
  return false
}

function children(t: SqlType): readonly SqlType[] {
  switch (t.kind) {
    case 'ARRAY':
    case 'MULTISET':
      return [t.element]
    case 'MAP':
      return [t.key, t.value]
    case 'ROW':
      return t.fields.map((f) => f.type)
    default:
      return []
  }
}

export interface InsertCompatibility {
  /** Flink plans the INSERT of this column. */
  readonly compatible: boolean
  /** The value is converted (widened) on its way into the sink column. */
  readonly implicitCast: boolean
  /**
   * A nullable value goes into a NOT NULL column: Flink accepts the statement and its sink fails
   * on the first null (`table.exec.sink.not-null-enforcer` = ERROR, the default).
   */
  readonly notNullEnforced: boolean
  /** Why not, as Flink words it for one column. */
  readonly reason?: string | undefined
}

/**
 * Whether Flink accepts an INSERT of a query column of type `queryType` into a sink column of type
 * `sinkType`. `column` and `position` (0-based) only shape the reason.
 */
export function checkInsertCompatible(
  queryType: SqlType,
  sinkType: SqlType,
  column = '',
  position = 0,
): InsertCompatibility {
  const notNullEnforced = queryType.nullable && !sinkType.nullable
  if (!supportsImplicitCast(queryType, sinkType)) {
    return {
      compatible: false,
      implicitCast: false,
      notNullEnforced: false,
      reason: `Incompatible types for sink column '${column}' at position ${position}: ${formatType(queryType)} cannot go into ${formatType(sinkType)}`,
    }
  }
  return { compatible: true, implicitCast: !sameShape(queryType, sinkType), notNullEnforced }
}

// -- Common type -------------------------------------------------------------------------------

const NUMERIC_ORDER: readonly Kind[] = ['TINYINT', 'SMALLINT', 'INT', 'BIGINT', 'DECIMAL', 'FLOAT', 'DOUBLE']

/** The DECIMAL precision an integer type converts to without loss. */
export const INTEGER_DIGITS: Readonly<Record<IntegerKind, number>> = {
  TINYINT: 3,
  SMALLINT: 5,
  INT: 10,
  BIGINT: 19,
}

/** Flink's largest DECIMAL precision. */
export const MAX_DECIMAL_PRECISION = 38

/**
 * The common type of `a` and `b` (the column type of `UNION ALL`), nullable when either is, or
 * undefined when there is none, as Flink 2.2 (Calcite's `leastRestrictive`) gives it. Measured on
 * Flink 2.2 with `SELECT CAST(NULL AS a) UNION ALL SELECT CAST(NULL AS b)`, quirks included:
 * - integers widen (TINYINT < SMALLINT < INT < BIGINT); with a DECIMAL, enough digits on both
 *   sides of the point, at most 38, losing scale first (DECIMAL(38, 0) and DECIMAL(38, 10) give
 *   DECIMAL(38, 0)); with FLOAT or DOUBLE, the approximate type, but FLOAT and DECIMAL give
 *   DOUBLE, and FLOAT and DOUBLE give the first of the two;
 * - CHAR(n) and CHAR(n) stay CHAR(n); other strings give VARCHAR of the longer length (STRING
 *   when either is); binaries likewise;
 * - TIMESTAMP(p) and TIMESTAMP_LTZ(q): the larger precision, the kind of the one with the smaller
 *   precision (of the first when equal); TIME(p) and TIME(q) with p != q give TIME(0);
 * - ARRAY, MAP, ROW: child by child (a ROW keeps the first one's field names).
 */
export function leastRestrictive(a: SqlType, b: SqlType): SqlType | undefined {
  const nullable = a.nullable || b.nullable
  if (a.kind === 'NULL') return b.kind === 'NULL' ? a : ({ ...b, nullable: true } as SqlType)
  if (b.kind === 'NULL') return { ...a, nullable: true } as SqlType
  if (isNumeric(a) && isNumeric(b)) return commonNumber(a, b, nullable)
  if (isString(a) && isString(b)) {
    const la = a.length ?? MAX_LENGTH
    const lb = b.length ?? MAX_LENGTH
    if (a.kind === 'CHAR' && b.kind === 'CHAR' && la === lb) return { kind: 'CHAR', length: la, nullable }
    const length = Math.max(la, lb)
    return length === MAX_LENGTH ? { kind: 'VARCHAR', nullable } : { kind: 'VARCHAR', length, nullable }
  }
  if (isBinary(a) && isBinary(b)) {
    const length = Math.max(a.length ?? MAX_LENGTH, b.length ?? MAX_LENGTH)
    if (a.kind === 'BINARY' && b.kind === 'BINARY' && a.length === b.length) return { ...a, nullable }
    return length === MAX_LENGTH ? { kind: 'VARBINARY', nullable } : { kind: 'VARBINARY', length, nullable }
  }
  if (
    (a.kind === 'TIMESTAMP' || a.kind === 'TIMESTAMP_LTZ') &&
    (b.kind === 'TIMESTAMP' || b.kind === 'TIMESTAMP_LTZ')
  ) {
    const kind = b.precision < a.precision ? b.kind : a.kind
    return { kind, precision: Math.max(a.precision, b.precision), nullable }
  }
  if (a.kind === 'TIME' && b.kind === 'TIME') {
    return { kind: 'TIME', precision: a.precision === b.precision ? a.precision : 0, nullable }
  }
  if (a.kind === 'ARRAY' && b.kind === 'ARRAY') {
    const element = leastRestrictive(a.element, b.element)
    return element === undefined ? undefined : { kind: 'ARRAY', element, nullable }
  }
  if (a.kind === 'MAP' && b.kind === 'MAP') {
    const key = leastRestrictive(a.key, b.key)
    const value = leastRestrictive(a.value, b.value)
    return key === undefined || value === undefined ? undefined : { kind: 'MAP', key, value, nullable }
  }
  if (a.kind === 'ROW' && b.kind === 'ROW') {
    if (a.fields.length !== b.fields.length) return undefined
    const fields = []
    for (let i = 0; i < a.fields.length; i++) {
      const type = leastRestrictive(a.fields[i]!.type, b.fields[i]!.type)
      if (type === undefined) return undefined
      fields.push({ name: a.fields[i]!.name, type })
    }
    return { kind: 'ROW', fields, nullable }
  }
  if (a.kind === b.kind && sameShape(a, b)) return { ...a, nullable } as SqlType
  return undefined
}

/**
 * The common type of several types (CASE and IF branches, COALESCE, GREATEST, UNION ALL columns):
 * `leastRestrictive` of them in order, or undefined when two have none. NULL literals take the
 * type of the others and make it nullable; NULLs alone stay NULL.
 */
export function leastCommonType(types: readonly SqlType[]): SqlType | undefined {
  let result: SqlType | undefined = types[0]
  for (const type of types.slice(1)) {
    if (result === undefined) return undefined
    result = leastRestrictive(result, type)
  }
  return result
}

function commonNumber(a: SqlType, b: SqlType, nullable: boolean): SqlType {
  if (isApproximate(a) && isApproximate(b)) return { kind: a.kind, nullable } as SqlType
  if (isApproximate(a) || isApproximate(b)) {
    const [float, other] = isApproximate(a) ? [a, b] : [b, a]
    const kind = float.kind === 'FLOAT' && other.kind === 'DECIMAL' ? 'DOUBLE' : float.kind
    return { kind, nullable } as SqlType
  }
  const rank = Math.max(NUMERIC_ORDER.indexOf(a.kind), NUMERIC_ORDER.indexOf(b.kind))
  const kind = NUMERIC_ORDER[rank]!
  if (kind !== 'DECIMAL') return { kind, nullable } as SqlType
  // DECIMAL with an integer, or two DECIMALs: enough digits on both sides of the point.
  const digits = (t: SqlType): { int: number; scale: number } =>
    t.kind === 'DECIMAL'
      ? { int: t.precision - t.scale, scale: t.scale }
      : { int: INTEGER_DIGITS[t.kind as IntegerKind], scale: 0 }
  const da = digits(a)
  const db = digits(b)
  const integer = Math.min(MAX_DECIMAL_PRECISION, Math.max(da.int, db.int))
  const scale = Math.min(Math.max(da.scale, db.scale), MAX_DECIMAL_PRECISION - integer)
  return { kind: 'DECIMAL', precision: integer + scale, scale, nullable }
}
