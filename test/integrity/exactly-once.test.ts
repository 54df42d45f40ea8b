// The integrity suite (issue: "exactly-once means proven"). A windowed aggregation through a
// repartition topic runs over 100,000 sequence-numbered records on 6 partitions while the suite
// kills workers with SIGKILL, restarts the broker and adds a worker (a rebalance). A read_committed
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
import { KafkaProducer, type InRecord } from '../../src/kafka/index.ts'
import { Worker } from '../../src/runtime/index.ts'
import {
  CommittedReader,
  createTopics,
  note,
  RestartableBroker,
  SequenceProducer,
  WorkerProcess,
  type WorkerConfig,
} from './harness.ts'
import { byWindow, integrityTopology, oracle, WINDOW_MS, type WindowSum } from './topology.ts'

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

/** A small seeded generator, so that a failing run's fault points can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let x = Math.imul(state ^ (state >>> 15), 1 | state)
    x ^= x + Math.imul(x ^ (x >>> 7), 61 | x)
    return ((x ^ (x >>> 14)) >>> 0) / 4_294_967_296
  }
}

function parse(record: InRecord): WindowSum {
  return JSON.parse((record.value as Buffer).toString('utf8')) as WindowSum
}

const isMarker = (r: InRecord): boolean => r.headers.has('integrity.marker')

/** Per output partition, each group's windows in increasing order. */
function assertOrdered(records: InRecord[]): void {
  const last = new Map<string, number>()
  for (const record of records) {
    if (isMarker(record)) continue
    const row = parse(record)
    const id = `${record.partition}/${row.group}`
    const previous = last.get(id) ?? -Infinity
    assert.ok(
      row.start > previous,
      `group ${row.group} on partition ${record.partition}: ${row.start} after ${previous}`,
    )
    last.set(id, row.start)
  }
}

/** Writes a plain record to every output partition and waits for the reader to see them all. */
async function assertNoOpenTransaction(reader: CommittedReader, output: string): Promise<void> {
  const producer = new KafkaProducer({ bootstrapBrokers: [broker.bootstrap] })
  try {
    await producer.send(
      Array.from({ length: PARTITIONS }, (_, partition) => ({
        topic: output,
        partition,
        key: null,
        value: Buffer.from('{}'),
        headers: { 'integrity.marker': '1' },
      })),
    )
  } finally {
    await producer.close()
  }
  await reader.waitFor(
    () => reader.records.filter(isMarker).length === PARTITIONS,
    60_000,
    'the markers written after the run (an open transaction would hold them back)',
  )
}

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
        const windows = new Set(
          reader.records
            .filter((r) => !isMarker(r))
            .map((r) => {
              const row = parse(r)
              return `${row.group}/${row.start}`
            }),
        )
        return windows.size >= expected.length
      },
      RUN_TIMEOUT_MS,
      `${expected.length} window results`,
    )
    // Let anything extra (a duplicate) arrive before the workers stop.
    await new Promise((resolve) => setTimeout(resolve, 2_000))
    for (const worker of live.values())
      assert.equal(await worker.stop(), 0, `worker ${worker.config.workerId} stops cleanly`)
    await assertNoOpenTransaction(reader, output)
    return { records: reader.records.filter((r) => !isMarker(r)), workers: all }
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
  const rows = run.records.map(parse)
  const ids = rows.map((r) => `${r.group}/${r.start}`)
  const duplicates = ids.filter((id, i) => ids.indexOf(id) !== i)
  assert.deepEqual(duplicates, [], 'no window result twice')
  assert.deepEqual([...rows].sort(byWindow), oracle(COUNT, END_MS), 'every window equals its closed form')
  assertOrdered(run.records)
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
    await reader.waitFor(() => reader.records.length >= rows.length, RUN_TIMEOUT_MS, 'the straight run')
    const straight = reader.records.map(parse).sort(byWindow)
    assert.deepEqual(straight, [...rows].sort(byWindow), 'straight run = run with crashes and restores')
  } finally {
    await worker.stop()
    await reader.close()
  }
})

test('at-least-once: kill -9 twice, a broker restart and a rebalance lose nothing', async (t) => {
  const seed = (Date.now() + 7) % 1_000_000
  t.diagnostic(`fault seed ${seed}`)
  const run = await faultedRun(`alos-${seed}`, 'at-least-once', 2, seed)
  const seen = new Set(run.records.map(parse).map((r) => `${r.group}/${r.start}`))
  const missing = oracle(COUNT, END_MS).filter((r) => !seen.has(`${r.group}/${r.start}`))
  assert.deepEqual(missing, [], 'no window result missing')
})
