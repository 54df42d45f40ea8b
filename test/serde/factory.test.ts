import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ErrorCodes, FreshetError } from '../../src/errors/index.ts'
import { UserEventSchema } from '../../src/schemas/index.ts'
import {
  AvroDeserializer,
  AvroSerializer,
  createDeserializer,
  createSerializer,
  JsonDeserializer,
  JsonSerializer,
} from '../../src/serde/index.ts'
import { MemoryRegistry } from '../../src/testing/index.ts'

test('the format picks the serde', () => {
  const registry = new MemoryRegistry()
  assert.ok(
    createSerializer({ format: 'avro', topic: 't', schema: UserEventSchema, registry }) instanceof
      AvroSerializer,
  )
  assert.ok(
    createSerializer({ format: 'json', topic: 't', schema: UserEventSchema }) instanceof JsonSerializer,
  )
  assert.ok(createDeserializer({ format: 'avro', registry }) instanceof AvroDeserializer)
  assert.ok(createDeserializer({ format: 'json' }) instanceof JsonDeserializer)
})

test('avro without a registry client is FRESHET_INVALID_OPTION', () => {
  assert.throws(
    () => createSerializer({ format: 'avro', topic: 't', schema: UserEventSchema }),
    (e: unknown) => e instanceof FreshetError && e.code === ErrorCodes.INVALID_OPTION.code,
  )
  assert.throws(
    () => createDeserializer({ format: 'avro' }),
    (e: unknown) => e instanceof FreshetError && e.code === ErrorCodes.INVALID_OPTION.code,
  )
})
