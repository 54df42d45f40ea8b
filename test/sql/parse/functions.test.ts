/**
 * Function calls: names upper-case, COUNT(*) and DISTINCT, FILTER, keyword functions, symbols,
 * JSON_VALUE, and the standard forms (SUBSTRING ... FROM, TRIM ... FROM, EXTRACT, POSITION).
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { CallExpr } from '../../../src/sql/ast.ts'
import { assertRefused, bin, call, col, exprsOf, int, selectOf, shape, str } from './helpers.ts'

const symbol = (value: string) => ({
  kind: 'literal',
  value,
  type: { kind: 'VARCHAR', length: value.length, nullable: false },
  text: value,
  symbol: true,
})

test('names are upper-case; COUNT(*), COUNT(DISTINCT x), COUNT(ALL x)', async () => {
  const values = await exprsOf('upper(s), Count(*), COUNT(DISTINCT user_id), COUNT(ALL x), my_udf(a, 1)')
  assert.deepEqual(shape(values), [
    call('UPPER', [col('s')]),
    call('COUNT', [], { star: true }),
    call('COUNT', [col('user_id')], { distinct: true }),
    call('COUNT', [col('x')]),
    call('MY_UDF', [col('a'), int(1)]),
  ])
})

test('keyword functions with and without parentheses', async () => {
  const values = await exprsOf('CURRENT_TIMESTAMP, LOCALTIMESTAMP, CURRENT_DATE, NOW(), PROCTIME()')
  assert.deepEqual(shape(values), [
    call('CURRENT_TIMESTAMP', []),
    call('LOCALTIMESTAMP', []),
    call('CURRENT_DATE', []),
    call('NOW', []),
    call('PROCTIME', []),
  ])
})

test('TIMESTAMPDIFF and TIMESTAMPADD take their unit as a symbol', async () => {
  const values = await exprsOf('TIMESTAMPDIFF(SECOND, a, CURRENT_TIMESTAMP), TIMESTAMPADD(hour, 1, ts)')
  assert.deepEqual(shape(values), [
    call('TIMESTAMPDIFF', [symbol('SECOND'), col('a'), call('CURRENT_TIMESTAMP', [])]),
    call('TIMESTAMPADD', [{ ...symbol('HOUR'), text: 'hour' }, int(1), col('ts')]),
  ])
})

test('JSON_VALUE with RETURNING, ON EMPTY and ON ERROR', async () => {
  const values = await exprsOf(
    "JSON_VALUE(j, '$.a'), JSON_VALUE(j, '$.b' RETURNING INT DEFAULT 0 ON EMPTY), JSON_VALUE(j, '$.c' RETURNING DOUBLE NULL ON EMPTY ERROR ON ERROR)",
  )
  assert.deepEqual(shape(values), [
    call('JSON_VALUE', [col('j'), str('$.a')]),
    call('JSON_VALUE', [col('j'), str('$.b')], {
      returning: { kind: 'INT', nullable: true },
      onEmpty: { kind: 'DEFAULT', value: int(0) },
    }),
    call('JSON_VALUE', [col('j'), str('$.c')], {
      returning: { kind: 'DOUBLE', nullable: true },
      onEmpty: { kind: 'NULL' },
      onError: { kind: 'ERROR' },
    }),
  ])
})

test('FILTER (WHERE ...) after an aggregate, also with DISTINCT and an alias after it', async () => {
  const select = await selectOf(
    'SELECT COUNT(*) FILTER (WHERE a = 1) AS n, SUM(DISTINCT x) filter (where a > 1 and b is not null) FROM t',
  )
  assert.deepEqual(shape(select.items), [
    { kind: 'expr', expr: call('COUNT', [], { star: true, filter: bin('=', col('a'), int(1)) }), alias: 'n' },
    {
      kind: 'expr',
      expr: call('SUM', [col('x')], {
        distinct: true,
        filter: bin('AND', bin('>', col('a'), int(1)), {
          kind: 'is',
          operand: col('b'),
          test: 'NULL',
          negated: true,
        }),
      }),
    },
  ])
  const first = select.items[0]!
  assert.ok(first.kind === 'expr' && first.expr.kind === 'call')
  assert.deepEqual(first.expr.filter?.at, { line: 1, column: 31 })
})

test('SUBSTRING(s FROM i [FOR n]) is SUBSTRING(s, i [, n])', async () => {
  const values = await exprsOf('SUBSTRING(s FROM 2 FOR 3), SUBSTRING(s FROM a + 1), SUBSTRING(s, 2, 3)')
  assert.deepEqual(shape(values), [
    call('SUBSTRING', [col('s'), int(2), int(3)]),
    call('SUBSTRING', [col('s'), bin('+', col('a'), int(1))]),
    call('SUBSTRING', [col('s'), int(2), int(3)]),
  ])
})

test('TRIM(... FROM s) gives its flag first, BOTH when not written; TRIM(s) stays one argument', async () => {
  const values = await exprsOf(
    "TRIM(BOTH ' ' FROM s), TRIM(leading 'x' FROM s), TRIM(TRAILING FROM s), TRIM('x' FROM s), TRIM(FROM s), TRIM(s)",
  )
  assert.deepEqual(shape(values), [
    call('TRIM', [symbol('BOTH'), str(' '), col('s')]),
    call('TRIM', [{ ...symbol('LEADING'), text: 'leading' }, str('x'), col('s')]),
    call('TRIM', [symbol('TRAILING'), col('s')]),
    call('TRIM', [symbol('BOTH'), str('x'), col('s')]),
    call('TRIM', [symbol('BOTH'), col('s')]),
    call('TRIM', [col('s')]),
  ])
  // A flag not written is placed at TRIM; a written one at itself.
  const [written, , , implied] = values as CallExpr[]
  assert.deepEqual(written!.args[0]!.at, { line: 1, column: 13 })
  assert.deepEqual(implied!.args[0]!.at, { line: 1, column: 80 })
})

test('EXTRACT(unit FROM t) is EXTRACT(unit, t), reserved units and the others alike', async () => {
  const values = await exprsOf(
    'EXTRACT(HOUR FROM ts), EXTRACT(year FROM ts), EXTRACT(WEEK FROM ts), EXTRACT(DOW FROM ts), EXTRACT(EPOCH FROM ts)',
  )
  assert.deepEqual(shape(values), [
    call('EXTRACT', [symbol('HOUR'), col('ts')]),
    call('EXTRACT', [{ ...symbol('YEAR'), text: 'year' }, col('ts')]),
    call('EXTRACT', [symbol('WEEK'), col('ts')]),
    call('EXTRACT', [symbol('DOW'), col('ts')]),
    call('EXTRACT', [symbol('EPOCH'), col('ts')]),
  ])
})

test('POSITION(a IN b) and FIRST/LAST_VALUE', async () => {
  const values = await exprsOf("POSITION('_' IN user_id), FIRST_VALUE(page), LAST_VALUE(page)")
  assert.deepEqual(shape(values), [
    call('POSITION', [str('_'), col('user_id')]),
    call('FIRST_VALUE', [col('page')]),
    call('LAST_VALUE', [col('page')]),
  ])
})

test('a qualified function name is refused', async () => {
  await assertRefused('SELECT cat.db.f(a) FROM t', {
    code: 'FRESHET_SQL_UNSUPPORTED',
    line: 1,
    column: 8,
    construct: 'qualified function name',
  })
})
