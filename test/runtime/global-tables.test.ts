// Global tables on workers against the real broker: every worker reads every partition of the
// table's topic before it processes anything and follows it while it runs, and a stream joins it
// through a key selector with no repartition and no changelog topic, whatever the partition counts.
import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { KafkaAdmin, KafkaProducer, type OutRecord } from '../../src/kafka/index.ts'
import { Worker, type WorkerEvent } from '../../src/runtime/index.ts'
import { pipeline, type Topology } from '../../src/stream/index.ts'
import {
  awaitRecords,
  brokers,
  createTopics,
  randomName,
  randomTopic,
  readToSentinel,
} from '../helpers/kafka.ts'

interface Payment {
  id: number
  merchant: string
  timestamp: number
}

interface Merchant {
  name: string
  /** The partition of the merchants topic the record was written to. */
  partition: number
}

const MERCHANT_PARTITIONS = 3
const PAYMENT_PARTITIONS = 2
const MERCHANTS = 9

function enrichment(applicationId: string, merchants: string, payments: string, out: string): Topology {
  const app = pipeline({ applicationId })
  const table = app.globalTable<Merchant>(merchants, { name: 'merchants' })
  app
    .stream<Payment>(payments)
    .join(
      table,
      (p) => p.merchant,
      (p, m) => ({ id: p.id, merchant: p.merchant, name: m.name, merchantPartition: m.partition }),
      { name: 'named' },
    )
    .to(out)
  return app.build()
}

async function send(records: OutRecord[]): Promise<void> {
  const producer = new KafkaProducer({ bootstrapBrokers: brokers() })
  try {
    await producer.send(records)
  } finally {
    await producer.close()
  }
}

/** Merchant `m<i>` on partition i % 3 of the merchants topic. */
function merchantRecords(topic: string, name: (i: number) => string): OutRecord[] {
  return Array.from({ length: MERCHANTS }, (_, i) => ({
    topic,
    partition: i % MERCHANT_PARTITIONS,
    key: Buffer.from(`m${i}`),
    value: Buffer.from(JSON.stringify({ name: name(i), partition: i % MERCHANT_PARTITIONS })),
  }))
}

/** A payment at every merchant on every partition of the payments topic, ids from `firstId`. */
function paymentRecords(topic: string, firstId: number): OutRecord[] {
  const records: OutRecord[] = []
  for (let partition = 0; partition < PAYMENT_PARTITIONS; partition++) {
    for (let i = 0; i < MERCHANTS; i++) {
      const payment: Payment = { id: firstId + records.length, merchant: `m${i}`, timestamp: 0 }
      records.push({ topic, partition, key: null, value: Buffer.from(JSON.stringify(payment)) })
    }
  }
  return records
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 60_000
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not in time: ${what}`)
    await sleep(50)
  }
}

function recordsIn(worker: Worker, topic: string): number {
  return worker.status().topics.find((s) => s.topic === topic)?.recordsIn ?? 0
}

function startWorker(t: TestContext, topology: Topology, workerId: string, events: WorkerEvent[]): Worker {
  const worker = new Worker({
    bootstrapBrokers: brokers(),
    topology,
    workerId,
    commitIntervalMs: 200,
    onEvent: (event) => events.push(event),
  })
  t.after(() => worker.stop().catch(() => {}))
  return worker
}

test('two workers join a global table of 3 partitions to a stream of 2: each sees every partition; no repartition, no changelog', async (t) => {
  const merchants = randomName('merchants')
  await createTopics(t, [
    { topic: merchants, partitions: MERCHANT_PARTITIONS, configs: { 'cleanup.policy': 'compact' } },
  ])
  const payments = await randomTopic(t, 'payments', PAYMENT_PARTITIONS)
  const out = await randomTopic(t, 'named', PAYMENT_PARTITIONS)
  const applicationId = randomName('app')
  const topology = enrichment(applicationId, merchants, payments, out)

  // Everything is in the topics before the first worker starts: an inner join that ran before the
  // table was complete would drop payments.
  await send(merchantRecords(merchants, (i) => `Merchant ${i}`))
  await send(paymentRecords(payments, 0))
  const events1: WorkerEvent[] = []
  const w1 = startWorker(t, topology, 'w1', events1)
  await w1.start()
  const bootstrap = events1.find(
    (e): e is Extract<WorkerEvent, { type: 'restore' }> => e.type === 'restore' && e.done,
  )
  assert.deepEqual(bootstrap && [bootstrap.task, bootstrap.store, bootstrap.totalRecords], [
    'global',
    'merchants-store',
    MERCHANTS,
  ])
  await awaitRecords(out, 2 * MERCHANTS)

  // A second worker: the two tasks of the payments topic split between them.
  const events2: WorkerEvent[] = []
  const w2 = startWorker(t, topology, 'w2', events2)
  await w2.start()
  await until(
    () => w1.status().tasks.length === 1 && w2.status().tasks.length === 1,
    'each worker runs one task',
  )
  assert.equal(recordsIn(w2, merchants), MERCHANTS, 'the second worker read every partition of the table')

  // Updates reach every worker's table while it runs.
  await send(merchantRecords(merchants, (i) => `Merchant ${i} (renamed)`))
  await until(
    () => recordsIn(w1, merchants) === 2 * MERCHANTS && recordsIn(w2, merchants) === 2 * MERCHANTS,
    'both workers read the updates',
  )
  await send(paymentRecords(payments, 100))
  await awaitRecords(out, 4 * MERCHANTS)
  const tasks = [...w1.status().tasks, ...w2.status().tasks].map((task) => task.id).sort()
  await w1.stop()
  await w2.stop()

  assert.deepEqual(tasks, ['0_0', '0_1'], 'one task per payments partition, one on each worker')
  const rows = (await readToSentinel(out)).map(
    (r) =>
      JSON.parse((r.value as Buffer).toString()) as {
        id: number
        merchant: string
        name: string
        merchantPartition: number
      },
  )
  assert.equal(rows.length, 4 * MERCHANTS)
  for (const row of rows) {
    const i = Number(row.merchant.slice(1))
    assert.equal(row.name, row.id < 100 ? `Merchant ${i}` : `Merchant ${i} (renamed)`, `payment ${row.id}`)
  }
  // Each payments partition, run by one worker, joined merchants of every merchants partition.
  const inputPartition = (id: number): number => Math.floor((id % 100) / MERCHANTS)
  for (let partition = 0; partition < PAYMENT_PARTITIONS; partition++) {
    const seen = new Set(
      rows.filter((row) => inputPartition(row.id) === partition).map((row) => row.merchantPartition),
    )
    assert.deepEqual([...seen].sort(), [0, 1, 2], `payments partition ${partition}`)
  }

  const admin = new KafkaAdmin({ bootstrapBrokers: brokers() })
  const topics = await admin.listTopics().finally(() => admin.close())
  assert.deepEqual(
    topics.filter((name) => name.startsWith(`${applicationId}-`)),
    [],
    'no repartition and no changelog topic',
  )
  assert.ok(!events1.some((e) => e.type === 'aborted') && !events2.some((e) => e.type === 'aborted'))
})

test('a global table record that does not decode stops the worker under fail, and is skipped under skip', async (t) => {
  const merchants = await randomTopic(t, 'merchants', 1)
  const payments = await randomTopic(t, 'payments', 1)
  const out = await randomTopic(t, 'named', 1)
  await send([
    { topic: merchants, key: Buffer.from('m0'), value: Buffer.from('{not json') },
    { topic: merchants, key: Buffer.from('m1'), value: Buffer.from('{"name":"One","partition":0}') },
  ])
  const failing = new Worker({
    bootstrapBrokers: brokers(),
    topology: enrichment(randomName('app'), merchants, payments, out),
    startTimeoutMs: 5_000,
  })
  t.after(() => failing.stop().catch(() => {}))
  await assert.rejects(failing.start(), { code: 'FRESHET_SERDE_SCHEMA_MISMATCH' })

  const skipped: WorkerEvent[] = []
  const skipping = new Worker({
    bootstrapBrokers: brokers(),
    topology: enrichment(randomName('app'), merchants, payments, out),
    onBadRecord: 'skip',
    onEvent: (event) => {
      if (event.type === 'bad-records') skipped.push(event)
    },
  })
  t.after(() => skipping.stop().catch(() => {}))
  await skipping.start()
  await send([{ topic: payments, key: null, value: Buffer.from('{"id":1,"merchant":"m1","timestamp":0}') }])
  await awaitRecords(out, 1)
  await skipping.stop()
  assert.deepEqual(
    skipped.map((e) => e.type === 'bad-records' && [e.outcome, e.topic, e.offset]),
    [['skipped', merchants, '0']],
  )
})
