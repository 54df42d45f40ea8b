import assert from 'node:assert/strict'
import { test } from 'node:test'
import { murmur2, partitionFor } from '../../src/testing/index.ts'

test("murmur2 gives Kafka's values (Utils.murmur2) for every tail length", () => {
  // Values of org.apache.kafka.common.utils.Utils.murmur2 for the UTF-8 bytes of each string.
  const known: Array<[string, number]> = [
    ['1', -1993445489],
    ['12', 126087238],
    ['123', -267702483],
    ['1234', -1614185708],
    ['12345', -1188365604],
  ]
  for (const [text, hash] of known) assert.equal(murmur2(Buffer.from(text)), hash, text)
})

test('partitionFor is toPositive(murmur2(key bytes)) % partitions; no key means partition 0', () => {
  assert.equal(partitionFor('12345', 7), (-1188365604 & 0x7fffffff) % 7)
  assert.equal(partitionFor(null, 7), 0)
  assert.equal(partitionFor(undefined, 7), 0)
  assert.equal(partitionFor(12345, 7), partitionFor('12345', 7), 'a number key hashes its JSON text')
  const counts = new Array<number>(8).fill(0)
  for (let i = 0; i < 8_000; i++) counts[partitionFor(`user_${i}`, 8)]! += 1
  assert.ok(
    counts.every((c) => c > 800 && c < 1_200),
    `spread: ${counts.join(', ')}`,
  )
})
