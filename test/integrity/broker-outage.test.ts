// Workers wait out a broker that is down for longer than every timeout they have (request,
// session, retries), and carry on by themselves once it is back, with results exactly once.
// Root cause of the defect this guards against: the clients gave up after a few retries of a
// fraction of a second each, and the worker treated their failure as fatal, so a broker restart of
// 10 s or more stopped every worker with FRESHET_KAFKA_UNREACHABLE.
//
// Two exactly-once worker processes run a windowed aggregation through a repartition topic over
// sequence-numbered input while the broker is killed with SIGKILL and kept down for
// FRESHET_OUTAGE_MS (25 s by default), twice. The oracles: no worker exits; every worker reports
// the wait and the resume (the faults did happen); every window result once, equal to its closed
// form, in order per partition; nothing left in an open transaction.
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import {
  CommittedReader,
  createTopics,
  note,
  RestartableBroker,
  SequenceProducer,
  WorkerProcess,
} from './harness.ts'
import { assertExactlyOnce, assertNoOpenTransaction, distinctWindows } from './oracles.ts'
import { oracle, WINDOW_MS } from './topology.ts'

const COUNT = Number(process.env.FRESHET_OUTAGE_COUNT ?? 60_000)
const OUTAGE_MS = Number(process.env.FRESHET_OUTAGE_MS ?? 25_000)
const PARTITIONS = 6
const END_MS = COUNT + 2 * WINDOW_MS
const RUN_TIMEOUT_MS = 300_000

let broker: RestartableBroker
let stateRoot: string

before(async () => {
  broker = await RestartableBroker.start()
  stateRoot = await mkdtemp(join(tmpdir(), 'freshet-outage-state-'))
})

after(async () => {
  await broker?.stop()
  await rm(stateRoot, { recursive: true, force: true })
})

test(`exactly-once: two broker outages of ${OUTAGE_MS / 1000} s are waited out; no worker exits and nothing changes`, async () => {
  const name = `outage-${Date.now() % 1_000_000}`
  const input = `${name}-in`
  const output = `${name}-out`
  await createTopics(broker.bootstrap, [
    { topic: input, partitions: PARTITIONS },
    { topic: output, partitions: PARTITIONS },
  ])
  const reader = new CommittedReader(broker.bootstrap, output, `${name}-reader`)
  await reader.start()
  const workers = ['a', 'b'].map(
    (workerId) =>
      new WorkerProcess({
        bootstrap: broker.bootstrap,
        applicationId: `${name}-app`,
        input,
        output,
        workerId,
        guarantee: 'exactly-once',
        stateDir: join(stateRoot, workerId),
        maxBatchRecords: 2_000,
      }),
  )
  const exits: Array<{ workerId: string; code: number | null }> = []
  for (const w of workers) void w.exited.then((code) => exits.push({ workerId: w.config.workerId, code }))
  const producer = new SequenceProducer(broker.bootstrap, input)
  const outages = [Math.floor(COUNT * 0.3), Math.floor(COUNT * 0.65)]
  let outage: Promise<void> = Promise.resolve()
  const windows: Array<{ downMs: number; upMs: number }> = []
  try {
    for (const w of workers) {
      await reader.waitFor(
        () => w.events.some((e) => e.type === 'assigned'),
        120_000,
        `worker ${w.config.workerId}`,
      )
    }
    const chunk = 1_000
    await producer.run(COUNT, chunk, 300, async (produced) => {
      if (outages.length > 0 && (outages[0] as number) <= produced) {
        outages.shift()
        await outage
        outage = (async () => {
          await producer.pause()
          note(`broker kill -9, down for ${OUTAGE_MS} ms`)
          const downMs = Date.now()
          await broker.kill()
          await sleep(OUTAGE_MS)
          windows.push({ downMs, upMs: Date.now() })
          await broker.restart()
          note('broker back')
          producer.resume()
        })()
      }
    })
    await outage
    await producer.closeWindows(PARTITIONS, END_MS)
    const expected = oracle(COUNT, END_MS)
    await reader.waitFor(
      () => {
        assert.deepEqual(exits, [], 'no worker exited')
        return distinctWindows(reader.records) >= expected.length
      },
      RUN_TIMEOUT_MS,
      `${expected.length} window results`,
    )

    // The faults did happen: in each outage some worker found Kafka unreachable and waited, and
    // every wait ended in a resume; no worker failed.
    const waits = workers.flatMap((w) => w.events.filter((e) => e.type === 'waiting' && e.for === 'kafka'))
    for (const { downMs, upMs } of windows) {
      assert.ok(
        waits.some((e) => (e.receivedMs as number) >= downMs && (e.receivedMs as number) <= upMs),
        `a worker began to wait for Kafka during the outage from ${downMs} to ${upMs}`,
      )
    }
    for (const w of workers) {
      const waited = w.events.filter((e) => e.type === 'waiting' && e.for === 'kafka').length
      const resumed = w.events.filter((e) => e.type === 'resumed' && e.for === 'kafka').length
      assert.equal(resumed, waited, `worker ${w.config.workerId} resumed after every wait`)
      assert.equal(w.failed, undefined, `worker ${w.config.workerId} did not fail`)
    }
    for (const w of workers) assert.equal(await w.stop(), 0, `worker ${w.config.workerId} stops cleanly`)

    await assertNoOpenTransaction(broker.bootstrap, reader, output, PARTITIONS)
    assertExactlyOnce(reader.records, expected)
  } finally {
    await producer.close().catch(() => {})
    await reader.close().catch(() => {})
    await Promise.all(workers.map((w) => w.killHard()))
  }
})
