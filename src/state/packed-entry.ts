/**
 * One key and its value as a single Latin-1 string, the memory store's entry: the key with every
 * 0x00 byte written as 0x00 0xff, then the terminator 0x00 0x00, then the value bytes as they are.
 *
 * One string per entry instead of two saves a string header and an array slot: about 24 bytes of
 * the 112 that a 20-byte key and a 40-byte value took as two strings (16 bytes of header each,
 * rounded up to 8, plus an 8-byte slot each).
 *
 * The escaped key and its terminator (the entry's "probe") are prefix-free and keep the keys' byte
 * order: where two keys first differ, their escaped forms differ too, in the same direction, and a
 * key that is a prefix of another ends in 0x00 0x00, below both an escaped 0x00 (0x00 0xff) and any
 * other byte. So entries compare as their keys do whatever their values, an entry's probe is below
 * it, and the probe of the next key up is above it.
 */

let scratch = Buffer.allocUnsafe(256)

function reserve(bytes: number): Buffer {
  if (scratch.length < bytes) scratch = Buffer.allocUnsafe(Math.max(bytes, 2 * scratch.length))
  return scratch
}

/** Writes the escaped key and the terminator into the scratch buffer; returns their length. */
function writeProbe(key: Uint8Array, extra: number): number {
  const out = reserve(2 * key.length + 2 + extra)
  let at = 0
  for (let i = 0; i < key.length; i++) {
    const byte = key[i] as number
    out[at++] = byte
    if (byte === 0) out[at++] = 0xff
  }
  out[at++] = 0
  out[at++] = 0
  return at
}

/** The entry of `key` with `value`, and its probe (see `keyProbe`): two flat strings. */
export function packEntry(key: Uint8Array, value: Uint8Array): [entry: string, probe: string] {
  const head = writeProbe(key, value.length)
  scratch.set(value, head)
  // Flat copies both: binary searches compare a flat string faster than a slice of one.
  return [scratch.toString('latin1', 0, head + value.length), scratch.toString('latin1', 0, head)]
}

/** What every entry of `key` starts with, and no entry of another key: the lookup bound. */
export function keyProbe(key: Uint8Array): string {
  return scratch.toString('latin1', 0, writeProbe(key, 0))
}

/**
 * The key and the value of an entry, and the length of its probe. Both buffers are views of one
 * copy of the entry, over ranges that do not overlap.
 */
export function unpackEntry(entry: string): [key: Buffer, value: Buffer, probeLength: number] {
  const bytes = Buffer.from(entry, 'latin1')
  let end = bytes.indexOf(0)
  while (bytes[end + 1] !== 0) end = bytes.indexOf(0, end + 2)
  // Unescape the key in place: it only shrinks.
  let length = 0
  for (let i = 0; i < end; i++) {
    const byte = bytes[i] as number
    bytes[length++] = byte
    if (byte === 0) i++
  }
  return [bytes.subarray(0, length), bytes.subarray(end + 2), end + 2]
}

/** The value bytes of an entry whose probe is `length` characters long. */
export function entryValue(entry: string, length: number): Buffer {
  return Buffer.from(entry.slice(length), 'latin1')
}
