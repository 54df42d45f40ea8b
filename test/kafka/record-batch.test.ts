// The record batches freshet encodes itself, read back by the client library's decoder (and by
// the broker and kcat in test/kafka/compression.test.ts and producer.test.ts).
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { crc32c, Reader, readRecordsBatch } from '@platformatic/kafka'
import { encodeBatch, nextSequence, stampBatch } from '../../src/kafka/record-batch.ts'
import type { Compression, OutRecord } from '../../src/kafka/types.ts'

const dayMs = 86_400_000

function sample(): OutRecord[] {
  return [
    { topic: 't', key: Buffer.from('k1'), value: Buffer.from('v1'), timestampMs: 1_700_000_000_000 },
    { topic: 't', key: null, value: Buffer.from('no key'), headers: { a: 'é', b: Buffer.from([0, 255]) } },
    { topic: 't', key: Buffer.from('tombstone'), value: null, timestampMs: 1_700_000_000_000 - 300 * dayMs },
    { topic: 't', key: Buffer.alloc(0), value: Buffer.alloc(300, 'x'), headers: {} },
  ]
}

for (const compression of ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as Compression[]) {
  test(`${compression}: an encoded batch decodes to the same records, header fields and CRC`, () => {
    const nowMs = 1_700_000_000_500
    const batch = encodeBatch('t', 3, sample(), { compression, nowMs })
    stampBatch(batch, 42n, 7, 1_000)
    const decoded = readRecordsBatch(Reader.from(batch.bytes))
    assert.equal(decoded.magic, 2)
    assert.equal(decoded.length, batch.bytes.length - 12)
    assert.equal(decoded.crc, crc32c(batch.bytes.subarray(21)))
    assert.equal(decoded.producerId, 42n)
    assert.equal(decoded.producerEpoch, 7)
    assert.equal(decoded.firstSequence, 1_000)
    assert.equal(decoded.lastOffsetDelta, 3)
    assert.equal(decoded.firstTimestamp, 1_700_000_000_000n)
    assert.equal(decoded.maxTimestamp, BigInt(nowMs))
    assert.equal(decoded.attributes & 0b111, { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 }[compression])
    const records = decoded.records.map((r) => ({
      offsetDelta: r.offsetDelta,
      timestampMs: 1_700_000_000_000 + Number(r.timestampDelta),
      key: r.key as Buffer | null,
      value: r.value as Buffer | null,
      headers: r.headers.map(([k, v]) => [k?.toString(), [...(v ?? [])]]),
    }))
    assert.deepEqual(
      records.map((r) => r.offsetDelta),
      [0, 1, 2, 3],
    )
    assert.deepEqual(
      records.map((r) => r.timestampMs),
      [1_700_000_000_000, nowMs, 1_700_000_000_000 - 300 * dayMs, nowMs],
    )
    assert.equal(records[0]!.key?.toString(), 'k1')
    assert.equal(records[1]!.key, null)
    assert.equal(records[1]!.value?.toString(), 'no key')
    assert.equal(records[2]!.value, null)
    assert.deepEqual(records[1]!.headers, [
      ['a', [...Buffer.from('é')]],
      ['b', [0, 255]],
    ])
    assert.equal(records[3]!.value?.length, 300)
  })
}

test('null keys and values are encoded as length -1, empty ones as length 0', () => {
  const batch = encodeBatch('t', 0, [
    { topic: 't', key: null, value: null },
    { topic: 't', key: Buffer.alloc(0), value: Buffer.alloc(0) },
  ])
  // Records start at byte 61: length, attributes, timestamp delta, offset delta, then the key.
  const first = batch.bytes.subarray(61)
  assert.equal(first[4], 1) // zigzag(-1): null key
  assert.equal(first[5], 1) // null value
  const second = batch.bytes.subarray(61 + 1 + first[0]! / 2)
  assert.equal(second[4], 0) // zigzag(0): empty key
  assert.equal(second[5], 0)
})

test('an unstamped batch carries producer id -1, and stamping changes only the header and CRC', () => {
  const batch = encodeBatch('t', 0, sample(), { nowMs: 1 })
  assert.equal(batch.bytes.readBigInt64BE(43), -1n)
  const records = Buffer.from(batch.bytes.subarray(61))
  stampBatch(batch, 5n, 0, 0)
  assert.equal(batch.bytes.readBigInt64BE(43), 5n)
  assert.deepEqual(batch.bytes.subarray(61), records)
})

test('sequence numbers wrap to 0 after 2^31 - 1, as the Java client wraps them', () => {
  assert.equal(nextSequence(0, 5), 5)
  assert.equal(nextSequence(2_147_483_645, 2), 2_147_483_647)
  assert.equal(nextSequence(2_147_483_645, 3), 0)
  assert.equal(nextSequence(2_147_483_647, 10), 9)
})
