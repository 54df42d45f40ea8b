/** Queries: WITH, SELECT clauses, joins, set operations with SQL's precedence. */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Query } from '../../../src/sql/ast.ts'
import { assertRefused, bin, call, col, int, item, queryOf, selectOf, shape, table } from './helpers.ts'

const select = (from: string, extra: Record<string, unknown> = {}) => ({
  kind: 'select',
  with: [],
  distinct: false,
  items: [item(col('a'))],
  from: table(from),
  groupBy: [],
  orderBy: [],
  ...extra,
})

/** The operator tree of a set operation: `(a UNION b)` style. */
function ops(query: Query): string {
  if (query.kind === 'select') return query.from?.kind === 'table' ? query.from.name : '?'
  return `(${ops(query.left)} ${query.op} ${ops(query.right)})`
}

test('set operations: INTERSECT before UNION and EXCEPT, left to right otherwise', async () => {
  const q = (sql: string) => queryOf(sql).then(ops)
  assert.equal(
    await q('SELECT a FROM t UNION ALL SELECT a FROM u INTERSECT SELECT a FROM v'),
    '(t UNION ALL (u INTERSECT v))',
  )
  assert.equal(
    await q('SELECT a FROM t INTERSECT SELECT a FROM u UNION SELECT a FROM v'),
    '((t INTERSECT u) UNION v)',
  )
  assert.equal(
    await q('SELECT a FROM t EXCEPT SELECT a FROM u UNION ALL SELECT a FROM v'),
    '((t EXCEPT u) UNION ALL v)',
  )
  assert.equal(
    await q('(SELECT a FROM t UNION SELECT a FROM u) INTERSECT SELECT a FROM v'),
    '((t UNION u) INTERSECT v)',
  )
})

test('ORDER BY or LIMIT after a set operation is refused rather than given to its last SELECT', async () => {
  await assertRefused('SELECT a FROM t UNION ALL SELECT a FROM u ORDER BY a', {
    code: 'FRESHET_SQL_UNSUPPORTED',
    line: 1,
    column: 27,
    construct: 'ORDER BY or LIMIT on a set operation',
  })
})

test('WITH items belong to the query they precede', async () => {
  const query = await queryOf('WITH x AS (SELECT a FROM t), y AS (SELECT a FROM x) SELECT a FROM y')
  assert.deepEqual(
    [query.at, query.with[1]!.at],
    [
      { line: 1, column: 1 },
      { line: 1, column: 30 },
    ],
  )
  assert.deepEqual(shape(query), {
    ...select('y'),
    with: [
      { name: 'x', query: select('t') },
      { name: 'y', query: select('x') },
    ],
  })
})

test('SELECT DISTINCT, qualified star, aliases with and without AS, WHERE, GROUP BY, HAVING, ORDER BY, LIMIT', async () => {
  const query = await selectOf(
    'SELECT DISTINCT t.*, a AS x, b y, COUNT(*) AS n FROM t WHERE a > 1 GROUP BY a, b HAVING COUNT(*) > 2 ORDER BY n DESC NULLS LAST, a LIMIT 10',
  )
  assert.deepEqual(shape(query), {
    kind: 'select',
    with: [],
    distinct: true,
    items: [
      { kind: 'star', qualifier: 't' },
      item(col('a'), 'x'),
      item(col('b'), 'y'),
      item(call('COUNT', [], { star: true }), 'n'),
    ],
    from: table('t'),
    where: bin('>', col('a'), int(1)),
    groupBy: [col('a'), col('b')],
    having: bin('>', call('COUNT', [], { star: true }), int(2)),
    orderBy: [
      { expr: col('n'), descending: true, nullsFirst: false },
      { expr: col('a'), descending: false },
    ],
    limit: 10,
  })
})

test('joins: INNER, LEFT, RIGHT, FULL (OUTER), CROSS, comma, ON and USING; left-associative', async () => {
  const from = async (sql: string) => shape((await selectOf(`SELECT a FROM ${sql}`)).from)
  const on = bin('=', col('id', 'x'), col('id', 'y'))
  const join = (type: string, left: unknown, right: unknown, extra: Record<string, unknown>) => ({
    kind: 'join',
    type,
    left,
    right,
    ...extra,
  })
  const x = table('x')
  const y = table('y')
  assert.deepEqual(await from('x JOIN y ON x.id = y.id'), join('INNER', x, y, { on }))
  assert.deepEqual(await from('x INNER JOIN y ON x.id = y.id'), join('INNER', x, y, { on }))
  assert.deepEqual(await from('x LEFT OUTER JOIN y ON x.id = y.id'), join('LEFT', x, y, { on }))
  assert.deepEqual(await from('x RIGHT JOIN y ON x.id = y.id'), join('RIGHT', x, y, { on }))
  assert.deepEqual(
    await from('x FULL OUTER JOIN y USING (id, k)'),
    join('FULL', x, y, { using: ['id', 'k'] }),
  )
  assert.deepEqual(await from('x CROSS JOIN y'), join('CROSS', x, y, {}))
  assert.deepEqual(await from('x, y, z'), join('CROSS', join('CROSS', x, y, {}), table('z'), {}))
  assert.deepEqual(
    await from('x JOIN y ON x.id = y.id LEFT JOIN z ON z.k = y.k'),
    join('LEFT', join('INNER', x, y, { on }), table('z'), { on: bin('=', col('k', 'z'), col('k', 'y')) }),
  )
  await assertRefused('SELECT a FROM x JOIN y', { code: 'FRESHET_SQL_INVALID', line: 1, column: 17 })
})

test('subqueries with and without alias; temporal join with FOR SYSTEM_TIME AS OF and an alias', async () => {
  const query = await selectOf(
    'SELECT a FROM (SELECT a FROM t) AS s JOIN r FOR SYSTEM_TIME AS OF s.ts AS rr ON s.a = rr.a',
  )
  assert.deepEqual(shape(query.from), {
    kind: 'join',
    type: 'INNER',
    left: { kind: 'subquery', query: select('t'), alias: 's' },
    right: table('r', { alias: 'rr', forSystemTimeAsOf: col('ts', 's') }),
    on: bin('=', col('a', 's'), col('a', 'rr')),
  })
})

test('FROM constructs without a tree are refused by name', async () => {
  const refused = (sql: string, column: number, construct: string) =>
    assertRefused(sql, { code: 'FRESHET_SQL_UNSUPPORTED', line: 1, column, construct })
  await refused('SELECT a FROM t, LATERAL TABLE(f(t.x))', 18, 'LATERAL TABLE function')
  await refused('SELECT a FROM t CROSS JOIN UNNEST(t.arr)', 28, 'UNNEST')
  await refused('SELECT a FROM t NATURAL JOIN u', 17, 'NATURAL JOIN')
  await refused('SELECT a FROM t AS x (b, c)', 17, 'column aliases after a table alias')
  await refused('VALUES (1), (2)', 1, 'VALUES')
})

test('GROUPING SETS, ROLLUP and CUBE: the sets apart from the plain GROUP BY items', async () => {
  const sets = async (groupBy: string) => {
    const query = await selectOf(`SELECT a FROM t GROUP BY ${groupBy}`)
    return shape({ groupBy: query.groupBy, groupingSets: query.groupingSets })
  }
  const [a, b, w] = [col('a'), col('b'), col('w')]
  assert.deepEqual(await sets('w, GROUPING SETS ((a), (a, b), ())'), {
    groupBy: [w],
    groupingSets: [[a], [a, b], []],
  })
  assert.deepEqual(await sets('GROUPING SETS (a, b)'), { groupBy: [], groupingSets: [[a], [b]] })
  assert.deepEqual(await sets('w, ROLLUP (a, b)'), { groupBy: [w], groupingSets: [[a, b], [a], []] })
  assert.deepEqual(await sets('CUBE (a, b)'), { groupBy: [], groupingSets: [[a, b], [a], [b], []] })
  assert.deepEqual(await sets('w, (a, b)'), { groupBy: [w, a, b] })
  await assertRefused('SELECT a FROM t GROUP BY ROLLUP (a), CUBE (b)', {
    code: 'FRESHET_SQL_UNSUPPORTED',
    line: 1,
    column: 38,
    construct: 'two GROUPING SETS, ROLLUP or CUBE in one GROUP BY',
  })
})
