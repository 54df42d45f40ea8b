/** Expressions: precedence and associativity, literals and their types, predicates, names. */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { assertRefused, bin, col, exprOf, exprsOf, int, shape, str } from './helpers.ts'

const not = (operand: unknown) => ({ kind: 'unary', op: 'NOT', operand })
const neg = (operand: unknown) => ({ kind: 'unary', op: '-', operand })

test('arithmetic: * / % over + -, left-associative', async () => {
  const [a, b, c] = await exprsOf('1 + 2 * 3 - 4 - 5, a - b - c, a / b * c % 2')
  assert.deepEqual(shape(a), bin('-', bin('-', bin('+', int(1), bin('*', int(2), int(3))), int(4)), int(5)))
  assert.deepEqual(shape(b), bin('-', bin('-', col('a'), col('b')), col('c')))
  assert.deepEqual(shape(c), bin('%', bin('*', bin('/', col('a'), col('b')), col('c')), int(2)))
})

test('`column - x` in a select list is arithmetic, not the column aliased `-x`', async () => {
  const [first, second] = await exprsOf('a - b, a -1')
  assert.deepEqual(shape(first), bin('-', col('a'), col('b')))
  assert.deepEqual(shape(second), bin('-', col('a'), int(1)))
})

test('unary minus binds tighter than *, parentheses win', async () => {
  const [first, second] = await exprsOf('-a * b, (a + b) * c')
  assert.deepEqual(shape(first), bin('*', neg(col('a')), col('b')))
  assert.deepEqual(shape(second), bin('*', bin('+', col('a'), col('b')), col('c')))
})

test('|| is at the level of * / % as in Flink, above + and -, unless parenthesized', async () => {
  const [first, second, third, fourth, fifth] = await exprsOf(
    'a + b || c || d, (a + b) || c, a * b || c, a || b * c % d, a + b || c * d',
  )
  assert.deepEqual(shape(first), bin('+', col('a'), bin('||', bin('||', col('b'), col('c')), col('d'))))
  assert.deepEqual(shape(second), bin('||', bin('+', col('a'), col('b')), col('c')))
  assert.deepEqual(shape(third), bin('||', bin('*', col('a'), col('b')), col('c')))
  assert.deepEqual(shape(fourth), bin('%', bin('*', bin('||', col('a'), col('b')), col('c')), col('d')))
  assert.deepEqual(shape(fifth), bin('+', col('a'), bin('*', bin('||', col('b'), col('c')), col('d'))))
  const [parenthesized] = await exprsOf('a || (b * c)')
  assert.deepEqual(shape(parenthesized), bin('||', col('a'), bin('*', col('b'), col('c'))))
})

test('boolean: OR < AND < NOT < comparison', async () => {
  const value = await exprOf('a OR b AND NOT c = 1')
  assert.deepEqual(shape(value), bin('OR', col('a'), bin('AND', col('b'), not(bin('=', col('c'), int(1))))))
  const left = await exprOf('NOT a AND b')
  assert.deepEqual(shape(left), bin('AND', not(col('a')), col('b')))
})

test('comparison operators, != as <>', async () => {
  const values = await exprsOf('a = 1, a <> 1, a != 1, a < 1, a <= 1, a > 1, a >= 1')
  assert.deepEqual(
    values.map((v) => (v.kind === 'binary' ? v.op : v.kind)),
    ['=', '<>', '<>', '<', '<=', '>', '>='],
  )
})

test('IS tests, IS [NOT] DISTINCT FROM', async () => {
  const values = await exprsOf(
    'a IS NULL, a IS NOT NULL, a IS TRUE, a IS NOT FALSE, a IS UNKNOWN, a = b IS TRUE, a IS DISTINCT FROM b, a IS NOT DISTINCT FROM b',
  )
  const is = (operand: unknown, test: string, negated: boolean) => ({ kind: 'is', operand, test, negated })
  assert.deepEqual(shape(values), [
    is(col('a'), 'NULL', false),
    is(col('a'), 'NULL', true),
    is(col('a'), 'TRUE', false),
    is(col('a'), 'FALSE', true),
    is(col('a'), 'UNKNOWN', false),
    is(bin('=', col('a'), col('b')), 'TRUE', false),
    bin('IS DISTINCT FROM', col('a'), col('b')),
    bin('IS NOT DISTINCT FROM', col('a'), col('b')),
  ])
})

test('BETWEEN, IN, LIKE with their negations; BETWEEN binds its AND before the boolean AND', async () => {
  const value = await exprOf(
    "x BETWEEN 1 AND 2 AND y NOT BETWEEN a - 1 AND a OR z NOT IN (1, 2) AND w NOT LIKE 'a!%' ESCAPE '!'",
  )
  assert.deepEqual(
    shape(value),
    bin(
      'OR',
      bin(
        'AND',
        { kind: 'between', operand: col('x'), low: int(1), high: int(2), negated: false },
        {
          kind: 'between',
          operand: col('y'),
          low: bin('-', col('a'), int(1)),
          high: col('a'),
          negated: true,
        },
      ),
      bin(
        'AND',
        { kind: 'in', operand: col('z'), list: [int(1), int(2)], negated: true },
        { kind: 'like', operand: col('w'), pattern: str('a!%'), escape: '!', negated: true },
      ),
    ),
  )
})

test('literal types: INT, BIGINT, DECIMAL(p, s), DOUBLE, CHAR(n), BOOLEAN, NULL', async () => {
  const values = await exprsOf("7, -7, 2147483648, 1.50, .5, 0.05, 1e3, 'it''s', '', TRUE, FALSE, NULL")
  assert.deepEqual(
    values.map((v) => (v.kind === 'literal' ? [v.value, v.type, v.text] : v.kind)),
    [
      [7, { kind: 'INT', nullable: false }, '7'],
      [-7, { kind: 'INT', nullable: false }, '-7'],
      [2147483648, { kind: 'BIGINT', nullable: false }, '2147483648'],
      [1.5, { kind: 'DECIMAL', precision: 3, scale: 2, nullable: false }, '1.50'],
      [0.5, { kind: 'DECIMAL', precision: 1, scale: 1, nullable: false }, '.5'],
      [0.05, { kind: 'DECIMAL', precision: 2, scale: 2, nullable: false }, '0.05'],
      [1000, { kind: 'DOUBLE', nullable: false }, '1e3'],
      ["it's", { kind: 'CHAR', length: 4, nullable: false }, "'it''s'"],
      ['', { kind: 'CHAR', length: 0, nullable: false }, "''"],
      [true, { kind: 'BOOLEAN', nullable: false }, 'TRUE'],
      [false, { kind: 'BOOLEAN', nullable: false }, 'FALSE'],
      [null, { kind: 'NULL', nullable: true }, 'NULL'],
    ],
  )
})

test('DATE, TIME and TIMESTAMP literals keep their string; precision from the fraction', async () => {
  const values = await exprsOf("DATE '2026-01-01', TIME '10:00:00', TIMESTAMP '2026-01-01 10:00:00.123'")
  assert.deepEqual(shape(values), [
    {
      kind: 'literal',
      value: '2026-01-01',
      type: { kind: 'DATE', nullable: false },
      text: "DATE '2026-01-01'",
    },
    {
      kind: 'literal',
      value: '10:00:00',
      type: { kind: 'TIME', precision: 0, nullable: false },
      text: "TIME '10:00:00'",
    },
    {
      kind: 'literal',
      value: '2026-01-01 10:00:00.123',
      type: { kind: 'TIMESTAMP', precision: 3, nullable: false },
      text: "TIMESTAMP '2026-01-01 10:00:00.123'",
    },
  ])
  await assertRefused("SELECT DATE '2026-13' FROM t", { code: 'FRESHET_SQL_INVALID', line: 1, column: 8 })
})

test('names: qualified columns, fields of ROW columns, back-quoted names, case kept', async () => {
  const values = await exprsOf('userId, e.user_id, e.data.page, `timestamp`, `my col`.x')
  assert.deepEqual(shape(values), [
    col('userId'),
    col('user_id', 'e'),
    { kind: 'field', of: col('data', 'e'), name: 'page' },
    col('timestamp'),
    col('x', 'my col'),
  ])
})

test('item access: array index and map key', async () => {
  const values = await exprsOf("arr[1], m['k'], r.items[2]")
  assert.deepEqual(shape(values), [
    { kind: 'item', of: col('arr'), index: int(1) },
    { kind: 'item', of: col('m'), index: str('k') },
    { kind: 'item', of: col('items', 'r'), index: int(2) },
  ])
})

test('CASE in both forms, CAST', async () => {
  const [searched, simple, cast] = await exprsOf(
    "CASE WHEN a > 1 THEN 'x' END, CASE a WHEN 1 THEN 'one' ELSE 'many' END, CAST(a AS DECIMAL(10, 2))",
  )
  assert.deepEqual(shape(searched), {
    kind: 'case',
    whens: [{ when: bin('>', col('a'), int(1)), then: str('x') }],
  })
  assert.deepEqual(shape(simple), {
    kind: 'case',
    operand: col('a'),
    whens: [{ when: int(1), then: str('one') }],
    else: str('many'),
  })
  assert.deepEqual(shape(cast), {
    kind: 'cast',
    operand: col('a'),
    type: { kind: 'DECIMAL', precision: 10, scale: 2, nullable: true },
    try: false,
  })
})

test('refused expressions: IN subquery, EXISTS, scalar subquery, SIMILAR TO, bit operators', async () => {
  const refused = (sql: string, column: number, construct: string) =>
    assertRefused(sql, { code: 'FRESHET_SQL_UNSUPPORTED', line: 1, column, construct })
  await refused('SELECT a FROM t WHERE a IN (SELECT b FROM u)', 25, 'IN subquery')
  await refused('SELECT a FROM t WHERE EXISTS (SELECT b FROM u)', 23, 'EXISTS subquery')
  await refused('SELECT a FROM t WHERE a > (SELECT MAX(b) FROM u)', 27, 'scalar subquery')
  await refused("SELECT a FROM t WHERE a SIMILAR TO 'x'", 25, 'SIMILAR TO')
  await refused('SELECT a & b FROM t', 10, 'operator &')
})

test("a backslash escapes nothing: 'a\\b' keeps it, 'it\\'s' is refused where the lexer reads on", async () => {
  const [path] = await exprsOf("'a\\b'")
  assert.deepEqual(shape(path), { ...str('a\\b'), text: "'a\\b'" })
  await assertRefused("SELECT 'it\\'s' FROM t", { code: 'FRESHET_SQL_INVALID', line: 1, column: 8 })
})
