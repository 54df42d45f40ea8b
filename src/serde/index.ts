export { AvroDeserializer } from './avro-deserializer.ts'
export { AvroSerializer, topicNameSubject } from './avro-serializer.ts'
export {
  createDeserializer,
  createSerializer,
  type DeserializerChoice,
  type SerializerChoice,
} from './factory.ts'
export { JsonDeserializer, JsonSerializer, parseJson } from './json.ts'
export {
  DEFAULT_SLAB_BYTES,
  registryClient as registryClientCheck,
  type AvroDeserializerOptions,
  type AvroSerializerOptions,
  type JsonSerdeOptions,
} from './options.ts'
export {
  isRecordDeserializer,
  SERDE_FORMATS,
  type Deserializer,
  type RecordDeserializer,
  type SourceRecord,
  type SchemaInput,
  type SchemaRegistryClient,
  type SerdeFormat,
  type Serializer,
} from './types.ts'
export {
  frame,
  HEADER_BYTES,
  MAGIC_BYTE,
  MAX_SCHEMA_ID,
  readSchemaId,
  unframe,
  type Unframed,
} from './wire.ts'
