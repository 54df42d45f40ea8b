import assert from 'node:assert/strict'
import { test } from 'node:test'
import { EventConsumer } from '../../src/consumer/index.ts'
import { EventGenerator, EventProducer } from '../../src/producer/index.ts'
import type { UserEvent } from '../../src/schemas/index.ts'
import { brokers, randomName, randomTopic } from '../helpers/kafka.ts'
import { testRegistry } from '../helpers/registry.ts'

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
