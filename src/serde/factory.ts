/** Picking a serde by format name, as the CLI's `--format avro|json` does. */
import { FreshetError } from '../errors/index.ts'
import { AvroDeserializer } from './avro-deserializer.ts'
import { AvroSerializer } from './avro-serializer.ts'
import { JsonDeserializer, JsonSerializer } from './json.ts'
import type { Deserializer, SchemaInput, SchemaRegistryClient, SerdeFormat, Serializer } from './types.ts'

export interface SerializerChoice<T> {
  format: SerdeFormat
  topic: string
  schema: SchemaInput<T>
  /** Required for avro. */
  registry?: SchemaRegistryClient
  isKey?: boolean
}

export interface DeserializerChoice<T> {
  format: SerdeFormat
  /** Avro: reader schema; JSON: schema to check values against. Optional for both. */
  schema?: SchemaInput<T>
  /** Required for avro. */
  registry?: SchemaRegistryClient
  /** Avro: the topic read, to tell a reader schema that does not fit it from a stray record. */
  topic?: string
}

function needRegistry(where: string, registry: SchemaRegistryClient | undefined): SchemaRegistryClient {
  if (registry === undefined) {
    throw new FreshetError('INVALID_OPTION', `${where}: format avro needs a registry client`, {
      details: { option: 'registry' },
    })
  }
  return registry
}

export function createSerializer<T>(choice: SerializerChoice<T>): Serializer<T> {
  if (choice.format === 'json') return new JsonSerializer<T>({ schema: choice.schema })
  return new AvroSerializer<T>({
    registry: needRegistry('createSerializer', choice.registry),
    topic: choice.topic,
    schema: choice.schema,
    isKey: choice.isKey ?? false,
  })
}

export function createDeserializer<T>(choice: DeserializerChoice<T>): Deserializer<T> {
  const schema = choice.schema === undefined ? {} : { schema: choice.schema }
  if (choice.format === 'json') return new JsonDeserializer<T>(schema)
  return new AvroDeserializer<T>({
    registry: needRegistry('createDeserializer', choice.registry),
    ...(choice.schema === undefined ? {} : { readerSchema: choice.schema }),
    ...(choice.topic === undefined ? {} : { topic: choice.topic }),
  })
}
