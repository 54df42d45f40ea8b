import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ErrorCodes, FreshetError, type ErrorCode } from '../../src/errors/index.ts'
import { UserEventSchema, type UserEvent } from '../../src/schemas/index.ts'
import { JsonDeserializer, JsonSerializer } from '../../src/serde/index.ts'

const EVENT: UserEvent = {
  timestamp: 1_700_000_000_000,
  event_type: 'add_to_cart',
  user_id: 'user_000001',
  version: '1.0',
  data: {
    product_id: 'prod_00003',
    amount: 12.5,
    currency: 'USD',
    session_id: 's',
    device: 'tablet',
    browser: 'chrome',
    search_query: null,
    transaction_id: null,
  },
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

test('JSON round trip with and without a schema', async () => {
  for (const options of [{}, { schema: UserEventSchema }]) {
    const serializer = new JsonSerializer<UserEvent>(options)
    await serializer.init()
    const bytes = serializer.serialize(EVENT)
    assert.deepEqual(JSON.parse(bytes.toString('utf8')), EVENT)
    const deserializer = new JsonDeserializer<UserEvent>(options)
    await deserializer.prepare([bytes])
    assert.deepEqual(deserializer.deserializeSync(bytes), EVENT)
    assert.deepEqual(await deserializer.deserialize(bytes), EVENT)
  }
})

test('with a schema, values are checked both ways', async () => {
  const bad = { ...EVENT, data: { ...EVENT.data, amount: 'twelve' } } as unknown as UserEvent
  const error = throwsWith(
    () => new JsonSerializer({ schema: UserEventSchema }).serialize(bad),
    ErrorCodes.SERDE_ENCODE_FAILED.code,
  )
  assert.equal(error.details?.['path'], 'data.amount')
  // Without a schema anything JSON holds passes.
  const bytes = new JsonSerializer<UserEvent>().serialize(bad)
  const mismatch = throwsWith(
    () =>
      new JsonDeserializer({ schema: UserEventSchema }).deserializeSync(bytes, {
        topic: 't',
        partition: 0,
        offset: 1n,
      }),
    ErrorCodes.SERDE_SCHEMA_MISMATCH.code,
  )
  assert.equal(mismatch.details?.['path'], 'data.amount')
  assert.equal(mismatch.topic, 't')
})

test('bytes that are not JSON are FRESHET_SERDE_SCHEMA_MISMATCH, null is FRESHET_SERDE_NULL_VALUE', async () => {
  const deserializer = new JsonDeserializer()
  throwsWith(() => deserializer.deserializeSync(Buffer.from('{"a": ')), ErrorCodes.SERDE_SCHEMA_MISMATCH.code)
  throwsWith(
    () => deserializer.deserializeSync(Buffer.from([0, 0, 0, 0, 1, 2])),
    ErrorCodes.SERDE_SCHEMA_MISMATCH.code,
  )
  throwsWith(() => deserializer.deserializeSync(null), ErrorCodes.SERDE_NULL_VALUE.code)
  await assert.rejects(
    deserializer.deserialize(undefined),
    (e: unknown) => e instanceof FreshetError && e.code === ErrorCodes.SERDE_NULL_VALUE.code,
  )
  throwsWith(() => new JsonSerializer().serialize(null), ErrorCodes.SERDE_NULL_VALUE.code)
})

test('Avro in the registry wire format read as JSON: the error names the schema id and the fix', () => {
  const deserializer = new JsonDeserializer()
  // Magic byte 0, schema id 7, then an Avro payload.
  const framed = Buffer.from([0, 0, 0, 0, 7, 2, 0x61, 0x02])
  const error = throwsWith(
    () => deserializer.deserializeSync(framed, { topic: 'payments', partition: 2, offset: 41n }),
    ErrorCodes.SERDE_SCHEMA_MISMATCH.code,
  )
  assert.match(
    error.message,
    /^value is not JSON: .* \(it looks like Confluent-framed Avro of schema id 7: read it with format 'avro' and a schema registry\)$/,
  )
  assert.equal(error.details?.['schemaId'], 7)
  assert.deepEqual([error.topic, error.partition, error.offset], ['payments', 2, '41'])
  // Text that is merely not JSON gets no such hint.
  const plain = throwsWith(
    () => deserializer.deserializeSync(Buffer.from('{"a": ')),
    ErrorCodes.SERDE_SCHEMA_MISMATCH.code,
  )
  assert.doesNotMatch(plain.message, /Avro/)
  assert.equal(plain.details?.['schemaId'], undefined)
})

test('values JSON cannot hold are FRESHET_SERDE_ENCODE_FAILED', () => {
  const serializer = new JsonSerializer<unknown>()
  throwsWith(() => serializer.serialize({ big: 1n }), ErrorCodes.SERDE_ENCODE_FAILED.code)
  throwsWith(() => serializer.serialize(() => 1), ErrorCodes.SERDE_ENCODE_FAILED.code)
  const cyclic: Record<string, unknown> = {}
  cyclic['self'] = cyclic
  throwsWith(() => serializer.serialize(cyclic), ErrorCodes.SERDE_ENCODE_FAILED.code)
})
