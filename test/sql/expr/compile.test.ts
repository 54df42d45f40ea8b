import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ErrorCodes } from '../../../src/errors/index.ts'
import { isAggregateFunction } from '../../../src/sql/expr/compile.ts'
import { formatType } from '../../../src/sql/types/index.ts'
import {
  at,
  between,
  bin,
  bool,
  call,
  caseWhen,
  col,
  compile,
  dbl,
  dec,
  errorOf,
  evaluate,
  field,
  inList,
  int,
  interval,
  is,
  item,
  like,
  neg,
  not,
  nul,
  str,
  T,
  typed,
  wall,
} from '../helpers.ts'

const columns = { a: T.int, b: T.bigint, d: T.double, s: T.string, flag: T.bool, n: T.intNN }

function typeOf(expr: Parameters<typeof compile>[0]): string {
  return formatType(compile(expr, columns).type)
}

test('INT + BIGINT is BIGINT, INT + DOUBLE is DOUBLE, nullability follows the operands', () => {
  assert.equal(typeOf(bin('+', col('a'), col('b'))), 'BIGINT')
  assert.equal(typeOf(bin('+', col('n'), int(1))), 'INT NOT NULL')
  assert.equal(typeOf(bin('*', col('a'), col('d'))), 'DOUBLE')
  assert.equal(typeOf(bin('+', col('n'), dbl(1.5))), 'DOUBLE NOT NULL')
  assert.equal(evaluate(bin('+', col('a'), col('b')), { a: 2, b: 40 }, columns), 42)
})

test('INT / INT is INT and truncates toward zero; DOUBLE division is not integral', () => {
  assert.equal(typeOf(bin('/', col('a'), int(2))), 'INT')
  assert.equal(evaluate(bin('/', int(7), int(2))), 3)
  assert.equal(evaluate(bin('/', int(-7), int(2))), -3)
  assert.equal(evaluate(bin('%', int(-7), int(2))), -1)
  assert.equal(evaluate(bin('/', int(7), dbl(2))), 3.5)
})

test('INT arithmetic wraps as a Java int; BIGINT does not wrap at 2^31', () => {
  assert.equal(evaluate(bin('+', int(2147483647), int(1))), -2147483648)
  assert.equal(evaluate(bin('*', int(65536), int(65536))), 0)
  assert.equal(evaluate(bin('*', int(100000), int(100000))), 1410065408)
  assert.equal(evaluate(neg(col('a')), { a: -2147483648 }, columns), -2147483648)
  assert.equal(evaluate(bin('+', col('b'), int(1)), { b: 2147483647 }, columns), 2147483648)
  assert.equal(evaluate(bin('/', int(-2147483648), int(-1))), -2147483648)
})

test('integer division by zero fails the row with the position; DOUBLE gives Infinity and NaN', () => {
  const division = compile(bin('/', col('a'), col('n'), at(3, 14)), columns)
  const error = errorOf(() => division.evaluate({ a: 1, n: 0 }))
  assert.equal(error.code, ErrorCodes.OPERATOR_FAILED.code)
  assert.match(error.message, /^job\.sql:3:14: \/ by zero/)
  assert.equal(
    errorOf(() => evaluate(bin('%', col('a'), int(0)), { a: 5 }, columns)).code,
    'FRESHET_OPERATOR_FAILED',
  )
  assert.equal(evaluate(bin('/', col('d'), int(0)), { d: 1 }, columns), Infinity)
  assert.equal(evaluate(bin('/', col('d'), int(0)), { d: -1 }, columns), -Infinity)
  assert.ok(Number.isNaN(evaluate(bin('/', col('d'), dbl(0)), { d: 0 }, columns)))
})

test('DECIMAL arithmetic: Flink result types, rounding to the result scale', () => {
  assert.equal(typeOf(bin('+', dec('0.1'), dec('0.2'))), 'DECIMAL(2, 1) NOT NULL')
  assert.equal(evaluate(bin('+', dec('0.1'), dec('0.2'))), 0.3)
  assert.equal(typeOf(bin('*', dec('1.25'), dec('2.5'))), 'DECIMAL(5, 3) NOT NULL')
  assert.equal(evaluate(bin('*', dec('1.25'), dec('2.5'))), 3.125)
  assert.equal(typeOf(bin('/', dec('1.0'), int(3))), 'DECIMAL(13, 12) NOT NULL')
  assert.equal(evaluate(bin('/', dec('1.0'), int(3))), 0.333333333333)
  assert.equal(typeOf(bin('+', col('a'), dec('1.5'))), 'DECIMAL(12, 1)')
  assert.equal(typeOf(bin('+', dec('1.5'), col('d'))), 'DOUBLE')
})

test('comparisons: compatible types only, string against number is refused at its position', () => {
  assert.equal(evaluate(bin('<', col('a'), dbl(2.5)), { a: 2 }, columns), true)
  assert.equal(evaluate(bin('=', col('s'), str('x')), { s: 'x' }, columns), true)
  assert.equal(evaluate(bin('<', str('B'), str('a'))), true)
  const error = errorOf(() => compile(bin('=', col('s'), int(1), at(2, 7)), columns))
  assert.equal(error.code, ErrorCodes.SQL_INVALID.code)
  assert.match(
    error.message,
    /^job\.sql:2:7: cannot apply '=' to arguments of type '<STRING> = <INT NOT NULL>'/,
  )
  assert.equal(formatType(compile(bin('=', col('n'), int(1)), columns).type), 'BOOLEAN NOT NULL')
})

test('NULL propagates through comparisons and arithmetic', () => {
  assert.equal(evaluate(bin('=', col('a'), int(1)), { a: null }, columns), null)
  assert.equal(evaluate(bin('+', col('a'), int(1)), { a: null }, columns), null)
  assert.equal(evaluate(bin('+', col('a'), int(1)), {}, columns), null, 'a missing field reads as NULL')
  assert.equal(evaluate(bin('=', nul(), int(1))), null)
})

test('AND / OR / NOT follow three-valued logic', () => {
  const cases: Array<[boolean | null, boolean | null, boolean | null, boolean | null]> = [
    // a, b, a AND b, a OR b
    [true, null, null, true],
    [false, null, false, null],
    [null, null, null, null],
    [null, false, false, null],
    [null, true, null, true],
    [true, false, false, true],
  ]
  const scopeTypes = { x: T.bool, y: T.bool }
  for (const [x, y, andResult, orResult] of cases) {
    assert.equal(evaluate(bin('AND', col('x'), col('y')), { x, y }, scopeTypes), andResult, `${x} AND ${y}`)
    assert.equal(evaluate(bin('OR', col('x'), col('y')), { x, y }, scopeTypes), orResult, `${x} OR ${y}`)
  }
  assert.equal(evaluate(not(col('x')), { x: null }, scopeTypes), null)
  assert.equal(evaluate(not(col('x')), { x: false }, scopeTypes), true)
  assert.equal(errorOf(() => compile(bin('AND', col('a'), bool(true)), columns)).code, 'FRESHET_SQL_INVALID')
})

test('IS [NOT] NULL / TRUE / FALSE / UNKNOWN never give NULL', () => {
  assert.equal(evaluate(is(col('a'), 'NULL'), { a: null }, columns), true)
  assert.equal(evaluate(is(col('a'), 'NULL', true), { a: null }, columns), false)
  assert.equal(evaluate(is(col('flag'), 'TRUE'), { flag: null }, columns), false)
  assert.equal(evaluate(is(col('flag'), 'FALSE', true), { flag: null }, columns), true)
  assert.equal(evaluate(is(col('flag'), 'UNKNOWN'), { flag: null }, columns), true)
  assert.equal(formatType(compile(is(col('a'), 'NULL'), columns).type), 'BOOLEAN NOT NULL')
})

test('IS [NOT] DISTINCT FROM treats NULLs as equal', () => {
  const e = (op: 'IS DISTINCT FROM' | 'IS NOT DISTINCT FROM', a: number | null, b: number | null) =>
    evaluate(bin(op, col('a'), col('b')), { a, b }, columns)
  assert.equal(e('IS NOT DISTINCT FROM', null, null), true)
  assert.equal(e('IS DISTINCT FROM', null, null), false)
  assert.equal(e('IS DISTINCT FROM', 1, null), true)
  assert.equal(e('IS NOT DISTINCT FROM', 1, 1), true)
})

test('BETWEEN and NOT BETWEEN with NULL bounds', () => {
  assert.equal(evaluate(between(col('a'), int(1), int(3)), { a: 3 }, columns), true)
  assert.equal(evaluate(between(col('a'), int(1), int(3)), { a: 4 }, columns), false)
  assert.equal(evaluate(between(col('a'), int(1), int(3), true), { a: 4 }, columns), true)
  assert.equal(
    evaluate(between(col('a'), nul(), int(3)), { a: 4 }, columns),
    false,
    'above the high bound: FALSE',
  )
  assert.equal(evaluate(between(col('a'), nul(), int(3)), { a: 2 }, columns), null)
})

test('IN with constants (a Set) and with column values, NULL rules of SQL', () => {
  const list = inList(col('a'), [int(1), int(2), int(3)])
  assert.equal(evaluate(list, { a: 2 }, columns), true)
  assert.equal(evaluate(list, { a: 5 }, columns), false)
  assert.equal(evaluate(list, { a: null }, columns), null)
  assert.equal(evaluate(inList(col('a'), [int(1), nul()]), { a: 5 }, columns), null)
  assert.equal(evaluate(inList(col('a'), [int(1), nul()]), { a: 1 }, columns), true)
  assert.equal(evaluate(inList(col('a'), [int(1), nul()], true), { a: 5 }, columns), null)
  assert.equal(evaluate(inList(col('a'), [int(1), int(2)], true), { a: 5 }, columns), true)
  assert.equal(evaluate(inList(col('a'), [col('n'), int(9)]), { a: 4, n: 4 }, columns), true)
  assert.equal(evaluate(inList(col('s'), [str('x'), str('y')]), { s: 'y' }, columns), true)
  assert.equal(errorOf(() => compile(inList(col('s'), [int(1)]), columns)).code, 'FRESHET_SQL_INVALID')
})

test('LIKE: wildcards, escape, fast paths and the regex path give the same answers', () => {
  const m = (s: string, pattern: string, escape?: string) =>
    evaluate(like(col('s'), str(pattern), escape), { s }, columns)
  assert.equal(m('hello', 'h%'), true)
  assert.equal(m('hello', '%llo'), true)
  assert.equal(m('hello', '%ell%'), true)
  assert.equal(m('hello', 'h_llo'), true)
  assert.equal(m('hello', 'h_lo'), false)
  assert.equal(m('hello', 'hello'), true)
  assert.equal(m('Hello', 'hello'), false, 'case-sensitive')
  assert.equal(m('a.c', 'a.c'), true)
  assert.equal(m('abc', 'a.c'), false, 'regex characters are literal')
  assert.equal(m('50%', '50!%', '!'), true)
  assert.equal(m('500', '50!%', '!'), false)
  assert.equal(m('a\nb', 'a%b'), true)
  assert.equal(m('a\nb', 'a_b'), true)
  assert.equal(evaluate(like(col('s'), str('a%'), undefined, true), { s: 'abc' }, columns), false)
  assert.equal(evaluate(like(col('s'), str('a%')), { s: null }, columns), null)
  assert.equal(evaluate(like(str('abc'), col('s')), { s: 'a_c' }, columns), true, 'a pattern from a column')
  assert.equal(errorOf(() => compile(like(col('s'), str('a!b'), '!'), columns)).code, 'FRESHET_SQL_INVALID')
})

test('CASE: least common type, no ELSE is NULL, CHARs of different lengths become VARCHAR', () => {
  const c = caseWhen([[bin('>', col('a'), int(0)), int(1)]], dbl(0.5))
  assert.equal(typeOf(c), 'DOUBLE NOT NULL')
  assert.equal(evaluate(c, { a: 5 }, columns), 1)
  assert.equal(evaluate(c, { a: null }, columns), 0.5, 'a NULL condition is not TRUE')
  const noElse = caseWhen([[bin('>', col('a'), int(0)), str('pos')]])
  assert.equal(typeOf(noElse), 'CHAR(3)')
  assert.equal(evaluate(noElse, { a: -1 }, columns), null)
  const ragged = caseWhen([[col('flag'), str('a')]], str('bcd'))
  assert.equal(typeOf(ragged), 'VARCHAR(3) NOT NULL')
  assert.equal(evaluate(ragged, { flag: true }, columns), 'a', 'no padding')
  const simple = caseWhen(
    [
      [int(1), str('one')],
      [int(2), str('two')],
    ],
    str('many'),
    col('a'),
  )
  assert.equal(evaluate(simple, { a: 2 }, columns), 'two')
  assert.equal(evaluate(simple, { a: null }, columns), 'many')
  assert.equal(
    errorOf(() => compile(caseWhen([[col('flag'), int(1)]], str('x')), columns)).code,
    'FRESHET_SQL_INVALID',
  )
})

test('|| concatenates strings and propagates NULL; a number is refused', () => {
  assert.equal(evaluate(bin('||', col('s'), str('!')), { s: 'hi' }, columns), 'hi!')
  assert.equal(evaluate(bin('||', col('s'), str('!')), { s: null }, columns), null)
  assert.equal(typeOf(bin('||', str('ab'), str('c'))), 'CHAR(3) NOT NULL')
  assert.equal(errorOf(() => compile(bin('||', col('s'), int(1)), columns)).code, 'FRESHET_SQL_INVALID')
})

test('timestamps plus and minus intervals; DATE plus a day', () => {
  const tsColumns = { t: T.ts, l: T.ltz, day: T.date }
  const t = wall('2026-03-29 01:30:00')
  assert.equal(
    evaluate(bin('+', col('t'), interval(3_600_000)), { t }, tsColumns),
    wall('2026-03-29 02:30:00'),
  )
  assert.equal(evaluate(bin('-', col('l'), interval(1000)), { l: 5000 }, tsColumns), 4000)
  assert.equal(evaluate(bin('+', interval(1000), col('l')), { l: 5000 }, tsColumns), 6000)
  assert.equal(evaluate(bin('+', col('day'), interval(86_400_000)), { day: 10 }, tsColumns), 11)
  assert.equal(formatType(compile(bin('+', col('t'), interval(1)), tsColumns).type), 'TIMESTAMP(3)')
  assert.equal(
    evaluate(bin('<', col('day'), typed('2026-01-01 00:00:01', T.ts)), { day: 20454 }, tsColumns),
    true,
  )
})

test('item access: arrays are 1-based with NULL out of range, maps by key; ROW fields', () => {
  const types = {
    arr: T.array(T.int),
    m: T.map(T.string, T.int),
    r: { kind: 'ROW', fields: [{ name: 'city', type: T.string }], nullable: true } as const,
  }
  assert.equal(evaluate(item(col('arr'), int(1)), { arr: [10, 20] }, types), 10)
  assert.equal(evaluate(item(col('arr'), int(0)), { arr: [10, 20] }, types), null)
  assert.equal(evaluate(item(col('arr'), int(3)), { arr: [10, 20] }, types), null)
  assert.equal(evaluate(item(col('m'), str('k')), { m: new Map([['k', 7]]) }, types), 7)
  assert.equal(evaluate(item(col('m'), str('z')), { m: new Map([['k', 7]]) }, types), null)
  assert.equal(evaluate(field(col('r'), 'city'), { r: { city: 'Paris' } }, types), 'Paris')
  assert.equal(evaluate(field(col('r'), 'city'), { r: null }, types), null)
  assert.equal(errorOf(() => compile(field(col('r'), 'town'), types)).code, 'FRESHET_SQL_INVALID')
})

test('an unknown column is refused with its position and a did-you-mean', () => {
  const error = errorOf(() => compile(col('user_idd', at(4, 9)), { user_id: T.int, amount: T.double }))
  assert.equal(error.code, ErrorCodes.SQL_INVALID.code)
  assert.equal(
    error.message,
    "job.sql:4:9: column 'user_idd' not found in any table; did you mean 'user_id'?",
  )
  assert.deepEqual(error.details, { file: 'job.sql', line: 4, column: 9 })
  const far = errorOf(() => compile(col('zzz'), { user_id: T.int }))
  assert.doesNotMatch(far.message, /did you mean/)
})

test('aggregates and OVER in a plain expression are refused; isAggregateFunction', () => {
  const error = errorOf(() => compile(call('SUM', [col('a')]), columns))
  assert.match(error.message, /aggregate function SUM is not allowed here/)
  const over = {
    kind: 'over',
    call: call('ROW_NUMBER', []),
    partitionBy: [],
    orderBy: [],
    at: at(1, 8),
  } as const
  assert.match(
    errorOf(() => compile(over, columns)).message,
    /^job\.sql:1:8: aggregate function ROW_NUMBER is not allowed here/,
  )
  assert.equal(isAggregateFunction('count'), true)
  assert.equal(isAggregateFunction('UPPER'), false)
})

test('an unknown function is refused with its name and position', () => {
  const error = errorOf(() => compile({ ...call('FROBNICATE', [int(1)]), at: at(7, 3) }, columns))
  assert.equal(error.message, 'job.sql:7:3: unknown function FROBNICATE')
})

test('constant subtrees are folded and flagged constant; column reads and NOW() are not', () => {
  const folded = compile(bin('+', int(1), int(2)), columns)
  assert.equal(folded.constant, true)
  assert.equal(folded.evaluate(null), 3)
  assert.equal(compile(bin('+', col('a'), int(2)), columns).constant, false)
  assert.equal(compile(call('NOW', []), columns).constant, false)
  const failing = compile(bin('/', int(1), int(0)), columns)
  assert.equal(failing.constant, true)
  assert.throws(() => failing.evaluate(null), /\/ by zero/, 'a failing constant still fails each row')
})

test('a constant argument that fails (ABS(1 / 0)) compiles, and fails each row', () => {
  const compiled = compile(call('ABS', [bin('/', int(1), int(0))]), columns)
  assert.throws(() => compiled.evaluate(null), /\/ by zero/)
  const list = compile(inList(col('a'), [bin('/', int(1), int(0))]), columns)
  assert.throws(() => list.evaluate({ a: 1 }), /\/ by zero/)
})

test('TIMESTAMP meets TIMESTAMP_LTZ through the session zone; DATE meets both', () => {
  // Compared, TIMESTAMP and TIMESTAMP_LTZ meet as instants; as CASE results they take Flink 2.2's
  // common type of the two (the first one's kind at equal precision, see leastRestrictive).
  const types = { t: T.ts, l: T.ltz, day: T.date }
  const row = { t: wall('2026-07-01 12:00:00'), l: Date.parse('2026-07-01T10:00:00Z'), day: 20635 }
  assert.equal(evaluate(bin('=', col('t'), col('l')), row, types, 'Europe/Paris'), true)
  assert.equal(evaluate(bin('=', col('t'), col('l')), row, types, 'UTC'), false)
  assert.equal(evaluate(bin('>', col('t'), col('l')), row, types, 'UTC'), true)
  assert.equal(
    formatType(compile(caseWhen([[bin('>', col('t'), col('l')), col('t')]], col('l')), types).type),
    'TIMESTAMP(3)',
  )
  // The TIMESTAMP_LTZ branch is read as the wall-clock time in the session zone.
  const latest = caseWhen([[bin('>', col('t'), col('l')), col('t')]], col('l'))
  assert.equal(evaluate(latest, row, types, 'Europe/Paris'), wall('2026-07-01 12:00:00'))
  assert.equal(evaluate(latest, row, types, 'Asia/Tokyo'), wall('2026-07-01 19:00:00'))
  assert.equal(evaluate(latest, row, types, 'UTC'), wall('2026-07-01 12:00:00'), 'the TIMESTAMP branch')
  // 2026-07-01 is day 20635; midnight in Paris is 22:00 UTC the day before.
  assert.equal(
    evaluate(
      bin('<', col('day'), col('l')),
      { ...row, l: Date.parse('2026-06-30T22:00:01Z') },
      types,
      'Europe/Paris',
    ),
    true,
  )
  assert.equal(
    evaluate(
      bin('<', col('day'), col('l')),
      { ...row, l: Date.parse('2026-06-30T21:59:59Z') },
      types,
      'Europe/Paris',
    ),
    false,
  )
})
