import assert from 'node:assert/strict'
import { test } from 'node:test'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { EventConsumer, type ConsumerOutageEvent, type ConsumerStatus } from '../../src/consumer/index.ts'
import { DLQ_HEADERS, readDeadLetter, type DeadLetter } from '../../src/dlq/index.ts'
import { FreshetError } from '../../src/errors/index.ts'
import { KafkaAdmin, KafkaProducer, type OutRecord } from '../../src/kafka/index.ts'
import { EventGenerator } from '../../src/producer/index.ts'
import { UserEventSchema, type UserEvent } from '../../src/schemas/index.ts'
import { AvroSerializer, type SchemaRegistryClient } from '../../src/serde/index.ts'
import { freePort } from '../../src/stack/processes.ts'
import { MemoryRegistry } from '../../src/testing/index.ts'
import { brokers, createTopics, randomName, readRecords } from '../helpers/kafka.ts'
import { testRegistry } from '../helpers/registry.ts'

test('malformed records land in the DLQ with their original bytes and provenance; good ones flow; nothing is lost', async (t) => {
  const { client } = await testRegistry(t)
  const topic = randomName('dlq-source')
  const dlqTopic = `${topic}.dlq`
  await createTopics(t, [
    { topic, partitions: 1 },
    { topic: dlqTopic, partitions: 1 },
  ])
  const serializer = new AvroSerializer<UserEvent>({ registry: client, topic, schema: UserEventSchema })
  await serializer.init()
  const good = new EventGenerator({ seed: 7 }).batch(50).map((e) => Buffer.from(serializer.serialize(e)))
  const valid = good[0]!
  // One of each failure the consumer must survive, with the code each must carry.
  const bad: Array<{ value: Buffer; code: string }> = [
    { value: Buffer.from('{"not":"avro"}'), code: 'FRESHET_SERDE_BAD_MAGIC_BYTE' },
    { value: Buffer.from([0, 0, 0]), code: 'FRESHET_SERDE_TRUNCATED' },
    {
      value: Buffer.concat([Buffer.from([0, 0x7f, 0xff, 0xff, 0xf0]), valid.subarray(5)]),
      code: 'FRESHET_SCHEMA_NOT_FOUND',
    },
    { value: valid.subarray(0, valid.length - 4), code: 'FRESHET_SERDE_TRUNCATED' },
    { value: Buffer.concat([valid, Buffer.from([1, 2, 3])]), code: 'FRESHET_SERDE_SCHEMA_MISMATCH' },
  ]
  const records: OutRecord[] = []
  const badAt = new Map<number, { value: Buffer; code: string }>()
  for (let i = 0; i < good.length; i++) {
    records.push({ topic, key: Buffer.from(`k${i}`), value: good[i]!, headers: { origin: `good-${i}` } })
    const b = bad[i % 10 === 3 ? (i / 10) | 0 : -1]
    if (b) {
      badAt.set(records.length, b)
      records.push({ topic, key: Buffer.from(`bad${i}`), value: b.value, headers: { origin: `bad-${i}` } })
    }
  }
  assert.equal(badAt.size, bad.length)
  const producer = new KafkaProducer({ bootstrapBrokers: brokers() })
  t.after(() => producer.close())
  await producer.send(records)

  const seen: UserEvent[] = []
  const consumer = new EventConsumer({
    bootstrapBrokers: brokers(),
    topic,
    groupId: randomName('g'),
    fromBeginning: true,
    maxMessages: records.length,
    registry: client,
    onBadRecord: 'dlq',
  })
  t.after(() => consumer.close())
  const stats = await consumer.run({ onEvents: (events) => void seen.push(...events) })
  assert.equal(seen.length, good.length)
  assert.equal(stats.total, good.length)
  assert.equal(stats.errors, bad.length)
  assert.equal(stats.deadLettered, bad.length)

  const letters = (await readRecords(dlqTopic, bad.length))
    .map(readDeadLetter)
    .filter((d): d is DeadLetter => d !== null)
  assert.equal(letters.length, bad.length)
  for (const letter of letters) {
    const offset = Number(letter.sourceOffset)
    const expected = badAt.get(offset)
    assert.ok(expected, `dead letter for offset ${offset} which was not a bad record`)
    assert.equal(letter.sourceTopic, topic)
    assert.equal(letter.sourcePartition, 0)
    assert.equal(letter.errorCode, expected.code, `offset ${offset}`)
    assert.ok(letter.errorMessage.length > 0)
    assert.equal(letter.stage, 'decode')
    assert.ok(Math.abs(letter.deadLetteredAtMs - Date.now()) < 600_000)
    assert.deepEqual(letter.value, expected.value, 'original bytes kept')
    assert.equal(letter.key?.toString(), records[offset]!.key!.toString())
    assert.equal(
      letter.headers.get('origin')?.toString(),
      (records[offset]!.headers as Record<string, string>).origin,
    )
    assert.ok(
      !letter.headers.has(DLQ_HEADERS.errorCode),
      'provenance headers are not mixed into the original ones',
    )
  }
})

test('an unreachable registry is waited out with backoff, never dead-lettered, and the batch is then delivered', async (t) => {
  const { client } = await testRegistry(t)
  const topic = randomName('registry-outage')
  await createTopics(t, [
    { topic, partitions: 1 },
    { topic: `${topic}.dlq`, partitions: 1 },
  ])
  const serializer = new AvroSerializer<UserEvent>({ registry: client, topic, schema: UserEventSchema })
  await serializer.init()
  const producer = new KafkaProducer({ bootstrapBrokers: brokers() })
  t.after(() => producer.close())
  await producer.send(
    new EventGenerator({ seed: 3 }).batch(20).map((e) => ({ topic, value: serializer.serialize(e) })),
  )

  // The real client, behind a switch that makes it fail as an unreachable registry does.
  let outageCalls = 3
  const flaky: SchemaRegistryClient = {
    getSchemaById: async (id) => {
      if (outageCalls-- > 0)
        throw new FreshetError('REGISTRY_UNREACHABLE', 'connect ECONNREFUSED (simulated outage)')
      return client.getSchemaById(id)
    },
    register: (subject, schema) => client.register(subject, schema),
  }
  const retries: number[] = []
  const consumer = new EventConsumer({
    bootstrapBrokers: brokers(),
    topic,
    groupId: randomName('g'),
    fromBeginning: true,
    maxMessages: 20,
    registry: flaky,
    retryBackoffMs: 10,
  })
  t.after(() => consumer.close())
  const stats = await consumer.run({
    onRetry: (error, backoffMs) =>
      void (assert.equal(error.code, 'FRESHET_REGISTRY_UNREACHABLE'), retries.push(backoffMs)),
  })
  assert.deepEqual(retries, [10, 20, 40])
  assert.equal(stats.total, 20)
  assert.equal(stats.deadLettered, 0)
  const admin = new KafkaAdmin({ bootstrapBrokers: brokers() })
  t.after(() => admin.close())
  assert.equal((await admin.endOffsets(`${topic}.dlq`)).get(0), 0n)
})

test('--max-messages commits exactly what was handled: the next run of the group starts after it', async (t) => {
  const { client } = await testRegistry(t)
  const topic = randomName('max-messages')
  await createTopics(t, [{ topic, partitions: 3 }])
  const serializer = new AvroSerializer<UserEvent>({ registry: client, topic, schema: UserEventSchema })
  await serializer.init()
  const events = new EventGenerator({ seed: 9 }).batch(3_000)
  const producer = new KafkaProducer({ bootstrapBrokers: brokers() })
  t.after(() => producer.close())
  await producer.send(
    events.map((e) => ({ topic, key: Buffer.from(e.user_id), value: serializer.serialize(e) })),
  )

  const groupId = randomName('g')
  const ids: string[] = []
  for (const maxMessages of [1_000, 2_000]) {
    const consumer = new EventConsumer({
      bootstrapBrokers: brokers(),
      topic,
      groupId,
      fromBeginning: true,
      maxMessages,
      registry: client,
    })
    const stats = await consumer.run({
      onEvents: (_events, records) => void ids.push(...records.map((r) => `${r.partition}@${r.offset}`)),
    })
    await consumer.close()
    assert.equal(stats.total, maxMessages)
  }
  assert.equal(new Set(ids).size, 3_000, 'no record read twice, none skipped')
})

test('an unreachable cluster is waited out: one waiting event, not joined meanwhile, then the run fails at outageTimeoutMs', async (t) => {
  // Nothing listens there: every request fails as against a broker that is down.
  const consumer = new EventConsumer({
    bootstrapBrokers: [`127.0.0.1:${await freePort()}`],
    topic: randomName('unreachable'),
    groupId: randomName('g'),
    format: 'json',
    outageTimeoutMs: 1_500,
  })
  t.after(() => consumer.close())
  const events: ConsumerOutageEvent[] = []
  let meanwhile: { waiting: ConsumerStatus['waiting']; joined: boolean } | undefined
  await assert.rejects(
    consumer.run({
      onOutage: (event) => {
        events.push(event)
        meanwhile = { waiting: consumer.status().waiting, joined: consumer.joined }
      },
    }),
    (error: FreshetError) =>
      error.code === 'FRESHET_KAFKA_UNREACHABLE' && error.details?.['outageTimeoutMs'] === 1_500,
  )
  assert.deepEqual(
    events.map((e) => e.type),
    ['waiting'],
    'one event when the wait begins, none per retry',
  )
  assert.equal(meanwhile?.waiting?.code, 'FRESHET_KAFKA_UNREACHABLE')
  assert.equal(meanwhile?.joined, false)
  assert.equal(consumer.status().waiting, undefined)
  assert.equal(consumer.status().resumes, 0)
})

test('without fromBeginning, where a partition starts is committed when it is assigned: a later member reads on from there', async (t) => {
  // Root cause guarded against: the start was kept only in the member's stream, so a member that
  // joined after an outage started each partition the group had no offset for at its end as of
  // that later join, and skipped what had been written to it in between.
  const topic = randomName('pin-start')
  await createTopics(t, [{ topic, partitions: 3 }])
  const events = new EventGenerator({ seed: 4 }).batch(40)
  const record = (e: UserEvent): OutRecord => ({
    topic,
    key: Buffer.from(e.user_id),
    value: Buffer.from(JSON.stringify(e)),
  })
  const producer = new KafkaProducer({ bootstrapBrokers: brokers() })
  t.after(() => producer.close())
  // Before the group exists: not to be read without fromBeginning.
  await producer.send(events.slice(0, 10).map(record))

  const groupId = randomName('g')
  const options = { bootstrapBrokers: brokers(), topic, groupId, format: 'json' as const }
  const first = new EventConsumer(options)
  const stop = new AbortController()
  const running = first.run({ signal: stop.signal })
  while (!first.joined) await new Promise((resolve) => setTimeout(resolve, 50))
  stop.abort()
  await running
  await first.close()
  const admin = new KafkaAdmin({ bootstrapBrokers: brokers() })
  t.after(() => admin.close())
  for (const p of await admin.groupLag(groupId, topic)) {
    assert.equal(p.committedOffset, p.endOffset, `partition ${p.partition} starts at its end, committed`)
  }

  // Written while no member runs: the next member reads them, and only them.
  await producer.send(events.slice(10).map(record))
  const seen: unknown[] = []
  const second = new EventConsumer({ ...options, maxMessages: 30 })
  t.after(() => second.close())
  const stats = await second.run({ onEvents: (batch) => void seen.push(...batch) })
  assert.equal(stats.total, 30)
  // Field order differs between decoders; compare with keys sorted at every level.
  const canonical = (value: unknown): string =>
    JSON.stringify(value, (_k, v: unknown) =>
      v && typeof v === 'object' && !Array.isArray(v)
        ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1)))
        : v,
    )
  assert.deepEqual(seen.map(canonical).sort(), events.slice(10).map(canonical).sort())
})

test("a reader schema that cannot read the topic's own schema stops the run with FRESHET_SCHEMA_INCOMPATIBLE; nothing is dead-lettered", async (t) => {
  const registry = new MemoryRegistry()
  const topic = randomName('incompatible')
  await createTopics(t, [{ topic, partitions: 1 }])
  const writer = {
    type: 'record',
    name: 'Payment',
    fields: [
      { name: 'id', type: 'string' },
      { name: 'cents', type: 'long' },
    ],
  }
  const serializer = new AvroSerializer<{ id: string; cents: number }>({ registry, topic, schema: writer })
  await serializer.init()
  const producer = new KafkaProducer({ bootstrapBrokers: brokers() })
  t.after(() => producer.close())
  await producer.send(
    Array.from({ length: 5 }, (_, i) => ({ topic, value: serializer.serialize({ id: `p${i}`, cents: i }) })),
  )
  const consumer = new EventConsumer({
    bootstrapBrokers: brokers(),
    topic,
    groupId: randomName('g'),
    fromBeginning: true,
    maxMessages: 5,
    registry,
    // A field added without a default: the reader cannot read what the writer wrote.
    schema: {
      name: 'Payment',
      source: 'test',
      schema: { ...writer, fields: [...writer.fields, { name: 'merchant', type: 'string' }] },
    },
  })
  t.after(() => consumer.close())
  await assert.rejects(consumer.run({ onEvents: () => {} }), (error: unknown) => {
    assert.ok(error instanceof FreshetError)
    assert.equal(error.code, 'FRESHET_SCHEMA_INCOMPATIBLE')
    assert.match(error.message, new RegExp(`registered under ${topic}-value .*at Payment\\.merchant`))
    assert.deepEqual([error.topic, error.partition, error.offset], [topic, 0, '0'])
    return true
  })
  assert.equal(consumer.stats.deadLettered, 0)
  const admin = new KafkaAdmin({ bootstrapBrokers: brokers() })
  t.after(() => admin.close())
  assert.ok(!(await admin.listTopics()).includes(`${topic}.dlq`), 'no dead-letter topic was created')
})

test('a run keeps no batch it has committed: its records become garbage while the run goes on', async (t) => {
  // A run once raced every batch against one promise that lived as long as the run: each batch
  // stayed reachable from that promise's reactions, and `consume` of a million records took 1 GB.
  setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc') as () => void
  const topic = randomName('garbage')
  await createTopics(t, [{ topic, partitions: 1 }])
  const producer = new KafkaProducer({ bootstrapBrokers: brokers() })
  t.after(() => producer.close())
  let round = 0
  const sendRound = (): Promise<unknown> =>
    producer.send(
      Array.from({ length: 50 }, (_, i) => ({
        topic,
        value: Buffer.from(JSON.stringify({ round, i })),
      })),
    )
  await sendRound()
  const consumer = new EventConsumer<unknown>({
    bootstrapBrokers: brokers(),
    topic,
    groupId: randomName('g'),
    fromBeginning: true,
    format: 'json',
  })
  t.after(() => consumer.close())
  const stop = new AbortController()
  let first: WeakRef<object> | undefined
  let collected: boolean | undefined
  await consumer.run({
    signal: stop.signal,
    onEvents: async (_events, records) => {
      first ??= new WeakRef(records[0] as object)
      if (++round < 5) {
        await sendRound()
        return
      }
      // The first batch was committed rounds ago; a later job may collect it.
      await new Promise((resolve) => setImmediate(resolve))
      gc()
      collected = first.deref() === undefined
      stop.abort()
    },
  })
  assert.equal(collected, true, 'the first batch is still reachable')
})
