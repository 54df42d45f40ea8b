import assert from 'node:assert/strict'
import { test } from 'node:test'
import { fromId, lowerId, prefixEnd, toId } from '../../src/state/bytes.ts'
import { seededRandom } from './helpers.ts'

test('ids compare like unsigned bytes (Buffer.compare)', () => {
  const random = seededRandom(3)
  const bytes = (): Buffer =>
    Buffer.from(Array.from({ length: Math.floor(random() * 5) }, () => Math.floor(random() * 256)))
  for (let i = 0; i < 5000; i++) {
    const x = bytes()
    const y = bytes()
    const byId = toId(x) < toId(y) ? -1 : toId(x) > toId(y) ? 1 : 0
    assert.equal(byId, Buffer.compare(x, y), `${x.toString('hex')} vs ${y.toString('hex')}`)
    assert.deepEqual(fromId(toId(x)), x)
  }
})

test('toId reads exactly the view of a Uint8Array, not its whole buffer', () => {
  const backing = new Uint8Array([1, 2, 3, 4])
  assert.deepEqual(fromId(toId(backing.subarray(1, 3))), Buffer.from([2, 3]))
})

test('prefixEnd is the first key after every key with the prefix', () => {
  const end = (hex: string): string | undefined => prefixEnd(Buffer.from(hex, 'hex'))?.toString('hex')
  assert.equal(end('61'), '62')
  assert.equal(end('61ff'), '62')
  assert.equal(end('61feff'), '61ff')
  assert.equal(end('ffff'), undefined)
  assert.equal(end(''), undefined)
  const prefix = Buffer.from('abc')
  prefixEnd(prefix)
  assert.deepEqual(prefix, Buffer.from('abc'), 'the prefix is not modified')
})

test('an empty lower bound is no bound', () => {
  assert.equal(lowerId(undefined), undefined)
  assert.equal(lowerId(Buffer.alloc(0)), undefined)
  assert.equal(lowerId(Buffer.from([0])), '\u0000')
})
