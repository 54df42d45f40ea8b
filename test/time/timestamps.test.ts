import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ErrorCodes, FreshetError } from '../../src/errors/index.ts'
import {
  fromField,
  fromFunction,
  fromRecordTimestamp,
  resolveTimestampExtractor,
  timestampRejectionError,
  topicPartition,
  type TimestampSource,
} from '../../src/time/index.ts'

const record: TimestampSource = { timestampMs: 1_700_000_000_000, topic: 'orders', partition: 3, offset: 42n }

function errorOf(fn: () => unknown): FreshetError {
  try {
    fn()
  } catch (error) {
    assert.ok(error instanceof FreshetError, `expected a FreshetError, got ${String(error)}`)
    return error
  }
  assert.fail('expected an error')
}

test('the default extractor reads the numeric "timestamp" field', () => {
  const extract = resolveTimestampExtractor<{ timestamp: number }>(undefined)
  assert.equal(extract({ timestamp: 1234 }, record), 1234)
  assert.equal(fromField()({ timestamp: 0 }, record), 0, 'the epoch itself is valid')
})

test('fromField follows dotted paths, or an array of names for names with dots', () => {
  assert.equal(fromField('meta.event.atMs')({ meta: { event: { atMs: 77 } } }, record), 77)
  assert.equal(fromField(['a.b'])({ 'a.b': 5, a: { b: 6 } }, record), 5)
  assert.equal(resolveTimestampExtractor('a.b')({ 'a.b': 5, a: { b: 6 } }, record), 6)
})

test('fromField accepts bigint and Date, and drops sub-millisecond parts', () => {
  const extract = fromField('t')
  assert.equal(extract({ t: 1_700_000_000_123n }, record), 1_700_000_000_123)
  assert.equal(extract({ t: new Date(86_400_000) }, record), 86_400_000)
  assert.equal(extract({ t: 12.9 }, record), 12)
})

test('missing, negative, non-finite and non-numeric timestamps are FRESHET_TIMESTAMP_INVALID', () => {
  const extract = fromField('meta.t')
  const bad: unknown[] = [
    {},
    { meta: null },
    { meta: { t: null } },
    { meta: { t: -1 } },
    { meta: { t: Number.NaN } },
    { meta: { t: Infinity } },
    { meta: { t: '2024-01-01T00:00:00Z' } },
    { meta: { t: -5n } },
    { meta: { t: 2n ** 64n } },
    { meta: { t: new Date(Number.NaN) } },
    { meta: { t: Number.MAX_SAFE_INTEGER + 2 } },
    null,
    42,
  ]
  for (const value of bad) {
    const error = errorOf(() => extract(value, record))
    assert.equal(
      error.code,
      ErrorCodes.TIMESTAMP_INVALID.code,
      JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v)),
    )
    assert.equal(error.retriable, false)
  }
})

test('errors carry the record location so the bad-record policy can report it', () => {
  const error = errorOf(() => fromField('t')({ t: -1 }, record))
  assert.equal(error.topic, 'orders')
  assert.equal(error.partition, 3)
  assert.equal(error.offset, '42')
  assert.match(error.message, /field "t"/)
})

test('fromRecordTimestamp uses the Kafka record timestamp and checks it', () => {
  const extract = fromRecordTimestamp()
  assert.equal(extract({ timestamp: 1 }, record), 1_700_000_000_000)
  assert.equal(errorOf(() => extract(null, { timestampMs: -1 })).code, ErrorCodes.TIMESTAMP_INVALID.code)
})

test('a custom extractor is checked like the built-in ones and its failures become TIMESTAMP_INVALID', () => {
  const parsed = resolveTimestampExtractor<{ at: string }>((value) => Date.parse(value.at))
  assert.equal(parsed({ at: '1970-01-01T00:00:01.000Z' }, record), 1000)
  assert.equal(errorOf(() => parsed({ at: 'yesterday' }, record)).code, ErrorCodes.TIMESTAMP_INVALID.code)
  const throwing = fromFunction<unknown>(() => {
    throw new TypeError('boom')
  })
  const error = errorOf(() => throwing({}, record))
  assert.equal(error.code, ErrorCodes.TIMESTAMP_INVALID.code)
  assert.ok(error.cause instanceof TypeError)
  assert.equal(error.partition, 3)
})

test('a FreshetError thrown by a custom extractor passes through unchanged', () => {
  const original = new FreshetError('SERDE_SCHEMA_MISMATCH', 'not an order')
  const extract = fromFunction<unknown>(() => {
    throw original
  })
  assert.equal(
    errorOf(() => extract({}, record)),
    original,
  )
})

test('extractor choices that are neither path nor function are rejected', () => {
  assert.equal(errorOf(() => resolveTimestampExtractor(42 as never)).code, ErrorCodes.INVALID_OPTION.code)
  assert.equal(errorOf(() => fromField('')).code, ErrorCodes.INVALID_OPTION.code)
  assert.equal(errorOf(() => fromField('a..b')).code, ErrorCodes.INVALID_OPTION.code)
  assert.equal(errorOf(() => fromFunction('t' as never)).code, ErrorCodes.INVALID_OPTION.code)
})

test('a rejection verdict becomes an error with its code and the record location', () => {
  const future = timestampRejectionError(
    { ok: false, code: 'FRESHET_TIMESTAMP_FUTURE', timestampMs: 5_000, aheadByMs: 4_000 },
    { topic: 'orders', partition: 1, offset: 7n },
  )
  assert.equal(future.code, ErrorCodes.TIMESTAMP_FUTURE.code)
  assert.deepEqual(future.details, { timestampMs: 5_000, aheadByMs: 4_000 })
  assert.equal(future.offset, '7')
  const invalid = timestampRejectionError({ ok: false, code: 'FRESHET_TIMESTAMP_INVALID', timestampMs: -3 })
  assert.equal(invalid.code, ErrorCodes.TIMESTAMP_INVALID.code)
  assert.equal(topicPartition('orders', 2), 'orders:2')
})
