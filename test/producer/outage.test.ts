// Which failures `EventProducer` and `EventConsumer` wait out with a new client, and the wait
// itself: its limit, its signal, the error it ends with. The client errors are the client
// library's own classes, mapped by src/kafka as a real send or join maps them.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { MultipleErrors, NetworkError, ProtocolError, UserError } from '@platformatic/kafka'
import { FreshetError } from '../../src/errors/index.ts'
import { kafkaError } from '../../src/kafka/index.ts'
import { EventProducer, isOutage, Outage, waitingReason } from '../../src/producer/index.ts'

/** What the client throws once its retries of a request give up: one error per attempt. */
function gaveUp(...attempts: Error[]): Error {
  return new MultipleErrors(`produce failed ${attempts.length} times.`, attempts)
}

test('an unreachable cluster, and broker errors a new client gets past, are outages', () => {
  const refused = (): Error => new NetworkError('Connection to 127.0.0.1:9 failed.')
  const cases: Array<[string, FreshetError]> = [
    ['connection refused on every attempt', kafkaError(gaveUp(refused(), refused()), 'produce')],
    [
      'no leader while the broker starts',
      kafkaError(
        gaveUp(new ProtocolError('LEADER_NOT_AVAILABLE'), new ProtocolError('NOT_LEADER_OR_FOLLOWER')),
        'produce',
      ),
    ],
    ['the broker lost the producer id', kafkaError(new ProtocolError('UNKNOWN_PRODUCER_ID'), 'produce')],
    [
      'the sequence the broker expects is gone',
      kafkaError(new ProtocolError('OUT_OF_ORDER_SEQUENCE_NUMBER'), 'produce'),
    ],
    ['the group removed the member', kafkaError(new ProtocolError('UNKNOWN_MEMBER_ID'), 'commit')],
    ['the coordinator is loading', kafkaError(new ProtocolError('COORDINATOR_LOAD_IN_PROGRESS'), 'join')],
    [
      'a consumer whose stream ended',
      new FreshetError('KAFKA_ERROR', 'the consumer stopped handing out records', { retriable: true }),
    ],
  ]
  for (const [what, error] of cases) assert.equal(isOutage(error), true, what)
  assert.equal(cases[0]?.[1].code, 'FRESHET_KAFKA_UNREACHABLE')
  assert.equal(cases[1]?.[1].code, 'FRESHET_KAFKA_ERROR')
})

test('mistakes no retry corrects are not outages, nor an outage already waited out to its limit', () => {
  const unreachable = kafkaError(gaveUp(new NetworkError('Connection failed.')), 'produce')
  const cases: Array<[string, unknown]> = [
    ['a topic that does not exist', kafkaError(new UserError('Unknown topic nosuch.'), 'produce')],
    ['a denied topic', kafkaError(new ProtocolError('TOPIC_AUTHORIZATION_FAILED'), 'produce')],
    [
      'retries that ended on a refused record',
      kafkaError(
        gaveUp(new NetworkError('Connection failed.'), new ProtocolError('INVALID_RECORD')),
        'produce',
      ),
    ],
    ['a batch over the size limit', kafkaError(new ProtocolError('MESSAGE_TOO_LARGE'), 'produce')],
    ['a bad option', new FreshetError('INVALID_OPTION', 'no')],
    ['a record that cannot be decoded', new FreshetError('SERDE_SCHEMA_MISMATCH', 'no')],
    ["an error that is not freshet's", new Error('boom')],
    ['the end of a wait', new Outage(unreachable, 0, 'produce to t').giveUp()],
  ]
  for (const [what, error] of cases) assert.equal(isOutage(error), false, what)
})

test('an outage with no time left gives up at once, naming the limit and the last failure', async () => {
  const first = kafkaError(gaveUp(new NetworkError('Connection failed.')), 'produce 3 records to t', {
    topic: 't',
  })
  const outage = new Outage(first, 0, 'produce to t')
  assert.equal(await outage.beforeAttempt(), false)
  assert.equal(outage.attempts, 0)
  assert.equal(outage.waiting.code, 'FRESHET_KAFKA_UNREACHABLE')
  assert.match(waitingReason(outage.waiting), /^waiting for Kafka since \d{4}-.*Z \(produce 3 records to t: /)
  const error = outage.giveUp()
  assert.equal(error.code, 'FRESHET_KAFKA_UNREACHABLE')
  assert.equal(error.retriable, false)
  assert.equal(error.topic, 't')
  assert.equal(error.cause, first)
  assert.deepEqual(error.details, { outageTimeoutMs: 0, sinceMs: outage.sinceMs })
  assert.match(error.message, /^produce to t: Kafka did not answer within outageTimeoutMs \(0 ms\): /)

  // The latest failure is the one reported.
  outage.failed(kafkaError(new ProtocolError('NOT_LEADER_OR_FOLLOWER'), 'produce'))
  assert.equal(outage.giveUp().code, 'FRESHET_KAFKA_ERROR')
})

test('an outage waits between attempts until the signal aborts it', async () => {
  const outage = new Outage(new FreshetError('KAFKA_UNREACHABLE', 'down'), Infinity, 'consume from t')
  const controller = new AbortController()
  assert.equal(await outage.beforeAttempt(controller.signal), true)
  assert.equal(outage.attempts, 1)
  controller.abort()
  assert.equal(await outage.beforeAttempt(controller.signal), false)
  assert.equal(outage.attempts, 1)
  assert.match(outage.giveUp(true).message, /^consume from t: stopped while waiting for Kafka: down$/)
})

test('outageTimeoutMs takes milliseconds or Infinity, and nothing else', () => {
  const base = { bootstrapBrokers: ['127.0.0.1:9'], topic: 't', format: 'json' as const, count: 1 }
  for (const outageTimeoutMs of [0, 1_000, Infinity]) new EventProducer({ ...base, outageTimeoutMs })
  for (const outageTimeoutMs of [-1, 1.5, Number.NaN]) {
    assert.throws(
      () => new EventProducer({ ...base, outageTimeoutMs }),
      (e: FreshetError) => e.code === 'FRESHET_INVALID_OPTION' && /"outageTimeoutMs"/.test(e.message),
    )
  }
})
