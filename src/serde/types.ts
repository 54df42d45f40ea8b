import type { ErrorLocation } from '../errors/index.ts'
import type { AvroSchemaJson, TypedSchema } from '../schemas/types.ts'

/**
 * What the serializers need from a Schema Registry. Errors are FreshetErrors:
 * FRESHET_SCHEMA_NOT_FOUND (permanent) when an id is unknown, FRESHET_REGISTRY_UNREACHABLE
 * (retriable) when the registry cannot be reached. The serde passes them on unchanged.
 */
export interface SchemaRegistryClient {
  /** The schema text registered under `id`. */
  getSchemaById(id: number): Promise<string>
  /** Registers `schema` under `subject` (or finds it registered already) and returns its id. */
  register(subject: string, schema: string): Promise<number>
  /**
   * The subjects a schema id is registered under (`GET /schemas/ids/{id}/subjects`). Optional: a
   * deserializer with a `topic` uses it to tell a reader schema that does not fit the topic (a
   * setup mistake) from a stray record of a foreign schema (bad data).
   */
  subjectsOf?(id: number): Promise<string[]>
}

/**
 * A schema as the serde takes it: a generated `TypedSchema` (which also gives `T`), the parsed JSON
 * of an .avsc, or its text.
 */
export type SchemaInput<T> = TypedSchema<T> | AvroSchemaJson

/** Turns values into Kafka record bytes. `serialize` is synchronous once `init` has resolved. */
export interface Serializer<T> {
  /** Everything asynchronous (e.g. registering the schema); call once before `serialize`. */
  init(): Promise<void>
  serialize(value: T): Buffer
}

/** Turns Kafka record bytes back into values. */
export interface Deserializer<T> {
  deserialize(buf: Buffer | null | undefined, location?: ErrorLocation): Promise<T>
  /** Decodes without waiting; works once whatever `buf` needs is loaded (see `prepare`). */
  deserializeSync(buf: Buffer | null | undefined, location?: ErrorLocation): T
  /** Loads what a batch needs so that `deserializeSync` works for each of its values. */
  prepare(buffers: Iterable<Buffer | null | undefined>): Promise<void>
}

/** A Kafka record as a `RecordDeserializer` reads it: its value and its metadata. */
export interface SourceRecord {
  readonly topic: string
  readonly partition: number
  readonly offset: bigint
  readonly timestampMs: number
  readonly key: Buffer | null
  readonly value: Buffer | null
  readonly headers: ReadonlyMap<string, Buffer>
  readonly leaderEpoch?: number | undefined
}

/**
 * A deserializer that reads a record's metadata besides its value (SQL's METADATA columns): the
 * runtime calls `deserializeRecord` rather than `deserializeSync` when a source's deserializer has it.
 */
export interface RecordDeserializer<T> extends Deserializer<T> {
  deserializeRecord(record: SourceRecord): T
}

export function isRecordDeserializer<T>(
  deserializer: Deserializer<T>,
): deserializer is RecordDeserializer<T> {
  return typeof (deserializer as Partial<RecordDeserializer<T>>).deserializeRecord === 'function'
}

export type SerdeFormat = 'avro' | 'json'
export const SERDE_FORMATS: readonly SerdeFormat[] = ['avro', 'json']
