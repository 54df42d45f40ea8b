/**
 * Hand-built expression trees for the SQL expression tests (the parser is not needed): small
 * constructors for each node kind, an object-backed scope and a one-call evaluator.
 */
import assert from 'node:assert/strict'
import type { CallExpr, ColumnExpr, Expr, LiteralExpr, Position, SqlType } from '../../src/sql/ast.ts'
import { compileExpression } from '../../src/sql/expr/compile.ts'
import type { CompileContext, CompiledExpression, Scope } from '../../src/sql/expr/types.ts'
import { FreshetError } from '../../src/errors/index.ts'

export const AT: Position = { line: 1, column: 1 }

export function at(line: number, column: number): Position {
  return { line, column }
}

export const T = {
  int: { kind: 'INT', nullable: true },
  intNN: { kind: 'INT', nullable: false },
  bigint: { kind: 'BIGINT', nullable: true },
  tinyint: { kind: 'TINYINT', nullable: true },
  smallint: { kind: 'SMALLINT', nullable: true },
  double: { kind: 'DOUBLE', nullable: true },
  float: { kind: 'FLOAT', nullable: true },
  bool: { kind: 'BOOLEAN', nullable: true },
  string: { kind: 'VARCHAR', nullable: true },
  stringNN: { kind: 'VARCHAR', nullable: false },
  date: { kind: 'DATE', nullable: true },
  ts: { kind: 'TIMESTAMP', precision: 3, nullable: true },
  ltz: { kind: 'TIMESTAMP_LTZ', precision: 3, nullable: true },
  decimal: (precision: number, scale: number, nullable = true): SqlType => ({
    kind: 'DECIMAL',
    precision,
    scale,
    nullable,
  }),
  array: (element: SqlType): SqlType => ({ kind: 'ARRAY', element, nullable: true }),
  map: (key: SqlType, value: SqlType): SqlType => ({ kind: 'MAP', key, value, nullable: true }),
} satisfies Record<string, SqlType | ((...args: never[]) => SqlType)>

function literal(value: LiteralExpr['value'], type: SqlType, text = String(value), pos = AT): LiteralExpr {
  return { kind: 'literal', value, type, text, at: pos }
}

/** An integer literal: INT when it fits, else BIGINT (as the parser types them). */
export function int(value: number, pos = AT): LiteralExpr {
  const fits = value >= -2147483648 && value <= 2147483647
  return literal(value, { kind: fits ? 'INT' : 'BIGINT', nullable: false }, String(value), pos)
}

/** A literal with a decimal point: DECIMAL(p, s) from its text. */
export function dec(text: string, pos = AT): LiteralExpr {
  const digits = text
    .replace('-', '')
    .replace('.', '')
    .replace(/^0+(?=\d)/, '')
  const scale = text.includes('.') ? text.length - text.indexOf('.') - 1 : 0
  return literal(
    Number(text),
    { kind: 'DECIMAL', precision: Math.max(digits.length, scale), scale, nullable: false },
    text,
    pos,
  )
}

export function dbl(value: number, pos = AT): LiteralExpr {
  return literal(value, { kind: 'DOUBLE', nullable: false }, String(value), pos)
}

/** A string literal: CHAR(n) NOT NULL, as Flink types it. */
export function str(value: string, pos = AT): LiteralExpr {
  return literal(value, { kind: 'CHAR', length: value.length, nullable: false }, `'${value}'`, pos)
}

export function bool(value: boolean): LiteralExpr {
  return literal(value, { kind: 'BOOLEAN', nullable: false })
}

export function nul(): LiteralExpr {
  return literal(null, { kind: 'NULL', nullable: true }, 'NULL')
}

export function typed(value: string, type: SqlType): LiteralExpr {
  return literal(value, type, `${type.kind} '${value}'`)
}

export function symbol(name: string): LiteralExpr {
  return { ...literal(name, { kind: 'VARCHAR', nullable: false }, name), symbol: true } as LiteralExpr
}

export function interval(ms: number): Expr {
  return { kind: 'interval', ms, text: `INTERVAL '${ms}' MILLISECOND`, at: AT }
}

export function col(name: string, pos = AT, qualifier?: string): ColumnExpr {
  return { kind: 'column', name, qualifier, at: pos }
}

export function call(name: string, args: Expr[], extra: Partial<CallExpr> = {}): CallExpr {
  return { kind: 'call', name, args, star: false, distinct: false, at: AT, ...extra }
}

export function bin(op: Extract<Expr, { kind: 'binary' }>['op'], left: Expr, right: Expr, pos = AT): Expr {
  return { kind: 'binary', op, left, right, at: pos }
}

export function neg(operand: Expr): Expr {
  return { kind: 'unary', op: '-', operand, at: AT }
}

export function not(operand: Expr): Expr {
  return { kind: 'unary', op: 'NOT', operand, at: AT }
}

export function is(operand: Expr, test: 'NULL' | 'TRUE' | 'FALSE' | 'UNKNOWN', negated = false): Expr {
  return { kind: 'is', operand, test, negated, at: AT }
}

export function between(operand: Expr, low: Expr, high: Expr, negated = false): Expr {
  return { kind: 'between', operand, low, high, negated, at: AT }
}

export function inList(operand: Expr, list: Expr[], negated = false): Expr {
  return { kind: 'in', operand, list, negated, at: AT }
}

export function like(operand: Expr, pattern: Expr, escape?: string, negated = false): Expr {
  return { kind: 'like', operand, pattern, escape, negated, at: AT }
}

export function caseWhen(whens: Array<[Expr, Expr]>, otherwise?: Expr, operand?: Expr): Expr {
  return {
    kind: 'case',
    operand,
    whens: whens.map(([when, then]) => ({ when, then })),
    else: otherwise,
    at: AT,
  }
}

export function cast(operand: Expr, type: SqlType, tryCast = false, pos = AT): Expr {
  return { kind: 'cast', operand, type, try: tryCast, at: pos }
}

export function item(of: Expr, index: Expr): Expr {
  return { kind: 'item', of, index, at: AT }
}

export function field(of: Expr, name: string): Expr {
  return { kind: 'field', of, name, at: AT }
}

/** A scope over plain objects: each column reads `row[name]`. */
export function scope(columns: Record<string, SqlType>): Scope {
  return {
    column(ref) {
      const type = columns[ref.name]
      if (type === undefined) return undefined
      const name = ref.name
      return { type, read: (row) => (row as Record<string, unknown>)[name] }
    },
    names: () => Object.keys(columns),
  }
}

export function context(columns: Record<string, SqlType> = {}, localTimeZone = 'UTC'): CompileContext {
  return { file: 'job.sql', scope: scope(columns), localTimeZone }
}

export function compile(expr: Expr, columns: Record<string, SqlType> = {}, zone = 'UTC'): CompiledExpression {
  return compileExpression(expr, context(columns, zone))
}

/** Compiles and evaluates on one row. */
export function evaluate(
  expr: Expr,
  row: Record<string, unknown> = {},
  columns: Record<string, SqlType> = {},
  zone = 'UTC',
): unknown {
  return compile(expr, columns, zone).evaluate(row)
}

/** The FreshetError that `fn` throws, failing when it throws nothing or something else. */
export function errorOf(fn: () => unknown): FreshetError {
  try {
    fn()
  } catch (error) {
    assert.ok(error instanceof FreshetError, `expected a FreshetError, got ${String(error)}`)
    return error
  }
  return assert.fail('expected an error')
}

/** Wall-clock ms of `yyyy-MM-dd HH:mm:ss[.SSS]` read in UTC (the TIMESTAMP representation). */
export function wall(text: string): number {
  return Date.parse(`${text.replace(' ', 'T')}Z`)
}
