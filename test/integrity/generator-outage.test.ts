// A generated source (SQL's datagen) through a broker outage: a bounded generator of 20,000 rows at
// 1,000 rows a second feeds an exactly-once worker; the broker is killed with SIGKILL mid-run and
// kept down for FRESHET_OUTAGE_MS (25 s by default). The oracles: the worker waits the outage out
// and ends by itself without a failure; afterwards the generated topic holds row i at offset i for
// every row, each once, and the output each row once.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { PartitionReader, type InRecord } from '../../src/kafka/index.ts'
import { Worker, type WorkerEvent } from '../../src/runtime/index.ts'
import { pipeline } from '../../src/stream/index.ts'
import { fromRecordTimestamp } from '../../src/time/index.ts'
import { createTopics, note, RestartableBroker } from './harness.ts'

const ROWS = 20_000
const ROWS_PER_SECOND = 1_000
const OUTAGE_MS = Number(process.env.FRESHET_OUTAGE_MS ?? 25_000)

let broker: RestartableBroker

before(async () => {
  broker = await RestartableBroker.start()
})

after(async () => {
  await broker?.stop()
})

async function readAll(topic: string): Promise<InRecord[]> {
  const reader = new PartitionReader({
    bootstrapBrokers: [broker.bootstrap],
    isolationLevel: 'read_committed',
  })
  try {
    const end = (await reader.endOffsets(topic, [0])).get(0) as bigint
    const records: InRecord[] = []
    for await (const batch of reader.read(topic, 0, 0n, end)) records.push(...batch)
    return records
  } finally {
    await reader.close()
  }
}

function rowOf(record: InRecord): number {
  return (JSON.parse((record.value as Buffer).toString('utf8')) as { row: number }).row
}

test(`a generated source waits out a broker outage of ${OUTAGE_MS / 1000} s: every row once, at its offset`, async () => {
  const name = `generated-outage-${Date.now() % 1_000_000}`
  const generated = `${name}-datagen-rows`
  const output = `${name}-out`
  await createTopics(broker.bootstrap, [{ topic: output, partitions: 1 }])
  const app = pipeline({ applicationId: name })
  app.stream<{ row: number }>(generated, { timestamp: fromRecordTimestamp() }).to(output)
  const events: WorkerEvent[] = []
  const worker = new Worker({
    bootstrapBrokers: [broker.bootstrap],
    topology: app.build(),
    processingGuarantee: 'exactly-once',
    workerId: 'w1',
    generators: [
      {
        topic: generated,
        rows: ROWS,
        rowsPerSecond: ROWS_PER_SECOND,
        row: (row) => ({ value: Buffer.from(JSON.stringify({ row })) }),
      },
    ],
    onEvent: (event) => events.push(event),
  })
  await worker.start()
  try {
    await sleep(5_000)
    note(`broker kill -9, down for ${OUTAGE_MS} ms`)
    await broker.kill()
    await sleep(OUTAGE_MS)
    await broker.restart()
    note('broker back')
    await worker.done
  } finally {
    await worker.stop()
  }
  assert.equal(worker.status().failure, undefined)
  assert.ok(events.some((e) => e.type === 'finished'))
  assert.ok(
    events.some((e) => e.type === 'waiting'),
    'the worker saw the outage',
  )

  const written = await readAll(generated)
  assert.equal(written.length, ROWS)
  written.forEach((record, i) => {
    assert.equal(record.offset, BigInt(i))
    assert.equal(rowOf(record), i)
  })
  const passed = (await readAll(output)).map(rowOf)
  assert.equal(passed.length, ROWS)
  assert.deepEqual(
    passed,
    Array.from({ length: ROWS }, (_, i) => i),
  )
})
