/** INTERVAL literals in milliseconds, and the ones Flink refuses too. */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { assertRefused, exprOf } from './helpers.ts'

const CASES: [string, number][] = [
  ["INTERVAL '5' SECOND", 5_000],
  ["INTERVAL '10' SECONDS", 10_000],
  ["INTERVAL '1.5' SECOND", 1_500],
  ["INTERVAL '0.001' SECOND", 1],
  ["INTERVAL '-5' SECOND", -5_000],
  ["INTERVAL '5' MINUTE", 300_000],
  ["INTERVAL '10' MINUTES", 600_000],
  ["INTERVAL '1' HOUR", 3_600_000],
  ["INTERVAL '2' HOURS", 7_200_000],
  ["INTERVAL '1' DAY", 86_400_000],
  ["INTERVAL '99' DAYS", 99 * 86_400_000],
  ["INTERVAL '1:30' MINUTE TO SECOND", 90_000],
  ["INTERVAL '1:30.250' MINUTE TO SECOND", 90_250],
  ["INTERVAL '2:15' HOUR TO MINUTE", 8_100_000],
  ["INTERVAL '1:02:03' HOUR TO SECOND", 3_723_000],
  ["INTERVAL '1 12' DAY TO HOUR", 129_600_000],
  ["INTERVAL '1 02:03' DAY TO MINUTE", 93_780_000],
  ["INTERVAL '1 02:03:04.5' DAY TO SECOND", 93_784_500],
  ["INTERVAL '-1 00:00:01' DAY TO SECOND", -86_401_000],
  ['INTERVAL 3 SECOND', 3_000],
]

for (const [text, ms] of CASES) {
  test(`${text} is ${ms} ms`, async () => {
    const value = await exprOf(text)
    assert.deepEqual(value, { kind: 'interval', ms, text, at: { line: 1, column: 8 } })
  })
}

test('YEAR and MONTH intervals are refused as year-month intervals', async () => {
  for (const text of ["INTERVAL '1' YEAR", "INTERVAL '2' MONTH", "INTERVAL '1-6' YEAR TO MONTH"]) {
    await assertRefused(`SELECT ${text} FROM t`, {
      code: 'FRESHET_SQL_UNSUPPORTED',
      line: 1,
      column: 17,
      construct: 'year-month INTERVAL',
    })
  }
})

test('values Flink refuses: a leading field over 2 digits, a field out of range, a malformed value', async () => {
  const invalid = (column: number) => ({ code: 'FRESHET_SQL_INVALID' as const, line: 1, column })
  const error = await assertRefused("SELECT INTERVAL '100' DAY FROM t", invalid(17))
  assert.match(error.message, /exceeds precision of DAY\(2\) field/)
  await assertRefused("SELECT INTERVAL '1:75' MINUTE TO SECOND FROM t", invalid(17))
  await assertRefused("SELECT INTERVAL '1:30' HOUR TO SECOND FROM t", invalid(17))
  await assertRefused("SELECT INTERVAL '1.5' MINUTE FROM t", invalid(17))
  await assertRefused("SELECT INTERVAL 'abc' SECOND FROM t", invalid(17))
  await assertRefused("SELECT INTERVAL '1' SECOND TO MINUTE FROM t", invalid(17))
})

test('an interval finer than a millisecond, or in weeks, is refused', async () => {
  await assertRefused("SELECT INTERVAL '0.0001' SECOND FROM t", {
    code: 'FRESHET_SQL_UNSUPPORTED',
    line: 1,
    column: 17,
    construct: 'INTERVAL finer than a millisecond',
  })
  await assertRefused("SELECT INTERVAL '1' WEEK FROM t", {
    code: 'FRESHET_SQL_UNSUPPORTED',
    line: 1,
    column: 17,
    construct: 'INTERVAL in WEEK',
  })
})
