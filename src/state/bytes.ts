/**
 * Byte keys as map keys. A Latin-1 string has one character per byte, with the byte as its code, so
 * JavaScript's string order is exactly the unsigned byte order RocksDB sorts by, and such strings
 * serve as keys of `Map` and `SortedStringMap`. Values are kept the same way: a string is immutable,
 * so a caller reusing its buffer after `put` cannot change what the store holds, and it costs less
 * memory than a `Buffer` object per value.
 */

export function toId(bytes: Uint8Array): string {
  const buffer = Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  return buffer.toString('latin1')
}

export function fromId(id: string): Buffer {
  return Buffer.from(id, 'latin1')
}

/**
 * The smallest key greater than every key that starts with `prefix`: the exclusive upper bound of a
 * prefix scan. Undefined when there is none (an empty prefix or one of only 0xff bytes).
 */
export function prefixEnd(prefix: Uint8Array): Buffer | undefined {
  let end = prefix.length
  while (end > 0 && prefix[end - 1] === 0xff) end--
  if (end === 0) return undefined
  const out = Buffer.from(prefix.subarray(0, end))
  out[end - 1] = (out[end - 1] as number) + 1
  return out
}

/** A range's lower bound as an id; an empty bound is no bound, since the empty key is the smallest. */
export function lowerId(gte: Uint8Array | undefined): string | undefined {
  return gte === undefined || gte.length === 0 ? undefined : toId(gte)
}
