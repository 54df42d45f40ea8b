/**
 * Keys of windowed state: `varint(key length) | key | start | end?`, with `start` and `end` as 8-byte
 * big-endian integers whose sign bit is flipped, so that byte order is numeric order, negative
 * times included.
 *
 * - All windows of a key are contiguous and sorted by start, then end: "all windows of k" is the
 *   prefix scan `prefix(windowKeyPrefix(k))`, and "windows of k starting before t" the range
 *   `range(windowKeyPrefix(k), windowKey(k, t))`.
 * - The length in front makes the prefix exact: without it the windows of key `ab` would sit inside
 *   the prefix of key `a`. A varint costs one byte for keys shorter than 128 bytes.
 * - Keys are grouped by key, not ordered by it: a longer key sorts after every shorter one. Nothing
 *   needs the order between different keys.
 * - `end` is optional: time windows derive it from the start and their size; session windows, whose
 *   ends vary, store it.
 */
import { FreshetError } from '../errors/index.ts'

export interface WindowKey {
  readonly key: Buffer
  readonly startMs: number
  /** Present when the encoded key carries an end (session windows). */
  readonly endMs: number | undefined
}

const TIME_BYTES = 8
const TWO_POW_32 = 2 ** 32

function invalid(message: string, details: Record<string, unknown> = {}): FreshetError {
  return new FreshetError('STATE_KEY_INVALID', message, { details })
}

function checkTime(name: string, ms: number): void {
  if (!Number.isSafeInteger(ms))
    throw invalid(`window key: ${name} must be a safe integer, got ${ms}`, { [name]: ms })
}

function varintLength(value: number): number {
  let bytes = 1
  while (value >= 0x80) {
    value = Math.floor(value / 0x80)
    bytes++
  }
  return bytes
}

function writeVarint(out: Buffer, value: number): number {
  let at = 0
  while (value >= 0x80) {
    out[at++] = (value & 0x7f) | 0x80
    value = Math.floor(value / 0x80)
  }
  out[at++] = value
  return at
}

function writeTime(out: Buffer, at: number, ms: number): void {
  // Split into 32-bit halves instead of going through BigInt: this runs once per record.
  const high = Math.floor(ms / TWO_POW_32)
  out.writeUInt32BE((high + 0x80000000) >>> 0, at)
  out.writeUInt32BE(ms - high * TWO_POW_32, at + 4)
}

function readTime(bytes: Buffer, at: number): number {
  const high = bytes.readUInt32BE(at) - 0x80000000
  return high * TWO_POW_32 + bytes.readUInt32BE(at + 4)
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

/** `varint(key length) | key`: the prefix shared by all windows of `key`. */
export function windowKeyPrefix(key: Uint8Array): Buffer {
  const head = varintLength(key.length)
  const out = Buffer.allocUnsafe(head + key.length)
  writeVarint(out, key.length)
  out.set(key, head)
  return out
}

/** The state key of the window of `key` starting at `startMs` (and ending at `endMs`, if given). */
export function windowKey(key: Uint8Array, startMs: number, endMs?: number): Buffer {
  checkTime('startMs', startMs)
  if (endMs !== undefined) {
    checkTime('endMs', endMs)
    if (endMs < startMs)
      throw invalid(`window key: endMs ${endMs} is before startMs ${startMs}`, { startMs, endMs })
  }
  const head = varintLength(key.length)
  const out = Buffer.allocUnsafe(head + key.length + (endMs === undefined ? TIME_BYTES : 2 * TIME_BYTES))
  writeVarint(out, key.length)
  out.set(key, head)
  writeTime(out, head + key.length, startMs)
  if (endMs !== undefined) writeTime(out, head + key.length + TIME_BYTES, endMs)
  return out
}

/** The inverse of `windowKey`. The returned `key` shares memory with `bytes`. */
export function decodeWindowKey(bytes: Uint8Array): WindowKey {
  const buffer = asBuffer(bytes)
  let length = 0
  let scale = 1
  let at = 0
  for (;;) {
    if (at >= buffer.length || at >= 8) throw invalid('window key: truncated or overlong key length', { at })
    const byte = buffer[at++] as number
    length += (byte & 0x7f) * scale
    scale *= 0x80
    if (byte < 0x80) break
  }
  const times = buffer.length - at - length
  if (times !== TIME_BYTES && times !== 2 * TIME_BYTES) {
    throw invalid(
      `window key: ${buffer.length} bytes do not hold a key of ${length} bytes and one or two times`,
      {
        length: buffer.length,
        keyLength: length,
      },
    )
  }
  const key = buffer.subarray(at, at + length)
  const startMs = readTime(buffer, at + length)
  const endMs = times === 2 * TIME_BYTES ? readTime(buffer, at + length + TIME_BYTES) : undefined
  if (!Number.isSafeInteger(startMs) || (endMs !== undefined && !Number.isSafeInteger(endMs))) {
    throw invalid('window key: time out of the safe integer range', {})
  }
  return { key, startMs, endMs }
}
