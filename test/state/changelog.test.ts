import assert from 'node:assert/strict'
import { test } from 'node:test'
import { isFreshetError } from '../../src/errors/index.ts'
import { ChangelogBuffer, decodeCheckpoint, encodeCheckpoint } from '../../src/state/changelog.ts'

test('checkpoints encode as 8 big-endian bytes and decode back', () => {
  for (const offset of [0n, 1n, 255n, 9_007_199_254_740_993n, (1n << 63n) - 1n]) {
    const bytes = encodeCheckpoint(offset)
    assert.equal(bytes.length, 8)
    assert.equal(decodeCheckpoint('s', bytes), offset)
  }
  assert.equal(encodeCheckpoint(258n).toString('hex'), '0000000000000102')
})

test('a stored checkpoint of the wrong size or sign is refused', () => {
  for (const bytes of [Buffer.alloc(7), Buffer.alloc(9), Buffer.from('ffffffffffffffff', 'hex')]) {
    assert.throws(
      () => decodeCheckpoint('s', bytes),
      (error: unknown) => isFreshetError(error, 'FRESHET_STATE_CHECKPOINT_INVALID'),
    )
  }
})

test('a disabled buffer records nothing', () => {
  const buffer = new ChangelogBuffer(false)
  buffer.record('a', 'b')
  assert.equal(buffer.size, 0)
  assert.deepEqual(buffer.drain(), [])
  buffer.assertDrained('s')
})
