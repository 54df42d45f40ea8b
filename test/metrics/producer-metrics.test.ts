// The producer's metrics scraped over HTTP: records, bytes and requests agree with what the
// producer sent, a failed request is counted by its code, and promtool accepts the exposition.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { MetricsServer, ProducerMetrics, processRegistry } from '../../src/metrics/index.ts'
import { EventProducer } from '../../src/producer/index.ts'
import { brokers, randomName, randomTopic, readToSentinel } from '../helpers/kafka.ts'
import { parseExposition, promtoolCheck, sample } from './exposition.ts'

const EVENTS = 2_500
const BATCH = 500

test('producer metrics: acknowledged records and bytes per topic, one request duration per batch', async (t) => {
  const topic = await randomTopic(t, 'producer-metrics', 3)
  const producer = new EventProducer({
    bootstrapBrokers: brokers(),
    topic,
    format: 'json',
    count: EVENTS,
    batchSize: BATCH,
    seed: 7,
  })
  t.after(() => producer.close())
  const registry = processRegistry('produce')
  const metrics = new ProducerMetrics({ registry, status: () => producer.status() })
  const server = new MetricsServer({ registry })
  t.after(() => server.close())
  const url = await server.start()

  const summary = await producer.run({ onRequest: metrics.observe })
  assert.equal(summary.sent, EVENTS)
  const records = await readToSentinel(topic)
  assert.equal(records.length, EVENTS)
  const bytes = records.reduce((sum, r) => sum + (r.key?.length ?? 0) + (r.value?.length ?? 0), 0)

  const text = await (await fetch(`${url}/metrics`)).text()
  const samples = parseExposition(text)
  const labels = { topic, command: 'produce' }
  assert.equal(sample(samples, 'freshet_producer_records_total', labels), EVENTS)
  assert.equal(sample(samples, 'freshet_producer_bytes_total', labels), bytes)
  assert.equal(summary.bytes, bytes, 'the summary counts the same bytes')
  assert.equal(sample(samples, 'freshet_producer_batches_in_flight', labels), 0)
  assert.equal(
    sample(samples, 'freshet_producer_batch_duration_seconds_count', { ...labels, outcome: 'ok' }),
    EVENTS / BATCH,
  )
  assert.ok(!samples.some((s) => s.name === 'freshet_producer_failed_records_total'), 'nothing failed')
  const check = await promtoolCheck(text)
  assert.equal(check.code, 0, check.output)
})

test('producer metrics: records of a failed request are counted by error code', async (t) => {
  // Topics are not created on produce: a topic that does not exist fails the request.
  const topic = randomName('no-such-topic')
  const producer = new EventProducer({ bootstrapBrokers: brokers(), topic, format: 'json', count: 10 })
  t.after(() => producer.close())
  const registry = processRegistry('produce')
  const metrics = new ProducerMetrics({ registry, status: () => producer.status() })
  const summary = await producer.run({ onRequest: metrics.observe })
  assert.equal(summary.failed, 10)
  const code = summary.error?.code as string
  assert.ok(code.startsWith('FRESHET_'), code)

  const samples = parseExposition(await registry.metrics())
  assert.equal(sample(samples, 'freshet_producer_failed_records_total', { topic, code }), 10)
  assert.equal(sample(samples, 'freshet_producer_records_total', { topic }), 0)
  assert.equal(
    sample(samples, 'freshet_producer_batch_duration_seconds_count', { topic, outcome: 'error' }),
    1,
  )
})
