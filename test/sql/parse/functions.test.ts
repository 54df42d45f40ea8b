/** Function calls: names upper-case, COUNT(*), DISTINCT and FILTER, keyword functions, symbols, JSON_VALUE. */
import assert from 'node:assert/strict'
import { test } from 'node:test'
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
