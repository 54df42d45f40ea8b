/**
 * JSON values (`--format json`): UTF-8 JSON text, no header. With a schema, values are checked
 * against it both ways; without one anything JSON can hold passes. Avro `bytes` and `fixed` do not
 * survive JSON, so use this format for schemas without them.
 */
import type avro from 'avsc'
import { FreshetError, type ErrorLocation } from '../errors/index.ts'
import { validateOptions } from '../options/index.ts'
import { firstInvalidPath, parseSchemaInput } from './avro-schema.ts'
import { jsonSerdeSpec, type JsonSerdeOptions } from './options.ts'
import { HEADER_BYTES, MAGIC_BYTE } from './wire.ts'
import type { Deserializer, Serializer } from './types.ts'

function schemaOf<T>(options: JsonSerdeOptions<T>, where: string): avro.Type | undefined {
  const o = validateOptions(where, options, jsonSerdeSpec<T>())
  return o.schema === undefined ? undefined : parseSchemaInput(o.schema, where).type
}

export class JsonSerializer<T> implements Serializer<T> {
  private readonly type: avro.Type | undefined

  constructor(options: JsonSerdeOptions<T> = {}) {
    this.type = schemaOf(options, 'JsonSerializer')
  }

  /** Nothing to prepare; present so both formats are used the same way. */
  init(): Promise<void> {
    return Promise.resolve()
  }

  serialize(value: T): Buffer {
    if (value == null && !(this.type?.isValid(null) ?? false)) {
      throw new FreshetError('SERDE_NULL_VALUE', `cannot serialize ${String(value)} as JSON`)
    }
    if (this.type !== undefined && !this.type.isValid(value)) {
      const at = firstInvalidPath(this.type, value)
      throw new FreshetError(
        'SERDE_ENCODE_FAILED',
        `value does not match schema ${this.type.name ?? this.type.typeName}` +
          (at === undefined ? '' : `: field ${at.path} must be ${at.expected}, got ${at.actual}`),
        { details: at === undefined ? {} : { path: at.path, expected: at.expected } },
      )
    }
    let text: string | undefined
    try {
      text = JSON.stringify(value)
    } catch (error) {
      throw new FreshetError(
        'SERDE_ENCODE_FAILED',
        `cannot serialize value as JSON: ${(error as Error).message}`,
        {
          cause: error,
        },
      )
    }
    if (text === undefined)
      throw new FreshetError('SERDE_ENCODE_FAILED', `cannot serialize a ${typeof value} as JSON`)
    return Buffer.from(text)
  }
}

/**
 * Parses a JSON value. Bytes that are not JSON are FRESHET_SERDE_SCHEMA_MISMATCH; when they start
 * like the schema registry's wire format (magic byte 0 and a schema id), the message says so and
 * names the schema id: the usual cause is Avro read without `format: 'avro'` and a registry.
 */
export function parseJson(buf: Buffer, location: ErrorLocation = {}): unknown {
  try {
    return JSON.parse(buf.toString('utf8'))
  } catch (error) {
    const framed = buf.length >= HEADER_BYTES && buf[0] === MAGIC_BYTE
    const schemaId = framed ? buf.readUInt32BE(1) : undefined
    const hint =
      schemaId === undefined
        ? ''
        : ` (it looks like Confluent-framed Avro of schema id ${schemaId}: read it with format 'avro' and a schema registry)`
    throw new FreshetError('SERDE_SCHEMA_MISMATCH', `value is not JSON: ${(error as Error).message}${hint}`, {
      ...location,
      cause: error,
      details: { length: buf.length, ...(schemaId === undefined ? {} : { schemaId }) },
    })
  }
}

export class JsonDeserializer<T = unknown> implements Deserializer<T> {
  private readonly type: avro.Type | undefined

  constructor(options: JsonSerdeOptions<T> = {}) {
    this.type = schemaOf(options, 'JsonDeserializer')
  }

  deserialize(buf: Buffer | null | undefined, location: ErrorLocation = {}): Promise<T> {
    try {
      return Promise.resolve(this.deserializeSync(buf, location))
    } catch (error) {
      return Promise.reject(error as Error)
    }
  }

  /**
   * Parses a value. Throws FRESHET_SERDE_NULL_VALUE for a missing value and
   * FRESHET_SERDE_SCHEMA_MISMATCH when the bytes are not JSON or not valid for the schema.
   */
  deserializeSync(buf: Buffer | null | undefined, location: ErrorLocation = {}): T {
    if (buf == null)
      throw new FreshetError(
        'SERDE_NULL_VALUE',
        'cannot decode a missing value (null or tombstone)',
        location,
      )
    const value = parseJson(buf, location)
    if (this.type !== undefined && !this.type.isValid(value)) {
      const at = firstInvalidPath(this.type, value)
      throw new FreshetError(
        'SERDE_SCHEMA_MISMATCH',
        `value does not match schema ${this.type.name ?? this.type.typeName}` +
          (at === undefined ? '' : `: field ${at.path} must be ${at.expected}, got ${at.actual}`),
        { ...location, details: at === undefined ? {} : { path: at.path, expected: at.expected } },
      )
    }
    return value as T
  }

  /** Nothing to load for JSON. */
  prepare(_buffers: Iterable<Buffer | null | undefined>): Promise<void> {
    return Promise.resolve()
  }
}
