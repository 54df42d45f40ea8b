/**
 * Syntax errors: valid Flink SQL that the grammar rejects is FRESHET_SQL_UNSUPPORTED at the
 * construct, with the form that works; anything else is FRESHET_SQL_INVALID at the first error.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { assertRefused } from './helpers.ts'

const unsupported = (line: number, column: number, construct: string) => ({
  code: 'FRESHET_SQL_UNSUPPORTED' as const,
  line,
  column,
  construct,
})

test('TRY_CAST is named, with CAST as the working form', async () => {
  const error = await assertRefused(
    'SELECT TRY_CAST(a AS INT) FROM t',
    unsupported(1, 8, 'TRY_CAST(x AS type)'),
  )
  assert.match(error.message, /use CAST\(x AS type\)/)
})

test('a window function without an alias: the grammar wants one, Flink does not', async () => {
  await assertRefused(
    'SELECT a, ROW_NUMBER() OVER (PARTITION BY a ORDER BY b) FROM t',
    unsupported(1, 24, 'window function without an alias'),
  )
  await assertRefused(
    'SELECT SUM(x) OVER (PARTITION BY a) + 1 AS y FROM t',
    unsupported(1, 15, 'window function inside an expression'),
  )
})

test('an alias after a window TVF: the grammar has none, Flink allows one', async () => {
  const tvf = "TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), INTERVAL '1' MINUTE))"
  await assertRefused(`SELECT * FROM ${tvf} AS w`, unsupported(1, 75, 'alias of a window TVF'))
  await assertRefused(
    `SELECT * FROM ${tvf} w JOIN u ON w.a = u.a`,
    unsupported(1, 75, 'alias of a window TVF'),
  )
})

test('OVERLAY, ARRAY[...] and MAP[...] are named', async () => {
  await assertRefused(
    "SELECT OVERLAY(s PLACING 'x' FROM 2) FROM t",
    unsupported(1, 8, 'OVERLAY(s PLACING r FROM i)'),
  )
  await assertRefused('SELECT ARRAY[1, 2] FROM t', unsupported(1, 8, 'ARRAY[...] value constructor'))
  await assertRefused(
    "SELECT a FROM t WHERE m = MAP['a', 1]",
    unsupported(1, 27, 'MAP[...] value constructor'),
  )
})

test('the comma forms parse', async () => {
  await assertRefused('SELECT SUBSTRING(s, 2, 3), TRIM(s) FROM t WHERE', {
    code: 'FRESHET_SQL_INVALID',
    line: 1,
    column: 48,
  })
})

test('other syntax errors are FRESHET_SQL_INVALID with the first error, shortened', async () => {
  const error = await assertRefused('SELEC a FROM t', { code: 'FRESHET_SQL_INVALID', line: 1, column: 1 })
  assert.match(error.message, /^test\.sql:1:1: mismatched input 'SELEC' expecting one of \d+ tokens/)
  await assertRefused("SELECT 'unclosed FROM t", { code: 'FRESHET_SQL_INVALID', line: 1, column: 8 })
  await assertRefused('SELECT a FROM t WHERE a = = 1', { code: 'FRESHET_SQL_INVALID', line: 1, column: 27 })
  const unclosed = await assertRefused(
    "SELECT a\nFROM TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), INTERVAL '1' MINUTE)\nGROUP BY a",
    {
      code: 'FRESHET_SQL_INVALID',
      line: 3,
      column: 1,
    },
  )
  assert.match(unclosed.message, /no viable alternative at input '\.\.\.GROUP'$/)
})
