// The idempotent producer's own send path (record batches encoded by freshet, producer id and
// sequence numbers kept by freshet) under the faults that make a client resend: connections reset
// while requests are in flight (a request written whose answer is lost), a hung route, and the
// broker killed with SIGKILL and restarted. The oracle reads the topic back: for every key, the
// values 0, 1, 2, ... exactly once and in order (no loss, no duplicate, no reordering), and
// nothing else. A resend with new sequence numbers would duplicate a batch whose answer was lost;
// a batch given up on would leave a hole; a resend overtaking a later batch would reorder.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { KafkaAdmin, KafkaProducer, PartitionReader, type OutRecord } from '../../src/kafka/index.ts'
import { SKIP_SEQUENCES } from '../../src/kafka/record-batch.ts'
import { FaultyBroker } from './cluster.ts'
import { note } from './harness.ts'

const COUNT = Number(process.env.FRESHET_PRODUCER_FAULT_COUNT ?? 300_000)
const KEYS = 60
const PARTITIONS = 6
const BATCH = 1_000
const IN_FLIGHT = 3

let broker: FaultyBroker

before(async () => {
  broker = await FaultyBroker.start()
})

after(async () => {
  await broker?.stop()
})

async function createTopic(topic: string, partitions: number): Promise<void> {
  const admin = new KafkaAdmin({ bootstrapBrokers: [broker.directBootstrap] })
  try {
    await admin.createTopics([{ topic, partitions }])
  } finally {
    await admin.close()
  }
}

/** Every record of the topic, by key, in partition order (a key lives in one partition). */
async function valuesByKey(topic: string, partitions: number): Promise<Map<string, number[]>> {
  const reader = new PartitionReader({
    bootstrapBrokers: [broker.directBootstrap],
    isolationLevel: 'read_uncommitted',
  })
  const byKey = new Map<string, number[]>()
  try {
    const ends = await reader.endOffsets(
      topic,
      Array.from({ length: partitions }, (_, p) => p),
    )
    for (const [partition, end] of ends) {
      for await (const batch of reader.read(topic, partition, 0n, end)) {
        for (const record of batch) {
          const key = record.key!.toString()
          let values = byKey.get(key)
          if (values === undefined) byKey.set(key, (values = []))
          values.push(Number(record.value!.toString()))
        }
      }
    }
  } finally {
    await reader.close()
  }
  return byKey
}

/** Which values of a key are missing, repeated or out of order, for the first few keys that fail. */
function defects(byKey: Map<string, number[]>, expected: Map<string, number>): string[] {
  const found: string[] = []
  for (const [key, count] of expected) {
    const values = byKey.get(key) ?? []
    const wanted = Array.from({ length: count }, (_, i) => i)
    if (values.length === wanted.length && values.every((v, i) => v === i)) continue
    const seen = new Set<number>()
    const repeated = values.filter((v) => (seen.has(v) ? true : (seen.add(v), false)))
    const missing = wanted.filter((v) => !seen.has(v))
    const reordered = values.findIndex((v, i) => i > 0 && v < values[i - 1]!)
    found.push(
      `${key}: ${values.length} of ${count} values; missing ${missing.slice(0, 5).join(',') || 'none'}` +
        `; repeated ${repeated.slice(0, 5).join(',') || 'none'}; first reordering at index ${reordered}`,
    )
  }
  for (const key of byKey.keys()) if (!expected.has(key)) found.push(`${key}: never sent`)
  return found.slice(0, 10)
}

test(`idempotent producer: ${COUNT} records through connection resets, a hung route and a broker kill -9 and restart arrive once each, in order per key`, async () => {
  const topic = `producer-faults-${Date.now() % 1_000_000}`
  await createTopic(topic, PARTITIONS)
  // Enough retries to wait out a broker restart on a loaded machine (about a minute), with
  // requests that time out quickly in the hung route.
  const producer = new KafkaProducer({
    bootstrapBrokers: [broker.bootstrap],
    retries: 1_000,
    requestTimeoutMs: 5_000,
  })
  const nextValue = new Map<string, number>()
  let sent = 0
  let inFlight = 0
  let inFlightAtKill = -1
  const failures: unknown[] = []

  const faults = (async () => {
    const at = async (share: number): Promise<void> => {
      while (sent < COUNT * share && failures.length === 0) await sleep(20)
    }
    // Connection resets while requests are in flight, several times in a row.
    await at(0.15)
    for (let i = 0; i < 5; i++) {
      note(`producer test: cut (${sent} sent)`)
      broker.proxy.cut()
      await sleep(150)
    }
    // A hung route, longer than the request timeout.
    await at(0.35)
    note(`producer test: blackhole on (${sent} sent)`)
    broker.proxy.blackhole(true)
    await sleep(7_000)
    broker.proxy.blackhole(false)
    note('producer test: blackhole off')
    // The broker crashes and stays down, then comes back on the same data.
    await at(0.6)
    inFlightAtKill = inFlight
    note(`producer test: kill -9 (${sent} sent, ${inFlight} sends in flight)`)
    await broker.kill()
    await sleep(8_000)
    await broker.restart()
    note('producer test: broker restarted')
    await at(0.85)
    broker.proxy.cut()
  })()

  try {
    const running = new Set<Promise<void>>()
    for (let start = 0; start < COUNT && failures.length === 0; start += BATCH) {
      const records: OutRecord[] = []
      for (let i = start; i < Math.min(COUNT, start + BATCH); i++) {
        const key = `user-${(i * 7919) % KEYS}`
        const value = nextValue.get(key) ?? 0
        nextValue.set(key, value + 1)
        records.push({ topic, key: Buffer.from(key), value: Buffer.from(String(value)) })
      }
      inFlight++
      const send: Promise<void> = producer.send(records).then(
        () => {
          sent += records.length
        },
        (error: unknown) => {
          failures.push(error)
        },
      )
      const tracked = send.finally(() => {
        inFlight--
        running.delete(tracked)
      })
      running.add(tracked)
      if (running.size >= IN_FLIGHT) await Promise.race(running)
    }
    await Promise.all(running)
    await faults
  } finally {
    await producer.close()
  }

  assert.deepEqual(failures, [], 'every send succeeds: the producer waits the faults out')
  assert.equal(sent, COUNT)
  // The faults did happen, and hit sends.
  const stats = broker.proxy.stats()
  assert.ok(stats.faults.connectionsCut > 0, `connections cut: ${stats.faults.connectionsCut}`)
  assert.ok(inFlightAtKill > 0, `sends in flight when the broker was killed: ${inFlightAtKill}`)
  assert.ok(producer.sendStats.retriedBatches > 0, `retried batches: ${producer.sendStats.retriedBatches}`)
  note(`producer test: ${JSON.stringify(producer.sendStats)}`)

  const byKey = await valuesByKey(topic, PARTITIONS)
  assert.deepEqual(defects(byKey, nextValue), [])
})

test('idempotent producer: a skipped sequence number is refused by the broker and the producer starts over with a new producer id, losing and repeating nothing', async () => {
  const topic = `producer-gap-${Date.now() % 1_000_000}`
  await createTopic(topic, 1)
  const producer = new KafkaProducer({ bootstrapBrokers: [broker.directBootstrap] })
  const records = (from: number, count: number): OutRecord[] =>
    Array.from({ length: count }, (_, i) => ({
      topic,
      partition: 0,
      key: Buffer.from('k'),
      value: Buffer.from(String(from + i)),
    }))
  try {
    await producer.send(records(0, 100))
    assert.equal(producer.sendStats.producerIds, 1)
    // The next batch goes out 5 sequence numbers ahead of what the broker expects.
    producer[SKIP_SEQUENCES](topic, 0, 5)
    await producer.send(records(100, 100))
    await producer.send(records(200, 100))
    // OUT_OF_ORDER_SEQUENCE_NUMBER; sent again alone, the same; then InitProducerId and a resend
    // under the new id.
    assert.equal(producer.sendStats.producerIds, 2)
    assert.equal(producer.sendStats.retriedBatches, 2)
  } finally {
    await producer.close()
  }
  const byKey = await valuesByKey(topic, 1)
  assert.deepEqual(
    byKey.get('k'),
    Array.from({ length: 300 }, (_, i) => i),
  )
})
