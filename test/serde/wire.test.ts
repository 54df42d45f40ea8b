import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ErrorCodes, FreshetError } from '../../src/errors/index.ts'
import { frame, HEADER_BYTES, MAX_SCHEMA_ID, readSchemaId, unframe } from '../../src/serde/wire.ts'

function codeOf(fn: () => unknown): string {
  try {
    fn()
  } catch (error) {
    assert.ok(error instanceof FreshetError, `expected a FreshetError, got ${String(error)}`)
    return error.code
  }
  assert.fail('expected an error')
}

test('frame writes magic byte 0, the id big-endian, then the payload', () => {
  const out = frame(0x01020304, Buffer.from([0xaa, 0xbb]))
  assert.deepEqual([...out], [0x00, 0x01, 0x02, 0x03, 0x04, 0xaa, 0xbb])
  assert.deepEqual([...frame(1, Buffer.alloc(0))], [0, 0, 0, 0, 1])
  assert.deepEqual([...frame(MAX_SCHEMA_ID, Buffer.from([7]))], [0, 0x7f, 0xff, 0xff, 0xff, 7])
})

test('unframe returns the id and a view of the payload', () => {
  const buf = Buffer.from([0, 0, 0, 0x01, 0x2c, 9, 8, 7])
  const { schemaId, payload } = unframe(buf)
  assert.equal(schemaId, 300)
  assert.deepEqual([...payload], [9, 8, 7])
  assert.equal(payload.buffer, buf.buffer, 'payload shares memory with the input')
  assert.equal(unframe(frame(42, Buffer.alloc(0))).payload.length, 0)
})

test('frame rejects ids the format cannot carry', () => {
  for (const id of [-1, 1.5, MAX_SCHEMA_ID + 1, Number.NaN]) {
    assert.equal(
      codeOf(() => frame(id, Buffer.alloc(0))),
      ErrorCodes.SERDE_ENCODE_FAILED.code,
    )
  }
})

test('a first byte other than 0 is FRESHET_SERDE_BAD_MAGIC_BYTE, even when short', () => {
  assert.equal(
    codeOf(() => unframe(Buffer.from('{"a":1}'))),
    ErrorCodes.SERDE_BAD_MAGIC_BYTE.code,
  )
  assert.equal(
    codeOf(() => unframe(Buffer.from([1, 0, 0, 0, 1, 2]))),
    ErrorCodes.SERDE_BAD_MAGIC_BYTE.code,
  )
  assert.equal(
    codeOf(() => readSchemaId(Buffer.from([5]))),
    ErrorCodes.SERDE_BAD_MAGIC_BYTE.code,
  )
})

test('fewer than 5 bytes is FRESHET_SERDE_TRUNCATED', () => {
  for (let n = 0; n < HEADER_BYTES; n++) {
    assert.equal(
      codeOf(() => unframe(Buffer.alloc(n))),
      ErrorCodes.SERDE_TRUNCATED.code,
      `${n} bytes`,
    )
  }
})

test('a missing value is FRESHET_SERDE_NULL_VALUE and errors carry the record location', () => {
  assert.equal(
    codeOf(() => unframe(null)),
    ErrorCodes.SERDE_NULL_VALUE.code,
  )
  assert.equal(
    codeOf(() => unframe(undefined)),
    ErrorCodes.SERDE_NULL_VALUE.code,
  )
  try {
    unframe(Buffer.from([1, 2]), { topic: 't', partition: 3, offset: 10n })
    assert.fail('expected an error')
  } catch (error) {
    assert.ok(error instanceof FreshetError)
    assert.equal(error.topic, 't')
    assert.equal(error.partition, 3)
    assert.equal(error.offset, '10')
    assert.equal(error.retriable, false)
  }
})
