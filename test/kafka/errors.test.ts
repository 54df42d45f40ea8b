import assert from 'node:assert/strict'
import { test } from 'node:test'
import { KafkaAdmin, kafkaError } from '../../src/kafka/index.ts'
import { freePort } from '../../src/stack/processes.ts'
import { brokers, randomName } from '../helpers/kafka.ts'

test('an unreachable cluster: the message names the address and the system error, not only in a nested cause', async () => {
  const port = await freePort()
  const admin = new KafkaAdmin({ bootstrapBrokers: [`127.0.0.1:${port}`], retries: 0 })
  try {
    await assert.rejects(admin.listTopics(), (error: unknown) => {
      assert.equal((error as { code?: string }).code, 'FRESHET_KAFKA_UNREACHABLE')
      assert.match(
        (error as Error).message,
        new RegExp(
          `^list topics: Kafka is unreachable \\(.*Connection to 127\\.0\\.0\\.1:${port} failed: connect ECONNREFUSED 127\\.0\\.0\\.1:${port}\\)$`,
        ),
      )
      return true
    })
  } finally {
    await admin.close()
  }
})

test('a connection failure deep in aggregated errors is found; one already in the message is not repeated', () => {
  const network = (address: string): Error =>
    Object.assign(new Error(`Connection to ${address} failed.`, { cause: new Error('read ECONNRESET') }), {
      code: 'PLT_KFK_NETWORK',
    })
  const nested = new AggregateError(
    [new AggregateError([new Error('unrelated'), network('10.0.0.7:9092')], 'Cannot connect to any broker.')],
    'metadata failed 3 times.',
  )
  assert.equal(
    kafkaError(nested, 'send').message,
    'send: Kafka is unreachable (metadata failed 3 times. Connection to 10.0.0.7:9092 failed: read ECONNRESET)',
  )
  const plain = network('10.0.0.8:9092')
  assert.equal(
    kafkaError(plain, 'fetch').message,
    'fetch: Kafka is unreachable (Connection to 10.0.0.8:9092 failed: read ECONNRESET)',
  )
})

test('a broker refusal carries the broker’s own words: the error name and its message', async (t) => {
  const admin = new KafkaAdmin({ bootstrapBrokers: brokers() })
  t.after(() => admin.close())
  const topic = randomName('bad-config')
  await assert.rejects(
    admin.createTopics([{ topic, configs: { 'cleanup.policy': 'compakt' } }]),
    (error: unknown) => {
      assert.equal((error as { code?: string }).code, 'FRESHET_KAFKA_ERROR')
      assert.match(
        (error as Error).message,
        new RegExp(
          `^create topic ${topic}: .*\\(INVALID_CONFIG: Invalid value compakt for configuration cleanup\\.policy: String must be one of: compact, delete\\)$`,
        ),
      )
      return true
    },
  )
})
