// The integrity suite (issue: "exactly-once means proven"). A windowed aggregation through a
// repartition topic runs over 100,000 sequence-numbered records on 6 partitions while the suite
// kills workers with SIGKILL, restarts the broker and adds a worker (a rebalance); once written with
// the DSL, once as a Flink SQL file planned onto the same engine. A read_committed
// reader collects the output during the run. The oracles:
//   - exactly-once: every window result appears exactly once and equals its closed form; per
//     output partition each group's windows come in order; a marker written after the run is
//     read back, so no transaction was left open; a straight run gives identical results;
//   - at-least-once: no window result is missing.
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import type { InRecord } from '../../src/kafka/index.ts'
import { Worker } from '../../src/runtime/index.ts'
import {
  CommittedReader,
  createTopics,
  note,
  random,
  RestartableBroker,
  SequenceProducer,
  WorkerProcess,
  type WorkerConfig,
} from './harness.ts'
import {
  assertAtLeastOnce,
  assertExactlyOnce,
  assertNoOpenTransaction,
  distinctWindows,
  parseWindow,
  windowResults,
} from './oracles.ts'
import { byWindow, integrityTopology, oracle, WINDOW_MS } from './topology.ts'

const COUNT = Number(process.env.FRESHET_INTEGRITY_COUNT ?? 100_000)
const PARTITIONS = 6
const END_MS = COUNT + 2 * WINDOW_MS
const RUN_TIMEOUT_MS = 240_000
const PRODUCE_MS = 40_000

async function waitUntil(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

let broker: RestartableBroker
let stateRoot: string

before(async () => {
  broker = await RestartableBroker.start()
  stateRoot = await mkdtemp(join(tmpdir(), 'freshet-integrity-state-'))
})

after(async () => {
  await broker?.stop()
  await rm(stateRoot, { recursive: true, force: true })
})

interface FaultedRun {
  records: InRecord[]
  workers: WorkerProcess[]
}

/**
 * Runs the pipeline in worker processes while producing, with the faults at seeded points:
 * a second worker joins, kill -9 of a worker (three times under exactly-once), a broker restart.
 */
async function faultedRun(
  name: string,
  guarantee: WorkerConfig['guarantee'],
  kills: number,
  seed: number,
  sql = false,
): Promise<FaultedRun> {
  const applicationId = `${name}-app`
  const input = `${name}-in`
  const output = `${name}-out`
  await createTopics(broker.bootstrap, [
    { topic: input, partitions: PARTITIONS },
    { topic: output, partitions: PARTITIONS },
  ])
  const reader = new CommittedReader(broker.bootstrap, output, `${name}-reader`)
  await reader.start()
  const config = (workerId: string): WorkerConfig => ({
    bootstrap: broker.bootstrap,
    applicationId,
    input,
    output,
    workerId,
    guarantee,
    stateDir: join(stateRoot, name, workerId),
    maxBatchRecords: 2_000,
    sql,
  })
  const all: WorkerProcess[] = []
  const spawn = (workerId: string): WorkerProcess => {
    const worker = new WorkerProcess(config(workerId))
    all.push(worker)
    return worker
  }
  const live = new Map<string, WorkerProcess>([['a', spawn('a')]])
  const next = random(seed)
  // Fault points, as fractions of the input produced.
  const at = (from: number, span: number): number => Math.floor(COUNT * (from + next() * span))
  const faults: Array<{ at: number; run: () => Promise<void> }> = [
    {
      at: at(0.1, 0.1),
      run: async () => {
        note('worker b joins')
        live.set('b', spawn('b'))
      },
    },
    { at: at(0.45, 0.1), run: () => restartBroker() },
  ]
  for (let i = 0; i < kills; i++) {
    const victim = i % 2 === 0 ? 'a' : 'b'
    faults.push({
      at: at(0.25 + i * 0.2, 0.12),
      run: async () => {
        note(`kill -9 worker ${victim}`)
        await live.get(victim)?.killHard()
        await new Promise((resolve) => setTimeout(resolve, 300 + next() * 1_500))
        live.set(victim, spawn(victim))
      },
    })
  }
  faults.sort((a, b) => a.at - b.at)
  // Faults must land while records flow: produce only once the first worker runs, and at a pace
  // that spreads the input over about PRODUCE_MS.
  await waitUntil(() => live.get('a')?.events.some((e) => e.type === 'started') === true, 60_000, 'worker a')
  const producer = new SequenceProducer(broker.bootstrap, input)
  const restartBroker = async (): Promise<void> => {
    note('broker restart')
    await producer.pause()
    await broker.restart()
    note('broker restarted')
    producer.resume()
  }
  try {
    const chunk = 1_000
    await producer.run(COUNT, chunk, Math.max(0, PRODUCE_MS / (COUNT / chunk)), async (produced) => {
      while (faults.length > 0 && (faults[0] as { at: number }).at <= produced) {
        const fault = faults.shift() as { run: () => Promise<void> }
        // Broker restarts pause the producer themselves; run them without holding this callback.
        void fault.run()
      }
    })
    // Remaining faults (should be none) run before the end.
    for (const fault of faults) await fault.run()
    await producer.closeWindows(PARTITIONS, END_MS)
    note('all produced')
    const expected = oracle(COUNT, END_MS)
    await reader.waitFor(
      () => {
        // Any worker failing on its own fails the run, a replaced one too: only kill -9 may stop one.
        const failed = all.find((w) => w.failed !== undefined)
        if (failed !== undefined)
          throw new Error(`worker ${failed.config.workerId} failed: ${JSON.stringify(failed.failed)}`)
        return distinctWindows(reader.records) >= expected.length
      },
      RUN_TIMEOUT_MS,
      `${expected.length} window results`,
    )
    // Let anything extra (a duplicate) arrive before the workers stop.
    await new Promise((resolve) => setTimeout(resolve, 2_000))
    for (const worker of live.values())
      assert.equal(await worker.stop(), 0, `worker ${worker.config.workerId} stops cleanly`)
    await assertNoOpenTransaction(broker.bootstrap, reader, output, PARTITIONS)
    return { records: windowResults(reader.records), workers: all }
  } finally {
    await producer.close().catch(() => {})
    await reader.close().catch(() => {})
    await Promise.all(all.map((w) => w.killHard()))
  }
}

test('exactly-once: kill -9 three times, a broker restart and a rebalance change nothing', async (t) => {
  const seed = Date.now() % 1_000_000
  t.diagnostic(`fault seed ${seed}`)
  const run = await faultedRun(`eos-${seed}`, 'exactly-once', 3, seed)
  assertExactlyOnce(run.records, oracle(COUNT, END_MS))
  const rows = run.records.map(parseWindow)
  // The faults did happen: workers were killed and restarted, and restored state.
  const starts = run.workers.length
  assert.equal(starts, 2 + 3, 'two workers, three restarts after kill -9')
  const restored = run.workers.flatMap((w) => w.events).filter((e) => e.type === 'restore' && e.done === true)
  assert.ok(
    restored.some((e) => (e.totalRecords as number) > 0),
    'some task restored state from its changelog',
  )

  // The same input, straight through in one worker, gives identical results.
  const output = `eos-${seed}-straight`
  await createTopics(broker.bootstrap, [{ topic: output, partitions: PARTITIONS }])
  const reader = new CommittedReader(broker.bootstrap, output, `${output}-reader`)
  await reader.start()
  const worker = new Worker({
    bootstrapBrokers: [broker.bootstrap],
    topology: integrityTopology(`${output}-app`, `eos-${seed}-in`, output),
    maxOutOfOrdernessMs: 0,
    idleTimeoutMs: 600_000,
  })
  try {
    await worker.start()
    await reader.waitFor(
      () => distinctWindows(reader.records) >= rows.length,
      RUN_TIMEOUT_MS,
      () =>
        `the straight run (worker ${JSON.stringify({ ...worker.status(), tasks: worker.status().tasks.length })})`,
    )
    await worker.stop()
    // Read to a marker written after the run: an extra result fails the comparison.
    await assertNoOpenTransaction(broker.bootstrap, reader, output, PARTITIONS)
    const straight = windowResults(reader.records).map(parseWindow).sort(byWindow)
    assert.deepEqual(straight, [...rows].sort(byWindow), 'straight run = run with crashes and restores')
  } finally {
    await worker.stop()
    await reader.close()
  }
})

test('exactly-once in Flink SQL: the same aggregation as a .sql file, kill -9 twice, a broker restart and a rebalance change nothing', async (t) => {
  const seed = (Date.now() + 13) % 1_000_000
  t.diagnostic(`fault seed ${seed}`)
  const run = await faultedRun(`sql-${seed}`, 'exactly-once', 2, seed, true)
  assertExactlyOnce(run.records, oracle(COUNT, END_MS))
  assert.equal(run.workers.length, 2 + 2, 'two workers, two restarts after kill -9')
})

test('at-least-once: kill -9 twice, a broker restart and a rebalance lose nothing', async (t) => {
  const seed = (Date.now() + 7) % 1_000_000
  t.diagnostic(`fault seed ${seed}`)
  const run = await faultedRun(`alos-${seed}`, 'at-least-once', 2, seed)
  assertAtLeastOnce(run.records, oracle(COUNT, END_MS))
})

test('a worker restarted on its id after kill -9 takes its place in the group at once, not after the session timeout', async (t) => {
  const name = `restart-${Date.now() % 1_000_000}`
  const input = `${name}-in`
  const output = `${name}-out`
  await createTopics(broker.bootstrap, [
    { topic: input, partitions: PARTITIONS },
    { topic: output, partitions: PARTITIONS },
  ])
  // A session timeout far beyond the test's other waits: a restart that had to wait for the dead
  // member to time out would take a minute.
  const SESSION_TIMEOUT_MS = 60_000
  const config: WorkerConfig = {
    bootstrap: broker.bootstrap,
    applicationId: name,
    input,
    output,
    workerId: 'r',
    guarantee: 'exactly-once',
    stateDir: join(stateRoot, name),
    sessionTimeoutMs: SESSION_TIMEOUT_MS,
  }
  const first = new WorkerProcess(config)
  const started = [first]
  t.after(() => Promise.all(started.map((worker) => worker.killHard())))
  const assigned = (worker: WorkerProcess): boolean =>
    worker.events.some((e) => e.type === 'assigned' && (e.tasks as string[]).length > 0)
  await waitUntil(() => assigned(first), 60_000, 'the first worker assigned')
  await first.killHard()
  const restartedMs = Date.now()
  const second = new WorkerProcess(config)
  started.push(second)
  await waitUntil(
    () => assigned(second) || second.failed !== undefined,
    SESSION_TIMEOUT_MS + 30_000,
    'the restarted worker assigned',
  )
  assert.equal(second.failed, undefined, 'the restarted worker runs')
  const tookMs = Date.now() - restartedMs
  t.diagnostic(`restarted worker assigned after ${tookMs} ms`)
  // The dead member's session ends up to a heartbeat before the kill: half the timeout tells apart
  // a takeover from a wait.
  assert.ok(
    tookMs < SESSION_TIMEOUT_MS / 2,
    `assigned after ${tookMs} ms: the group waited for the killed member's session to time out`,
  )
  assert.equal(await second.stop(), 0, 'the restarted worker stops cleanly')
})
