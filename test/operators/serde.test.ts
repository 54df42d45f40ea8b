import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  decodeKey,
  encodeKey,
  jsonSerde,
  partitionKeyBytes,
  structuredSerde,
} from '../../src/operators/index.ts'
import { readTime, writeTime } from '../../src/operators/serde.ts'
import { decodeWindowKey, MemoryStateStore, windowKey, windowKeyPrefix } from '../../src/state/index.ts'

test('JSON state is smaller than structured serialization for the accumulators operators keep', () => {
  for (const value of [3, 1234.56, [12, 3456.5], { count: 3, revenue: 99.5 }]) {
    const json = jsonSerde().encode(value).length
    const structured = structuredSerde().encode(value).length
    assert.ok(json <= structured, `${JSON.stringify(value)}: json ${json} bytes, structured ${structured}`)
    assert.deepEqual(jsonSerde().decode(jsonSerde().encode(value)), value)
  }
  const map = new Map([['a', 1n]])
  assert.deepEqual(structuredSerde().decode(structuredSerde().encode(map)), map)
  assert.throws(() => jsonSerde().encode(1n), { code: 'FRESHET_STATE_ENCODE_FAILED' })
  assert.throws(() => jsonSerde().decode(Buffer.from('{')), { code: 'FRESHET_STATE_DECODE_FAILED' })
})

test('keys are JSON; undefined and functions are rejected', () => {
  for (const key of ['user_1', 42, null, ['a', 1], { region: 'eu' }])
    assert.deepEqual(decodeKey(encodeKey(key)), key)
  assert.throws(() => encodeKey(undefined), { code: 'FRESHET_STATE_ENCODE_FAILED' })
})

test('partition key bytes: strings as UTF-8, bytes as they are, other values as JSON, none for null', () => {
  assert.deepEqual(partitionKeyBytes('é'), Buffer.from('é'))
  assert.deepEqual(partitionKeyBytes(Buffer.from([1, 2])), Buffer.from([1, 2]))
  assert.deepEqual(partitionKeyBytes(7), Buffer.from('7'))
  assert.equal(partitionKeyBytes(null), null)
  assert.equal(partitionKeyBytes(undefined), null)
})

test('times are 8 bytes big-endian, so byte order is time order, up to 2^53 - 1', () => {
  const times = [0, 1, 255, 256, 2 ** 32 - 1, 2 ** 32, 1_760_000_000_000, Number.MAX_SAFE_INTEGER]
  const encoded = times.map((t) => {
    const b = Buffer.alloc(8)
    writeTime(b, 0, t)
    assert.equal(readTime(b, 0), t)
    return b
  })
  for (let i = 1; i < encoded.length; i++)
    assert.ok(Buffer.compare(encoded[i - 1] as Buffer, encoded[i] as Buffer) < 0)
})

test('JSON keys in the window key layout keep each key in its own range, even keys that prefix others', () => {
  const store = new MemoryStateStore({ name: 's' })
  for (const key of ['a', 'ab', 'a"', 'b']) {
    for (const t of [5, 1, 3]) store.put(windowKey(encodeKey(key), t), Buffer.from(`${key}@${t}`))
  }
  const values = [...store.prefix(windowKeyPrefix(encodeKey('a')))].map(([k, v]) => {
    assert.equal(decodeKey(decodeWindowKey(k).key), 'a')
    return v.toString()
  })
  assert.deepEqual(values, ['a@1', 'a@3', 'a@5'])
})
