// The worker against the real broker: a keyed, windowed count through a repartition topic, checked
// against a closed-form oracle, with exactly-once and at-least-once, a restart from changelogs,
// and the bad-record policy.
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import {
  KafkaAdmin,
  KafkaProducer,
  PartitionReader,
  TransactionalProducer,
  type InRecord,
  type OutRecord,
} from '../../src/kafka/index.ts'
import { FreshetError } from '../../src/errors/index.ts'
import { Worker, type WorkerEvent, type WorkerOptions } from '../../src/runtime/index.ts'
import { AvroDeserializer, AvroSerializer } from '../../src/serde/index.ts'
import { MemoryRegistry } from '../../src/testing/index.ts'
import { FaultProxy } from '../integrity/fault-proxy.ts'
import {
  awaitRecords,
  bootstrap,
  brokers,
  createTopics,
  randomName,
  randomTopic,
  readToSentinel,
} from '../helpers/kafka.ts'
import { pipeline } from '../../src/stream/index.ts'
import { tumbling } from '../../src/windows/index.ts'
import { countTopology, inputs, oracle, sortCounts, WINDOW_MS, type Count, type Input } from './counts.ts'

const PARTITIONS = 3

async function produce(topic: string, events: Input[], extra: OutRecord[] = []): Promise<void> {
  const producer = new KafkaProducer({ bootstrapBrokers: brokers() })
  try {
    const records: OutRecord[] = events.map((e) => ({
      topic,
      key: Buffer.from(`user-${e.seq % 17}`),
      value: Buffer.from(JSON.stringify(e)),
    }))
    for (let i = 0; i < records.length; i += 2_000) await producer.send(records.slice(i, i + 2_000))
    if (extra.length > 0) await producer.send(extra)
  } finally {
    await producer.close()
  }
}

/** One record per partition far ahead in event time: closes every window before it. */
async function closeWindows(topic: string, atMs: number): Promise<void> {
  const producer = new KafkaProducer({ bootstrapBrokers: brokers() })
  try {
    await producer.send(
      Array.from({ length: PARTITIONS }, (_, partition) => ({
        topic,
        partition,
        key: null,
        value: Buffer.from(JSON.stringify({ seq: -1, type: 'end', timestamp: atMs })),
      })),
    )
  } finally {
    await producer.close()
  }
}

async function setup(t: TestContext): Promise<{ input: string; output: string; applicationId: string }> {
  const input = await randomTopic(t, 'in', PARTITIONS)
  const output = await randomTopic(t, 'out', PARTITIONS)
  return { input, output, applicationId: randomName('app') }
}

function startWorker(t: TestContext, options: Omit<WorkerOptions, 'bootstrapBrokers'>): Worker {
  const worker = new Worker({
    bootstrapBrokers: brokers(),
    maxOutOfOrdernessMs: 0,
    idleTimeoutMs: 60_000,
    ...options,
  })
  t.after(() => worker.stop().catch(() => {}))
  return worker
}

/**
 * 3,000 inputs counted through a repartition topic by one started worker, once every window up to
 * 5,000 is written.
 */
async function countRun(
  t: TestContext,
  options: Omit<WorkerOptions, 'bootstrapBrokers' | 'topology'>,
): Promise<{ output: string; applicationId: string; expected: Count[]; worker: Worker }> {
  const { input, output, applicationId } = await setup(t)
  const events = inputs(3_000)
  await produce(input, events)
  await closeWindows(input, 5_000)
  const expected = oracle(events, 5_000)
  const worker = startWorker(t, { topology: countTopology(applicationId, input, output), ...options })
  await worker.start()
  await awaitRecords(output, expected.length)
  return { output, applicationId, expected, worker }
}

function valuesOf<T>(records: Array<{ value: Buffer | null }>): T[] {
  return records.map((r) => JSON.parse((r.value as Buffer).toString('utf8')) as T)
}

for (const preAggregate of [true, false]) {
  test(`exactly-once: windowed counts through a repartition topic equal the oracle (preAggregate: ${preAggregate})`, async (t) => {
    const { input, output, applicationId } = await setup(t)
    const events = inputs(6_000)
    await produce(input, events)
    const endMs = 10_000
    await closeWindows(input, endMs)
    const expected = oracle(events, endMs)
    const topology = countTopology(applicationId, input, output, { preAggregate })
    const worker = startWorker(t, { topology, workerId: 'w1' })
    await worker.start()
    await awaitRecords(output, expected.length)
    await worker.stop()
    const got = valuesOf<Count>(await readToSentinel(output))
    assert.deepEqual(sortCounts(got), expected)
    const status = worker.status()
    assert.equal(status.state, 'STOPPED')
    // Nothing in this run makes the worker abort (no fault, no rebalance), and an abort would replay
    // records into the processing counts below: a run with one is a failure of its own.
    assert.equal(status.aborts, 0, 'no transaction aborted')
    // The tasks are closed; their counts stay in the totals: every input record once in the first
    // sub-topology, and what it wrote to the repartition topic once in the second; out, the
    // repartition records and every row to the output. Without pre-aggregation the repartition
    // topic carries every input record; with it, about one partial per type, window and commit.
    assert.equal(status.tasks.length, 0)
    const inputRecords = events.length + PARTITIONS
    const repartitioned = status.totals.recordsOut - expected.length
    assert.equal(status.totals.recordsIn, inputRecords + repartitioned)
    if (preAggregate) assert.ok(repartitioned < inputRecords / 10, `${repartitioned} repartition records`)
    else assert.equal(repartitioned, inputRecords)
  })
}

test('exactly-once: a fence of its transactional id is taken back once and the output stays exact; fenced again within a minute, the worker stops', async (t) => {
  const { input, output, applicationId } = await setup(t)
  const first = inputs(3_000)
  await produce(input, first)
  await closeWindows(input, 5_000)
  const worker = startWorker(t, { topology: countTopology(applicationId, input, output), workerId: 'w1' })
  await worker.start()
  await awaitRecords(output, oracle(first, 5_000).length)
  // Another producer of the worker's transactional id, as after a coordinator failover that
  // refuses the worker's own epoch: its InitProducerId fences the worker's producer.
  const intrude = async (): Promise<void> => {
    const intruder = new TransactionalProducer({
      bootstrapBrokers: brokers(),
      clientId: 'intruder',
      transactionalId: `${applicationId}-w1`,
    })
    try {
      await intruder.init()
    } finally {
      await intruder.close()
    }
  }
  await intrude()
  const second = inputs(3_000).map((e) => ({ ...e, seq: e.seq + 3_000, timestamp: e.timestamp + 6_000 }))
  await produce(input, second)
  await closeWindows(input, 10_000)
  const markers = Array.from({ length: PARTITIONS }, (): Input => ({
    seq: -1,
    type: 'end',
    timestamp: 5_000,
  }))
  const expected = oracle([...first, ...markers, ...second], 10_000)
  await awaitRecords(output, expected.length)
  assert.equal(worker.state, 'RUNNING', 'the worker took its transactional id back and went on')
  assert.ok(worker.status().aborts >= 1, 'the fenced transaction was aborted')

  await intrude()
  // An idle worker writes nothing, so it learns of the fence at its next transaction: give it one.
  const third = inputs(PARTITIONS).map((e) => ({ ...e, seq: e.seq + 6_000, timestamp: 10_000 }))
  await produce(input, third)
  await assert.rejects(worker.done, (error: unknown) => {
    assert.ok(error instanceof FreshetError)
    assert.equal(error.code, 'FRESHET_WORKER_FENCED')
    return true
  })
  assert.deepEqual(sortCounts(valuesOf<Count>(await readToSentinel(output))), expected)
})

test('live windows wait a quarter of the commit interval, not all of it: partials and results are committed when a window closes', async (t) => {
  // A commit interval of 20 s: the results need two commits (the partials and the marker
  // upstream, then the results), about 10 s at a quarter of the interval each, 40 s or more at
  // the interval.
  const { input, output, applicationId } = await setup(t)
  const nowMs = Date.now()
  const startMs = nowMs - (nowMs % WINDOW_MS) - 2 * WINDOW_MS
  const events: Input[] = Array.from({ length: 300 }, (_, seq) => ({
    seq,
    type: ['view', 'click', 'buy'][seq % 3] as string,
    timestamp: startMs + (seq % WINDOW_MS),
  }))
  await produce(input, events)
  await closeWindows(input, startMs + WINDOW_MS)
  const worker = startWorker(t, {
    topology: countTopology(applicationId, input, output),
    commitIntervalMs: 20_000,
  })
  await worker.start()
  await awaitRecords(output, 3, { timeoutMs: 30_000 })
  const got = valuesOf<Count>(await readToSentinel(output))
  assert.deepEqual(
    sortCounts(got),
    ['buy', 'click', 'view'].map((type) => ({ type, start: startMs, count: 100 })),
  )
  assert.ok(worker.status().commits >= 2, 'the upstream commit of the partials, then the results')
})

test('repartition topics keep records of any event time; the worker purges what its group committed', async (t) => {
  // Repartition records carry their event time: under the broker's time-based retention, records
  // of 1970 (as here) or of last month would be deleted before the tasks downstream read them.
  const { output, applicationId, expected, worker } = await countRun(t, {})
  const repartition = `${applicationId}-by-type-repartition`
  const admin = new KafkaAdmin({ bootstrapBrokers: brokers() })
  const reader = new PartitionReader({ bootstrapBrokers: brokers() })
  t.after(async () => {
    await admin.close()
    await reader.close()
  })
  assert.equal((await admin.describeTopic(repartition)).configs['retention.ms'], '-1')
  const partitions = Array.from({ length: PARTITIONS }, (_, i) => i)
  let purged = 0n
  for (let i = 0; i < 100 && purged === 0n; i++) {
    const starts = await reader.startOffsets(repartition, partitions)
    purged = [...starts.values()].reduce((sum, offset) => sum + offset, 0n)
    if (purged === 0n) await new Promise((resolve) => setTimeout(resolve, 100))
  }
  assert.ok(purged > 0n, 'the log start of the repartition topic moved up to what was committed')
  await worker.stop()
  assert.deepEqual(sortCounts(valuesOf<Count>(await readToSentinel(output))), expected)
})

test('at-least-once: the same oracle, offsets committed after the outputs', async (t) => {
  const { output, expected, worker } = await countRun(t, { processingGuarantee: 'at-least-once' })
  // At-least-once may repeat outputs after a failure; a run without one has none to repeat.
  await worker.stop()
  const got = valuesOf<Count>(await readToSentinel(output))
  assert.deepEqual(sortCounts(got), expected)
})

test('a stopped worker hands its windows to the next one through the changelog (memory and RocksDB)', async (t) => {
  const replayed: number[] = []
  for (const stateDir of [undefined, await mkdtemp(join(tmpdir(), 'freshet-worker-'))]) {
    if (stateDir !== undefined) t.after(() => rm(stateDir, { recursive: true, force: true }))
    const { input, output, applicationId } = await setup(t)
    const topology = countTopology(applicationId, input, output)
    const events = inputs(4_000)
    const first = events.slice(0, 2_500)
    await produce(input, first)
    const options = { topology, workerId: 'w1', ...(stateDir === undefined ? {} : { stateDir }) }
    // Windows up to 2_000 close during the first run: 2_499 is in every partition's stream.
    const w1 = startWorker(t, options)
    await w1.start()
    const early = oracle(first, 2_000)
    await awaitRecords(output, early.length)
    await w1.stop()
    assert.equal(w1.status().state, 'STOPPED')
    const got = valuesOf<Count>(await readToSentinel(output))
    assert.deepEqual(sortCounts(got), early, `state dir: ${stateDir ?? 'memory'}`)

    await produce(input, events.slice(2_500))
    await closeWindows(input, 10_000)
    const restored: Array<{ store: string; totalRecords: number }> = []
    const w2 = startWorker(t, {
      ...options,
      onEvent: (event) => {
        if (event.type === 'restore' && event.done) restored.push(event)
      },
    })
    await w2.start()
    const expected = oracle(events, 10_000)
    await awaitRecords(output, expected.length)
    await w2.stop()
    // The first run's rows and the second's: a window of the first run written again fails.
    const all = valuesOf<Count>(await readToSentinel(output))
    assert.deepEqual(sortCounts(all), expected, `state dir: ${stateDir ?? 'memory'}`)
    // Memory restores the whole changelog; RocksDB only from its checkpoint, which is at most the
    // last commit's changelog records behind.
    replayed.push(restored.reduce((sum, r) => sum + r.totalRecords, 0))
  }
  const [memory, rocksdb] = replayed as [number, number]
  assert.ok(memory > 0, `memory stores replay the whole changelog (${memory} records)`)
  assert.ok(rocksdb <= memory, `RocksDB resumes from its checkpoint (${rocksdb} of ${memory} records)`)
})

test('a backlog through a one-partition repartition topic gets through without an abort (sends split by size)', async (t) => {
  const { input, output, applicationId } = await setup(t)
  // 30,000 records of ~300 bytes: a full batch of 10,000 is ~3 MB for one partition, three times
  // the broker's batch limit.
  const events = inputs(30_000).map((e) => ({ ...e, pad: 'x'.repeat(250) }))
  await produce(input, events)
  const endMs = 40_000
  await closeWindows(input, endMs)
  const expected = oracle(events, endMs)
  const aborts: string[] = []
  const worker = startWorker(t, {
    topology: countTopology(applicationId, input, output, { partitions: 1 }),
    onEvent: (event) => {
      if (event.type === 'aborted') aborts.push(event.reason)
    },
  })
  await worker.start()
  await awaitRecords(output, expected.length)
  await worker.stop()
  const got = valuesOf<Count>(await readToSentinel(output))
  assert.deepEqual(sortCounts(got), expected)
  assert.deepEqual(aborts, [])
})

test(
  'followClockWhenIdle: the last windows of input that stopped close without a later record',
  { timeout: 60_000 },
  async (t) => {
    const { input, output, applicationId } = await setup(t)
    // Live-looking input: event times in the last few seconds, then nothing more.
    const startMs = Date.now() - 3_000
    const events = inputs(900).map((e) => ({ ...e, timestamp: startMs + e.seq * 3 }))
    await produce(input, events)
    const expected = oracle(events, Infinity)
    const worker = startWorker(t, {
      topology: countTopology(applicationId, input, output),
      idleTimeoutMs: 500,
      followClockWhenIdle: true,
    })
    await worker.start()
    await awaitRecords(output, expected.length)
    await worker.stop()
    const got = valuesOf<Count>(await readToSentinel(output))
    assert.deepEqual(sortCounts(got), expected)
  },
)

test('bad input under dlq: undecodable, far-future and keyless records become dead letters with provenance', async (t) => {
  const { input, output, applicationId } = await setup(t)
  const dlqTopic = `${applicationId}.dlq`
  const events = inputs(300)
  const nowMs = Date.now()
  await produce(input, events, [
    { topic: input, partition: 0, key: Buffer.from('bad'), value: Buffer.from('{not json') },
    {
      topic: input,
      partition: 1,
      key: Buffer.from('future'),
      value: Buffer.from(JSON.stringify({ seq: 0, type: 'view', timestamp: nowMs + 3_600_000 })),
    },
    // No type: keyBy gives no key.
    {
      topic: input,
      partition: 2,
      key: Buffer.from('keyless'),
      value: Buffer.from('{"seq":1,"timestamp":7}'),
    },
  ])
  await closeWindows(input, 5_000)
  const reports: Array<Extract<WorkerEvent, { type: 'bad-records' }>> = []
  const worker = startWorker(t, {
    topology: countTopology(applicationId, input, output),
    onBadRecord: 'dlq',
    onEvent: (event) => {
      if (event.type === 'bad-records') reports.push(event)
    },
  })
  await worker.start()
  const expected = oracle(events, 5_000)
  await awaitRecords(output, expected.length)
  await awaitRecords(dlqTopic, 3)
  await worker.stop()
  assert.deepEqual(sortCounts(valuesOf<Count>(await readToSentinel(output))), expected)
  const letters = await readToSentinel(dlqTopic)
  assert.equal(letters.length, 3, 'one dead letter per bad record')
  // Each code is reported, rate-limited, with where its record was: one record each here.
  const header = (r: InRecord, name: string): string | undefined =>
    r.headers.get(`freshet.dlq.${name}`)?.toString()
  assert.deepEqual(
    reports.map((r) => [r.outcome, r.code, r.count, r.topic, String(r.partition), r.offset]).sort(),
    letters
      .map((r) => [
        'dead-lettered',
        header(r, 'error.code'),
        1,
        header(r, 'source.topic'),
        header(r, 'source.partition'),
        header(r, 'source.offset'),
      ])
      .sort(),
  )
  const byKey = new Map(letters.map((r) => [r.key?.toString(), r]))
  const keyless = letters.find(
    (r) => r.headers.get('freshet.dlq.error.code')?.toString() === 'FRESHET_RECORD_KEY_NULL',
  )
  assert.equal(keyless?.headers.get('freshet.dlq.stage')?.toString(), 'process')
  assert.equal(keyless?.value?.toString(), '{"seq":1,"timestamp":7}')
  const bad = byKey.get('bad')
  assert.equal(bad?.value?.toString(), '{not json')
  assert.equal(bad?.headers.get('freshet.dlq.source.topic')?.toString(), input)
  assert.equal(bad?.headers.get('freshet.dlq.source.partition')?.toString(), '0')
  assert.equal(bad?.headers.get('freshet.dlq.error.code')?.toString(), 'FRESHET_SERDE_SCHEMA_MISMATCH')
  assert.equal(bad?.headers.get('freshet.dlq.stage')?.toString(), 'decode')
  const future = byKey.get('future')
  assert.equal(future?.headers.get('freshet.dlq.error.code')?.toString(), 'FRESHET_TIMESTAMP_FUTURE')
  assert.equal(future?.headers.get('freshet.dlq.source.partition')?.toString(), '1')
  assert.equal(worker.status().totals.recordsDeadLettered, 3)
})

/** The topic's own schema of `Input` records, as their producer registers it. */
const INPUT_SCHEMA = {
  type: 'record',
  name: 'Input',
  fields: [
    { name: 'seq', type: 'long' },
    { name: 'type', type: 'string' },
    { name: 'timestamp', type: 'long' },
  ],
}

/** A serializer of another topic's schema: its records are strays on the tests' input. */
async function strayRecords(registry: MemoryRegistry): Promise<AvroSerializer<{ name: string }>> {
  const stray = new AvroSerializer<{ name: string }>({
    registry,
    topic: 'elsewhere',
    schema: { type: 'record', name: 'Other', fields: [{ name: 'name', type: 'string' }] },
  })
  await stray.init()
  return stray
}

test("a reader schema that cannot read the topic's own schema stops the worker under dlq and commits no dead letter, naming the field", async (t) => {
  const { input, output, applicationId } = await setup(t)
  const registry = new MemoryRegistry()
  const writer = INPUT_SCHEMA
  const serializer = new AvroSerializer<Input>({ registry, topic: input, schema: writer })
  await serializer.init()
  // A record of another topic's schema, first on partition 0: bad data, whatever the reader.
  const stray = await strayRecords(registry)
  await produce(
    input,
    [],
    [
      { topic: input, partition: 0, key: Buffer.from('x'), value: stray.serialize({ name: 'x' }) },
      ...inputs(30).map((e, i) => ({
        topic: input,
        partition: i % PARTITIONS,
        key: Buffer.from(e.type),
        value: serializer.serialize(e),
      })),
    ],
  )
  // The reader added a field without a default: it cannot read any record of the topic's schema.
  const reader = { ...writer, fields: [...writer.fields, { name: 'region', type: 'string' }] }
  const worker = startWorker(t, {
    topology: countTopology(applicationId, input, output),
    onBadRecord: 'dlq',
    deserializers: { [input]: new AvroDeserializer({ registry, readerSchema: reader, topic: input }) },
  })
  await worker.start()
  await assert.rejects(worker.done, (error: unknown) => {
    assert.ok(error instanceof FreshetError)
    assert.equal(error.code, 'FRESHET_SCHEMA_INCOMPATIBLE')
    assert.match(
      error.message,
      new RegExp(
        `reader schema Input cannot read schema 1, which is registered under ${input}-value \\(the topic's own schema\\): at Input\\.region: .*a field it adds needs a default`,
      ),
    )
    assert.equal(error.topic, input)
    assert.notEqual(error.offset, undefined)
    assert.equal(error.details?.path, 'Input.region')
    return true
  })
  // The stray record, read before any record of the topic's schema on partition 0, may have been
  // set aside, but nothing was committed: the worker stopped in the transaction.
  assert.deepEqual(await readToSentinel(`${applicationId}.dlq`), [])
})

test('a record of a foreign schema that the reader cannot read is a dead letter, and the worker goes on', async (t) => {
  const { input, output, applicationId } = await setup(t)
  const registry = new MemoryRegistry()
  const writer = INPUT_SCHEMA
  const serializer = new AvroSerializer<Input>({ registry, topic: input, schema: writer })
  await serializer.init()
  const stray = await strayRecords(registry)
  const events = inputs(300)
  await produce(
    input,
    [],
    [
      { topic: input, partition: 0, key: Buffer.from('x'), value: stray.serialize({ name: 'x' }) },
      ...events.map((e, i) => ({
        topic: input,
        partition: i % PARTITIONS,
        key: Buffer.from(e.type),
        value: serializer.serialize(e),
      })),
      ...Array.from({ length: PARTITIONS }, (_, partition) => ({
        topic: input,
        partition,
        key: null,
        value: serializer.serialize({ seq: -1, type: 'end', timestamp: 5_000 }),
      })),
    ],
  )
  const dlqTopic = `${applicationId}.dlq`
  const worker = startWorker(t, {
    topology: countTopology(applicationId, input, output),
    onBadRecord: 'dlq',
    deserializers: { [input]: new AvroDeserializer({ registry, readerSchema: writer, topic: input }) },
  })
  await worker.start()
  const expected = oracle(events, 5_000)
  await awaitRecords(output, expected.length)
  await awaitRecords(dlqTopic, 1)
  const [letter] = await readToSentinel(dlqTopic)
  assert.equal(letter?.headers.get('freshet.dlq.error.code')?.toString(), 'FRESHET_SCHEMA_INCOMPATIBLE')
  assert.match(
    letter?.headers.get('freshet.dlq.error.message')?.toString() ?? '',
    /registered under elsewhere-value/,
  )
  assert.deepEqual(sortCounts(valuesOf<Count>(await readToSentinel(output))), expected)
})

test('late records become dead letters with how late they were and their window', async (t) => {
  const { input, output, applicationId } = await setup(t)
  const dlqTopic = `${applicationId}.dlq`
  // One partition's stream moves the watermark to 5_000; a record at 100 then is late.
  const producer = new KafkaProducer({ bootstrapBrokers: brokers() })
  const record = (timestamp: number, key: string): OutRecord => ({
    topic: input,
    partition: 0,
    key: Buffer.from(key),
    value: Buffer.from(JSON.stringify({ seq: timestamp, type: 'view', timestamp })),
  })
  try {
    await producer.send([record(5_000, 'a')])
  } finally {
    await producer.close()
  }
  const worker = startWorker(t, {
    topology: countTopology(applicationId, input, output),
    idleTimeoutMs: 500,
    onBadRecord: 'fail',
  })
  await worker.start()
  // The two other partitions go idle; the repartition watermark reaches 5_000.
  await waitFor(() =>
    worker.status().tasks.some((task) => task.id.startsWith('1_') && task.watermarkMs >= 5_000),
  )
  const late = new KafkaProducer({ bootstrapBrokers: brokers() })
  try {
    await late.send([record(100, 'late')])
  } finally {
    await late.close()
  }
  await awaitRecords(dlqTopic, 1)
  await worker.stop()
  const letters = await readToSentinel(dlqTopic)
  assert.equal(letters.length, 1, 'one dead letter')
  const [letter] = letters
  assert.equal(letter?.headers.get('freshet.dlq.stage')?.toString(), 'late')
  assert.equal(letter?.headers.get('freshet.dlq.error.code')?.toString(), 'FRESHET_RECORD_LATE')
  assert.equal(letter?.headers.get('freshet.late.window.start.ms')?.toString(), '0')
  assert.equal(letter?.headers.get('freshet.late.window.end.ms')?.toString(), '1000')
  assert.equal(letter?.headers.get('freshet.late.by.ms')?.toString(), '4900')
  assert.equal(JSON.parse(letter?.value?.toString() ?? '{}').timestamp, 100)
  // Its window is counted nowhere: no window closed, and the late record opened none.
  assert.deepEqual(await readToSentinel(output), [])
})

test(
  'a record late before a restart stays late after it: the watermark is committed with the offsets',
  { timeout: 60_000 },
  async (t) => {
    const { input, output, applicationId } = await setup(t)
    const dlqTopic = `${applicationId}.dlq`
    const topology = countTopology(applicationId, input, output)
    const first = inputs(3_000)
    await produce(input, first)
    // Every partition's stream reaches 2_997-2_999: windows before 2_000 close in the first run.
    const w1 = startWorker(t, { topology, workerId: 'w1' })
    await w1.start()
    const early = oracle(first, 2_000)
    await awaitRecords(output, early.length)
    await waitFor(() =>
      w1.status().tasks.some((task) => task.id.startsWith('1_') && task.watermarkMs >= 2_000),
    )
    await w1.stop()
    assert.deepEqual(sortCounts(valuesOf<Count>(await readToSentinel(output))), early)

    // At 500, the record belongs to a window that closed and was written in the first run.
    const late: OutRecord = {
      topic: input,
      partition: 0,
      key: Buffer.from('late'),
      value: Buffer.from(JSON.stringify({ seq: -2, type: 'view', timestamp: 500 })),
    }
    await produce(input, [], [late])
    await closeWindows(input, 10_000)
    const w2 = startWorker(t, { topology, workerId: 'w2', onBadRecord: 'fail' })
    await w2.start()
    const expected = oracle(first, 10_000)
    // The closing records come after the late one in its partition: once every window up to
    // 10_000 is written, the late record has been processed, and the stop commits what was.
    await awaitRecords(dlqTopic, 1)
    await awaitRecords(output, expected.length)
    await w2.stop()
    const letters = await readToSentinel(dlqTopic)
    assert.equal(letters.length, 1, 'one dead letter')
    const [letter] = letters
    assert.equal(letter?.headers.get('freshet.dlq.error.code')?.toString(), 'FRESHET_RECORD_LATE')
    assert.equal(letter?.headers.get('freshet.late.window.start.ms')?.toString(), '0')
    // No second row for the window the late record belongs to: exactly the oracle's rows.
    assert.deepEqual(sortCounts(valuesOf<Count>(await readToSentinel(output))), expected)
  },
)

test('bad input under fail: the worker stops with the error and commits nothing of the batch', async (t) => {
  const { input, output, applicationId } = await setup(t)
  await produce(input, inputs(10), [
    { topic: input, partition: 0, key: Buffer.from('bad'), value: Buffer.from('{not json') },
  ])
  const worker = startWorker(t, { topology: countTopology(applicationId, input, output) })
  await worker.start()
  await assert.rejects(worker.done, { code: 'FRESHET_SERDE_SCHEMA_MISMATCH' })
  assert.equal(worker.state, 'FAILED')
})

test('Avro read by a worker without the avro format fails with a message that says so', async (t) => {
  const { input, output, applicationId } = await setup(t)
  // A Confluent-framed value (magic byte 0, schema id 12) where the worker expects JSON.
  await produce(
    input,
    [],
    [
      {
        topic: input,
        partition: 0,
        key: Buffer.from('k'),
        value: Buffer.from([0, 0, 0, 0, 12, 4, 0x6f, 0x6b]),
      },
    ],
  )
  const worker = startWorker(t, { topology: countTopology(applicationId, input, output) })
  await worker.start()
  await assert.rejects(worker.done, (error: unknown) => {
    assert.equal((error as { code?: string }).code, 'FRESHET_SERDE_SCHEMA_MISMATCH')
    assert.match((error as Error).message, /schema id 12: read it with format 'avro' and a schema registry/)
    return true
  })
})

test('a worker started while the cluster refuses connections waits, then starts and resumes', async (t) => {
  const { input, output, applicationId } = await setup(t)
  const [host, port] = bootstrap().split(':') as [string, string]
  // Only the bootstrap address goes through the proxy: once it answers, the client reaches the
  // broker at the address the broker advertises.
  const proxy = await FaultProxy.start({ target: { host, port: Number(port) } })
  t.after(() => proxy.close())
  await proxy.refuse(true)
  const events: WorkerEvent[] = []
  const worker = new Worker({
    bootstrapBrokers: [proxy.address],
    topology: countTopology(applicationId, input, output),
    maxOutOfOrdernessMs: 0,
    idleTimeoutMs: 60_000,
    onEvent: (event) => events.push(event),
  })
  t.after(() => worker.stop().catch(() => {}))
  const started = worker.start()
  await waitFor(() => events.some((e) => e.type === 'waiting'))
  assert.equal(worker.state, 'STARTING')
  assert.equal(worker.status().waiting?.for, 'kafka')
  await proxy.refuse(false)
  await started
  assert.deepEqual(
    events
      .filter((e) => e.type === 'waiting' || e.type === 'resumed' || e.type === 'started')
      .map((e) => e.type),
    ['waiting', 'resumed', 'started'],
    'one wait, ended by one resume, before the start',
  )
  assert.equal(worker.status().waiting, undefined)
  const events3k = inputs(3_000)
  await produce(input, events3k)
  await closeWindows(input, 5_000)
  const expected = oracle(events3k, 5_000)
  await awaitRecords(output, expected.length)
  await worker.stop()
  assert.deepEqual(sortCounts(valuesOf<Count>(await readToSentinel(output))), expected)
})

async function waitFor(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

test('with format avro, a sink without a schema or serde is refused when the worker is made, naming the fix', () => {
  const topology = countTopology('app-schemaless-sink', 'in', 'out')
  assert.throws(
    () =>
      new Worker({
        bootstrapBrokers: ['127.0.0.1:1'],
        topology,
        format: 'avro',
        registry: new MemoryRegistry(),
      }),
    (error: unknown) => {
      assert.ok(error instanceof FreshetError)
      assert.equal(error.code, 'FRESHET_INVALID_OPTION')
      assert.match(
        error.message,
        /sink sink-out writes out without a schema, and format avro needs one: write it with to\("out", \{ schema \}\) or give it a serde/,
      )
      return true
    },
  )
})

test("results older than the output's retention are reported once; a sink writing processing time is not", async (t) => {
  const input = await randomTopic(t, 'in', PARTITIONS)
  const old = randomName('out-old')
  const fresh = randomName('out-fresh')
  // A day of retention: the inputs' event times (January 1970) are far older.
  await createTopics(t, [
    { topic: old, partitions: PARTITIONS, configs: { 'retention.ms': String(86_400_000) } },
    { topic: fresh, partitions: PARTITIONS, configs: { 'retention.ms': String(86_400_000) } },
  ])
  const applicationId = randomName('app')
  const app = pipeline({ applicationId })
  const counts = app
    .stream<Input>(input)
    .keyBy((e) => e.type, { name: 'by-type' })
    .window(tumbling({ sizeMs: WINDOW_MS }))
    .count({ name: 'counts' })
    .map((r): Count => ({ type: r.key, start: r.window.startMs, count: r.value }))
  counts.to(old)
  counts.to(fresh, { recordTimestamp: 'processing-time' })
  const events = inputs(300)
  await produce(input, events)
  await closeWindows(input, 5_000)
  const expected = oracle(events, 5_000)
  const warnings: WorkerEvent[] = []
  const startedMs = Date.now()
  const worker = startWorker(t, {
    topology: app.build(),
    onEvent: (event) => {
      if (event.type === 'beyond-retention') warnings.push(event)
    },
  })
  await worker.start()
  // Not read back: the broker may delete the records of `old` at any retention check from now on.
  await awaitRecords(fresh, expected.length)
  assert.deepEqual(
    warnings.map((w) => (w.type === 'beyond-retention' ? [w.topic, w.retentionMs] : [])),
    [[old, 86_400_000]],
    'one warning, for the topic written with event time',
  )
  const freshRecords = await readToSentinel(fresh)
  assert.ok(
    freshRecords.every((r) => r.timestampMs >= startedMs),
    'processing time: every record stamped when it was written',
  )
})
