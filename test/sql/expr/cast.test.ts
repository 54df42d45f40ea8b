import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { SqlType } from '../../../src/sql/ast.ts'
import { formatType } from '../../../src/sql/types/index.ts'
import {
  at,
  bool,
  cast,
  col,
  compile,
  dbl,
  dec,
  errorOf,
  evaluate,
  int,
  nul,
  str,
  T,
  typed,
  wall,
} from '../helpers.ts'

const STRING: SqlType = { kind: 'VARCHAR', nullable: true }
const INT: SqlType = { kind: 'INT', nullable: true }
const TS3: SqlType = { kind: 'TIMESTAMP', precision: 3, nullable: true }
const LTZ3: SqlType = { kind: 'TIMESTAMP_LTZ', precision: 3, nullable: true }

function castString(value: string, type: SqlType, zone = 'UTC'): unknown {
  return evaluate(cast(str(value), type), {}, {}, zone)
}

test('string to numbers: trimmed, integers truncate a fraction, bad text fails the row at the CAST', () => {
  assert.equal(castString(' 42 ', INT), 42)
  assert.equal(castString('1.9', INT), 1)
  assert.equal(castString('-1.9', INT), -1)
  assert.equal(castString('1e3', { kind: 'DOUBLE', nullable: true }), 1000)
  assert.equal(castString('2.345', T.decimal(10, 2)), 2.35)
  const error = errorOf(() => evaluate(cast(col('s'), INT, false, at(5, 12)), { s: 'abc' }, { s: T.string }))
  assert.equal(error.code, 'FRESHET_OPERATOR_FAILED')
  assert.equal(error.message, "job.sql:5:12: cannot cast 'abc' to INT")
  assert.equal(
    errorOf(() => castString('2147483648', INT)).code,
    'FRESHET_OPERATOR_FAILED',
    'out of INT range',
  )
})

test('TRY_CAST gives NULL where CAST fails, and its type is nullable', () => {
  const tried = compile(cast(col('s'), INT, true), { s: T.stringNN })
  assert.equal(tried.evaluate({ s: 'abc' }), null)
  assert.equal(tried.evaluate({ s: '7' }), 7)
  assert.equal(formatType(tried.type), 'INT')
  assert.equal(
    formatType(compile(cast(col('s'), { kind: 'INT', nullable: true }), { s: T.stringNN }).type),
    'INT NOT NULL',
  )
})

test('numbers to integers: DOUBLE truncates and saturates like Java, BIGINT narrows by wrapping', () => {
  assert.equal(evaluate(cast(dbl(2.9), INT)), 2)
  assert.equal(evaluate(cast(dbl(-2.9), INT)), -2)
  assert.equal(evaluate(cast(dbl(1e10), INT)), 2147483647)
  assert.equal(evaluate(cast(dbl(NaN), INT)), 0)
  assert.equal(evaluate(cast(int(3_000_000_000), INT)), -1294967296)
  assert.equal(evaluate(cast(int(300), { kind: 'TINYINT', nullable: true })), 44)
})

test('numbers to DECIMAL round HALF_UP; too many digits give NULL', () => {
  assert.equal(evaluate(cast(dbl(1.005), T.decimal(10, 2))), 1.01)
  assert.equal(evaluate(cast(dbl(-2.5), T.decimal(10, 0))), -3)
  assert.equal(evaluate(cast(dbl(123.456), T.decimal(4, 2))), null)
  assert.equal(evaluate(cast(dec('99.995'), T.decimal(4, 2))), null)
})

test('to STRING: Java forms of doubles, DECIMAL scale kept, booleans upper-case, CHAR pads, VARCHAR cuts', () => {
  assert.equal(evaluate(cast(dbl(1), STRING)), '1.0')
  assert.equal(evaluate(cast(dbl(1e-4), STRING)), '1.0E-4')
  assert.equal(evaluate(cast(dbl(12345678.9), STRING)), '1.23456789E7')
  assert.equal(evaluate(cast(dec('1.50'), STRING)), '1.50')
  assert.equal(evaluate(cast(bool(true), STRING)), 'TRUE')
  assert.equal(evaluate(cast(str('ab'), { kind: 'CHAR', length: 4, nullable: true })), 'ab  ')
  assert.equal(evaluate(cast(str('abcdef'), { kind: 'VARCHAR', length: 3, nullable: true })), 'abc')
  assert.equal(evaluate(cast(nul(), STRING)), null)
})

test('booleans from strings and numbers', () => {
  assert.equal(castString('yes', T.bool), true)
  assert.equal(castString(' F ', T.bool), false)
  assert.equal(evaluate(cast(int(0), T.bool)), false)
  assert.equal(errorOf(() => castString('maybe', T.bool)).code, 'FRESHET_OPERATOR_FAILED')
})

test('DATE and TIMESTAMP text round trips in Flink formats', () => {
  assert.equal(castString('2026-03-01', T.date), 20513)
  assert.equal(evaluate(cast(cast(str('2026-03-01'), T.date), STRING)), '2026-03-01')
  assert.equal(castString('2026-03-01 10:20:30.123', TS3), wall('2026-03-01 10:20:30.123'))
  assert.equal(castString('2026-03-01T10:20:30', TS3), wall('2026-03-01 10:20:30'))
  assert.equal(evaluate(cast(cast(str('2026-03-01 10:20:30.1'), TS3), STRING)), '2026-03-01 10:20:30.100')
  assert.equal(
    evaluate(
      cast(typed('2026-03-01 10:20:30.789', TS3), { kind: 'TIMESTAMP', precision: 0, nullable: true }),
    ),
    wall('2026-03-01 10:20:30'),
  )
  assert.equal(errorOf(() => castString('2026-02-30', T.date)).code, 'FRESHET_OPERATOR_FAILED')
  assert.equal(evaluate(cast(typed('2026-03-01 23:59:59', TS3), T.date)), 20513)
})

test('TIMESTAMP <-> TIMESTAMP_LTZ through the session zone, across DST in Paris and New York', () => {
  const toLtz = (text: string, zone: string) => evaluate(cast(typed(text, TS3), LTZ3), {}, {}, zone)
  assert.equal(toLtz('2026-01-15 12:00:00', 'Europe/Paris'), Date.parse('2026-01-15T11:00:00Z'))
  assert.equal(toLtz('2026-07-15 12:00:00', 'Europe/Paris'), Date.parse('2026-07-15T10:00:00Z'))
  assert.equal(toLtz('2026-07-15 12:00:00', 'America/New_York'), Date.parse('2026-07-15T16:00:00Z'))
  assert.equal(toLtz('2026-07-15 12:00:00', 'UTC'), Date.parse('2026-07-15T12:00:00Z'))
  // 02:30 does not exist in Paris on 2026-03-29: java.time moves it later by the gap (03:30 +02:00).
  assert.equal(toLtz('2026-03-29 02:30:00', 'Europe/Paris'), Date.parse('2026-03-29T01:30:00Z'))
  // 02:30 happens twice on 2026-10-25: the earlier offset (+02:00) wins.
  assert.equal(toLtz('2026-10-25 02:30:00', 'Europe/Paris'), Date.parse('2026-10-25T00:30:00Z'))
  // New York springs forward on 2026-03-08 at 02:00 and falls back on 2026-11-01 at 02:00.
  assert.equal(toLtz('2026-03-08 02:30:00', 'America/New_York'), Date.parse('2026-03-08T07:30:00Z'))
  assert.equal(toLtz('2026-11-01 01:30:00', 'America/New_York'), Date.parse('2026-11-01T05:30:00Z'))

  const instant = Date.parse('2026-10-25T00:30:00Z')
  const text = (zone: string) => evaluate(cast(col('l'), STRING), { l: instant }, { l: T.ltz }, zone)
  assert.equal(text('Europe/Paris'), '2026-10-25 02:30:00.000')
  assert.equal(text('UTC'), '2026-10-25 00:30:00.000')
  assert.equal(text('America/New_York'), '2026-10-24 20:30:00.000')
  assert.equal(
    evaluate(cast(col('l'), TS3), { l: instant + 3_600_000 }, { l: T.ltz }, 'Europe/Paris'),
    wall('2026-10-25 02:30:00'),
  )
  assert.equal(
    evaluate(cast(str('2026-07-01 00:00:00'), LTZ3), {}, {}, 'GMT+08:00'),
    Date.parse('2026-06-30T16:00:00Z'),
  )
})

test('casts Flink refuses are refused at compile time', () => {
  assert.equal(errorOf(() => compile(cast(int(1), TS3))).code, 'FRESHET_SQL_INVALID')
  assert.equal(errorOf(() => compile(cast(col('d'), T.bool), { d: T.date })).code, 'FRESHET_SQL_INVALID')
})
