import assert from 'node:assert/strict'
import { test } from 'node:test'
import { isFreshetError } from '../../src/errors/index.ts'
import { decodeWindowKey, MemoryStateStore, windowKey, windowKeyPrefix } from '../../src/state/index.ts'
import { b, seededRandom } from './helpers.ts'

test('windowKey round-trips key, start and optional end', () => {
  const cases: Array<[Buffer, number, number | undefined]> = [
    [b('user-1'), 0, undefined],
    [b('user-1'), 1_700_000_000_000, 1_700_000_060_000],
    [Buffer.alloc(0), 5, 5],
    [Buffer.alloc(300, 7), -1, 0],
    [b('k'), Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
    [b('k'), -4_294_967_296, -4_294_967_295],
  ]
  for (const [key, startMs, endMs] of cases) {
    const decoded = decodeWindowKey(windowKey(key, startMs, endMs))
    assert.deepEqual(decoded.key, key)
    assert.equal(decoded.startMs, startMs)
    assert.equal(decoded.endMs, endMs)
  }
})

test('the layout: varint key length, key, big-endian start and end with the sign bit flipped', () => {
  assert.equal(windowKey(b('ab'), 1).toString('hex'), '02' + '6162' + '8000000000000001')
  assert.equal(
    windowKey(b('ab'), -1, 256).toString('hex'),
    '026162' + '7fffffffffffffff' + '8000000000000100',
  )
  assert.equal(
    windowKeyPrefix(Buffer.alloc(200)).subarray(0, 2).toString('hex'),
    'c801',
    '200 as a two-byte varint',
  )
  assert.equal(windowKey(b('ab'), 0).length, 1 + 2 + 8)
})

test('windows of a key sort by start then end, each key is exactly one prefix, in a store too', () => {
  const random = seededRandom(7)
  const keys = [b(''), b('a'), b('ab'), b('b'), Buffer.from([0xff]), Buffer.alloc(130, 0x61)]
  const windows: Array<{ key: Buffer; startMs: number; endMs: number }> = []
  for (let i = 0; i < 2000; i++) {
    const startMs = Math.floor((random() - 0.3) * 2 ** 45)
    windows.push({
      key: keys[Math.floor(random() * keys.length)] as Buffer,
      startMs,
      endMs: startMs + Math.floor(random() * 3) * 1000,
    })
  }
  const store = new MemoryStateStore({ changelog: false })
  for (const w of windows) store.put(windowKey(w.key, w.startMs, w.endMs), Buffer.alloc(0))
  for (const key of keys) {
    const expected = windows
      .filter((w) => w.key.equals(key))
      .map((w) => [w.startMs, w.endMs] as const)
      .sort((x, y) => x[0] - y[0] || x[1] - y[1])
      .filter((w, i, all) => i === 0 || w[0] !== all[i - 1]?.[0] || w[1] !== all[i - 1]?.[1])
    const scanned = [...store.prefix(windowKeyPrefix(key))].map(([stored]) => {
      const decoded = decodeWindowKey(stored)
      assert.deepEqual(decoded.key, key, 'a prefix scan yields only windows of its own key')
      return [decoded.startMs, decoded.endMs] as const
    })
    assert.deepEqual(scanned, expected)
    // "Windows of k starting before t" is a range ending at windowKey(k, t).
    const t = 0
    const before = [...store.range(windowKeyPrefix(key), windowKey(key, t))].map(
      ([k]) => decodeWindowKey(k).startMs,
    )
    assert.deepEqual(
      before,
      expected.filter(([startMs]) => startMs < t).map(([startMs]) => startMs),
    )
  }
})

test('invalid times and undecodable keys fail with FRESHET_STATE_KEY_INVALID', () => {
  const invalid = (fn: () => unknown, message: RegExp): void => {
    assert.throws(
      fn,
      (error: unknown) => isFreshetError(error, 'FRESHET_STATE_KEY_INVALID') && message.test(error.message),
    )
  }
  invalid(() => windowKey(b('k'), 1.5), /startMs must be a safe integer/)
  invalid(() => windowKey(b('k'), 0, Number.NaN), /endMs must be a safe integer/)
  invalid(() => windowKey(b('k'), 2 ** 53), /startMs must be a safe integer/)
  invalid(() => windowKey(b('k'), 10, 9), /endMs 9 is before startMs 10/)
  invalid(() => decodeWindowKey(Buffer.alloc(0)), /truncated/)
  invalid(() => decodeWindowKey(Buffer.from([0x80, 0x80])), /truncated/)
  invalid(() => decodeWindowKey(windowKey(b('k'), 1).subarray(0, 9)), /do not hold a key of 1 bytes/)
  invalid(() => decodeWindowKey(Buffer.concat([windowKey(b('k'), 1), Buffer.alloc(1)])), /do not hold/)
  // A start whose high half is beyond the safe integers.
  invalid(() => decodeWindowKey(Buffer.from('01' + '6b' + 'ffffffffffffffff', 'hex')), /safe integer range/)
})

test('windowKey accepts a plain Uint8Array key', () => {
  const key = new Uint8Array([1, 2, 3])
  assert.deepEqual(windowKey(key, 9), windowKey(Buffer.from([1, 2, 3]), 9))
  assert.deepEqual(decodeWindowKey(new Uint8Array(windowKey(key, 9))).key, Buffer.from([1, 2, 3]))
})
