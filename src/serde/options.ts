import { FreshetError } from '../errors/index.ts'
import { checks, type Check, type Spec } from '../options/index.ts'
import type { SchemaInput, SchemaRegistryClient } from './types.ts'

/** Default size of the buffers serialized values are carved from. */
export const DEFAULT_SLAB_BYTES = 1024 * 1024

/** Option check for a schema registry client: anything with `getSchemaById` and `register`. */
export const registryClient: Check<SchemaRegistryClient> = (where, key, value) => {
  const candidate = value as Partial<SchemaRegistryClient> | null
  if (
    candidate === null ||
    typeof candidate !== 'object' ||
    typeof candidate.getSchemaById !== 'function' ||
    typeof candidate.register !== 'function'
  ) {
    throw new FreshetError('INVALID_OPTION', `${where}: option "${key}" must be a schema registry client`, {
      details: { option: key, expected: 'an object with getSchemaById(id) and register(subject, schema)' },
    })
  }
  return candidate as SchemaRegistryClient
}

const schemaInput =
  <T>(): Check<SchemaInput<T>> =>
  (where, key, value) => {
    if (value === null || (typeof value !== 'string' && typeof value !== 'object')) {
      throw new FreshetError('INVALID_OPTION', `${where}: option "${key}" must be an Avro schema`, {
        details: { option: key, expected: 'a TypedSchema, schema JSON or schema text' },
      })
    }
    return value as SchemaInput<T>
  }

export interface AvroSerializerOptions<T> {
  registry: SchemaRegistryClient
  /** Topic the values go to; names the subject. */
  topic: string
  schema: SchemaInput<T>
  /** Serialize record keys (`<topic>-key`) instead of values (`<topic>-value`). */
  isKey?: boolean
  /** Subject to register under instead of the TopicNameStrategy one. */
  subject?: string
  /** Size of the buffers serialized values are carved from. */
  slabBytes?: number
}

export const avroSerializerSpec = <T>(): Spec<AvroSerializerOptions<T>> => ({
  registry: { check: registryClient },
  topic: { check: checks.string() },
  schema: { check: schemaInput<T>() },
  isKey: { check: checks.boolean(), default: false },
  subject: { check: checks.string() },
  slabBytes: { check: checks.int(1024, 256 * 1024 * 1024), default: DEFAULT_SLAB_BYTES },
})

export interface AvroDeserializerOptions<T> {
  registry: SchemaRegistryClient
  /** Schema to read values as (schema evolution); values come in their writer's shape without it. */
  readerSchema?: SchemaInput<T>
  /**
   * The topic whose values are read. A writer schema registered under its subject
   * (`<topic>-value`) that the reader schema cannot read is then a setup mistake, which no
   * bad-record policy takes (see `isConfigurationError`); without it, it is the record's fault.
   */
  topic?: string
}

export const avroDeserializerSpec = <T>(): Spec<AvroDeserializerOptions<T>> => ({
  registry: { check: registryClient },
  readerSchema: { check: schemaInput<T>() },
  topic: { check: checks.string() },
})

export interface JsonSerdeOptions<T> {
  /** When given, values are checked against it (encode: FRESHET_SERDE_ENCODE_FAILED, decode: ..._SCHEMA_MISMATCH). */
  schema?: SchemaInput<T>
}

export const jsonSerdeSpec = <T>(): Spec<JsonSerdeOptions<T>> => ({
  schema: { check: schemaInput<T>() },
})
