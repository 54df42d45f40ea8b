/**
 * The families of SQL types (Flink's `LogicalTypeFamily`, as far as freshet needs them): which
 * kinds are integers, numbers, character strings, binary strings, timestamps, date-times.
 */
import type { SqlType } from '../ast.ts'

export type IntegerKind = 'TINYINT' | 'SMALLINT' | 'INT' | 'BIGINT'

export function isInteger(type: SqlType): type is SqlType & { kind: IntegerKind } {
  return type.kind === 'TINYINT' || type.kind === 'SMALLINT' || type.kind === 'INT' || type.kind === 'BIGINT'
}

/** FLOAT and DOUBLE. */
export function isApproximate(type: SqlType): boolean {
  return type.kind === 'FLOAT' || type.kind === 'DOUBLE'
}

export function isNumeric(type: SqlType): boolean {
  return isInteger(type) || isApproximate(type) || type.kind === 'DECIMAL'
}

/** CHAR and VARCHAR. */
export function isString(type: SqlType): type is Extract<SqlType, { kind: 'CHAR' | 'VARCHAR' }> {
  return type.kind === 'CHAR' || type.kind === 'VARCHAR'
}

/** BINARY and VARBINARY. */
export function isBinary(type: SqlType): type is Extract<SqlType, { kind: 'BINARY' | 'VARBINARY' }> {
  return type.kind === 'BINARY' || type.kind === 'VARBINARY'
}

/** TIMESTAMP and TIMESTAMP_LTZ. */
export function isTimestamp(type: SqlType): boolean {
  return type.kind === 'TIMESTAMP' || type.kind === 'TIMESTAMP_LTZ'
}

/** DATE, TIME, TIMESTAMP, TIMESTAMP_LTZ. */
export function isTemporal(type: SqlType): boolean {
  return isTimestamp(type) || type.kind === 'DATE' || type.kind === 'TIME'
}
