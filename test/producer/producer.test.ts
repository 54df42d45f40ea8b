import assert from 'node:assert/strict'
import { test } from 'node:test'
import { EventConsumer } from '../../src/consumer/index.ts'
import { ProducerMetrics, processRegistry } from '../../src/metrics/index.ts'
import {
  EventGenerator,
  EventProducer,
  type ProducerOutageEvent,
  type ProducerStatus,
} from '../../src/producer/index.ts'
import type { UserEvent } from '../../src/schemas/index.ts'
import { freePort } from '../../src/stack/processes.ts'
import { brokers, randomName, randomTopic } from '../helpers/kafka.ts'
import { testRegistry } from '../helpers/registry.ts'
import { parseExposition, sample } from '../metrics/exposition.ts'

function fixedClock(): () => number {
  let nowMs = Date.UTC(2026, 0, 1)
  return () => (nowMs += 7)
}

for (const format of ['avro', 'json'] as const) {
  test(`${format}: N events produced are the same N events consumed, each once, keyed by user_id`, async (t) => {
    const { client } = await testRegistry(t)
    const topic = await randomTopic(t, `produce-${format}`, 6)
    const count = 25_000
    const seed = 42

    const producer = new EventProducer({
      bootstrapBrokers: brokers(),
      topic,
      count,
      format,
      registry: client,
      seed,
      clock: fixedClock(),
      batchSize: 3_000,
    })
    t.after(() => producer.close())
    const summary = await producer.run()
    assert.equal(summary.error, undefined)
    assert.equal(summary.sent, count)
    assert.equal(summary.failed, 0)
    assert.ok(summary.bytes > count * 40, `bytes ${summary.bytes}`)

    const received: UserEvent[] = []
    const keys: string[] = []
    const consumer = new EventConsumer({
      bootstrapBrokers: brokers(),
      topic,
      groupId: randomName('g'),
      fromBeginning: true,
      maxMessages: count,
      format,
      registry: client,
    })
    t.after(() => consumer.close())
    const stats = await consumer.run({
      onEvents: (events, records) => {
        received.push(...events)
        for (const r of records) keys.push(r.key!.toString())
      },
    })
    assert.equal(stats.total, count)
    assert.equal(stats.deadLettered, 0)

    // The oracle: the same seed and clock regenerate the stream the producer sent.
    const expected = new EventGenerator({ users: 10_000, seed, clock: fixedClock() }).batch(count)
    // Field order differs between decoders; compare with keys sorted at every level.
    const canonical = (value: unknown): string =>
      JSON.stringify(value, (_k, v: unknown) =>
        v && typeof v === 'object' && !Array.isArray(v)
          ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1)))
          : v,
      )
    const got = received.map(canonical).sort()
    const want = expected.map(canonical).sort()
    assert.equal(got.length, want.length)
    const firstDiff = got.findIndex((g, i) => g !== want[i])
    assert.equal(
      firstDiff,
      -1,
      `first difference at ${firstDiff}:\n got  ${got[firstDiff]}\n want ${want[firstDiff]}`,
    )
    assert.ok(
      keys.every((k, i) => k === received[i]!.user_id),
      'each record is keyed by its user_id',
    )
  })
}

test('with --rate and --duration, no more than rate x duration events are sent', async (t) => {
  const topic = await randomTopic(t, 'produce-rate', 1)
  const producer = new EventProducer({
    bootstrapBrokers: brokers(),
    topic,
    format: 'json',
    durationMs: 1_000,
    ratePerSec: 200,
  })
  t.after(() => producer.close())
  const summary = await producer.run()
  assert.ok(summary.sent > 0)
  assert.ok(summary.sent <= 200, `sent ${summary.sent} in a 1 s run at 200/s`)
})

test('an unreachable cluster is waited out: one waiting event, not ready meanwhile, then the batches fail at outageTimeoutMs', async (t) => {
  // Nothing listens there: every request fails as against a broker that is down.
  const down = `127.0.0.1:${await freePort()}`
  const producer = new EventProducer({
    bootstrapBrokers: [down],
    topic: randomName('unreachable'),
    format: 'json',
    count: 10,
    maxInFlight: 1,
    batchSize: 5,
    outageTimeoutMs: 1_500,
  })
  t.after(() => producer.close())
  const registry = processRegistry('produce')
  new ProducerMetrics({ registry, status: () => producer.status() })
  const events: ProducerOutageEvent[] = []
  let waitingMeanwhile: ProducerStatus['waiting']
  let scrapedMeanwhile: Promise<string> | undefined
  const summary = await producer.run({
    onOutage: (event) => {
      events.push(event)
      waitingMeanwhile = producer.status().waiting
      scrapedMeanwhile = registry.metrics()
    },
  })
  assert.deepEqual(
    events.map((e) => e.type),
    ['waiting'],
    'one event when the wait begins, none per retry',
  )
  assert.equal(waitingMeanwhile?.code, 'FRESHET_KAFKA_UNREACHABLE')
  assert.equal(summary.error?.code, 'FRESHET_KAFKA_UNREACHABLE')
  assert.equal(summary.error?.details?.['outageTimeoutMs'], 1_500)
  assert.equal(summary.sent, 0)
  assert.equal(summary.failed, 5, 'the batch waited for, given up; nothing sent after it')
  const status = producer.status()
  assert.equal(status.waiting, undefined)
  assert.equal(status.resumes, 0)
  assert.ok(status.resentRecords >= 5, `the batch was sent again (${status.resentRecords})`)
  const topic = status.topic
  const during = parseExposition(await (scrapedMeanwhile as Promise<string>))
  const sinceS = sample(during, 'freshet_producer_waiting_since_seconds', { topic })
  assert.ok(Math.abs(sinceS - (waitingMeanwhile?.sinceMs as number) / 1_000) < 0.001, `since ${sinceS}`)
  const after = parseExposition(await registry.metrics())
  assert.ok(!after.some((s) => s.name === 'freshet_producer_waiting_since_seconds'), 'no wait once over')
  assert.equal(sample(after, 'freshet_producer_resent_records_total', { topic }), status.resentRecords)
  assert.equal(
    sample(after, 'freshet_producer_failed_records_total', { topic, code: 'FRESHET_KAFKA_UNREACHABLE' }),
    5,
  )
})

test('a signal ends a wait for the cluster that has no limit', async (t) => {
  const producer = new EventProducer({
    bootstrapBrokers: [`127.0.0.1:${await freePort()}`],
    topic: randomName('unreachable'),
    format: 'json',
    count: 10,
    outageTimeoutMs: Infinity,
  })
  t.after(() => producer.close())
  const controller = new AbortController()
  const summary = await producer.run({
    signal: controller.signal,
    onOutage: (event) => void (event.type === 'waiting' && controller.abort()),
  })
  assert.equal(summary.error?.code, 'FRESHET_KAFKA_UNREACHABLE')
  assert.match(summary.error?.message ?? '', /stopped while waiting for Kafka/)
  assert.equal(summary.failed, 10)
})

test('outageTimeoutMs 0 fails when the client gives up, without a wait', async (t) => {
  const producer = new EventProducer({
    bootstrapBrokers: [`127.0.0.1:${await freePort()}`],
    topic: randomName('unreachable'),
    format: 'json',
    count: 10,
    outageTimeoutMs: 0,
  })
  t.after(() => producer.close())
  const events: ProducerOutageEvent[] = []
  const summary = await producer.run({ onOutage: (event) => void events.push(event) })
  assert.deepEqual(events, [])
  assert.equal(summary.error?.code, 'FRESHET_KAFKA_UNREACHABLE')
  assert.equal(summary.error?.details, undefined, "the client's own error")
  assert.equal(producer.status().resentRecords, 0)
})
