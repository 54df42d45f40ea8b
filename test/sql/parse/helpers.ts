/** Builders of expected trees and a few parse shortcuts for the parser's tests. */
import assert from 'node:assert/strict'
import type { Expr, Query, SelectQuery, Statement } from '../../../src/sql/ast.ts'
import { isFreshetError } from '../../../src/errors/index.ts'
import { parseSql } from '../../../src/sql/parse/index.ts'

/** A tree without positions (`at`) and without keys whose value is undefined, for deepEqual. */
export function shape(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(shape)
  if (value === null || typeof value !== 'object') return value
  const entries = Object.entries(value).filter(([key, v]) => key !== 'at' && v !== undefined)
  return Object.fromEntries(entries.map(([key, v]) => [key, shape(v)]))
}

export async function parseOne(sql: string): Promise<Statement> {
  const script = await parseSql(sql, 'test.sql')
  assert.equal(script.statements.length, 1)
  return script.statements[0]!.statement
}

export async function queryOf(sql: string): Promise<Query> {
  const statement = await parseOne(sql)
  assert.equal(statement.kind, 'query')
  return statement.query
}

export async function selectOf(sql: string): Promise<SelectQuery> {
  const query = await queryOf(sql)
  assert.equal(query.kind, 'select')
  return query
}

/** The expressions of `SELECT <list> FROM t`. */
export async function exprsOf(list: string): Promise<Expr[]> {
  const select = await selectOf(`SELECT ${list} FROM t`)
  return select.items.map((item) => {
    assert.equal(item.kind, 'expr')
    return item.expr
  })
}

export async function exprOf(text: string): Promise<Expr> {
  const [only] = await exprsOf(text)
  return only!
}

export interface Refusal {
  code: 'FRESHET_SQL_INVALID' | 'FRESHET_SQL_UNSUPPORTED'
  line: number
  column: number
  construct?: string
}

/** Asserts that parsing fails with this code at this position (and construct). */
export async function assertRefused(sql: string, expected: Refusal): Promise<Error> {
  try {
    await parseSql(sql, 'test.sql')
  } catch (error) {
    assert.ok(isFreshetError(error), String(error))
    const details = error.details as { line: number; column: number; construct?: string }
    assert.equal(error.code, expected.code, error.message)
    assert.deepEqual(
      { line: details.line, column: details.column },
      { line: expected.line, column: expected.column },
      error.message,
    )
    if (expected.construct !== undefined) assert.equal(details.construct, expected.construct)
    return error
  }
  assert.fail(`parsed, expected ${expected.code}: ${sql}`)
}

// -- Expected trees (without positions) ------------------------------------------------------------

export const col = (name: string, qualifier?: string) =>
  qualifier === undefined ? { kind: 'column', name } : { kind: 'column', qualifier, name }

export const str = (value: string) => ({
  kind: 'literal',
  value,
  type: { kind: 'CHAR', length: value.length, nullable: false },
  text: `'${value.replaceAll("'", "''")}'`,
})

export const int = (value: number) => ({
  kind: 'literal',
  value,
  type: { kind: 'INT', nullable: false },
  text: String(value),
})

export const interval = (ms: number, text: string) => ({ kind: 'interval', ms, text })

export const call = (name: string, args: unknown[], extra: Record<string, unknown> = {}) => ({
  kind: 'call',
  name,
  args,
  star: false,
  distinct: false,
  ...extra,
})

export const countStar = call('COUNT', [], { star: true })

export const bin = (op: string, left: unknown, right: unknown) => ({ kind: 'binary', op, left, right })

export const item = (expr: unknown, alias?: string) =>
  alias === undefined ? { kind: 'expr', expr } : { kind: 'expr', expr, alias }

export const table = (name: string, extra: Record<string, unknown> = {}) => ({
  kind: 'table',
  name,
  hints: {},
  ...extra,
})
