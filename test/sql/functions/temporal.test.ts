import assert from 'node:assert/strict'
import { test } from 'node:test'
import { formatType } from '../../../src/sql/types/index.ts'
import { call, col, compile, errorOf, evaluate, int, str, symbol, T, typed, wall } from '../helpers.ts'

const TS3 = { kind: 'TIMESTAMP', precision: 3, nullable: true } as const

test('DATE_FORMAT with Java pattern letters on TIMESTAMP', () => {
  const t = typed('2026-03-07 09:05:03.042', TS3)
  const fmt = (pattern: string) => evaluate(call('DATE_FORMAT', [t, str(pattern)]))
  assert.equal(fmt('yyyy-MM-dd HH:mm:ss.SSS'), '2026-03-07 09:05:03.042')
  assert.equal(fmt('yy/M/d H:m:s'), '26/3/7 9:5:3')
  assert.equal(fmt('EEE, dd MMM yyyy hh:mm a'), 'Sat, 07 Mar 2026 09:05 AM')
  assert.equal(fmt('EEEE MMMM D'), 'Saturday March 66')
  assert.equal(fmt("yyyy'T'HH'h'''"), "2026T09h'")
  assert.equal(evaluate(call('DATE_FORMAT', [str('2026-03-07 21:00:00'), str('hh a')])), '09 PM')
  assert.equal(errorOf(() => compile(call('DATE_FORMAT', [t, str('yyyy-Q')]))).code, 'FRESHET_SQL_INVALID')
})

test('DATE_FORMAT of TIMESTAMP_LTZ reads the instant in the session zone, offsets included', () => {
  const instant = Date.parse('2026-03-29T00:59:59Z')
  const fmt = (zone: string) =>
    evaluate(
      call('DATE_FORMAT', [col('l'), str('yyyy-MM-dd HH:mm:ss XXX')]),
      { l: instant },
      { l: T.ltz },
      zone,
    )
  assert.equal(fmt('Europe/Paris'), '2026-03-29 01:59:59 +01:00')
  assert.equal(fmt('UTC'), '2026-03-29 00:59:59 Z')
  assert.equal(fmt('America/New_York'), '2026-03-28 20:59:59 -04:00')
  const after = (zone: string) =>
    evaluate(call('DATE_FORMAT', [col('l'), str('HH:mm Z')]), { l: instant + 1000 }, { l: T.ltz }, zone)
  assert.equal(after('Europe/Paris'), '03:00 +0200', 'one second later Paris is on summer time')
})

test('DATE_FORMAT and TO_TIMESTAMP round trip in every zone (TIMESTAMP has no zone)', () => {
  for (const zone of ['UTC', 'Europe/Paris', 'America/New_York']) {
    const back = call('TO_TIMESTAMP', [
      call('DATE_FORMAT', [col('t'), str('dd/MM/yyyy HH:mm:ss.SSS')]),
      str('dd/MM/yyyy HH:mm:ss.SSS'),
    ])
    const t = wall('2026-11-01 01:30:00.250')
    assert.equal(evaluate(back, { t }, { t: T.ts }, zone), t, zone)
  }
})

test('TO_TIMESTAMP: default format, custom format, NULL on failure', () => {
  assert.equal(evaluate(call('TO_TIMESTAMP', [str('2026-01-02 03:04:05')])), wall('2026-01-02 03:04:05'))
  assert.equal(
    evaluate(call('TO_TIMESTAMP', [str('2026-01-02 03:04:05.678')])),
    wall('2026-01-02 03:04:05.678'),
  )
  assert.equal(
    evaluate(call('TO_TIMESTAMP', [str('02.01.2026 3:04'), str('dd.MM.yyyy H:mm')])),
    wall('2026-01-02 03:04:00'),
  )
  assert.equal(evaluate(call('TO_TIMESTAMP', [str('garbage')])), null)
  assert.equal(evaluate(call('TO_TIMESTAMP', [str('2026-13-01 00:00:00')])), null)
  assert.equal(formatType(compile(call('TO_TIMESTAMP', [str('x')])).type), 'TIMESTAMP(3)')
})

test('TO_TIMESTAMP_LTZ from epoch seconds or milliseconds, and from text in the session zone', () => {
  assert.equal(evaluate(call('TO_TIMESTAMP_LTZ', [int(1_700_000_000), int(0)])), 1_700_000_000_000)
  assert.equal(evaluate(call('TO_TIMESTAMP_LTZ', [int(1_700_000_000_123), int(3)])), 1_700_000_000_123)
  assert.equal(evaluate(call('TO_TIMESTAMP_LTZ', [int(1_700_000_000_123)])), 1_700_000_000_123)
  assert.equal(
    formatType(compile(call('TO_TIMESTAMP_LTZ', [int(1), int(3)])).type),
    'TIMESTAMP_LTZ(3) NOT NULL',
  )
  assert.equal(errorOf(() => compile(call('TO_TIMESTAMP_LTZ', [int(1), int(6)]))).code, 'FRESHET_SQL_INVALID')
  const text = call('TO_TIMESTAMP_LTZ', [str('2026-07-01 12:00:00.000')])
  assert.equal(evaluate(text, {}, {}, 'Europe/Paris'), Date.parse('2026-07-01T10:00:00Z'))
  assert.equal(evaluate(text, {}, {}, 'America/New_York'), Date.parse('2026-07-01T16:00:00Z'))
})

test('UNIX_TIMESTAMP and FROM_UNIXTIME use the session zone', () => {
  assert.equal(
    evaluate(call('UNIX_TIMESTAMP', [str('2026-01-01 01:00:00')]), {}, {}, 'Europe/Paris'),
    1767225600,
  )
  assert.equal(evaluate(call('UNIX_TIMESTAMP', [str('2026-01-01 00:00:00')]), {}, {}, 'UTC'), 1767225600)
  assert.equal(
    evaluate(call('FROM_UNIXTIME', [int(1767225600)]), {}, {}, 'America/New_York'),
    '2025-12-31 19:00:00',
  )
  assert.equal(evaluate(call('FROM_UNIXTIME', [int(0), str('yyyy')]), {}, {}, 'UTC'), '1970')
  assert.equal(typeof evaluate(call('UNIX_TIMESTAMP', [])), 'number')
  assert.equal(
    evaluate(call('UNIX_TIMESTAMP', [str('not a time')])),
    -(2 ** 63),
    "Java's Long.MIN_VALUE, as Flink",
  )
})

test('TIMESTAMPDIFF truncates toward zero; months honour the day of month', () => {
  const diff = (unit: string, a: string, b: string) =>
    evaluate(call('TIMESTAMPDIFF', [symbol(unit), typed(a, TS3), typed(b, TS3)]))
  assert.equal(diff('MINUTE', '2026-01-01 00:00:00', '2026-01-01 00:01:59'), 1)
  assert.equal(diff('MINUTE', '2026-01-01 00:01:59', '2026-01-01 00:00:00'), -1)
  assert.equal(diff('HOUR', '2026-01-01 00:00:00', '2026-01-02 00:00:00'), 24)
  assert.equal(diff('DAY', '2026-01-01 12:00:00', '2026-01-03 11:00:00'), 1)
  assert.equal(diff('MONTH', '2026-01-31 00:00:00', '2026-02-28 00:00:00'), 0)
  assert.equal(diff('MONTH', '2026-01-15 00:00:00', '2026-03-15 00:00:00'), 2)
  assert.equal(diff('YEAR', '2024-02-29 00:00:00', '2026-02-28 00:00:00'), 1)
  assert.equal(
    formatType(
      compile(call('TIMESTAMPDIFF', [symbol('DAY'), typed('2026-01-01 00:00:00', TS3), col('t')]), {
        t: T.ts,
      }).type,
    ),
    'INT',
  )
})

test('TIMESTAMPADD clamps the day of month', () => {
  const add = (unit: string, n: number, t: string) =>
    evaluate(call('TIMESTAMPADD', [symbol(unit), int(n), typed(t, TS3)]))
  assert.equal(add('MONTH', 1, '2026-01-31 10:00:00'), wall('2026-02-28 10:00:00'))
  assert.equal(add('YEAR', -2, '2028-02-29 00:00:00'), wall('2026-02-28 00:00:00'))
  assert.equal(add('HOUR', 25, '2026-01-31 10:00:00'), wall('2026-02-01 11:00:00'))
})

test('YEAR, MONTH, DAYOFMONTH, DAYOFWEEK (Sunday = 1), HOUR, EXTRACT, on TIMESTAMP and DATE', () => {
  const t = typed('2026-03-08 23:45:10', TS3)
  const d = typed('2026-03-08', T.date)
  assert.equal(evaluate(call('YEAR', [t])), 2026)
  assert.equal(evaluate(call('MONTH', [d])), 3)
  assert.equal(evaluate(call('DAYOFMONTH', [t])), 8)
  assert.equal(evaluate(call('DAYOFWEEK', [d])), 1)
  assert.equal(evaluate(call('DAYOFYEAR', [d])), 67)
  assert.equal(evaluate(call('QUARTER', [d])), 1)
  assert.equal(evaluate(call('WEEK', [typed('2026-01-01', T.date)])), 1)
  assert.equal(evaluate(call('HOUR', [t])), 23)
  assert.equal(evaluate(call('MINUTE', [t])), 45)
  assert.equal(evaluate(call('SECOND', [t])), 10)
  assert.equal(evaluate(call('EXTRACT', [symbol('DOY'), t])), 67)
  assert.equal(formatType(compile(call('YEAR', [t])).type), 'BIGINT', 'the literal here is typed nullable')
  const notNull = typed('2026-03-08 23:45:10', { ...TS3, nullable: false })
  assert.equal(formatType(compile(call('YEAR', [notNull])).type), 'BIGINT NOT NULL')
})

test('HOUR of a TIMESTAMP_LTZ depends on the session zone', () => {
  const instant = Date.parse('2026-07-01T12:00:00Z')
  const hour = (zone: string) => evaluate(call('HOUR', [col('l')]), { l: instant }, { l: T.ltz }, zone)
  assert.equal(hour('UTC'), 12)
  assert.equal(hour('Europe/Paris'), 14)
  assert.equal(hour('America/New_York'), 8)
})

test('FLOOR and CEIL of a time to a unit', () => {
  const t = typed('2026-05-17 13:45:10.5', TS3)
  assert.equal(evaluate(call('FLOOR', [t, symbol('HOUR')])), wall('2026-05-17 13:00:00'))
  assert.equal(evaluate(call('CEIL', [t, symbol('DAY')])), wall('2026-05-18 00:00:00'))
  assert.equal(evaluate(call('FLOOR', [t, symbol('MONTH')])), wall('2026-05-01 00:00:00'))
  assert.equal(evaluate(call('CEIL', [t, symbol('QUARTER')])), wall('2026-07-01 00:00:00'))
})

test('CURRENT_TIMESTAMP is TIMESTAMP_LTZ(3) NOT NULL and read per row; CURRENT_DATE is a DATE', () => {
  const now = compile(call('CURRENT_TIMESTAMP', []))
  assert.equal(formatType(now.type), 'TIMESTAMP_LTZ(3) NOT NULL')
  assert.equal(now.constant, false)
  const before = Date.now()
  const value = now.evaluate(null) as number
  assert.ok(value >= before && value <= Date.now())
  assert.equal(compile(call('CURRENT_DATE', [])).evaluate(null), Math.floor(Date.now() / 86_400_000))
})

test('CONVERT_TZ converts a wall-clock time between zones', () => {
  assert.equal(
    evaluate(call('CONVERT_TZ', [str('2026-07-01 12:00:00'), str('Europe/Paris'), str('America/New_York')])),
    '2026-07-01 06:00:00',
  )
  assert.equal(
    errorOf(() => compile(call('CONVERT_TZ', [str('x'), str('Mars/Base'), str('UTC')]))).code,
    'FRESHET_SQL_INVALID',
  )
})
