/**
 * The parser and the expression compiler agree on the calls that SQL writes with keywords: each
 * expression is parsed from SQL text, compiled with compileExpression (or compileAggregate for
 * FILTER) and evaluated, so a change of argument order or shape on either side fails here.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { CallExpr, Expr, SqlType } from '../../../src/sql/ast.ts'
import { compileAggregate, compileExpression } from '../../../src/sql/expr/index.ts'
import { context, wall } from '../helpers.ts'
import { exprsOf } from './helpers.ts'

const STRING: SqlType = { kind: 'VARCHAR', nullable: true }
const TS3: SqlType = { kind: 'TIMESTAMP', precision: 3, nullable: true }
const INT: SqlType = { kind: 'INT', nullable: true }
const columns = { s: STRING, j: STRING, a: TS3, b: TS3, x: INT }
const row = {
  s: 'xxhello worldxx',
  j: '{"n": "42", "o": {"k": "v"}}',
  a: wall('2026-05-17 13:45:30.250'),
  b: wall('2026-05-17 14:15:00'),
  x: 7,
}

/** Parses `SELECT <list> FROM t`, compiles each item against `columns` and evaluates it on `row`. */
async function evaluated(list: string): Promise<unknown[]> {
  const exprs = await exprsOf(list)
  return exprs.map((expr: Expr) => compileExpression(expr, context(columns)).evaluate(row))
}

test('TRIM: flag, characters and source in the order the compiler reads them', async () => {
  assert.deepEqual(
    await evaluated(
      "TRIM(BOTH 'x' FROM s), TRIM(LEADING 'x' FROM s), TRIM(TRAILING 'x' FROM s), TRIM('x' FROM s), TRIM(FROM ' a '), TRIM(LEADING FROM ' a '), TRIM(' a ')",
    ),
    ['hello world', 'hello worldxx', 'xxhello world', 'hello world', 'a', 'a ', 'a'],
  )
})

test('POSITION(a IN b) finds a in b', async () => {
  assert.deepEqual(
    await evaluated("POSITION('o' IN s), POSITION('world' IN s), POSITION('z' IN s)"),
    [7, 9, 0],
  )
})

test('EXTRACT(unit FROM t), reserved units and the others', async () => {
  assert.deepEqual(
    await evaluated(
      'EXTRACT(YEAR FROM a), EXTRACT(MONTH FROM a), EXTRACT(DAY FROM a), EXTRACT(HOUR FROM a), EXTRACT(MINUTE FROM a), EXTRACT(SECOND FROM a), EXTRACT(QUARTER FROM a), EXTRACT(DOW FROM a), EXTRACT(MILLISECOND FROM a)',
    ),
    // 2026-05-17 is a Sunday: DOW 1, as in Calcite. MILLISECOND is within the second, as Flink 2.2
    // gives it (Calcite counts seconds too).
    [2026, 5, 17, 13, 45, 30, 2, 1, 250],
  )
})

test('SUBSTRING(s FROM i [FOR n])', async () => {
  assert.deepEqual(await evaluated('SUBSTRING(s FROM 3 FOR 5), SUBSTRING(s FROM 9)'), ['hello', 'worldxx'])
})

test('FLOOR(t TO unit), CEIL(t TO unit), SQRT and CHAR_LENGTH', async () => {
  assert.deepEqual(
    await evaluated('FLOOR(a TO MINUTE), CEIL(a TO HOUR), CEILING(a TO DAY), SQRT(x * 7), CHAR_LENGTH(s)'),
    [wall('2026-05-17 13:45:00'), wall('2026-05-17 14:00:00'), wall('2026-05-18 00:00:00'), 7, 15],
  )
})

test('TIMESTAMPDIFF(MILLISECOND, ...) counts whole seconds, as Flink 2.2 does', async () => {
  assert.deepEqual(
    await evaluated(
      "TIMESTAMPDIFF(MILLISECOND, TIMESTAMP '2026-01-01 00:00:10.900', TIMESTAMP '2026-01-01 00:00:12.100'), " +
        "TIMESTAMPDIFF(MILLISECOND, TIMESTAMP '2026-01-01 00:00:10.100', TIMESTAMP '2026-01-01 00:00:10.900'), " +
        "TIMESTAMPDIFF(MILLISECOND, TIMESTAMP '2026-01-01 00:00:12.100', TIMESTAMP '2026-01-01 00:00:10.900')",
    ),
    [1000, 0, -1000],
  )
})

test('TIMESTAMPDIFF(unit, a, b) is b - a in whole units, truncated toward zero', async () => {
  assert.deepEqual(await evaluated('TIMESTAMPDIFF(MINUTE, a, b), TIMESTAMPDIFF(SECOND, b, a)'), [29, -1769])
})

test('JSON_VALUE with and without RETURNING', async () => {
  assert.deepEqual(await evaluated("JSON_VALUE(j, '$.n'), JSON_VALUE(j, '$.n' RETURNING INT) + 1"), [
    '42',
    43,
  ])
})

test('JSON_VALUE ... DEFAULT x ON EMPTY, ON ERROR: a path without a mode is strict, as in Flink 2.2', async () => {
  // Measured with Flink 2.2's TableEnvironment: without `lax`, a missing member is an error (ON
  // ERROR, NULL by default) and DEFAULT ... ON EMPTY does not apply; with `lax` it is empty.
  assert.deepEqual(
    await evaluated(
      "JSON_VALUE(j, 'lax $.missing' RETURNING INT DEFAULT 0 ON EMPTY), " +
        "JSON_VALUE(j, '$.missing' RETURNING INT DEFAULT 0 ON EMPTY), " +
        "JSON_VALUE(j, '$.missing' RETURNING INT DEFAULT 5 ON EMPTY DEFAULT 6 ON ERROR), " +
        "JSON_VALUE(j, '$.o' RETURNING INT DEFAULT -1 ON ERROR), " +
        "JSON_VALUE(j, 'lax $.o' DEFAULT 'x' ON EMPTY DEFAULT 'y' ON ERROR), " +
        "JSON_VALUE(j, '$.n' RETURNING INT DEFAULT 7 ON EMPTY), " +
        "JSON_VALUE(j, 'lax $.missing' NULL ON EMPTY)",
    ),
    [0, null, 6, -1, 'x', 42, null],
  )
  await assert.rejects(evaluated("JSON_VALUE(j, 'lax $.missing' ERROR ON EMPTY)"), /ERROR ON EMPTY/)
  await assert.rejects(evaluated("JSON_VALUE(j, '$.missing' ERROR ON ERROR)"), /ERROR ON ERROR/)
})

test('FILTER (WHERE ...) reaches the aggregate', async () => {
  const [count, sum] = (await exprsOf(
    'COUNT(*) FILTER (WHERE x > 5), SUM(x) FILTER (WHERE x < 5)',
  )) as CallExpr[]
  const rows = [{ x: 1 }, { x: 6 }, { x: 9 }]
  const run = (call: CallExpr) => {
    const aggregate = compileAggregate(call, context({ x: INT }))
    return aggregate.result(rows.reduce((acc, r) => aggregate.add(acc, r), aggregate.init()))
  }
  assert.deepEqual([run(count!), run(sum!)], [2, 1])
})
