/**
 * How operators turn keys and state into bytes for their stores.
 *
 * State values are JSON by default. For the aggregates operators keep (counts, sums, `[count, sum]`
 * pairs, short lists) JSON is the smallest of the two formats Node offers without a schema: `3` is
 * one byte where v8's structured serialization needs four (a version header and a tag), and a
 * double is its shortest decimal form instead of always eight bytes. It is also readable in the
 * changelog topic with any consumer, and does not depend on the V8 version: changelogs outlive
 * deployments, and the structured format is only guaranteed to be read by the same or a newer V8.
 * `structuredSerde` is there for aggregates JSON cannot hold (Map, Set, bigint, Date).
 *
 * Keys are JSON too, so any JSON value can key a stream. Windowed state puts the key's JSON into
 * src/state's window key layout (`windowKey`), which keeps every window of a key in one range.
 */
import { deserialize, serialize } from 'node:v8'
import { FreshetError } from '../errors/index.ts'
import { murmur2 } from '../kafka/murmur2.ts'
import type { Keyed } from './types.ts'

export interface ValueSerde<T> {
  /** Shown by `describe()`. */
  readonly format: string
  encode(value: T): Uint8Array
  decode(bytes: Uint8Array): T
}

const JSON_SERDE: ValueSerde<unknown> = Object.freeze({
  format: 'json',
  encode(value: unknown): Uint8Array {
    let text: string | undefined
    try {
      text = JSON.stringify(value)
    } catch (error) {
      throw new FreshetError(
        'STATE_ENCODE_FAILED',
        `cannot encode state as JSON: ${(error as Error).message}`,
        {
          cause: error,
        },
      )
    }
    if (text === undefined) {
      throw new FreshetError('STATE_ENCODE_FAILED', `cannot encode a ${typeof value} as JSON state`)
    }
    return Buffer.from(text)
  },
  decode(bytes: Uint8Array): unknown {
    try {
      return JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'))
    } catch (error) {
      throw new FreshetError('STATE_DECODE_FAILED', `state is not valid JSON: ${(error as Error).message}`, {
        cause: error,
      })
    }
  },
})

const STRUCTURED_SERDE: ValueSerde<unknown> = Object.freeze({
  format: 'structured',
  encode(value: unknown): Uint8Array {
    try {
      return serialize(value)
    } catch (error) {
      throw new FreshetError('STATE_ENCODE_FAILED', `cannot serialize state: ${(error as Error).message}`, {
        cause: error,
      })
    }
  },
  decode(bytes: Uint8Array): unknown {
    try {
      return deserialize(bytes) as unknown
    } catch (error) {
      throw new FreshetError('STATE_DECODE_FAILED', `cannot deserialize state: ${(error as Error).message}`, {
        cause: error,
      })
    }
  },
})

/** JSON state: compact for numbers and small records, readable in the changelog. The default. */
export function jsonSerde<T>(): ValueSerde<T> {
  return JSON_SERDE as ValueSerde<T>
}

/** v8 structured serialization: for state holding Map, Set, bigint or Date. */
export function structuredSerde<T>(): ValueSerde<T> {
  return STRUCTURED_SERDE as ValueSerde<T>
}

export function isValueSerde(value: unknown): value is ValueSerde<unknown> {
  if (value === null || typeof value !== 'object') return false
  const serde = value as Record<string, unknown>
  return typeof serde.encode === 'function' && typeof serde.decode === 'function'
}

/** The bytes of a key in state: its JSON text. */
export function encodeKey(key: unknown): Buffer {
  let text: string | undefined
  try {
    text = JSON.stringify(key)
  } catch (error) {
    throw new FreshetError('STATE_ENCODE_FAILED', `cannot encode key as JSON: ${(error as Error).message}`, {
      cause: error,
    })
  }
  if (text === undefined) {
    throw new FreshetError(
      'STATE_ENCODE_FAILED',
      `a key must be a JSON value (string, number, boolean, null, array or object), got ${typeof key}`,
    )
  }
  return Buffer.from(text)
}

export function decodeKey<K>(bytes: Uint8Array): K {
  return JSON_SERDE.decode(bytes) as K
}

/**
 * The bytes Kafka partitions a key by: strings as UTF-8 and bytes as they are (what a string or
 * bytes key serializer writes), anything else as its JSON text; `null` for no key.
 */
export function partitionKeyBytes(key: unknown): Uint8Array | null {
  if (key === null || key === undefined) return null
  if (typeof key === 'string') return Buffer.from(key)
  if (key instanceof Uint8Array) return key
  return encodeKey(key)
}

/**
 * Kafka's default partitioner for keyed records, `toPositive(murmur2(keyBytes)) % partitions` over
 * `partitionKeyBytes(key)`: the partition a Java or freshet producer puts the key on. Records
 * without a key go to partition 0.
 */
export function partitionFor(key: unknown, partitions: number): number {
  const bytes = partitionKeyBytes(key)
  if (bytes === null) return 0
  return (murmur2(bytes) & 0x7fffffff) % partitions
}

export const TIME_BYTES = 8

/** Writes a non-negative whole millisecond value as 8 bytes, big-endian, so bytes sort like times. */
export function writeTime(target: Buffer, offset: number, timeMs: number): void {
  const high = Math.floor(timeMs / 0x1_0000_0000)
  target.writeUInt32BE(high, offset)
  target.writeUInt32BE(timeMs - high * 0x1_0000_0000, offset + 4)
}

export function readTime(source: Uint8Array, offset: number): number {
  const view = Buffer.from(source.buffer, source.byteOffset, source.byteLength)
  return view.readUInt32BE(offset) * 0x1_0000_0000 + view.readUInt32BE(offset + 4)
}

/**
 * Refuses a record without a key (null or undefined) at an operator that keeps state per key: a
 * window aggregate, a deduplication, a join, a table. Taken in under one "null" key, such records
 * would silently mix; refused, they meet the bad-record policy (fail, skip or dead letter), as
 * Kafka Streams skips them with a metric.
 */
export function requireKey(record: Keyed<unknown>, operator: string): void {
  if (record.key !== null && record.key !== undefined) return
  const source = record.source
  throw new FreshetError(
    'RECORD_KEY_NULL',
    `operator "${operator}" keeps state per key and the record has no key: key the stream first (keyBy) or produce keyed records`,
    {
      ...(source === undefined
        ? {}
        : { topic: source.topic, partition: source.partition, offset: source.offset }),
      details: { operator },
    },
  )
}
