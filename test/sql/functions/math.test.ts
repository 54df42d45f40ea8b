import assert from 'node:assert/strict'
import { test } from 'node:test'
import { formatType } from '../../../src/sql/types/index.ts'
import { call, col, compile, dbl, dec, errorOf, evaluate, int, nul, T } from '../helpers.ts'

const f = (name: string, ...args: Parameters<typeof call>[1]) => evaluate(call(name, args))
const typeOf = (name: string, ...args: Parameters<typeof call>[1]) =>
  formatType(compile(call(name, args)).type)

test('ROUND is HALF_UP like BigDecimal and keeps the argument type', () => {
  assert.equal(f('ROUND', dbl(2.5)), 3)
  assert.equal(f('ROUND', dbl(-2.5)), -3)
  assert.equal(f('ROUND', dbl(1.005), int(2)), 1.01)
  assert.equal(f('ROUND', int(1250), int(-2)), 1300)
  assert.equal(f('ROUND', dec('3.14159'), int(2)), 3.14)
  assert.equal(typeOf('ROUND', dec('3.14159'), int(2)), 'DECIMAL(4, 2) NOT NULL')
  assert.equal(typeOf('ROUND', int(1)), 'INT NOT NULL')
  assert.equal(typeOf('ROUND', dbl(1)), 'DOUBLE NOT NULL')
})

test('TRUNCATE, CEIL, FLOOR, SIGN, ABS with their types', () => {
  assert.equal(f('TRUNCATE', dbl(-1.99)), -1)
  assert.equal(f('TRUNCATE', dbl(1.239), int(2)), 1.23)
  assert.equal(f('CEIL', dbl(1.1)), 2)
  assert.equal(f('FLOOR', dbl(-1.1)), -2)
  assert.equal(typeOf('FLOOR', dec('12.34')), 'DECIMAL(3, 0) NOT NULL')
  assert.equal(f('CEILING', dec('12.34')), 13)
  assert.equal(f('SIGN', dbl(-3)), -1)
  assert.equal(f('ABS', int(-3)), 3)
  assert.equal(f('ABS', int(-2147483648)), -2147483648, 'as Java Math.abs on int')
})

test('MOD with integers, and its division by zero', () => {
  assert.equal(f('MOD', int(-7), int(3)), -1)
  assert.equal(f('MOD', int(7), int(-3)), 1)
  assert.equal(errorOf(() => f('MOD', int(7), int(0))).code, 'FRESHET_OPERATOR_FAILED')
  assert.equal(f('MOD', dbl(7.5), int(2)), 1.5)
})

test('POWER, SQRT, EXP, LN, LOG10, LOG2, LOG are DOUBLE; LOG2 of 0 fails as in Flink', () => {
  assert.equal(f('POWER', int(2), int(10)), 1024)
  assert.equal(typeOf('POWER', int(2), int(10)), 'DOUBLE NOT NULL')
  assert.equal(f('SQRT', int(16)), 4)
  assert.ok(Number.isNaN(f('SQRT', int(-1))))
  assert.equal(f('LN', int(1)), 0)
  assert.equal(f('LOG10', int(1000)), 3)
  assert.equal(f('LOG2', int(8)), 3)
  assert.equal(f('LOG', int(2), int(8)), 3)
  assert.equal(errorOf(() => f('LOG2', int(0))).code, 'FRESHET_OPERATOR_FAILED')
  assert.equal(f('EXP', int(0)), 1)
})

test('GREATEST and LEAST: common type, NULL when any argument is NULL', () => {
  assert.equal(f('GREATEST', int(1), int(5), int(3)), 5)
  assert.equal(f('LEAST', int(4), dbl(2.5)), 2.5)
  assert.equal(typeOf('GREATEST', int(1), dbl(2)), 'DOUBLE NOT NULL')
  assert.equal(evaluate(call('GREATEST', [int(1), col('a')]), { a: null }, { a: T.int }), null)
  assert.equal(f('GREATEST', nul(), int(1)), null)
})

test('RAND(seed) repeats java.util.Random; RAND() is not constant', () => {
  const seeded = compile(call('RAND', [int(42)]))
  // new java.util.Random(42).nextDouble() twice
  assert.equal(seeded.evaluate(null), 0.7275636800328681)
  assert.equal(seeded.evaluate(null), 0.6832234717598454)
  assert.equal(compile(call('RAND', [])).constant, false)
})
