import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ErrorCodes, FreshetError } from '../../src/errors/index.ts'
import { UserEventSchema, type UserEvent } from '../../src/schemas/index.ts'
import { AvroDeserializer, AvroSerializer, topicNameSubject } from '../../src/serde/index.ts'
import { MemoryRegistry } from '../../src/testing/index.ts'

const SMALL = {
  type: 'record',
  name: 'Small',
  namespace: 'test',
  fields: [
    { name: 'a', type: 'int' },
    { name: 's', type: 'string' },
    { name: 'n', type: ['null', 'long'], default: null },
  ],
}

const EVENT: UserEvent = {
  timestamp: 1_700_000_000_123,
  event_type: 'purchase',
  user_id: 'user_000042',
  version: '1.0',
  data: {
    product_id: 'prod_00017',
    amount: 59.9,
    currency: 'EUR',
    session_id: 'sess_1',
    device: 'mobile',
    browser: 'safari',
    search_query: null,
    transaction_id: 'txn_1',
  },
}

function thrown(fn: () => unknown): FreshetError {
  try {
    fn()
  } catch (error) {
    assert.ok(error instanceof FreshetError, `expected a FreshetError, got ${String(error)}`)
    return error
  }
  assert.fail('expected an error')
}

test('subjects follow TopicNameStrategy', () => {
  assert.equal(topicNameSubject('clicks'), 'clicks-value')
  assert.equal(topicNameSubject('clicks', true), 'clicks-key')
  const registry = new MemoryRegistry()
  assert.equal(new AvroSerializer({ registry, topic: 'clicks', schema: SMALL }).subject, 'clicks-value')
  assert.equal(
    new AvroSerializer({ registry, topic: 'clicks', schema: 'string', isKey: true }).subject,
    'clicks-key',
  )
  assert.equal(
    new AvroSerializer({ registry, topic: 'clicks', schema: SMALL, subject: 'custom' }).subject,
    'custom',
  )
})

test('bytes are the Confluent framing around the Avro binary encoding', async () => {
  const registry = new MemoryRegistry(7)
  const serializer = new AvroSerializer({ registry, topic: 't', schema: SMALL })
  await serializer.init()
  assert.equal(serializer.schemaId, 7)
  const out = serializer.serialize({ a: -2, s: 'hi', n: 300 })
  // 0 | id 7 big-endian | a=-2 zigzag 3 | "hi": length 2 zigzag 4, 'h' 'i' | union branch 1 zigzag 2, 300 zigzag 600 varint d8 04
  assert.deepEqual([...out], [0x00, 0x00, 0x00, 0x00, 0x07, 0x03, 0x04, 0x68, 0x69, 0x02, 0xd8, 0x04])
  const big = new AvroSerializer({ registry: new MemoryRegistry(0x01020304), topic: 't', schema: SMALL })
  await big.init()
  assert.deepEqual([...big.serialize({ a: 0, s: '', n: null }).subarray(0, 8)], [0, 1, 2, 3, 4, 0, 0, 0])
})

test('the schema is registered once under the subject, even with concurrent init calls', async () => {
  const registry = new MemoryRegistry()
  const serializer = new AvroSerializer<UserEvent>({ registry, topic: 'events', schema: UserEventSchema })
  await Promise.all([serializer.init(), serializer.init(), serializer.init()])
  await serializer.init()
  assert.equal(registry.registerCalls.length, 1)
  assert.equal(registry.registerCalls[0]?.subject, 'events-value')
  assert.deepEqual(JSON.parse(registry.registerCalls[0]?.schema ?? ''), UserEventSchema.schema)
  serializer.serialize(EVENT)
  assert.equal(registry.registerCalls.length, 1)
})

test('serialize before init is FRESHET_INVALID_STATE naming the state', () => {
  const serializer = new AvroSerializer({ registry: new MemoryRegistry(), topic: 't', schema: SMALL })
  const error = thrown(() => serializer.serialize({ a: 1, s: 'x', n: null }))
  assert.equal(error.code, ErrorCodes.INVALID_STATE.code)
  assert.match(error.message, /state created/)
})

test('an unreachable registry fails init retriably and init can be retried', async () => {
  const registry = new MemoryRegistry()
  registry.unreachable = true
  const serializer = new AvroSerializer({ registry, topic: 't', schema: SMALL })
  await assert.rejects(serializer.init(), (error: unknown) => {
    assert.ok(error instanceof FreshetError)
    assert.equal(error.code, ErrorCodes.REGISTRY_UNREACHABLE.code)
    assert.equal(error.retriable, true)
    return true
  })
  assert.equal(serializer.schemaId, undefined)
  registry.unreachable = false
  await serializer.init()
  assert.equal(serializer.schemaId, 1)
})

test('a value that does not match the schema is FRESHET_SERDE_ENCODE_FAILED with the field path', async () => {
  const serializer = new AvroSerializer<UserEvent>({
    registry: new MemoryRegistry(),
    topic: 't',
    schema: UserEventSchema,
  })
  await serializer.init()
  const bad = { ...EVENT, data: { ...EVENT.data, amount: '59.90' } } as unknown as UserEvent
  const error = thrown(() => serializer.serialize(bad))
  assert.equal(error.code, ErrorCodes.SERDE_ENCODE_FAILED.code)
  assert.equal(error.details?.['path'], 'data.amount')
  assert.equal(error.details?.['schemaId'], 1)
  assert.equal(error.topic, 't')
  assert.ok(!error.message.includes('59.90'), 'the message does not leak the value')

  const badEnum = { ...EVENT, event_type: 'refund' } as unknown as UserEvent
  assert.equal(thrown(() => serializer.serialize(badEnum)).details?.['path'], 'event_type')
  const fractionalTimestamp = { ...EVENT, timestamp: 1.5 }
  assert.equal(thrown(() => serializer.serialize(fractionalTimestamp)).details?.['path'], 'timestamp')
  // The failed attempts left the serializer usable.
  assert.equal(serializer.serialize(EVENT)[0], 0)
})

test('null is FRESHET_SERDE_NULL_VALUE unless the schema allows it', async () => {
  const registry = new MemoryRegistry()
  const records = new AvroSerializer({ registry, topic: 't', schema: SMALL })
  await records.init()
  assert.equal(thrown(() => records.serialize(null as never)).code, ErrorCodes.SERDE_NULL_VALUE.code)
  const nullable = new AvroSerializer<string | null>({ registry, topic: 'n', schema: ['null', 'string'] })
  await nullable.init()
  assert.deepEqual([...nullable.serialize(null)], [0, 0, 0, 0, 2, 0])
})

test('serialized values stay intact while later ones are written, across slab boundaries', async () => {
  const registry = new MemoryRegistry()
  const serializer = new AvroSerializer({ registry, topic: 't', schema: SMALL, slabBytes: 1024 })
  await serializer.init()
  const reader = new AvroDeserializer<{ a: number; s: string; n: number | null }>({ registry })
  const outputs: Buffer[] = []
  for (let i = 0; i < 500; i++)
    outputs.push(serializer.serialize({ a: i, s: 'x'.repeat(i % 37), n: i * 1000 }))
  // One value larger than a whole slab.
  outputs.push(serializer.serialize({ a: -1, s: 'y'.repeat(5000), n: null }))
  outputs.push(serializer.serialize({ a: -2, s: 'after', n: null }))
  for (const [i, out] of outputs.slice(0, 500).entries()) {
    assert.deepEqual({ ...(await reader.deserialize(out)) }, { a: i, s: 'x'.repeat(i % 37), n: i * 1000 })
  }
  assert.equal((await reader.deserialize(outputs[500])).s.length, 5000)
  assert.equal((await reader.deserialize(outputs[501])).s, 'after')
})

test('constructor options are validated', () => {
  const registry = new MemoryRegistry()
  const invalid = ErrorCodes.INVALID_OPTION.code
  assert.equal(thrown(() => new AvroSerializer({ registry, topic: '', schema: SMALL })).code, invalid)
  assert.equal(
    thrown(() => new AvroSerializer({ registry: {} as MemoryRegistry, topic: 't', schema: SMALL })).code,
    invalid,
  )
  assert.equal(thrown(() => new AvroSerializer({ registry, schema: SMALL } as never)).code, invalid)
  assert.equal(thrown(() => new AvroDeserializer({} as never)).code, invalid)
  const unknown = thrown(() => new AvroSerializer({ registry, topic: 't', schema: SMALL, bogus: 1 } as never))
  assert.equal(unknown.code, invalid)
  assert.match(unknown.message, /bogus/)
  const badSchema = thrown(
    () => new AvroSerializer({ registry, topic: 't', schema: { type: 'record', name: 'X' } }),
  )
  assert.equal(badSchema.code, ErrorCodes.SCHEMA_INVALID.code)
})

test('a client failing with a plain error is FRESHET_REGISTRY_ERROR, and init asks again next time', async () => {
  let calls = 0
  const broken = {
    getSchemaById: () => Promise.reject(new Error('unused')),
    register: (): Promise<number> => {
      calls++
      throw new Error('client bug')
    },
  }
  const serializer = new AvroSerializer({ registry: broken, topic: 't', schema: SMALL })
  for (let attempt = 1; attempt <= 2; attempt++) {
    await assert.rejects(serializer.init(), (error: unknown) => {
      assert.ok(error instanceof FreshetError)
      assert.equal(error.code, ErrorCodes.REGISTRY_ERROR.code)
      assert.match(error.message, /client bug/)
      return true
    })
    assert.equal(calls, attempt)
  }
})
