import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { CallExpr } from '../../../src/sql/ast.ts'
import { compileAggregate } from '../../../src/sql/expr/aggregates.ts'
import type { CompiledAggregate } from '../../../src/sql/expr/types.ts'
import { formatType } from '../../../src/sql/types/index.ts'
import { at, bin, call, col, context, errorOf, int, str, T } from '../helpers.ts'

const columns = { a: T.int, d: T.double, s: T.string, t: T.ts, p: T.decimal(10, 2), big: T.bigint }

function aggregate(expr: CallExpr): CompiledAggregate {
  return compileAggregate(expr, context(columns))
}

/** Feeds rows one by one, through a JSON round trip after each add (the state store's view). */
function run(agg: CompiledAggregate, rows: Array<Record<string, unknown>>): unknown {
  let acc = agg.init()
  for (const row of rows) acc = JSON.parse(JSON.stringify(agg.add(acc, row)))
  return agg.result(acc)
}

type Input = { a: number | null; s: string | null }

const values = (name: string, xs: Array<number | string | null>) => xs.map((x) => ({ [name]: x }))

test('COUNT(*), COUNT(x) skips NULL, both BIGINT NOT NULL and 0 over nothing', () => {
  const star = aggregate(call('COUNT', [], { star: true }))
  const count = aggregate(call('COUNT', [col('a')]))
  const rows = values('a', [1, null, 3])
  assert.equal(run(star, rows), 3)
  assert.equal(run(count, rows), 2)
  assert.equal(run(count, []), 0)
  assert.equal(formatType(count.type), 'BIGINT NOT NULL')
})

test('SUM keeps the argument type and wraps INT; SUM over only NULLs is NULL', () => {
  const sum = aggregate(call('SUM', [col('a')]))
  assert.equal(formatType(sum.type), 'INT')
  assert.equal(run(sum, values('a', [1, 2, null])), 3)
  assert.equal(run(sum, values('a', [null, null])), null)
  assert.equal(run(sum, []), null)
  assert.equal(run(sum, values('a', [2147483647, 1])), -2147483648)
  const decimal = aggregate(call('SUM', [col('p')]))
  assert.equal(formatType(decimal.type), 'DECIMAL(38, 2)')
  assert.equal(run(decimal, values('p', [0.1, 0.2, 0.7])), 1)
})

test('AVG of INT is INT and truncates toward zero; AVG of DOUBLE is exact; DECIMAL scale 6', () => {
  const avg = aggregate(call('AVG', [col('a')]))
  assert.equal(formatType(avg.type), 'INT')
  assert.equal(run(avg, values('a', [1, 2])), 1)
  assert.equal(run(avg, values('a', [-1, -2])), -1)
  assert.equal(run(avg, values('a', [1, 2, 2, null])), 1)
  assert.equal(run(avg, []), null)
  assert.equal(run(aggregate(call('AVG', [col('d')])), values('d', [1, 2])), 1.5)
  const decimal = aggregate(call('AVG', [col('p')]))
  assert.equal(formatType(decimal.type), 'DECIMAL(38, 6)')
  assert.equal(run(decimal, values('p', [1, 1, 2])), 1.333333)
})

test('MIN and MAX on numbers, strings and timestamps', () => {
  assert.equal(run(aggregate(call('MIN', [col('a')])), values('a', [3, null, 1, 2])), 1)
  assert.equal(run(aggregate(call('MAX', [col('s')])), values('s', ['b', 'c', 'a'])), 'c')
  assert.equal(run(aggregate(call('MAX', [col('t')])), values('t', [5000, 9000, 1000])), 9000)
  assert.equal(run(aggregate(call('MAX', [col('a')])), values('a', [null])), null)
})

test('FIRST_VALUE and LAST_VALUE by arrival, skipping NULLs', () => {
  assert.equal(run(aggregate(call('FIRST_VALUE', [col('s')])), values('s', [null, 'x', 'y'])), 'x')
  assert.equal(run(aggregate(call('LAST_VALUE', [col('s')])), values('s', ['x', 'y', null])), 'y')
})

test('LISTAGG with the default and a custom separator', () => {
  assert.equal(run(aggregate(call('LISTAGG', [col('s')])), values('s', ['a', null, 'b'])), 'a,b')
  assert.equal(run(aggregate(call('LISTAGG', [col('s'), str('; ')])), values('s', ['a', 'b'])), 'a; b')
  assert.equal(run(aggregate(call('LISTAGG', [col('s')])), []), null)
})

test('DISTINCT on COUNT, SUM and AVG counts each value once', () => {
  const rows = values('a', [1, 1, 2, null, 2, 3])
  assert.equal(run(aggregate(call('COUNT', [col('a')], { distinct: true })), rows), 3)
  assert.equal(run(aggregate(call('SUM', [col('a')], { distinct: true })), rows), 6)
  assert.equal(run(aggregate(call('AVG', [col('a')], { distinct: true })), rows), 2)
  assert.equal(run(aggregate(call('COUNT', [col('a')], { distinct: true })), []), 0)
})

test('FILTER (WHERE ...) skips rows whose condition is not TRUE', () => {
  const filtered = aggregate(call('SUM', [col('a')], { filter: bin('>', col('a'), int(1)) }))
  assert.equal(run(filtered, values('a', [1, 2, 3, null])), 5)
  const count = aggregate(call('COUNT', [], { star: true, filter: bin('=', col('s'), str('x')) }))
  assert.equal(run(count, values('s', ['x', null, 'y', 'x'])), 2)
})

test('merge equals feeding all rows to one accumulator, for every kind (sessions merge)', () => {
  const left: Input[] = [
    { a: 1, s: 'a' },
    { a: 5, s: null },
    { a: 1, s: 'b' },
  ]
  const right: Input[] = [
    { a: null, s: 'c' },
    { a: 5, s: 'a' },
    { a: 7, s: 'd' },
  ]
  const calls = [
    call('COUNT', [], { star: true }),
    call('COUNT', [col('a')]),
    call('COUNT', [col('a')], { distinct: true }),
    call('SUM', [col('a')]),
    call('SUM', [col('a')], { distinct: true }),
    call('AVG', [col('a')]),
    call('MIN', [col('a')]),
    call('MAX', [col('s')]),
    call('FIRST_VALUE', [col('s')]),
    call('LAST_VALUE', [col('s')]),
    call('LISTAGG', [col('s')]),
    call('LISTAGG', [col('s')], { distinct: true }),
  ]
  for (const expr of calls) {
    const agg = aggregate(expr)
    const feed = (rows: Input[]) => rows.reduce((acc, row) => agg.add(acc, row), agg.init())
    const whole = agg.result(feed([...left, ...right]))
    const a = feed(left)
    const b = feed(right)
    const aText = JSON.stringify(a)
    const bText = JSON.stringify(b)
    const merged = agg.merge(JSON.parse(aText), JSON.parse(bText))
    assert.deepEqual(agg.result(merged), whole, `${expr.name}${expr.distinct ? ' DISTINCT' : ''}`)
    assert.deepEqual(
      agg.result(agg.merge(agg.init(), b)),
      agg.result(b),
      `${expr.name}: merge with an empty one`,
    )
    assert.equal(JSON.stringify(a), aText, `${expr.name}: merge leaves its arguments alone`)
  }
})

test('init() values may be shared: adds never change them', () => {
  for (const expr of [
    call('COUNT', [col('a')], { distinct: true }),
    call('AVG', [col('a')]),
    call('LISTAGG', [col('s')]),
  ]) {
    const agg = aggregate(expr)
    const empty = agg.init()
    const before = JSON.stringify(empty)
    const one = agg.add(empty, { a: 1, s: 'x' })
    const other = agg.add(agg.add(empty, { a: 2, s: 'y' }), { a: 4, s: 'z' })
    assert.equal(JSON.stringify(empty), before, expr.name)
    assert.notDeepEqual(agg.result(one), agg.result(other), expr.name)
  }
})

test('bad aggregate calls are refused', () => {
  assert.equal(errorOf(() => aggregate(call('SUM', [col('s')]))).code, 'FRESHET_SQL_INVALID')
  assert.equal(errorOf(() => aggregate(call('SUM', [], { star: true }))).code, 'FRESHET_SQL_INVALID')
  const unknown = errorOf(() => aggregate({ ...call('STDDEV_POP', [col('a')]), at: at(2, 5) }))
  assert.equal(unknown.code, 'FRESHET_SQL_UNSUPPORTED')
  assert.match(unknown.message, /^job\.sql:2:5: aggregate function STDDEV_POP is not supported/)
})
