// The consumer's metrics scraped over HTTP: records, bytes, dead letters by code, commits and
// lag agree with what the consumer read, and promtool accepts the exposition.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { EventConsumer } from '../../src/consumer/index.ts'
import { KafkaAdmin, KafkaProducer } from '../../src/kafka/index.ts'
import { ConsumerMetrics, MetricsServer, processRegistry } from '../../src/metrics/index.ts'
import { EventProducer } from '../../src/producer/index.ts'
import { brokers, randomName, randomTopic, readToEnd } from '../helpers/kafka.ts'
import { parseExposition, promtoolCheck, sample } from './exposition.ts'

const EVENTS = 2_000
const PARTITIONS = 3

test('consumer metrics: records, bytes, dead letters by code, commits, batch durations and lag', async (t) => {
  const topic = await randomTopic(t, 'consumer-metrics', PARTITIONS)
  const groupId = randomName('consumer-metrics')
  const producer = new EventProducer({ bootstrapBrokers: brokers(), topic, format: 'json', count: EVENTS })
  await producer.run()
  await producer.close()
  const plain = new KafkaProducer({ bootstrapBrokers: brokers() })
  await plain.send([{ topic, partition: 1, key: Buffer.from('user_bad'), value: Buffer.from('{not json') }])
  await plain.close()
  const total = EVENTS + 1
  // The consumer's input: read to its end, as no sentinel may go into it.
  const written = await readToEnd(topic)
  assert.equal(written.length, total)
  const bytes = written.reduce((sum, r) => sum + (r.key?.length ?? 0) + (r.value?.length ?? 0), 0)

  const consumer = new EventConsumer({
    bootstrapBrokers: brokers(),
    topic,
    groupId,
    fromBeginning: true,
    format: 'json',
    maxMessages: total,
    onBadRecord: 'dlq',
  })
  t.after(() => consumer.close())
  const admin = new KafkaAdmin({ bootstrapBrokers: brokers() })
  t.after(() => admin.close())
  const registry = processRegistry('consume')
  const metrics = new ConsumerMetrics({
    registry,
    status: () => consumer.status(),
    lag: () => admin.groupLag(groupId, topic),
  })
  const server = new MetricsServer({
    registry,
    readiness: () => (consumer.joined ? { ready: true } : { ready: false, reason: 'not joined' }),
  })
  t.after(() => server.close())
  const url = await server.start()
  assert.equal((await fetch(`${url}/ready`)).status, 503, 'not ready before it joins its group')

  const final = await consumer.run({ onBatch: metrics.observe })
  assert.equal(final.total, EVENTS)
  assert.equal((await fetch(`${url}/ready`)).status, 200)

  const text = await (await fetch(`${url}/metrics`)).text()
  const samples = parseExposition(text)
  const labels = { group: groupId, topic }
  assert.equal(sample(samples, 'freshet_consumer_records_total', labels), total)
  assert.equal(sample(samples, 'freshet_consumer_bytes_total', labels), bytes)
  assert.equal(sample(samples, 'freshet_consumer_decoded_records_total', labels), EVENTS)
  assert.equal(
    sample(samples, 'freshet_consumer_dead_letters_total', {
      ...labels,
      code: 'FRESHET_SERDE_SCHEMA_MISMATCH',
    }),
    1,
  )
  const commits = sample(samples, 'freshet_consumer_commits_total', { group: groupId })
  assert.ok(commits > 0)
  assert.equal(
    sample(samples, 'freshet_consumer_batch_processing_seconds_count', { group: groupId }),
    commits,
  )
  assert.equal(sample(samples, 'freshet_consumer_retries_total', { group: groupId }), 0)
  for (let partition = 0; partition < PARTITIONS; partition++) {
    assert.equal(
      sample(samples, 'freshet_consumer_lag_records', { ...labels, partition: String(partition) }),
      0,
      `partition ${partition}`,
    )
  }
  const check = await promtoolCheck(text)
  assert.equal(check.code, 0, check.output)
})
