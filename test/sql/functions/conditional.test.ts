import assert from 'node:assert/strict'
import { test } from 'node:test'
import { formatType } from '../../../src/sql/types/index.ts'
import { bin, bool, call, col, compile, dbl, errorOf, evaluate, int, nul, str, T } from '../helpers.ts'

const columns = { a: T.int, b: T.int, s: T.string, n: T.intNN }

test('COALESCE: first non-NULL, NOT NULL when any argument is NOT NULL, lazy', () => {
  assert.equal(evaluate(call('COALESCE', [col('a'), col('b'), int(0)]), { a: null, b: 2 }, columns), 2)
  assert.equal(evaluate(call('COALESCE', [col('a'), col('b')]), { a: null, b: null }, columns), null)
  assert.equal(formatType(compile(call('COALESCE', [col('a'), int(0)]), columns).type), 'INT NOT NULL')
  assert.equal(formatType(compile(call('COALESCE', [col('a'), col('b')]), columns).type), 'INT')
  assert.equal(formatType(compile(call('COALESCE', [col('a'), dbl(0.5)]), columns).type), 'DOUBLE NOT NULL')
  const lazy = call('COALESCE', [int(1), bin('/', int(1), col('n'))])
  assert.equal(evaluate(lazy, { n: 0 }, columns), 1, 'the second argument is not evaluated')
})

test("COALESCE and CASE meet in Flink 2.2's common type, as UNION ALL does", () => {
  // Flink's validator runs without implicit type coercion, so CASE, COALESCE and UNION ALL all take
  // Calcite's leastRestrictive; the cases are those measured in test/sql/types/casts.test.ts.
  const types = {
    f: T.float,
    d: T.double,
    x: T.decimal(38, 0),
    y: T.decimal(38, 10),
    day: T.date,
    t: T.ts,
    a: T.array(T.int),
    b: T.array(T.bigint),
  }
  const coalesce = (...names: string[]): string =>
    formatType(
      compile(
        call(
          'COALESCE',
          names.map((n) => col(n)),
        ),
        types,
      ).type,
    )
  assert.equal(coalesce('f', 'd'), 'FLOAT')
  assert.equal(coalesce('d', 'f'), 'DOUBLE')
  assert.equal(coalesce('x', 'y'), 'DECIMAL(38, 0)')
  assert.equal(coalesce('a', 'b'), 'ARRAY<BIGINT>')
  assert.match(
    errorOf(() => compile(call('COALESCE', [col('day'), col('t')]), types)).message,
    /COALESCE arguments have no common type: DATE, TIMESTAMP\(3\)/,
  )
})

test('IF, IFNULL, NULLIF', () => {
  assert.equal(
    evaluate(call('IF', [bin('>', col('a'), int(0)), str('pos'), str('neg')]), { a: 1 }, columns),
    'pos',
  )
  assert.equal(
    evaluate(call('IF', [bin('>', col('a'), int(0)), str('pos'), str('neg')]), { a: null }, columns),
    'neg',
  )
  assert.equal(evaluate(call('IFNULL', [col('a'), int(9)]), { a: null }, columns), 9)
  assert.equal(formatType(compile(call('IFNULL', [col('a'), int(9)]), columns).type), 'INT NOT NULL')
  assert.equal(evaluate(call('NULLIF', [col('a'), int(0)]), { a: 0 }, columns), null)
  assert.equal(evaluate(call('NULLIF', [col('a'), int(0)]), { a: 4 }, columns), 4)
  assert.equal(errorOf(() => compile(call('IF', [int(1), int(1), int(2)]))).code, 'FRESHET_SQL_INVALID')
  assert.equal(errorOf(() => compile(call('COALESCE', [str('a'), int(2)]))).code, 'FRESHET_SQL_INVALID')
})

test('IS_DIGIT and friends refuse non-strings, accept NULL', () => {
  assert.equal(evaluate(call('IS_DIGIT', [str('0123')])), true)
  assert.equal(evaluate(call('IS_DIGIT', [str('12a')])), false)
  assert.equal(evaluate(call('IS_DIGIT', [nul()])), false)
  assert.equal(evaluate(call('IS_ALPHA', [str('abC')])), true)
  assert.equal(evaluate(call('IS_DECIMAL', [str('-1.5e3')])), true)
  assert.equal(evaluate(call('IS_DECIMAL', [str('1.2.3')])), false)
  assert.equal(errorOf(() => compile(call('IS_DIGIT', [bool(true)]))).code, 'FRESHET_SQL_INVALID')
})
