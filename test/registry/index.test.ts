/** startRegistry on the run's real broker: the registry as users run it. */
import assert from 'node:assert/strict'
import { describe, test, type TestContext } from 'node:test'
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry'
import { isFreshetError } from '../../src/errors/index.ts'
import { KafkaAdmin } from '../../src/kafka/index.ts'
import { RegistryClient, startRegistry, type RunningRegistry } from '../../src/registry/index.ts'
import { KafkaLog } from '../../src/registry/kafka-log.ts'
import { decodeRecord } from '../../src/registry/records.ts'
import { RegistryState } from '../../src/registry/state.ts'
import type { LogEntry } from '../../src/registry/types.ts'
import { brokers, randomName } from '../helpers/kafka.ts'

const record = (name: string, fields: unknown[]): string => JSON.stringify({ type: 'record', name, fields })
const ORDER_V1 = record('Order', [
  { name: 'id', type: 'string' },
  { name: 'amountCents', type: 'int' },
])
const ORDER_V2 = record('Order', [
  { name: 'id', type: 'string' },
  { name: 'amountCents', type: 'long' },
  { name: 'currency', type: 'string', default: 'EUR' },
])
const ORDER_BAD = record('Order', [
  { name: 'id', type: 'string' },
  { name: 'amountCents', type: 'int' },
  { name: 'customer', type: 'string' },
])
const CUSTOMER = record('Customer', [{ name: 'name', type: 'string' }])

/** A random registry topic, deleted when the test ends (after the registries using it close). */
function registryTopic(t: TestContext): string {
  const topic = randomName('_schemas')
  t.after(async () => {
    const admin = new KafkaAdmin({ bootstrapBrokers: brokers() })
    try {
      await admin.deleteTopics([topic])
    } catch {
      // never created
    } finally {
      await admin.close()
    }
  })
  return topic
}

async function start(t: TestContext, topic: string): Promise<RunningRegistry> {
  const registry = await startRegistry({ bootstrapBrokers: brokers(), port: 0, topic })
  t.after(() => registry.close())
  return registry
}

/** Everything a client can see of a registry, for comparing two of them. */
async function observe(client: RegistryClient, subjects: string[], ids: number[]): Promise<unknown> {
  return {
    subjects: await client.listSubjects(),
    versions: await Promise.all(
      subjects.map(async (s) => {
        const versions = await client.listVersions(s)
        return Promise.all(versions.map((v) => client.getVersion(s, v)))
      }),
    ),
    schemas: await Promise.all(ids.map((id) => client.request('GET', `/schemas/ids/${id}/versions`))),
    compatibility: await client.getCompatibility(),
  }
}

/** Reads the registry topic from the start up to its current end, as raw entries. */
async function readTopic(topic: string): Promise<LogEntry[]> {
  const log = new KafkaLog({
    bootstrapBrokers: brokers(),
    topic,
    replicas: 1,
    clientId: 'freshet-registry-test',
  })
  const entries: LogEntry[] = []
  try {
    await log.start((batch) => entries.push(...batch))
    const end = await log.endOffset()
    while ((entries.at(-1)?.offset ?? -1n) < end - 1n) await new Promise((resolve) => setTimeout(resolve, 20))
  } finally {
    await log.close()
  }
  return entries
}

describe('startRegistry on Kafka', () => {
  test('registers and serves schemas with global ids, refuses incompatible ones with 409', async (t) => {
    const topic = registryTopic(t)
    const registry = await start(t, topic)
    const client = new RegistryClient({ url: registry.url })

    const v1 = await client.register('orders-value', ORDER_V1)
    const v2 = await client.register('orders-value', ORDER_V2)
    const customer = await client.register('customers-value', CUSTOMER)
    const shared = await client.register('orders-archive-value', ORDER_V1)
    assert.deepEqual([v1, v2, customer], [1, 2, 3])
    assert.equal(shared, v1, 'the same schema under another subject has the same id')
    assert.equal(await client.getSchemaById(v2), ORDER_V2)
    assert.deepEqual(await client.getLatest('orders-value'), {
      subject: 'orders-value',
      id: 2,
      version: 2,
      schema: ORDER_V2,
    })

    await assert.rejects(client.register('orders-value', ORDER_BAD), (error: unknown) => {
      assert.ok(isFreshetError(error, 'FRESHET_SCHEMA_INCOMPATIBLE'))
      assert.equal(error.details?.errorCode, 409)
      assert.match(error.message, /Order\.customer/)
      return true
    })
    assert.deepEqual(await client.listVersions('orders-value'), [1, 2])

    // The topic holds Confluent's record format.
    const entries = await readTopic(topic)
    const first = entries.find((e) => e.key?.toString().includes('"orders-value"'))
    assert.equal(
      first?.key?.toString(),
      '{"keytype":"SCHEMA","subject":"orders-value","version":1,"magic":1}',
    )
    assert.deepEqual(JSON.parse(first?.value?.toString() ?? 'null'), {
      subject: 'orders-value',
      version: 1,
      id: 1,
      schema: ORDER_V1,
      deleted: false,
    })
  })

  test('a restarted registry serves the same subjects, versions, ids and config', async (t) => {
    const topic = registryTopic(t)
    const first = await startRegistry({ bootstrapBrokers: brokers(), port: 0, topic })
    const client = new RegistryClient({ url: first.url })
    await client.register('a-value', ORDER_V1)
    await client.register('a-value', ORDER_V2)
    await client.register('b-value', CUSTOMER)
    await client.register('c-value', '"string"')
    await client.deleteSubject('c-value')
    await client.setCompatibility('FULL')
    await client.setCompatibility('NONE', 'b-value')
    const before = await observe(client, ['a-value', 'b-value'], [1, 2, 3, 4])
    await first.close()

    const second = await start(t, topic)
    const again = new RegistryClient({ url: second.url })
    assert.deepEqual(await observe(again, ['a-value', 'b-value'], [1, 2, 3, 4]), before)
    assert.equal(await again.getCompatibility('b-value'), 'NONE')
    assert.deepEqual(await again.listSubjects({ deleted: true }), ['a-value', 'b-value', 'c-value'])
    // Ids continue above every id the topic has carried.
    assert.equal(await again.register('d-value', '"bytes"'), 5)
  })

  test('two registries on one topic agree, and racing writes through both get distinct versions', async (t) => {
    const topic = registryTopic(t)
    const a = await start(t, topic)
    const b = await start(t, topic)
    const clientA = new RegistryClient({ url: a.url })
    const clientB = new RegistryClient({ url: b.url })

    const id = await clientA.register('shared-value', ORDER_V1)
    // B answers with A's write at once: reads catch up with the topic first.
    assert.equal(await clientB.getSchemaById(id), ORDER_V1)
    assert.equal((await clientB.getLatest('shared-value')).id, id)
    assert.equal(await clientB.register('shared-value', ORDER_V1), id)

    await clientA.setCompatibility('NONE', 'race-value')
    const schemas = Array.from({ length: 6 }, (_, i) => record(`R${i}`, [{ name: 'x', type: 'int' }]))
    const ids = await Promise.all(
      schemas.map((s, i) => (i % 2 === 0 ? clientA : clientB).register('race-value', s)),
    )
    assert.equal(new Set(ids).size, schemas.length, 'every schema got its own id')
    const versionsA = await clientA.listVersions('race-value')
    assert.deepEqual(versionsA, [1, 2, 3, 4, 5, 6])
    const seenA = await observe(clientA, ['shared-value', 'race-value'], ids)
    const seenB = await observe(clientB, ['shared-value', 'race-value'], ids)
    assert.deepEqual(seenB, seenA)
    for (let i = 0; i < schemas.length; i++)
      assert.equal(await clientB.getSchemaById(ids[i] as number), schemas[i])

    // A fresh replay of the topic holds the same versions, and no losing record is left unrepaired.
    const replayed = new RegistryState()
    for (const e of await readTopic(topic)) {
      const r = decodeRecord(e.key, e.value)
      if (r !== undefined) replayed.apply(r)
    }
    assert.deepEqual(
      replayed.versions('race-value').map((v) => v.id),
      (seenA as { versions: Array<Array<{ id: number }>> }).versions[1]?.map((v) => v.id),
    )
    assert.deepEqual(replayed.repairs(), [])
  })

  test('@kafkajs/confluent-schema-registry registers, fetches, encodes and decodes through it', async (t) => {
    const topic = registryTopic(t)
    const registry = await start(t, topic)
    const writer = new SchemaRegistry({ host: registry.url })
    const { id } = await writer.register(
      { type: SchemaType.AVRO, schema: ORDER_V1 },
      { subject: 'kafkajs-value' },
    )
    assert.equal(id, 1)
    const { id: id2 } = await writer.register(
      { type: SchemaType.AVRO, schema: ORDER_V2 },
      { subject: 'kafkajs-value' },
    )
    assert.equal(id2, 2)
    assert.equal(await writer.getLatestSchemaId('kafkajs-value'), 2)

    const encoded = await writer.encode(id2, { id: 'o-1', amountCents: 1299, currency: 'SEK' })
    assert.equal(encoded[0], 0, 'Confluent wire format: magic byte')
    assert.equal(encoded.readInt32BE(1), id2)

    // A client with an empty cache has to fetch the writer schema from the registry to decode.
    const reader = new SchemaRegistry({ host: registry.url })
    const fetched = (await reader.getSchema(id2)) as { name?: string }
    assert.equal(fetched.name, 'Order')
    const decoded = (await reader.decode(encoded)) as { id: string; amountCents: number; currency: string }
    assert.deepEqual({ ...decoded }, { id: 'o-1', amountCents: 1299, currency: 'SEK' })

    // freshet's client sees what kafkajs registered, and kafkajs the other way round.
    const ours = new RegistryClient({ url: registry.url })
    assert.equal(await ours.getSchemaById(id), ORDER_V1)
    const customerId = await ours.register('customers-value', CUSTOMER)
    const bytes = await reader.encode(customerId, { name: 'Ada' })
    assert.deepEqual(
      { ...((await new SchemaRegistry({ host: registry.url }).decode(bytes)) as object) },
      { name: 'Ada' },
    )
    assert.equal(await ours.getCompatibility('kafkajs-value'), 'BACKWARD')
  })

  test('options are validated where they enter', async () => {
    await assert.rejects(
      startRegistry({ bootstrapBrokers: brokers(), prot: 9 } as never),
      (error: unknown) =>
        isFreshetError(error, 'FRESHET_INVALID_OPTION') &&
        /unknown option "prot"/.test((error as Error).message),
    )
    await assert.rejects(
      startRegistry({ bootstrapBrokers: brokers(), port: 70_000 }),
      (error: unknown) =>
        isFreshetError(error, 'FRESHET_INVALID_OPTION') && /"port"/.test((error as Error).message),
    )
    await assert.rejects(
      startRegistry({ bootstrapBrokers: [] }),
      (error: unknown) =>
        isFreshetError(error, 'FRESHET_INVALID_OPTION') && /at least one/.test((error as Error).message),
    )
  })
})
