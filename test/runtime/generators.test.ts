// Generated sources against the real broker: a worker writes a generator's rows into the topic it
// reads, row i at offset i. A bounded generator's job reads every row once, closes every window and
// stops by itself; a second run of the application writes no row again. An unbounded generator
// runs on whichever worker holds its topic's task and goes on from the topic's end when the task
// moves: through a second worker joining and the first leaving, no row is written twice or
// skipped, and with exactly-once each reaches the output once.
import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { Worker, type SourceGenerator, type WorkerEvent } from '../../src/runtime/index.ts'
import { pipeline } from '../../src/stream/index.ts'
import { awaitRecords, brokers, randomName, randomTopic, readToEnd } from '../helpers/kafka.ts'
import { countTopology, inputs, oracle, sortCounts, TYPES, type Count, type Input } from './counts.ts'

/** Row i: the input of the runtime's windowed count (event time i ms). */
function countInputs(topic: string, rows: number | undefined, rowsPerSecond: number): SourceGenerator {
  return {
    topic,
    rows,
    rowsPerSecond,
    row: (seq) => ({
      value: Buffer.from(JSON.stringify({ seq, type: TYPES[seq % TYPES.length], timestamp: seq })),
    }),
  }
}

function seqs(records: ReadonlyArray<{ value: Buffer | null }>): number[] {
  return records.map((r) => (JSON.parse((r.value as Buffer).toString('utf8')) as Input).seq)
}

/** Every row of the generated topic is at the offset of its index. */
async function assertRowAtItsOffset(topic: string): Promise<number> {
  const records = await readToEnd(topic)
  records.forEach((record, i) => {
    assert.equal(record.offset, BigInt(i))
    assert.equal(seqs([record])[0], i)
  })
  return records.length
}

function startWorker(
  t: TestContext,
  options: ConstructorParameters<typeof Worker>[0],
): { worker: Worker; events: WorkerEvent[] } {
  const events: WorkerEvent[] = []
  const worker = new Worker({ ...options, onEvent: (event) => events.push(event) })
  t.after(() => worker.stop().catch(() => {}))
  return { worker, events }
}

test('a bounded generator: its job reads every row once, closes every window, stops; a second run writes nothing', async (t) => {
  const output = await randomTopic(t, 'generated-out', 1)
  const applicationId = randomName('generated')
  const generated = `${applicationId}-datagen-rows`
  const rows = 5_000
  const options = {
    bootstrapBrokers: brokers(),
    topology: countTopology(applicationId, generated, output),
    workerId: 'w1',
    maxOutOfOrdernessMs: 0,
    idleTimeoutMs: Infinity,
    generators: [countInputs(generated, rows, 1_000_000)],
  }
  const first = startWorker(t, options)
  await first.worker.start()
  await first.worker.done
  assert.ok(first.events.some((e) => e.type === 'finished'))
  assert.equal(await assertRowAtItsOffset(generated), rows)
  const counts = (await readToEnd(output)).map(
    (r) => JSON.parse((r.value as Buffer).toString('utf8')) as Count,
  )
  assert.deepEqual(sortCounts(counts), oracle(inputs(rows)))

  const second = startWorker(t, options)
  await second.worker.start()
  await second.worker.done
  assert.equal(await assertRowAtItsOffset(generated), rows)
  assert.equal((await readToEnd(output)).length, counts.length)
})

test('an unbounded generator moves with its task: through a worker joining and leaving, every row once', async (t) => {
  const output = await randomTopic(t, 'generated-pass', 1)
  const applicationId = randomName('generated-moves')
  const generated = `${applicationId}-datagen-rows`
  const app = pipeline({ applicationId })
  app.stream<Input>(generated).to(output)
  const options = {
    bootstrapBrokers: brokers(),
    topology: app.build(),
    processingGuarantee: 'exactly-once' as const,
    generators: [countInputs(generated, undefined, 2_000)],
  }
  const a = startWorker(t, { ...options, workerId: 'a' })
  await a.worker.start()
  await awaitRecords(generated, 1_000, { isolationLevel: 'read_uncommitted' })
  const b = startWorker(t, { ...options, workerId: 'b' })
  await b.worker.start()
  await awaitRecords(generated, 3_000, { isolationLevel: 'read_uncommitted' })
  // Whichever worker held the generator, the other one takes it over now.
  await a.worker.stop()
  const atStop = await assertRowAtItsOffset(generated)
  await awaitRecords(generated, atStop + 1_000, { isolationLevel: 'read_uncommitted' })
  await b.worker.stop()

  const written = await assertRowAtItsOffset(generated)
  assert.ok(written >= atStop + 1_000)
  const passed = seqs(await readToEnd(output)).sort((x, y) => x - y)
  // Each row read reaches the output once; what was read is a prefix of what was written.
  assert.ok(passed.length > 3_000, `${passed.length} rows passed`)
  assert.deepEqual(
    passed,
    Array.from({ length: passed.length }, (_, i) => i),
  )
  for (const { events } of [a, b]) {
    assert.equal(events.filter((e) => e.type === 'generator-retry').length, 0)
  }
})
