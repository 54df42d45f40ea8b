import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { Admin } from '@platformatic/kafka'
import { FreshetError } from '../../src/errors/index.ts'
import {
  KafkaProducer,
  PartitionReader,
  type InRecord,
  type IsolationLevel,
  type OutRecord,
  type PartitionReaderOptions,
} from '../../src/kafka/index.ts'
import {
  brokers,
  createTopics,
  randomName,
  randomTopic,
  testProducer,
  testTransactional,
} from '../helpers/kafka.ts'

function reader(
  t: TestContext,
  options: Omit<PartitionReaderOptions, 'bootstrapBrokers'> = {},
): PartitionReader {
  const r = new PartitionReader({ bootstrapBrokers: brokers(), ...options })
  t.after(() => r.close())
  return r
}

/** Every batch a read yields, each checked to be non-empty. */
async function readBatches(
  r: PartitionReader,
  topic: string,
  partition: number,
  fromOffset: bigint,
  toOffset: bigint,
): Promise<InRecord[][]> {
  const batches: InRecord[][] = []
  for await (const batch of r.read(topic, partition, fromOffset, toOffset)) {
    assert.ok(batch.length > 0, 'a yielded batch is never empty')
    batches.push(batch)
  }
  return batches
}

async function readAll(
  r: PartitionReader,
  topic: string,
  partition: number,
  fromOffset: bigint,
  toOffset: bigint,
): Promise<InRecord[]> {
  return (await readBatches(r, topic, partition, fromOffset, toOffset)).flat()
}

/** A record's content in a form deepEqual compares whole. */
function view(r: InRecord): Record<string, unknown> {
  return {
    topic: r.topic,
    partition: r.partition,
    offset: r.offset,
    timestampMs: r.timestampMs,
    key: r.key?.toString() ?? null,
    value: r.value?.toString() ?? null,
    headers: Object.fromEntries([...r.headers].map(([k, v]) => [k, v.toString()])),
  }
}

function offsets(records: InRecord[]): bigint[] {
  return records.map((r) => r.offset)
}

function valuesOf(records: InRecord[]): Array<string | null> {
  return records.map((r) => r.value?.toString() ?? null)
}

const BASE_TIMESTAMP_MS = 1_700_000_000_000
/** Makes five records a batch of about 1 KiB, so that a fetch of 1 KiB returns one batch. */
const PADDING = 'x'.repeat(150)

/** Record `i` of partition `p`: key, value, two headers and a timestamp that all name it. */
function numbered(topic: string, p: number, i: number): OutRecord {
  return {
    topic,
    partition: p,
    key: Buffer.from(`k${p}-${i}`),
    value: Buffer.from(`v${p}-${i}`),
    headers: { seq: String(i), origin: `p${p}`, padding: PADDING },
    timestampMs: BASE_TIMESTAMP_MS + p * 1_000 + i,
  }
}

function expected(topic: string, p: number, from: number, to: number): Array<Record<string, unknown>> {
  return Array.from({ length: to - from }, (_, n) => {
    const i = from + n
    return {
      topic,
      partition: p,
      offset: BigInt(i),
      timestampMs: BASE_TIMESTAMP_MS + p * 1_000 + i,
      key: `k${p}-${i}`,
      value: `v${p}-${i}`,
      headers: { seq: String(i), origin: `p${p}`, padding: PADDING },
    }
  })
}

test('options are validated: an unknown key or a bad isolation level is refused', () => {
  assert.throws(
    () =>
      new PartitionReader({ bootstrapBrokers: ['localhost:9092'], groupId: 'g' } as PartitionReaderOptions),
    (e: unknown) =>
      e instanceof FreshetError && e.code === 'FRESHET_INVALID_OPTION' && /"groupId"/.test(e.message),
  )
  assert.throws(
    () =>
      new PartitionReader({
        bootstrapBrokers: ['localhost:9092'],
        isolationLevel: 'snapshot' as IsolationLevel,
      }),
    (e: unknown) => e instanceof FreshetError && e.code === 'FRESHET_INVALID_OPTION',
  )
})

test('reads exactly the records of one partition of a multi-partition topic, in order, with their contents', async (t) => {
  const topic = await randomTopic(t, 'pr-range', 3)
  const producer = testProducer(t)
  // Four sends per partition, so the log holds several record batches.
  for (let round = 0; round < 4; round++) {
    await producer.send(
      [0, 1, 2].flatMap((p) => Array.from({ length: 5 }, (_, j) => numbered(topic, p, round * 5 + j))),
    )
  }
  const r = reader(t)
  assert.deepEqual(
    await r.endOffsets(topic, [0, 1, 2]),
    new Map([
      [0, 20n],
      [1, 20n],
      [2, 20n],
    ]),
  )
  assert.deepEqual(await r.startOffsets(topic, [1]), new Map([[1, 0n]]))

  const records = await readAll(r, topic, 1, 0n, 20n)
  assert.deepEqual(records.map(view), expected(topic, 1, 0, 20))

  // A fetch of at most 1 KiB returns about one batch: the read takes several fetches and yields
  // each as it comes, with the same records.
  const small = reader(t, { maxBytesPerPartition: 1024 })
  const batches = await readBatches(small, topic, 2, 0n, 20n)
  assert.ok(batches.length >= 2, `several batches, got ${batches.length}`)
  assert.deepEqual(batches.flat().map(view), expected(topic, 2, 0, 20))
})

test('a read from the middle of a record batch to the middle of another returns just that range', async (t) => {
  const topic = await randomTopic(t, 'pr-middle', 2)
  const producer = testProducer(t)
  // One send of ten per partition and then another: offsets 0-9 and 10-19 are one batch each.
  for (let round = 0; round < 2; round++) {
    await producer.send(
      [0, 1].flatMap((p) => Array.from({ length: 10 }, (_, j) => numbered(topic, p, round * 10 + j))),
    )
  }
  const r = reader(t)
  assert.deepEqual((await readAll(r, topic, 0, 7n, 13n)).map(view), expected(topic, 0, 7, 13))
  assert.deepEqual((await readAll(r, topic, 1, 3n, 4n)).map(view), expected(topic, 1, 3, 4))
  assert.deepEqual((await readAll(r, topic, 1, 19n, 20n)).map(view), expected(topic, 1, 19, 20))
})

test('read_committed: committed records up to the last stable offset; aborted and open transactions and markers are not yielded', async (t) => {
  const topic = await randomTopic(t, 'pr-txn', 1)
  const plain = testProducer(t)
  const producer = testTransactional(t)
  const other = testTransactional(t)
  await Promise.all([producer.init(), other.init()])
  const values = (tag: string, count: number): OutRecord[] =>
    Array.from({ length: count }, (_, i) => ({ topic, partition: 0, value: Buffer.from(`${tag}${i}`) }))

  const committed = reader(t)
  const uncommitted = reader(t, { isolationLevel: 'read_uncommitted' })
  // commit() and abort() resolve once the coordinator has decided, before the markers are in the
  // partition; a plain producer could write ahead of a marker. The marker is in once the high
  // watermark covers it.
  const markerWritten = async (highWatermark: bigint): Promise<void> => {
    const deadline = Date.now() + 15_000
    while ((await uncommitted.endOffsets(topic, [0])).get(0)! < highWatermark) {
      if (Date.now() > deadline) throw new Error(`no marker at ${highWatermark - 1n} after 15 s`)
      await sleep(20)
    }
  }

  // Log layout (M = transaction marker):
  //   0-1 plain | 2-4 committed, 5 M | 6-8 aborted, 9 M | 10 plain | 11-12 committed, 13 M | 14-15 open
  await plain.send(values('p', 2))
  await producer.begin()
  await producer.send(values('c', 3))
  await producer.commit()
  await markerWritten(6n)
  await producer.begin()
  await producer.send(values('a', 3))
  await producer.abort()
  await markerWritten(10n)
  await plain.send(values('q', 1))
  await producer.begin()
  await producer.send(values('d', 2))
  await producer.commit()
  await markerWritten(14n)
  await other.begin()
  await other.send(values('o', 2))

  // The open transaction holds the last stable offset at its first record.
  assert.deepEqual(await committed.endOffsets(topic, [0]), new Map([[0, 14n]]))
  assert.deepEqual(await uncommitted.endOffsets(topic, [0]), new Map([[0, 16n]]))

  const seen = await readAll(committed, topic, 0, 0n, 14n)
  assert.deepEqual(valuesOf(seen), ['p0', 'p1', 'c0', 'c1', 'c2', 'q0', 'd0', 'd1'])
  assert.deepEqual(offsets(seen), [0n, 1n, 2n, 3n, 4n, 10n, 11n, 12n])

  // read_uncommitted sees the aborted and the open records, never a marker.
  const everything = await readAll(uncommitted, topic, 0, 0n, 16n)
  assert.deepEqual(valuesOf(everything), [
    'p0',
    'p1',
    'c0',
    'c1',
    'c2',
    'a0',
    'a1',
    'a2',
    'q0',
    'd0',
    'd1',
    'o0',
    'o1',
  ])
  assert.deepEqual(offsets(everything), [0n, 1n, 2n, 3n, 4n, 6n, 7n, 8n, 10n, 11n, 12n, 14n, 15n])

  // A range that ends on a marker or begins inside the aborted transaction yields only what is
  // committed in it.
  assert.deepEqual(valuesOf(await readAll(committed, topic, 0, 5n, 10n)), [])
  assert.deepEqual(valuesOf(await readAll(committed, topic, 0, 7n, 12n)), ['q0', 'd0'])

  // Once the open transaction commits, the read goes on from where the last one stopped.
  await other.commit()
  await markerWritten(17n)
  assert.deepEqual(await committed.endOffsets(topic, [0]), new Map([[0, 17n]]))
  const rest = await readAll(committed, topic, 0, 14n, 17n)
  assert.deepEqual(valuesOf(rest), ['o0', 'o1'])
  assert.deepEqual(offsets(rest), [14n, 15n])
})

test('settledEndOffset waits for the transactions already written to the partition, not for later ones', async (t) => {
  const topic = await randomTopic(t, 'pr-settle', 1)
  const first = testTransactional(t)
  const later = testTransactional(t)
  await Promise.all([first.init(), later.init()])
  const values = (tag: string, count: number): OutRecord[] =>
    Array.from({ length: count }, (_, i) => ({ topic, partition: 0, value: Buffer.from(`${tag}${i}`) }))
  const committed = reader(t)

  // Log layout: 0-1 first's transaction, then 2-3 later's (begun after the call), then markers.
  await first.begin()
  await first.send(values('f', 2))

  // Undecided for longer than the limit: a retriable failure that names the partition.
  await assert.rejects(committed.settledEndOffset(topic, 0, 300), (error: unknown) => {
    assert.ok(error instanceof FreshetError)
    assert.equal(error.code, 'FRESHET_KAFKA_ERROR')
    assert.equal(error.retriable, true)
    assert.match(error.message, /stayed undecided for 300 ms \(last stable offset 0, high watermark 2\)/)
    return true
  })

  let settled: bigint | undefined
  const waiting = committed.settledEndOffset(topic, 0, 30_000).then((end) => (settled = end))
  await sleep(300)
  await later.begin()
  await later.send(values('l', 2))
  await sleep(300)
  assert.equal(settled, undefined, 'the first transaction is still undecided')

  // Once the first transaction commits, its records are below the end; the later one, still open,
  // holds the last stable offset at its first record without holding the wait.
  await first.commit()
  assert.equal(await waiting, 2n)
  assert.deepEqual(valuesOf(await readAll(committed, topic, 0, 0n, 2n)), ['f0', 'f1'])

  await later.commit()
  assert.ok((await committed.settledEndOffset(topic, 0, 30_000)) >= 5n, 'the later transaction is decided')

  // read_uncommitted ends at the high watermark, with nothing to wait for.
  await later.begin()
  await later.send(values('o', 1))
  const uncommitted = reader(t, { isolationLevel: 'read_uncommitted' })
  const highWatermark = (await uncommitted.endOffsets(topic, [0])).get(0) as bigint
  assert.equal(await uncommitted.settledEndOffset(topic, 0, 300), highWatermark)
  await later.abort()
})

test('read_committed hides several aborted transactions spread over many fetches', async (t) => {
  const topic = await randomTopic(t, 'pr-aborts', 1)
  const producer = testTransactional(t)
  await producer.init()
  const padding = 'x'.repeat(400)
  const kept: string[] = []
  for (let round = 0; round < 6; round++) {
    const commit = round % 2 === 1
    await producer.begin()
    for (let i = 0; i < 3; i++) {
      const value = `${commit ? 'c' : 'a'}${round}.${i}`
      await producer.send([{ topic, partition: 0, value: Buffer.from(value), headers: { padding } }])
      if (commit) kept.push(value)
    }
    await (commit ? producer.commit() : producer.abort())
  }
  for (const maxBytesPerPartition of [1024, 4 * 1024 * 1024]) {
    const r = reader(t, { maxBytesPerPartition })
    // Once every marker is written (commit() and abort() return before): six transactions of three
    // records and a marker each.
    const end = await r.settledEndOffset(topic, 0, 15_000)
    assert.equal(end, 24n)
    assert.deepEqual(
      valuesOf(await readAll(r, topic, 0, 0n, end)),
      kept,
      `maxBytesPerPartition ${maxBytesPerPartition}`,
    )
  }
})

test('tombstones come through with a null value', async (t) => {
  const topic = await randomTopic(t, 'pr-tombstone', 1)
  await testProducer(t).send([
    { topic, partition: 0, key: Buffer.from('a'), value: Buffer.from('1') },
    { topic, partition: 0, key: Buffer.from('a'), value: null },
    { topic, partition: 0, key: Buffer.from('b'), value: Buffer.alloc(0) },
    { topic, partition: 0, key: null, value: Buffer.from('keyless') },
  ])
  const records = await readAll(reader(t), topic, 0, 0n, 4n)
  assert.deepEqual(
    records.map((r) => [r.key?.toString() ?? null, r.value === null ? null : r.value.toString()]),
    [
      ['a', '1'],
      ['a', null],
      ['b', ''],
      [null, 'keyless'],
    ],
  )
  assert.equal(records[1]!.value, null)
  assert.ok(Buffer.isBuffer(records[2]!.value), 'an empty value is an empty buffer, not a tombstone')
})

test('under LogAppendTime a record carries the time the broker appended it, not the one it was sent with', async (t) => {
  const topic = randomName('pr-append-time')
  await createTopics(t, [{ topic, configs: { 'message.timestamp.type': 'LogAppendTime' } }])
  const sentAtMs = Date.now()
  await testProducer(t).send([0, 1, 2].map((i) => numbered(topic, 0, i)))
  const records = await readAll(reader(t), topic, 0, 0n, 3n)
  assert.deepEqual(offsets(records), [0n, 1n, 2n])
  for (const r of records) {
    assert.notEqual(r.timestampMs, BASE_TIMESTAMP_MS + Number(r.offset))
    assert.ok(r.timestampMs >= sentAtMs - 60_000, `append time ${r.timestampMs}, sent at ${sentAtMs}`)
  }
  // One batch, one append time.
  assert.equal(new Set(records.map((r) => r.timestampMs)).size, 1)
})

test('a read from below the log start begins at the log start', async (t) => {
  const topic = await randomTopic(t, 'pr-logstart', 1)
  await testProducer(t).send(Array.from({ length: 10 }, (_, i) => numbered(topic, 0, i)))
  const admin = new Admin({ clientId: 'freshet-test', bootstrapBrokers: brokers() })
  t.after(() => admin.close())
  // The log start moves into the middle of the one batch holding offsets 0-9.
  await admin.deleteRecords({ topics: [{ name: topic, partitions: [{ partition: 0, offset: 4n }] }] })

  const r = reader(t)
  assert.deepEqual(await r.startOffsets(topic, [0]), new Map([[0, 4n]]))
  assert.deepEqual((await readAll(r, topic, 0, 0n, 10n)).map(view), expected(topic, 0, 4, 10))
  assert.deepEqual((await readAll(r, topic, 0, 2n, 7n)).map(view), expected(topic, 0, 4, 7))
  assert.deepEqual((await readAll(r, topic, 0, 6n, 10n)).map(view), expected(topic, 0, 6, 10))
  // A range wholly below the log start holds nothing any more.
  assert.deepEqual(await readAll(r, topic, 0, 0n, 3n), [])
})

test('an empty range yields nothing', async (t) => {
  const topic = await randomTopic(t, 'pr-empty', 2)
  await testProducer(t).send(Array.from({ length: 5 }, (_, i) => numbered(topic, 0, i)))
  const r = reader(t)
  assert.deepEqual(
    await r.endOffsets(topic, [0, 1]),
    new Map([
      [0, 5n],
      [1, 0n],
    ]),
  )
  assert.deepEqual(
    await r.startOffsets(topic, [0, 1]),
    new Map([
      [0, 0n],
      [1, 0n],
    ]),
  )
  assert.deepEqual(await readBatches(r, topic, 0, 3n, 3n), [])
  assert.deepEqual(await readBatches(r, topic, 0, 5n, 5n), [])
  assert.deepEqual(await readBatches(r, topic, 0, 4n, 2n), [])
  // An empty partition read up to its end offset.
  assert.deepEqual(await readBatches(r, topic, 1, 0n, 0n), [])
  assert.deepEqual(await r.endOffsets(topic, []), new Map())
})

test('a read past the end of the log fails with OFFSET_OUT_OF_RANGE', async (t) => {
  const topic = await randomTopic(t, 'pr-past-end', 1)
  await testProducer(t).send(Array.from({ length: 3 }, (_, i) => numbered(topic, 0, i)))
  const r = reader(t)
  await assert.rejects(readAll(r, topic, 0, 10n, 20n), (e: unknown) => {
    assert.ok(e instanceof FreshetError)
    assert.equal(e.code, 'FRESHET_KAFKA_ERROR')
    assert.equal(e.partition, 0)
    assert.equal(e.offset, '10')
    assert.deepEqual(e.details, { reason: 'OFFSET_OUT_OF_RANGE', logStartOffset: 0n, highWatermark: 3n })
    return true
  })
  await assert.rejects(readAll(r, topic, 5, 0n, 1n), (e: unknown) => {
    assert.ok(e instanceof FreshetError)
    assert.equal(e.details?.reason, 'UNKNOWN_PARTITION')
    return true
  })
})

test('concurrent reads of several partitions through one reader each get their own records', async (t) => {
  const topic = await randomTopic(t, 'pr-concurrent', 3)
  const producer = testProducer(t)
  for (let round = 0; round < 5; round++) {
    await producer.send(
      [0, 1, 2].flatMap((p) => Array.from({ length: 6 }, (_, j) => numbered(topic, p, round * 6 + j))),
    )
  }
  const r = reader(t, { maxBytesPerPartition: 1024 })
  const results = await Promise.all([0, 1, 2].map((p) => readAll(r, topic, p, 0n, 30n)))
  for (const p of [0, 1, 2])
    assert.deepEqual(results[p]!.map(view), expected(topic, p, 0, 30), `partition ${p}`)
})

test('a closed reader refuses to read', async (t) => {
  const topic = await randomTopic(t, 'pr-closed', 1)
  const r = new PartitionReader({ bootstrapBrokers: brokers() })
  await r.close()
  await r.close()
  await assert.rejects(
    readAll(r, topic, 0, 0n, 1n),
    (e: unknown) => e instanceof FreshetError && e.code === 'FRESHET_INVALID_STATE',
  )
  await assert.rejects(
    r.endOffsets(topic, [0]),
    (e: unknown) => e instanceof FreshetError && e.code === 'FRESHET_INVALID_STATE',
  )
})

/** Sockets and timers alive in this process, by kind. */
function liveHandles(): Map<string, number> {
  const counts = new Map<string, number>()
  for (const kind of process.getActiveResourcesInfo()) {
    if (kind === 'TCPSocketWrap' || kind === 'Timeout') counts.set(kind, (counts.get(kind) ?? 0) + 1)
  }
  return counts
}

test('closing the reader ends a read that waits for data, and leaves no socket or timer behind', async (t) => {
  const topic = await randomTopic(t, 'pr-close', 1)
  const producer = new KafkaProducer({ bootstrapBrokers: brokers() })
  await producer.send([numbered(topic, 0, 0)])
  await producer.close()
  const before = liveHandles()

  const r = new PartitionReader({ bootstrapBrokers: brokers(), maxWaitMs: 200 })
  const seen: InRecord[] = []
  // toOffset 100 is far past the end: after offset 0 the read waits for records that never come.
  const reading = (async () => {
    for await (const batch of r.read(topic, 0, 0n, 100n)) seen.push(...batch)
  })()
  const deadline = Date.now() + 15_000
  while (seen.length === 0 && Date.now() < deadline) await sleep(20)
  await r.close()
  await assert.rejects(reading, (e: unknown) => {
    assert.ok(e instanceof FreshetError)
    assert.equal(e.code, 'FRESHET_INVALID_STATE')
    assert.equal(e.offset, '1')
    return true
  })
  assert.deepEqual(seen.map(view), expected(topic, 0, 0, 1))
  assert.deepEqual(liveHandles(), before)
})

test('a read of a topic that does not exist fails', async (t) => {
  const r = reader(t, { retries: 0 })
  await assert.rejects(
    readAll(r, randomName('pr-missing'), 0, 0n, 1n),
    (e: unknown) => e instanceof FreshetError && e.code === 'FRESHET_KAFKA_ERROR' && e.topic !== undefined,
  )
})
