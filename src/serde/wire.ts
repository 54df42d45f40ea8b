/**
 * The Confluent wire format every Kafka tool built on Schema Registry reads and writes:
 *
 * | offset | size | content                                   |
 * | ------ | ---- | ----------------------------------------- |
 * | 0      | 1    | magic byte, always 0                      |
 * | 1      | 4    | schema id, big-endian signed 32-bit       |
 * | 5      | n    | the value, Avro binary (no container)     |
 */
import { FreshetError, type ErrorLocation } from '../errors/index.ts'

export const MAGIC_BYTE = 0
/** Bytes before the payload: the magic byte and the schema id. */
export const HEADER_BYTES = 5
/** Largest schema id the format can carry (ids are positive signed 32-bit integers). */
export const MAX_SCHEMA_ID = 0x7fffffff

export interface Unframed {
  schemaId: number
  /** A view of the input after the header (no copy). */
  payload: Buffer
}

/** Throws FRESHET_SERDE_ENCODE_FAILED unless `schemaId` fits the format. */
export function checkSchemaId(schemaId: number): void {
  if (!Number.isInteger(schemaId) || schemaId < 0 || schemaId > MAX_SCHEMA_ID) {
    throw new FreshetError(
      'SERDE_ENCODE_FAILED',
      `schema id ${schemaId} is not an integer in [0, ${MAX_SCHEMA_ID}]`,
      {
        details: { schemaId },
      },
    )
  }
}

/** Writes the 5-byte header at `offset` of `target`; the caller has checked the id. */
export function writeHeader(target: Buffer, offset: number, schemaId: number): void {
  target[offset] = MAGIC_BYTE
  target.writeInt32BE(schemaId, offset + 1)
}

/** Prefixes `payload` with the magic byte and `schemaId` (one new buffer). */
export function frame(schemaId: number, payload: Uint8Array): Buffer {
  checkSchemaId(schemaId)
  const out = Buffer.allocUnsafe(HEADER_BYTES + payload.length)
  writeHeader(out, 0, schemaId)
  out.set(payload, HEADER_BYTES)
  return out
}

/**
 * The schema id of a framed value. Throws FRESHET_SERDE_NULL_VALUE for a missing value (a
 * tombstone), FRESHET_SERDE_BAD_MAGIC_BYTE when the first byte is not 0 and FRESHET_SERDE_TRUNCATED
 * when the header is incomplete.
 */
export function readSchemaId(buf: Uint8Array | null | undefined, location: ErrorLocation = {}): number {
  if (buf == null) {
    throw new FreshetError('SERDE_NULL_VALUE', 'cannot decode a missing value (null or tombstone)', location)
  }
  if (buf.length > 0 && buf[0] !== MAGIC_BYTE) {
    throw new FreshetError(
      'SERDE_BAD_MAGIC_BYTE',
      `not in the schema registry wire format: first byte is ${buf[0]}, expected ${MAGIC_BYTE}`,
      { ...location, details: { firstByte: buf[0], length: buf.length } },
    )
  }
  if (buf.length < HEADER_BYTES) {
    throw new FreshetError(
      'SERDE_TRUNCATED',
      `value of ${buf.length} bytes is shorter than the ${HEADER_BYTES}-byte wire format header`,
      { ...location, details: { length: buf.length } },
    )
  }
  // Read by hand so any Uint8Array works; unsigned, as ids above MAX_SCHEMA_ID are never assigned.
  return ((buf[1] << 24) | (buf[2] << 16) | (buf[3] << 8) | buf[4]) >>> 0
}

/** Splits a framed value into its schema id and payload (errors as `readSchemaId`). */
export function unframe(buf: Buffer | null | undefined, location: ErrorLocation = {}): Unframed {
  const schemaId = readSchemaId(buf, location)
  return { schemaId, payload: (buf as Buffer).subarray(HEADER_BYTES) }
}
