import assert from 'node:assert/strict'
import { test } from 'node:test'
import avro from 'avsc'
import { ErrorCodes, FreshetError, type ErrorCode } from '../../src/errors/index.ts'
import {
  TransactionEventSchema,
  UserEventSchema,
  type TransactionEvent,
  type UserEvent,
} from '../../src/schemas/index.ts'
import { AvroDeserializer, AvroSerializer, frame } from '../../src/serde/index.ts'
import { MemoryRegistry } from '../../src/testing/index.ts'

const EVENT: UserEvent = {
  timestamp: 1_700_000_000_123,
  event_type: 'search',
  user_id: 'user_000042',
  version: '1.0',
  data: {
    product_id: null,
    amount: null,
    currency: null,
    session_id: 'sess_1',
    device: 'desktop',
    browser: 'firefox',
    search_query: 'running shoes',
    transaction_id: null,
  },
}

const V1 = {
  type: 'record',
  name: 'Profile',
  namespace: 'test',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'age', type: 'int' },
  ],
}
/** V1 plus a defaulted field: readers of V2 can read V1 and vice versa. */
const V2 = { ...V1, fields: [...V1.fields, { name: 'country', type: 'string', default: 'unknown' }] }
/** A new required field without default: cannot read V1 values. */
const V3 = { ...V1, fields: [...V1.fields, { name: 'email', type: 'string' }] }

/** Deserialized records are avsc record instances; compare their data. */
function plain(value: unknown): unknown {
  return structuredClone(value)
}

async function rejectsWith(
  promise: Promise<unknown>,
  code: ErrorCode,
  retriable: boolean,
): Promise<FreshetError> {
  try {
    await promise
  } catch (error) {
    assert.ok(error instanceof FreshetError, `expected a FreshetError, got ${String(error)}`)
    assert.equal(error.code, code)
    assert.equal(error.retriable, retriable)
    return error
  }
  assert.fail(`expected ${code}`)
}

function throwsWith(fn: () => unknown, code: ErrorCode): FreshetError {
  try {
    fn()
  } catch (error) {
    assert.ok(error instanceof FreshetError, `expected a FreshetError, got ${String(error)}`)
    assert.equal(error.code, code)
    return error
  }
  assert.fail(`expected ${code}`)
}

async function serializerFor<T>(
  registry: MemoryRegistry,
  schema: object,
  topic = 't',
): Promise<AvroSerializer<T>> {
  const serializer = new AvroSerializer<T>({ registry, topic, schema: schema as never })
  await serializer.init()
  return serializer
}

test('round trip of a UserEvent and a TransactionEvent', async () => {
  const registry = new MemoryRegistry()
  const events = await serializerFor<UserEvent>(registry, UserEventSchema)
  const transactions = await serializerFor<TransactionEvent>(registry, TransactionEventSchema, 'tx')
  const deserializer = new AvroDeserializer({ registry })
  assert.deepEqual(plain(await deserializer.deserialize(events.serialize(EVENT))), EVENT)
  const tx: TransactionEvent = {
    transaction_id: 'txn_1',
    user_id: 'user_000042',
    session_id: 'sess_1',
    timestamp: 1_700_000_000_500,
    amount: 45.5,
    currency: 'GBP',
    status: 'completed',
    payment_method: 'paypal',
    items: [
      { product_id: 'prod_00001', quantity: 2, unit_price: 10 },
      { product_id: 'prod_00002', quantity: 1, unit_price: 25.5 },
    ],
  }
  assert.deepEqual(plain(await deserializer.deserialize(transactions.serialize(tx))), tx)
})

test('the registry is asked once per id, also for a burst of concurrent records', async () => {
  const registry = new MemoryRegistry()
  const serializer = await serializerFor<UserEvent>(registry, UserEventSchema)
  const deserializer = new AvroDeserializer<UserEvent>({ registry, readerSchema: UserEventSchema })
  const records = Array.from({ length: 200 }, (_, i) => serializer.serialize({ ...EVENT, timestamp: i }))
  const values = await Promise.all(records.map((r) => deserializer.deserialize(r)))
  assert.deepEqual(
    values.map((v) => v.timestamp),
    records.map((_, i) => i),
  )
  for (const r of records) await deserializer.deserialize(r)
  assert.deepEqual(registry.getCalls, [1])
  assert.equal(deserializer.deserializeSync(records[5]).timestamp, 5)
})

test('deserializeSync needs the writer schema loaded; prepare loads a batch', async () => {
  const registry = new MemoryRegistry()
  const a = await serializerFor<UserEvent>(registry, UserEventSchema)
  const b = await serializerFor(registry, V1, 'profiles')
  const deserializer = new AvroDeserializer({ registry })
  const batch = [a.serialize(EVENT), b.serialize({ id: 'p', age: 3 }), null, Buffer.from('junk')]
  const notLoaded = throwsWith(() => deserializer.deserializeSync(batch[0]), ErrorCodes.INVALID_STATE.code)
  assert.equal(notLoaded.details?.['schemaId'], 1)
  await deserializer.prepare(batch)
  assert.deepEqual(registry.getCalls.sort(), [1, 2])
  assert.ok(deserializer.has(1) && deserializer.has(2))
  assert.deepEqual(plain(deserializer.deserializeSync(batch[0])), EVENT)
  assert.deepEqual(plain(deserializer.deserializeSync(batch[1])), { id: 'p', age: 3 })
  throwsWith(() => deserializer.deserializeSync(batch[2]), ErrorCodes.SERDE_NULL_VALUE.code)
  throwsWith(() => deserializer.deserializeSync(batch[3]), ErrorCodes.SERDE_BAD_MAGIC_BYTE.code)
})

test('an unknown id is FRESHET_SCHEMA_NOT_FOUND, permanent, for deserialize and after prepare', async () => {
  const registry = new MemoryRegistry()
  const deserializer = new AvroDeserializer({ registry })
  const unknown = frame(99, Buffer.from([2]))
  await rejectsWith(deserializer.deserialize(unknown), ErrorCodes.SCHEMA_NOT_FOUND.code, false)
  await deserializer.prepare([unknown])
  throwsWith(() => deserializer.deserializeSync(unknown), ErrorCodes.SCHEMA_NOT_FOUND.code)
})

test('an unreachable registry is FRESHET_REGISTRY_UNREACHABLE, retriable, and not remembered', async () => {
  const registry = new MemoryRegistry()
  const serializer = await serializerFor<UserEvent>(registry, UserEventSchema)
  const record = serializer.serialize(EVENT)
  const deserializer = new AvroDeserializer({ registry })
  registry.unreachable = true
  await rejectsWith(deserializer.deserialize(record), ErrorCodes.REGISTRY_UNREACHABLE.code, true)
  await rejectsWith(deserializer.prepare([record]), ErrorCodes.REGISTRY_UNREACHABLE.code, true)
  throwsWith(() => deserializer.deserializeSync(record), ErrorCodes.INVALID_STATE.code)
  registry.unreachable = false
  assert.deepEqual(plain(await deserializer.deserialize(record)), EVENT)
})

test('payloads that end early are FRESHET_SERDE_TRUNCATED with the schema id', async () => {
  const registry = new MemoryRegistry()
  const serializer = await serializerFor<UserEvent>(registry, UserEventSchema)
  const record = serializer.serialize(EVENT)
  const deserializer = new AvroDeserializer({ registry })
  await deserializer.deserialize(record)
  for (const cut of [5, 6, 12, record.length - 1]) {
    const error = throwsWith(
      () =>
        deserializer.deserializeSync(record.subarray(0, cut), { topic: 'events', partition: 2, offset: 7n }),
      ErrorCodes.SERDE_TRUNCATED.code,
    )
    assert.equal(error.details?.['schemaId'], 1)
    assert.equal(error.topic, 'events')
    assert.equal(error.partition, 2)
    assert.equal(error.offset, '7')
    assert.equal(error.retriable, false)
  }
  throwsWith(() => deserializer.deserializeSync(record.subarray(0, 3)), ErrorCodes.SERDE_TRUNCATED.code)
})

test('garbage or trailing bytes are FRESHET_SERDE_SCHEMA_MISMATCH with the schema id', async () => {
  const registry = new MemoryRegistry()
  const serializer = await serializerFor(registry, V1)
  const deserializer = new AvroDeserializer({ registry })
  const record = serializer.serialize({ id: 'p', age: 3 })
  await deserializer.deserialize(record)
  const trailing = throwsWith(
    () => deserializer.deserializeSync(Buffer.concat([record, Buffer.from([0])])),
    ErrorCodes.SERDE_SCHEMA_MISMATCH.code,
  )
  assert.equal(trailing.details?.['schemaId'], 1)
  assert.match(trailing.message, /1 bytes remain/)

  // An enum index beyond its symbols and a union branch that does not exist cannot decode.
  const events = await serializerFor<UserEvent>(registry, UserEventSchema)
  await deserializer.deserialize(events.serialize(EVENT))
  const badEnum = frame(2, Buffer.from([0x02, 0x7e]))
  const error = throwsWith(() => deserializer.deserializeSync(badEnum), ErrorCodes.SERDE_SCHEMA_MISMATCH.code)
  assert.equal(error.details?.['schemaId'], 2)
  const badUnion = frame(2, Buffer.concat([Buffer.from([0x02, 0x00, 0x02, 0x75, 0x00]), Buffer.from([0x09])]))
  throwsWith(() => deserializer.deserializeSync(badUnion), ErrorCodes.SERDE_SCHEMA_MISMATCH.code)
})

test('evolution: a v2 reader reads v1 values with the default of the new field', async () => {
  const registry = new MemoryRegistry()
  const v1 = await serializerFor(registry, V1)
  const reader = new AvroDeserializer<{ id: string; age: number; country: string }>({
    registry,
    readerSchema: V2,
  })
  assert.deepEqual(plain(await reader.deserialize(v1.serialize({ id: 'a', age: 30 }))), {
    id: 'a',
    age: 30,
    country: 'unknown',
  })
})

test('evolution: a v1 reader reads v2 values without the field it does not know', async () => {
  const registry = new MemoryRegistry()
  const v2 = await serializerFor(registry, V2)
  const reader = new AvroDeserializer<{ id: string; age: number }>({ registry, readerSchema: V1 })
  const value = await reader.deserialize(v2.serialize({ id: 'b', age: 41, country: 'NO' }))
  assert.deepEqual(plain(value), { id: 'b', age: 41 })
  // Without a reader schema values come in the writer's shape.
  const writerShape = new AvroDeserializer({ registry })
  assert.deepEqual(plain(await writerShape.deserialize(v2.serialize({ id: 'b', age: 41, country: 'NO' }))), {
    id: 'b',
    age: 41,
    country: 'NO',
  })
})

test('a reader that cannot read the writer is FRESHET_SCHEMA_INCOMPATIBLE', async () => {
  const registry = new MemoryRegistry()
  const v1 = await serializerFor(registry, V1)
  const reader = new AvroDeserializer({ registry, readerSchema: V3 })
  const error = await rejectsWith(
    reader.deserialize(v1.serialize({ id: 'c', age: 1 })),
    ErrorCodes.SCHEMA_INCOMPATIBLE.code,
    false,
  )
  assert.equal(error.details?.['schemaId'], 1)
  assert.match(error.message, /cannot read values written with schema 1/)
  // After prepare, each record fails with its own location.
  const batch = [v1.serialize({ id: 'd', age: 2 }), v1.serialize({ id: 'e', age: 3 })]
  const prepared = new AvroDeserializer({ registry, readerSchema: V3 })
  await prepared.prepare(batch)
  for (const [i, buf] of batch.entries()) {
    const failed = throwsWith(
      () => prepared.deserializeSync(buf, { topic: 'people', partition: 1, offset: BigInt(i) }),
      ErrorCodes.SCHEMA_INCOMPATIBLE.code,
    )
    assert.deepEqual([failed.topic, failed.partition, failed.offset], ['people', 1, String(i)])
  }
})

test('a writer schema the registry returns broken is FRESHET_SCHEMA_INVALID', async () => {
  const registry = new MemoryRegistry()
  const id = registry.add('{"type": "record", "name": "Broken"}')
  const deserializer = new AvroDeserializer({ registry })
  const error = await rejectsWith(
    deserializer.deserialize(frame(id, Buffer.alloc(0))),
    ErrorCodes.SCHEMA_INVALID.code,
    false,
  )
  assert.equal(error.details?.['schemaId'], id)
})

test('bytes written by avsc directly and framed by hand decode (interoperability of the framing)', async () => {
  const registry = new MemoryRegistry(1234)
  const id = registry.add(V1)
  const payload = avro.Type.forSchema(V1 as avro.Schema).toBuffer({ id: 'z', age: 9 })
  const handFramed = Buffer.concat([Buffer.from([0, 0, 0, 0x04, 0xd2]), payload])
  assert.equal(id, 0x04d2)
  assert.deepEqual(plain(await new AvroDeserializer({ registry }).deserialize(handFramed)), {
    id: 'z',
    age: 9,
  })
})
