// Flink's raw format on freshet: the one column is the whole value, as text in raw.charset or as
// bytes; a null value and a null column are the same (a tombstone).
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { RawFormat } from '../../../src/sql/catalog/index.ts'
import { RawDeserializer, RawSerializer } from '../../../src/sql/formats/raw.ts'
import { parseType } from '../../../src/sql/types/index.ts'

const UTF8: RawFormat = { kind: 'raw', charset: 'UTF-8', encoding: 'utf8', endianness: 'big-endian' }

test('a STRING column is the value as text in the charset, both ways; null is a tombstone', () => {
  const line = { name: 'line', type: parseType('STRING') }
  assert.deepEqual(new RawDeserializer(line, UTF8).deserializeSync(Buffer.from('héllo')), { line: 'héllo' })
  assert.deepEqual(new RawDeserializer(line, UTF8).deserializeSync(null), { line: null })
  const latin1: RawFormat = { ...UTF8, charset: 'ISO-8859-1', encoding: 'latin1' }
  assert.deepEqual([...new RawSerializer(line, latin1).serialize({ line: 'é' })], [0xe9])
  assert.equal(new RawSerializer(line, UTF8).serialize({ line: null }), null)
})

test('a BYTES column is the value itself', () => {
  const payload = { name: 'payload', type: parseType('BYTES') }
  const bytes = Buffer.from([0, 255, 7])
  const row = new RawDeserializer(payload, UTF8).deserializeSync(bytes) as { payload: Buffer }
  assert.deepEqual([...row.payload], [0, 255, 7])
  assert.deepEqual([...new RawSerializer(payload, UTF8).serialize(row)], [0, 255, 7])
})
