// The dashboard's reader of the results, against the test broker and a real registry: while the
// registry cannot be reached it reads the same rows again later, and skips none of them.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { ResultsTail } from '../../src/dashboard/results.ts'
import { FreshetError } from '../../src/errors/index.ts'
import { analyticsResult } from '../../src/jobs/result.ts'
import { KafkaProducer } from '../../src/kafka/index.ts'
import { AnalyticsResultSchema, type AnalyticsResult } from '../../src/schemas/index.ts'
import { createSerializer, type SchemaRegistryClient } from '../../src/serde/index.ts'
import { brokers, randomTopic } from '../helpers/kafka.ts'
import { testRegistry } from '../helpers/registry.ts'

const ROWS = 40
const OUTAGE_FETCHES = 3

test('a registry outage holds the rows back until it ends; none is skipped', async (t) => {
  const topic = await randomTopic(t, 'results-tail', 2)
  const { client } = await testRegistry(t)
  const serializer = createSerializer<AnalyticsResult>({
    format: 'avro',
    topic,
    schema: AnalyticsResultSchema,
    registry: client,
  })
  await serializer.init()
  const producer = new KafkaProducer({ bootstrapBrokers: brokers() })
  t.after(() => producer.close())
  await producer.send(
    Array.from({ length: ROWS }, (_, i) => ({
      topic,
      partition: i % 2,
      key: Buffer.from(`page_${i}`),
      value: serializer.serialize(
        analyticsResult('event-counts', `page_${i}`, { startMs: 0, endMs: 10 }, { events: i }),
      ),
    })),
  )

  // The real registry behind a connection that fails the first schema fetches, as during an outage.
  let failures = 0
  const flaky: SchemaRegistryClient = {
    register: (subject, schema) => client.register(subject, schema),
    getSchemaById: async (id) => {
      if (failures < OUTAGE_FETCHES) {
        failures++
        throw new FreshetError('REGISTRY_UNREACHABLE', `registry down (fetch ${failures})`)
      }
      return client.getSchemaById(id)
    },
  }
  const rows: AnalyticsResult[] = []
  const errors: FreshetError[] = []
  const tail = new ResultsTail({
    bootstrapBrokers: brokers(),
    topic,
    partitions: 2,
    format: 'avro',
    registry: flaky,
    pollIntervalMs: 50,
    onRows: (batch) => rows.push(...batch),
    onError: (error) => errors.push(error),
  })
  t.after(() => tail.close())
  await tail.start()
  const deadline = Date.now() + 30_000
  while (rows.length < ROWS && Date.now() < deadline) await sleep(50)

  assert.equal(failures, OUTAGE_FETCHES, 'the outage happened')
  assert.ok(errors.length >= 1 && errors.every((e) => e.code === 'FRESHET_REGISTRY_UNREACHABLE'))
  assert.equal(tail.undecodable, 0, 'no row was skipped for the outage')
  assert.deepEqual(
    rows.map((r) => r.key).sort(),
    Array.from({ length: ROWS }, (_, i) => `page_${i}`).sort(),
    'every row once',
  )
})
