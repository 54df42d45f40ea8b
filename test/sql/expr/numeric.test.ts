import assert from 'node:assert/strict'
import { test } from 'node:test'
import { javaDoubleString, javaFloatString, roundHalfUp, truncateTo } from '../../../src/sql/expr/numeric.ts'

test('roundHalfUp rounds the printed decimal as BigDecimal.valueOf(double) does', () => {
  assert.equal(roundHalfUp(1.005, 2), 1.01)
  assert.equal(roundHalfUp(2.675, 2), 2.68)
  assert.equal(roundHalfUp(0.5, 0), 1)
  assert.equal(roundHalfUp(-0.5, 0), -1)
  assert.equal(roundHalfUp(1.4999, 0), 1)
  assert.equal(roundHalfUp(1250, -2), 1300)
  assert.equal(roundHalfUp(1e-7, 2), 0)
})

test('truncateTo cuts toward zero on the printed decimal', () => {
  assert.equal(truncateTo(1.15, 2), 1.15)
  assert.equal(truncateTo(-1.99, 0), -1)
  assert.equal(truncateTo(1234.5, -2), 1200)
  assert.equal(truncateTo(1.9999999999, 0), 1, 'close to a whole number is not rounded up')
  assert.equal(truncateTo(-0.29, 1), -0.2)
  assert.equal(truncateTo(4.35, 2), 4.35)
})

test("Java's Double.toString and Float.toString forms", () => {
  assert.equal(javaDoubleString(100), '100.0')
  assert.equal(javaDoubleString(0.001), '0.001')
  assert.equal(javaDoubleString(0.0001), '1.0E-4')
  assert.equal(javaDoubleString(1e7), '1.0E7')
  assert.equal(javaDoubleString(-1.5e-10), '-1.5E-10')
  assert.equal(javaDoubleString(NaN), 'NaN')
  assert.equal(javaFloatString(Math.fround(0.1)), '0.1')
  assert.equal(javaFloatString(Math.fround(3.14159)), '3.14159')
})
