/**
 * Kafka's record batch (format v2, "magic 2"), written straight into one buffer per partition.
 *
 * The client library builds each record from small growable buffers and joins them, which cost
 * the producer most of its CPU time (docs/benchmarks.md, producer tuning). Here a batch is sized
 * first and written once. The producer id, epoch and base sequence are stamped, and the CRC
 * computed, only when the batch is about to go out (`stampBatch`): a batch resent after a retry
 * keeps its bytes, and a batch resent under a new producer id gets new header fields only.
 *
 * Layout (big-endian; DefaultRecordBatch in the Java client):
 *
 *   0  baseOffset int64          (0: the broker assigns offsets)
 *   8  batchLength int32         (bytes after this field)
 *  12  partitionLeaderEpoch int32 (-1: the broker fills it in)
 *  16  magic int8               (2)
 *  17  crc uint32               (CRC-32C of everything from attributes to the end)
 *  21  attributes int16         (compression codec in bits 0-2, transactional in bit 4)
 *  23  lastOffsetDelta int32
 *  27  baseTimestamp int64
 *  35  maxTimestamp int64
 *  43  producerId int64
 *  51  producerEpoch int16
 *  53  baseSequence int32
 *  57  recordCount int32
 *  61  records (compressed as a whole when a codec is set)
 *
 * Each record: length varint, attributes int8 (0), timestampDelta varlong, offsetDelta varint, key
 * length varint (-1 for null) and bytes, value length varint and bytes, header count varint, and
 * per header a key length varint and UTF-8 bytes, a value length varint and bytes. Varints are
 * zigzag-encoded like protobuf's sint32/sint64.
 */
import { compressionsAlgorithms, crc32c } from '@platformatic/kafka'
import { createRequire } from 'node:module'
import type { Compression, OutRecord } from './types.ts'

const HEADER_BYTES = 61
const CRC_AT = 17
const ATTRIBUTES_AT = 21
const PRODUCER_ID_AT = 43
const PRODUCER_EPOCH_AT = 51
const BASE_SEQUENCE_AT = 53
const TRANSACTIONAL = 1 << 4
const MAX_SEQUENCE = 0x7fffffff

/**
 * CRC-32C of the bytes: `@node-rs/crc32` (an optional dependency, native) when it loads, else the
 * client library's (WebAssembly). The library wraps the same native function, but copies its input
 * first, which costs three times the checksum itself on a batch.
 */
const checksum: (bytes: Uint8Array) => number = (() => {
  try {
    return (createRequire(import.meta.url)('@node-rs/crc32') as { crc32c(bytes: Uint8Array): number }).crc32c
  } catch {
    return (bytes: Uint8Array) => crc32c(bytes as Buffer)
  }
})()

// Per record in a v2 record batch: length, attributes, timestamp and offset deltas, key and value
// lengths, header count (varints, at most 36 bytes); per header: two lengths (at most 10 bytes).
const RECORD_OVERHEAD_BYTES = 40
const HEADER_OVERHEAD_BYTES = 10

/** The bytes a record takes in a record batch, never less than it really takes. */
export function recordBytes(record: OutRecord): number {
  let bytes = RECORD_OVERHEAD_BYTES + (record.key?.length ?? 0) + (record.value?.length ?? 0)
  if (record.headers) {
    for (const [k, v] of Object.entries(record.headers)) {
      bytes +=
        HEADER_OVERHEAD_BYTES +
        Buffer.byteLength(k) +
        (typeof v === 'string' ? Buffer.byteLength(v) : v.length)
    }
  }
  return bytes
}

/**
 * Splits records, in order, into runs of at most `maxBytes` record bytes (a record larger than
 * that alone forms a run, for the broker to refuse with a clear error). The client packs each
 * partition's records of one send into a single batch, which the broker refuses whole when it is
 * over message.max.bytes: a worker sending thousands of records to a one-partition topic in one
 * send would never get through.
 */
export function splitBySize(records: OutRecord[], maxBytes: number): OutRecord[][] {
  const runs: OutRecord[][] = []
  let run: OutRecord[] = []
  let runBytes = 0
  for (const record of records) {
    const bytes = recordBytes(record)
    if (run.length > 0 && runBytes + bytes > maxBytes) {
      runs.push(run)
      run = []
      runBytes = 0
    }
    run.push(record)
    runBytes += bytes
  }
  if (run.length > 0) runs.push(run)
  return runs
}

/** One partition's records, encoded; `count` records, ready to be stamped and sent. */
export interface EncodedBatch {
  readonly topic: string
  readonly partition: number
  readonly count: number
  readonly bytes: Buffer
}

/** The bytes of a zigzag varint for a value within ±2^31. */
function varintBytes(value: number): number {
  return unsignedVarintBytes(((value << 1) ^ (value >> 31)) >>> 0)
}

function unsignedVarintBytes(value: number): number {
  if (value < 0x80) return 1
  if (value < 0x4000) return 2
  if (value < 0x200000) return 3
  let bytes = 4
  value = Math.floor(value / 0x10000000)
  while (value > 0) {
    value = Math.floor(value / 128)
    bytes++
  }
  return bytes
}

/** Zigzag of a safe integer of any sign (timestamp deltas reach far beyond 32 bits). */
function zigzag64(value: number): number {
  return value >= 0 ? value * 2 : -value * 2 - 1
}

function writeUnsignedVarint(buffer: Buffer, at: number, value: number): number {
  // Within 32 bits shifts are exact; beyond, division keeps the high bits.
  while (value >= 0x80) {
    buffer[at++] = (value & 0x7f) | 0x80
    value = value < 0x100000000 ? value >>> 7 : Math.floor(value / 128)
  }
  buffer[at++] = value
  return at
}

function writeVarint(buffer: Buffer, at: number, value: number): number {
  return writeUnsignedVarint(buffer, at, ((value << 1) ^ (value >> 31)) >>> 0)
}

/** A header's key and value as bytes or a string, with its encoded length. */
function byteLength(value: Buffer | string): number {
  return typeof value === 'string' ? Buffer.byteLength(value) : value.length
}

function writeBytes(buffer: Buffer, at: number, value: Buffer | string, length: number): number {
  if (typeof value === 'string') buffer.write(value, at, length, 'utf8')
  else buffer.set(value, at)
  return at + length
}

/**
 * Encodes records of one partition, in order, as one batch (not yet stamped). A record without a
 * timestamp gets `nowMs`.
 */
export function encodeBatch(
  topic: string,
  partition: number,
  records: readonly OutRecord[],
  options: { compression?: Compression; transactional?: boolean; nowMs?: number } = {},
): EncodedBatch {
  // Step 1: the timestamps and each record's body size, so that the buffer is allocated once.
  const nowMs = options.nowMs ?? Date.now()
  const count = records.length
  const baseTimestampMs = records[0]?.timestampMs ?? nowMs
  let maxTimestampMs = baseTimestampMs
  const bodies = new Array<number>(count)
  let recordsBytes = 0
  for (let i = 0; i < count; i++) {
    const record = records[i]!
    const timestampMs = record.timestampMs ?? nowMs
    if (timestampMs > maxTimestampMs) maxTimestampMs = timestampMs
    const key = record.key
    const value = record.value
    let body =
      1 +
      unsignedVarintBytes(zigzag64(timestampMs - baseTimestampMs)) +
      varintBytes(i) +
      (key == null ? 1 : varintBytes(key.length) + key.length) +
      (value == null ? 1 : varintBytes(value.length) + value.length)
    let headerCount = 0
    if (record.headers) {
      for (const name in record.headers) {
        const nameBytes = Buffer.byteLength(name)
        const valueBytes = byteLength(record.headers[name]!)
        body += varintBytes(nameBytes) + nameBytes + varintBytes(valueBytes) + valueBytes
        headerCount++
      }
    }
    body += varintBytes(headerCount)
    bodies[i] = body
    recordsBytes += varintBytes(body) + body
  }

  // Step 2: the records, into the batch's buffer or, to be compressed, a buffer of their own.
  const codec = options.compression ?? 'none'
  const compressed = codec !== 'none'
  let buffer = Buffer.allocUnsafe(compressed ? recordsBytes : HEADER_BYTES + recordsBytes)
  let at = compressed ? 0 : HEADER_BYTES
  for (let i = 0; i < count; i++) {
    const record = records[i]!
    at = writeVarint(buffer, at, bodies[i]!)
    buffer[at++] = 0
    at = writeUnsignedVarint(buffer, at, zigzag64((record.timestampMs ?? nowMs) - baseTimestampMs))
    at = writeVarint(buffer, at, i)
    const key = record.key
    if (key == null) at = writeVarint(buffer, at, -1)
    else at = writeBytes(buffer, writeVarint(buffer, at, key.length), key, key.length)
    const value = record.value
    if (value == null) at = writeVarint(buffer, at, -1)
    else at = writeBytes(buffer, writeVarint(buffer, at, value.length), value, value.length)
    const headers = record.headers
    if (headers) {
      let headerCount = 0
      for (const _ in headers) headerCount++
      at = writeVarint(buffer, at, headerCount)
      for (const name in headers) {
        const header = headers[name]!
        const nameBytes = Buffer.byteLength(name)
        at = writeBytes(buffer, writeVarint(buffer, at, nameBytes), name, nameBytes)
        const valueBytes = byteLength(header)
        at = writeBytes(buffer, writeVarint(buffer, at, valueBytes), header, valueBytes)
      }
    } else {
      buffer[at++] = 0
    }
  }
  let attributes = options.transactional ? TRANSACTIONAL : 0
  if (compressed) {
    const algorithm = compressionsAlgorithms[codec]
    const body = algorithm.compressSync(buffer)
    attributes |= algorithm.bitmask
    buffer = Buffer.allocUnsafe(HEADER_BYTES + body.length)
    body.copy(buffer, HEADER_BYTES)
  }

  // Step 3: the header, with producer id -1, epoch -1 and sequence -1 and no CRC until stamped.
  const bytes = buffer
  bytes.writeBigInt64BE(0n, 0)
  bytes.writeInt32BE(bytes.length - 12, 8)
  bytes.writeInt32BE(-1, 12)
  bytes.writeInt8(2, 16)
  bytes.writeInt16BE(attributes, ATTRIBUTES_AT)
  bytes.writeInt32BE(count - 1, 23)
  bytes.writeBigInt64BE(BigInt(baseTimestampMs), 27)
  bytes.writeBigInt64BE(BigInt(maxTimestampMs), 35)
  bytes.writeInt32BE(count, 57)
  bytes.writeBigInt64BE(-1n, PRODUCER_ID_AT)
  bytes.writeInt16BE(-1, PRODUCER_EPOCH_AT)
  bytes.writeInt32BE(-1, BASE_SEQUENCE_AT)
  return { topic, partition, count, bytes }
}

/** Sets the producer id, epoch and base sequence of a batch and its CRC. */
export function stampBatch(
  batch: EncodedBatch,
  producerId: bigint,
  producerEpoch: number,
  baseSequence: number,
): void {
  const bytes = batch.bytes
  bytes.writeBigInt64BE(producerId, PRODUCER_ID_AT)
  bytes.writeInt16BE(producerEpoch, PRODUCER_EPOCH_AT)
  bytes.writeInt32BE(baseSequence, BASE_SEQUENCE_AT)
  bytes.writeUInt32BE(checksum(bytes.subarray(ATTRIBUTES_AT)), CRC_AT)
}

/** A topic partition as one map key. */
export function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`
}

/**
 * Testing seam of the send path: `producer[SKIP_SEQUENCES](topic, partition, n)` makes the next
 * batch of the partition skip n sequence numbers, to see the broker refuse it and the gap handled.
 */
export const SKIP_SEQUENCES = Symbol('freshet.skipSequences')

/** The sequence after `count` records from `sequence`: sequences wrap to 0 after 2^31 - 1. */
export function nextSequence(sequence: number, count: number): number {
  const next = sequence + count
  return next > MAX_SEQUENCE ? next - MAX_SEQUENCE - 1 : next
}
