import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { KafkaAdmin, KafkaProducer, PartitionReader, type OutRecord } from '../../src/kafka/index.ts'
import { Worker, type WorkerEvent } from '../../src/runtime/index.ts'
import { restoreStore, type RestoreProgress } from '../../src/runtime/restore.ts'
import { partitionFor } from '../../src/operators/index.ts'
import { MemoryStateStore } from '../../src/state/index.ts'
import { pipeline } from '../../src/stream/index.ts'
import {
  awaitRecords,
  brokers,
  randomName,
  randomTopic,
  readToSentinel,
  testTransactional,
} from '../helpers/kafka.ts'

function reader(t: TestContext): PartitionReader {
  const r = new PartitionReader({ bootstrapBrokers: brokers() })
  t.after(() => r.close())
  return r
}

function entries(topic: string, pairs: Array<[string, string | null]>): OutRecord[] {
  return pairs.map(([key, value]) => ({
    topic,
    partition: 0,
    key: Buffer.from(key),
    value: value === null ? null : Buffer.from(value),
  }))
}

function contents(store: MemoryStateStore): Record<string, string> {
  return Object.fromEntries([...store.range()].map(([key, value]) => [key.toString(), value.toString()]))
}

test('a restore includes a transaction of the changelog that commits while it starts', async (t) => {
  // A new owner restores right after the previous one committed: the group's offsets already show
  // that commit while its marker may not be in the changelog yet. Here the transaction commits
  // 300 ms after the restore began; a restore that read the last stable offset at once would stop
  // before it, with the state before the commit.
  const changelog = await randomTopic(t, 'restore-settle', 1)
  const owner = testTransactional(t)
  await owner.init()
  await owner.begin()
  await owner.send(
    entries(changelog, [
      ['a', '1'],
      ['b', '1'],
    ]),
  )
  await owner.commit()
  await owner.begin()
  await owner.send(
    entries(changelog, [
      ['a', '2'],
      ['b', null],
      ['c', '1'],
    ]),
  )
  const progress: RestoreProgress[] = []
  const restoring = restoreStore(reader(t), async () => new MemoryStateStore({ name: 'sums' }), {
    topic: changelog,
    partition: 0,
    settleTimeoutMs: 30_000,
    onProgress: (p) => progress.push(p),
  })
  await sleep(300)
  assert.equal(progress.length, 0, 'the restore waits for the open transaction before it reads')
  await owner.commit()
  const store = (await restoring) as MemoryStateStore
  t.after(() => store.close())
  assert.deepEqual(contents(store), { a: '2', c: '1' })
  assert.deepEqual(progress.at(-1), {
    restoredRecords: 7,
    totalRecords: 7,
    done: true,
    fromOffset: 0,
    endOffset: 7,
  })
})

test('a restore fails, retriably, while a transaction of the changelog stays undecided', async (t) => {
  const changelog = await randomTopic(t, 'restore-open', 1)
  const zombie = testTransactional(t)
  await zombie.init()
  await zombie.begin()
  await zombie.send(entries(changelog, [['a', '1']]))
  await assert.rejects(
    restoreStore(reader(t), async () => new MemoryStateStore({ name: 'sums' }), {
      topic: changelog,
      partition: 0,
      settleTimeoutMs: 500,
      onProgress: () => {},
    }),
    (error: unknown) => {
      assert.equal((error as { code?: string }).code, 'FRESHET_KAFKA_ERROR')
      assert.equal((error as { retriable?: boolean }).retriable, true)
      return true
    },
  )
  await zombie.abort()
})

test('a store restored from its source topic stops at the given end, which may be short of the log end', async (t) => {
  const topic = await randomTopic(t, 'restore-source', 1)
  const producer = new KafkaProducer({ bootstrapBrokers: brokers() })
  t.after(() => producer.close())
  await producer.send(
    entries(topic, [
      ['a', '1'],
      ['b', '1'],
      ['a', '2'],
      ['c', '9'],
    ]),
  )
  const progress: RestoreProgress[] = []
  const upper = (records: ReadonlyArray<{ key: Buffer | null; value: Buffer | null }>) =>
    Promise.resolve(
      records.map((r) => ({
        key: Buffer.from((r.key as Buffer).toString().toUpperCase()),
        value: r.value,
      })),
    )
  const store = await restoreStore(reader(t), async () => new MemoryStateStore({ name: 'table' }), {
    topic,
    partition: 0,
    settleTimeoutMs: 1_000,
    onProgress: (p) => progress.push(p),
    endOffset: 3n,
    toEntries: upper,
  })
  t.after(() => store.close())
  assert.deepEqual(
    contents(store as MemoryStateStore),
    { A: '2', B: '1' },
    'the record at offset 3 is not restored',
  )
  assert.equal(store.readCheckpoint(), 3n)
  assert.deepEqual(progress.at(-1), {
    restoredRecords: 3,
    totalRecords: 3,
    done: true,
    fromOffset: 0,
    endOffset: 3,
  })

  // A checkpoint beyond the end (at-least-once flushed, then failed to commit its offsets): the
  // local state is ahead of what the task will process from, so it is wiped and restored again.
  const ahead = new MemoryStateStore({ name: 'table' })
  await ahead.restore([{ key: Buffer.from('Z'), value: Buffer.from('1') }], 4n)
  let wiped = false
  const restored = await restoreStore(
    reader(t),
    async (wipe) => {
      wiped ||= wipe
      return wipe ? new MemoryStateStore({ name: 'table' }) : ahead
    },
    { topic, partition: 0, settleTimeoutMs: 1_000, onProgress: () => {}, endOffset: 2n, toEntries: upper },
  )
  t.after(() => restored.close())
  assert.ok(wiped)
  assert.deepEqual(contents(restored as MemoryStateStore), { A: '1', B: '1' })
})

interface Order {
  id: number
  timestamp: number
}

async function send(topic: string, pairs: Array<[string, unknown]>): Promise<void> {
  const producer = new KafkaProducer({ bootstrapBrokers: brokers() })
  try {
    await producer.send(
      pairs.map(([key, value]) => ({
        topic,
        key: Buffer.from(key),
        value: Buffer.from(JSON.stringify(value)),
      })),
    )
  } finally {
    await producer.close()
  }
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 30_000
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not in time: ${what}`)
    await sleep(50)
  }
}

function recordsIn(worker: Worker, topic: string): number {
  return worker.status().topics.find((s) => s.topic === topic)?.recordsIn ?? 0
}

test('a table read from a topic has no changelog topic; a new worker restores it from the topic up to the committed offset', async (t) => {
  // A table's store used to be copied into `<app>-<store>-changelog`: every record of the table's
  // topic written twice. The topic is the changelog now; the restore must end at the committed
  // offset, since the records after it are the new owner's to process.
  for (const stateDir of [undefined, await mkdtemp(join(tmpdir(), 'freshet-source-table-'))]) {
    if (stateDir !== undefined) t.after(() => rm(stateDir, { recursive: true, force: true }))
    const rates = await randomTopic(t, 'rates', 2)
    const orders = await randomTopic(t, 'orders', 2)
    const out = await randomTopic(t, 'priced', 2)
    const applicationId = randomName('app')
    const app = pipeline({ applicationId })
    app
      .stream<Order>(orders)
      .byRecordKey<string>()
      .join(app.table<number>(rates, { name: 'rates' }), (o, rate, currency) => `${o.id} ${currency} ${rate}`)
      .to(out)
    const topology = app.build()
    assert.deepEqual(topology.description.topics.changelog, [])
    const restores: Array<Extract<WorkerEvent, { type: 'restore' }>> = []
    const start = async (workerId: string): Promise<Worker> => {
      const worker = new Worker({
        bootstrapBrokers: brokers(),
        topology,
        workerId,
        commitIntervalMs: 200,
        ...(stateDir === undefined ? {} : { stateDir }),
        onEvent: (event) => {
          if (event.type === 'restore' && event.done) restores.push(event)
        },
      })
      t.after(() => worker.stop().catch(() => {}))
      await worker.start()
      return worker
    }

    await send(rates, [
      ['EUR', 2],
      ['USD', 3],
      ['GBP', 4],
    ])
    const first = await start('w1')
    await until(() => recordsIn(first, rates) === 3, 'the first worker read the rates')
    await send(orders, [
      ['EUR', { id: 1, timestamp: 0 }],
      ['USD', { id: 2, timestamp: 0 }],
    ])
    await awaitRecords(out, 2)
    await first.stop()
    const admin = new KafkaAdmin({ bootstrapBrokers: brokers() })
    const topics = await admin.listTopics().finally(() => admin.close())
    assert.deepEqual(
      topics.filter((name) => name.startsWith(applicationId) && name.endsWith('-changelog')),
      [],
      'no changelog topic copies the table',
    )

    // Written after the first worker's last commit: beyond the committed offset.
    await send(rates, [
      ['EUR', 5],
      ['CHF', 6],
    ])
    restores.length = 0
    const second = await start('w2')
    const restored = restores.filter((r) => r.store === 'rates-store')
    // Memory replays the topic up to the committed offset (3 records), never the 2 after it;
    // RocksDB finds its checkpoint at the committed offset and replays nothing.
    assert.equal(
      restored.reduce((sum, r) => sum + r.totalRecords, 0),
      stateDir === undefined ? 3 : 0,
      `state dir: ${stateDir ?? 'memory'}`,
    )
    await until(() => recordsIn(second, rates) === 2, 'the second worker read the new rates')
    await send(orders, [
      ['EUR', { id: 3, timestamp: 0 }],
      ['USD', { id: 4, timestamp: 0 }], // its rate is only in the restored state
      ['CHF', { id: 5, timestamp: 0 }],
    ])
    await awaitRecords(out, 5)
    await second.stop()
    const values = (await readToSentinel(out)).map((r) => (r.value as Buffer).toString()).sort()
    assert.deepEqual(values, ['"1 EUR 2"', '"2 USD 3"', '"3 EUR 5"', '"4 USD 3"', '"5 CHF 6"'])
  }
})

test('a task that moves to another worker restores its table from the topic, up to the committed offset', async (t) => {
  const rates = await randomTopic(t, 'rates', 2)
  const orders = await randomTopic(t, 'orders', 2)
  const out = await randomTopic(t, 'priced', 2)
  // Currencies on both partitions (the producer partitions by murmur2 of the key, as the join needs).
  const currencies = ['EUR', 'USD', 'GBP', 'CHF', 'JPY', 'SEK']
  const partitionOf = new Map(currencies.map((c) => [c, partitionFor(c, 2)]))
  assert.deepEqual(new Set(partitionOf.values()), new Set([0, 1]), 'the currencies cover both partitions')
  const app = pipeline({ applicationId: randomName('app') })
  app
    .stream<Order>(orders)
    .byRecordKey<string>()
    .join(app.table<number>(rates, { name: 'rates' }), (o, rate, currency) => `${o.id} ${currency} ${rate}`)
    .to(out)
  const topology = app.build()
  const restores: Array<Extract<WorkerEvent, { type: 'restore' }>> = []
  const start = async (workerId: string): Promise<Worker> => {
    const worker = new Worker({
      bootstrapBrokers: brokers(),
      topology,
      workerId,
      commitIntervalMs: 200,
      onEvent: (event) => {
        if (event.type === 'restore' && event.done) restores.push(event)
      },
    })
    t.after(() => worker.stop().catch(() => {}))
    await worker.start()
    return worker
  }
  // Each rate written twice: the topic holds both records, where a changelog would keep one.
  await send(rates, [
    ...currencies.map((c): [string, unknown] => [c, 0]),
    ...currencies.map((c, i): [string, unknown] => [c, i + 1]),
  ])
  const first = await start('w1')
  await until(() => recordsIn(first, rates) === 2 * currencies.length, 'the first worker read the rates')
  restores.length = 0
  const second = await start('w2')
  await until(
    () => first.status().tasks.length === 1 && second.status().tasks.length === 1,
    'one task moved to the second worker',
  )
  const [moved] = second.status().tasks
  const partition = Number(moved?.id.split('_')[1])
  const onMoved = currencies.filter((c) => partitionOf.get(c) === partition).length
  const restored = restores.filter((r) => r.store === 'rates-store' && r.task === moved?.id)
  assert.deepEqual(
    restored.map((r) => r.totalRecords),
    [2 * onMoved],
    'the moved task replayed its partition of the topic up to the committed offset',
  )
  await send(
    orders,
    currencies.map((c, i): [string, unknown] => [c, { id: i, timestamp: 0 }]),
  )
  await awaitRecords(out, currencies.length)
  await first.stop()
  await second.stop()
  const values = (await readToSentinel(out)).map((r) => (r.value as Buffer).toString()).sort()
  assert.deepEqual(values, currencies.map((c, i) => `"${i} ${c} ${i + 1}"`).sort())
  const admin = new KafkaAdmin({ bootstrapBrokers: brokers() })
  const topics = await admin.listTopics().finally(() => admin.close())
  assert.deepEqual(
    topics.filter((name) => name.startsWith(topology.applicationId) && name.endsWith('-changelog')),
    [],
  )
})
