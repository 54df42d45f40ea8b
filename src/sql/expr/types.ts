/**
 * The contract between the planner and the expression compiler.
 *
 * Runtime values (what a compiled expression takes and returns), by SQL type:
 * - NULL of any type: `null` (never `undefined`; a missing field reads as `null`).
 * - BOOLEAN: boolean. TINYINT, SMALLINT, INT, BIGINT, FLOAT, DOUBLE: number (BIGINT beyond 2^53 is
 *   out of range, as Avro `long` decoding is in freshet). DECIMAL(p, s): number, rounded half-up to
 *   `s` digits where Flink would round (cast, division result type).
 * - CHAR, VARCHAR, STRING: string. BINARY, VARBINARY, BYTES: Buffer.
 * - DATE: days since 1970-01-01 (number). TIME(p): milliseconds of the day (number).
 * - TIMESTAMP(p) (no time zone): the wall-clock date-time encoded as epoch milliseconds read in
 *   UTC (so `TIMESTAMP '1970-01-01 00:00:01'` is 1000). TIMESTAMP_LTZ(p): the instant, epoch
 *   milliseconds. Converting between them uses the session's `table.local-time-zone`.
 * - INTERVAL (day-time): milliseconds (number).
 * - ARRAY: array; MAP: `Map`; ROW: plain object keyed by field name.
 *
 * A row is whatever the planner's scope reads columns from; the compiler never inspects it.
 */
import type { ColumnExpr, SqlType } from '../ast.ts'

export type Row = unknown

/** How a column is read from a row of the current scope, and its type. */
export interface ColumnBinding {
  readonly type: SqlType
  readonly read: (row: Row) => unknown
}

export interface Scope {
  /**
   * Resolves a (possibly qualified) column, or returns undefined when no column of that name is in
   * scope (the compiler then reports SQL_INVALID with the position). Throws SQL_INVALID itself for
   * an ambiguous name.
   */
  column(ref: ColumnExpr): ColumnBinding | undefined
  /** Names in scope, for the "did you mean" of an unknown column. */
  names(): readonly string[]
}

export interface CompileContext {
  /** For error messages: `file:line:column`. */
  readonly file: string
  readonly scope: Scope
  /** `table.local-time-zone` (an IANA zone or `UTC`); Flink's default is the JVM's zone, freshet's UTC. */
  readonly localTimeZone: string
}

export interface CompiledExpression {
  readonly type: SqlType
  /** Evaluates the expression on one row. Built once; no tree walk per row. */
  readonly evaluate: (row: Row) => unknown
  /** No column reads and no non-deterministic function: the planner may fold it. */
  readonly constant: boolean
}

/**
 * An aggregate call compiled against the scope of its input rows (`COUNT(*)`, `SUM(x)`,
 * `COUNT(DISTINCT x)`, `MAX(x) FILTER (WHERE c)`), with Flink's result types (COUNT is BIGINT NOT
 * NULL; SUM of INT is INT; AVG of INT is INT). The accumulator is JSON-serializable (it is kept in
 * state stores and changelogs as JSON).
 */
export interface CompiledAggregate {
  readonly type: SqlType
  init(): unknown
  add(accumulator: unknown, row: Row): unknown
  /** Combines two accumulators (session windows that merge, CUMULATE slices). */
  merge(a: unknown, b: unknown): unknown
  result(accumulator: unknown): unknown
  /** `merge` may combine partial accumulators in any order (`Aggregator.combinable`). */
  readonly combinable: boolean
}
