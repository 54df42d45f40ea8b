// The fault suite: a windowed aggregation through a repartition topic, on Avro input through the
// schema registry, runs in three worker processes while the suite injects faults of every kind,
// one after another at seeded moments, over sequence-numbered input:
//   broker-kill       the broker killed with SIGKILL and restarted 20-60 s later
//   broker-freeze     the broker stopped with SIGSTOP for longer than the request timeout (35 s):
//                     requests in flight get no answer, commits end with an unknown outcome
//   network-cut       every client connection reset at once (the fault proxy)
//   network-blackhole connections accepted and never answered for 35 s (the fault proxy)
//   network-slow      200 ms latency and 256 KiB/s each way for 15 s (the fault proxy)
//   worker-kill       a worker killed with SIGKILL and started again
//   registry-kill     the registry killed with SIGKILL and restarted 5-15 s later
//   registry-mid-transaction  a new schema version is registered, the registry killed, and
//                     records in the new version produced: the workers cannot decode them until
//                     the registry is back, and must not hold a transaction open meanwhile
// The fault proxy stands between the broker and the workers, the registry and the readers; the
// suite's input producer goes past it, so input flows through the network faults.
// The oracles: no worker exits but those the suite kills, and none fails; the faults did happen
// (counted from the proxy, the workers' events and the suite's own log); the registry serves after
// each fault; exactly-once: every window result once, equal to its closed form, in order per
// partition, nothing left in an open transaction, and no state of a closed window left in the
// changelog or in any worker's local copy of a task (what a later restore would emit again);
// at-least-once: every window's count and sum at least the closed form.
//
// FRESHET_FAULT_RECORDS (200,000), FRESHET_FAULTS_PER_KIND (3) and FRESHET_FAULT_SEED size and
// replay a run; `make soak` runs 1,000,000 records with 10 faults of each kind.
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test, type TestContext } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import type { InRecord } from '../../src/kafka/index.ts'
import { RegistryClient } from '../../src/registry/index.ts'
import { createSerializer } from '../../src/serde/index.ts'
import { FaultyBroker, RegistryProcess } from './cluster.ts'
import {
  CommittedReader,
  createTopics,
  note,
  random,
  SequenceProducer,
  WorkerProcess,
  type WorkerConfig,
} from './harness.ts'
import {
  assertAtLeastOnce,
  assertExactlyOnce,
  assertNoOpenTransaction,
  assertNoWindowStateLeftBehind,
  deadLetterSummary,
  distinctWindows,
  windowResults,
} from './oracles.ts'
import { oracle, WINDOW_MS } from './topology.ts'

const RECORDS = Number(process.env.FRESHET_FAULT_RECORDS ?? 200_000)
const PER_KIND = Number(process.env.FRESHET_FAULTS_PER_KIND ?? 3)
const SEED = Number(process.env.FRESHET_FAULT_SEED ?? Date.now() % 1_000_000)
const PARTITIONS = 6
const WORKER_IDS = ['a', 'b', 'c'] as const
/** One record per partition this far in event time closes every window of `records` inputs. */
const endMs = (records: number): number => records + 2 * WINDOW_MS
/** After the last fault, how long the workers have to finish the input. */
const DRAIN_TIMEOUT_MS = 600_000

const FAULT_KINDS = [
  'broker-kill',
  'broker-freeze',
  'network-cut',
  'network-blackhole',
  'network-slow',
  'worker-kill',
  'registry-kill',
  'registry-mid-transaction',
] as const
type FaultKind = (typeof FAULT_KINDS)[number]

interface PlannedFault {
  kind: FaultKind
  /** How long the service stays broken. */
  durationMs: number
  /** Quiet time before the fault. */
  gapMs: number
}

/** Every kind `perKind` times, shuffled, with seeded durations. */
function plan(next: () => number, perKind: number): PlannedFault[] {
  const between = (lowMs: number, highMs: number): number => Math.round(lowMs + next() * (highMs - lowMs))
  const faults: PlannedFault[] = []
  for (const kind of FAULT_KINDS) {
    for (let i = 0; i < perKind; i++) {
      const durationMs =
        kind === 'broker-kill'
          ? between(20_000, 60_000)
          : kind === 'broker-freeze' || kind === 'network-blackhole'
            ? between(35_000, 40_000)
            : kind === 'network-slow'
              ? 15_000
              : kind === 'registry-kill'
                ? between(5_000, 15_000)
                : kind === 'registry-mid-transaction'
                  ? between(10_000, 20_000)
                  : between(300, 2_000)
      faults.push({ kind, durationMs, gapMs: between(2_000, 5_000) })
    }
  }
  for (let i = faults.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1))
    ;[faults[i], faults[j]] = [faults[j] as PlannedFault, faults[i] as PlannedFault]
  }
  return faults
}

/** Schema version `n` of the input: seq and timestamp, and n - 1 optional fields added since. */
function inputSchema(n: number): object {
  return {
    type: 'record',
    name: 'Seq',
    namespace: 'freshet.integrity',
    fields: [
      { name: 'seq', type: 'long' },
      { name: 'timestamp', type: 'long' },
      ...Array.from({ length: n - 1 }, (_, i) => ({
        name: `x${i + 1}`,
        type: ['null', 'string'],
        default: null,
      })),
    ],
  }
}

let broker: FaultyBroker
let registry: RegistryProcess
let stateRoot: string

before(async () => {
  broker = await FaultyBroker.start()
  registry = await RegistryProcess.start(broker.bootstrap)
  stateRoot = await mkdtemp(join(tmpdir(), 'freshet-faults-state-'))
})

after(async () => {
  await registry?.stop()
  await broker?.stop()
  await rm(stateRoot, { recursive: true, force: true })
})

interface FaultRun {
  records: InRecord[]
  workers: WorkerProcess[]
  done: Record<FaultKind, number>
  /** Per broker kill or freeze, in order: how long it was down and when the workers carried on. */
  brokerOutages: BrokerOutage[]
}

interface BrokerOutage {
  kind: 'broker-kill' | 'broker-freeze'
  downMs: number
  /** Workers that waited for Kafka in this outage (the others rode it out on their clients' retries). */
  waited: number
  /** From the broker answering again to the last of those workers resuming; null if none waited. */
  resumedAfterMs: number | null
}

async function faultRun(
  t: TestContext,
  name: string,
  guarantee: WorkerConfig['guarantee'],
  records: number,
  perKind: number,
  seed: number,
): Promise<FaultRun> {
  const next = random(seed)
  const faults = plan(next, perKind)
  const input = `${name}-in`
  const output = `${name}-out`
  await createTopics(broker.bootstrap, [
    { topic: input, partitions: PARTITIONS },
    { topic: output, partitions: PARTITIONS },
  ])
  const reader = new CommittedReader(broker.bootstrap, output, `${name}-reader`)
  await reader.start()
  const letters = new CommittedReader(broker.bootstrap, `${name}-app.dlq`, `${name}-dlq-reader`)
  const config = (workerId: string): WorkerConfig => ({
    bootstrap: broker.bootstrap,
    applicationId: `${name}-app`,
    input,
    output,
    workerId,
    guarantee,
    stateDir: join(stateRoot, name, workerId),
    maxBatchRecords: 2_000,
    registryUrl: registry.url,
    outageTimeoutMs: 600_000,
  })
  const all: WorkerProcess[] = []
  const killed = new Set<WorkerProcess>()
  const live = new Map<string, WorkerProcess>()
  const spawn = (workerId: string): void => {
    const worker = new WorkerProcess(config(workerId))
    all.push(worker)
    live.set(workerId, worker)
  }
  const assertNoneExited = (): void => {
    for (const worker of all) {
      if (worker.failed !== undefined)
        throw new Error(`worker ${worker.config.workerId} failed: ${JSON.stringify(worker.failed)}`)
      if (!killed.has(worker) && worker.events.some((e) => e.type === 'exit'))
        throw new Error(`worker ${worker.config.workerId} exited`)
    }
  }
  for (const id of WORKER_IDS) spawn(id)
  /** A worker's `waiting` or `resumed` events for Kafka or the registry. */
  const waitEvents = (
    worker: WorkerProcess,
    what: 'kafka' | 'registry',
    type: 'waiting' | 'resumed',
  ): number => worker.events.filter((e) => e.type === type && e.for === what).length
  /** The workers the suite did not kill that still wait for Kafka or the registry. */
  const unresumed = (): WorkerProcess[] =>
    all.filter(
      (w) =>
        !killed.has(w) &&
        (['kafka', 'registry'] as const).some(
          (what) => waitEvents(w, what, 'resumed') !== waitEvents(w, what, 'waiting'),
        ),
    )

  const registryClient = new RegistryClient({ url: registry.url })
  let version = 1
  const useVersion = async (n: number): Promise<(seq: number, timestamp: number) => Buffer> => {
    const serde = createSerializer<{ seq: number; timestamp: number }>({
      format: 'avro',
      topic: input,
      schema: inputSchema(n) as never,
      registry: registryClient,
    })
    await serde.init()
    return (seq, timestamp) => serde.serialize({ seq, timestamp })
  }
  const producer = new SequenceProducer(broker.directBootstrap, input)
  producer.encode = await useVersion(version)

  const done = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>
  /** When each fault began and, for the broker's, when it answered again. */
  const log: Array<{ kind: FaultKind; startMs: number; backMs?: number }> = []
  const run = async (fault: PlannedFault): Promise<void> => {
    note(`fault ${fault.kind} for ${fault.durationMs} ms`)
    const entry: { kind: FaultKind; startMs: number; backMs?: number } = {
      kind: fault.kind,
      startMs: Date.now(),
    }
    log.push(entry)
    switch (fault.kind) {
      case 'broker-kill':
        await producer.pause()
        await broker.kill()
        await sleep(fault.durationMs)
        await broker.restart()
        entry.backMs = Date.now()
        producer.resume()
        break
      case 'broker-freeze':
        await producer.pause()
        broker.freeze()
        await sleep(fault.durationMs)
        broker.thaw()
        entry.backMs = Date.now()
        producer.resume()
        break
      // The input goes on through the network faults (the suite produces past the proxy), so
      // they hit transactions that hold records: a blackhole outlasts the request timeout, and
      // their commits fail and abort.
      case 'network-cut':
        broker.proxy.cut()
        await sleep(fault.durationMs)
        break
      case 'network-blackhole':
        broker.proxy.blackhole(true)
        await sleep(fault.durationMs)
        broker.proxy.blackhole(false)
        break
      case 'network-slow':
        broker.proxy.latency(200)
        broker.proxy.throttle(256 * 1024)
        await sleep(fault.durationMs)
        broker.proxy.latency(0)
        broker.proxy.throttle(Infinity)
        break
      case 'worker-kill': {
        const id = WORKER_IDS[Math.floor(next() * WORKER_IDS.length)] as string
        const victim = live.get(id) as WorkerProcess
        killed.add(victim)
        await victim.killHard()
        await sleep(fault.durationMs)
        spawn(id)
        break
      }
      case 'registry-kill':
        await registry.kill()
        await sleep(fault.durationMs)
        await registry.restart()
        break
      case 'registry-mid-transaction': {
        // The new version is registered while the registry is up; records in it follow while
        // it is down, so the workers meet a schema id they cannot look up.
        producer.encode = await useVersion(++version)
        await registry.kill()
        await sleep(fault.durationMs)
        await registry.restart()
        break
      }
    }
    done[fault.kind]++
    // The registry serves after every fault.
    await registry.waitServing(120_000)
    assertNoneExited()
  }

  // The input is spread over the time the faults leave the producer running, so that they land
  // while records flow and the last ones come about when the last fault ends.
  const pausing: readonly FaultKind[] = ['broker-kill', 'broker-freeze']
  const producingMs = faults.reduce(
    (sum, f) => sum + f.gapMs + (pausing.includes(f.kind) ? 0 : f.durationMs),
    0,
  )
  const chunk = 500
  const delayMs = Math.max(0, Math.floor(producingMs / (records / chunk)))
  try {
    await reader.waitFor(
      () => {
        assertNoneExited()
        return all.every((w) => w.events.some((e) => e.type === 'started'))
      },
      120_000,
      'the workers to start',
    )
    // The dead-letter topic exists once a worker started (it plans the topics).
    await letters.start()
    const producing = producer.run(records, chunk, delayMs, async () => {})
    for (const fault of faults) {
      await sleep(fault.gapMs)
      await run(fault)
    }
    await producing
    await producer.closeWindows(PARTITIONS, endMs(records))
    note('all produced, all faults done')
    const expected = oracle(records, endMs(records))
    // The others may finish the input while a worker still reconnects after the last outage: it
    // is stopped only once it has resumed from every wait (asserted below).
    await reader.waitFor(
      () => {
        assertNoneExited()
        return distinctWindows(reader.records) >= expected.length && unresumed().length === 0
      },
      DRAIN_TIMEOUT_MS,
      `${expected.length} window results, and every worker resumed from its waits`,
    )
    // Anything extra (a duplicate) arrives before the workers stop.
    await sleep(2_000)
    for (const worker of live.values())
      assert.equal(await worker.stop(), 0, `worker ${worker.config.workerId} stops cleanly`)

    await assertNoOpenTransaction(broker.bootstrap, reader, output, PARTITIONS)
    if (guarantee === 'exactly-once') {
      await assertNoWindowStateLeftBehind(
        {
          bootstrap: broker.bootstrap,
          changelog: `${name}-app-sums-store-changelog`,
          partitions: PARTITIONS,
          storeName: 'sums-store',
          applicationId: `${name}-app`,
          stateDirs: WORKER_IDS.map((id) => config(id).stateDir as string),
          subtopology: 1,
        },
        records,
      )
    }

    // Per broker outage: which workers waited in it, and when the last of them carried on.
    const kafkaEvents = (type: string): Array<{ worker: WorkerProcess; atMs: number }> =>
      all.flatMap((worker) =>
        worker.events
          .filter((e) => e.type === type && e.for === 'kafka')
          .map((e) => ({ worker, atMs: e.receivedMs as number })),
      )
    const waits = kafkaEvents('waiting')
    const resumes = kafkaEvents('resumed')
    const brokerOutages = log.flatMap((entry, i): BrokerOutage[] => {
      if (entry.backMs === undefined || (entry.kind !== 'broker-kill' && entry.kind !== 'broker-freeze'))
        return []
      const untilMs = log[i + 1]?.startMs ?? Infinity
      const waited = new Set(
        waits.filter((w) => w.atMs >= entry.startMs && w.atMs < untilMs).map((w) => w.worker),
      )
      const resumedMs = [...waited].map(
        (worker) => resumes.find((r) => r.worker === worker && r.atMs >= entry.backMs!)?.atMs ?? Infinity,
      )
      const lastMs = Math.max(...resumedMs)
      return [
        {
          kind: entry.kind,
          downMs: entry.backMs - entry.startMs,
          waited: waited.size,
          resumedAfterMs: waited.size === 0 || !Number.isFinite(lastMs) ? null : lastMs - entry.backMs,
        },
      ]
    })
    const events = all.flatMap((w) => w.events)
    const count = (type: string, extra: (e: Record<string, unknown>) => boolean = () => true): number =>
      events.filter((e) => e.type === type && extra(e)).length
    const figures = {
      guarantee,
      seed,
      records,
      faults: done,
      aborts: count('aborted'),
      waitsForKafka: count('waiting', (e) => e.for === 'kafka'),
      waitsForRegistry: count('waiting', (e) => e.for === 'registry'),
      resumes: count('resumed', (e) => e.for === 'kafka'),
      restoresWithRecords: count('restore', (e) => e.done === true && (e.totalRecords as number) > 0),
      proxy: broker.proxy.stats().faults,
      reader: { restarts: reader.restarts, reread: reader.reread },
      brokerOutages,
      deadLetters: deadLetterSummary(letters.records),
    }
    t.diagnostic(`figures ${JSON.stringify(figures)}`)
    console.log(`freshet-faults ${JSON.stringify(figures)}`)

    // The faults did happen.
    for (const kind of FAULT_KINDS) assert.equal(done[kind], perKind, `${perKind} faults of kind ${kind}`)
    // At-least-once has no transaction to abort: its failed commits are counted all the same, but
    // a run may ride every fault out by waiting instead.
    if (guarantee === 'exactly-once') assert.ok(figures.aborts > 0, 'some commit was aborted')
    assert.ok(figures.waitsForKafka > 0, 'some worker waited for Kafka')
    assert.ok(figures.waitsForRegistry > 0, 'some worker waited for the registry')
    // Every wait ended in a resume, in every worker the suite did not kill.
    for (const worker of all.filter((w) => !killed.has(w))) {
      for (const what of ['kafka', 'registry'] as const) {
        assert.equal(
          waitEvents(worker, what, 'resumed'),
          waitEvents(worker, what, 'waiting'),
          `worker ${worker.config.workerId} resumed after every wait for ${what}`,
        )
      }
    }
    assert.ok(figures.restoresWithRecords > 0, 'some task restored state from its changelog')
    assert.ok(
      figures.proxy.cuts >= perKind && figures.proxy.blackholes >= perKind,
      'the proxy faults happened',
    )
    return { records: windowResults(reader.records), workers: all, done, brokerOutages }
  } finally {
    await producer.close().catch(() => {})
    await reader.close().catch(() => {})
    await letters.close().catch(() => {})
    await Promise.all(all.map((w) => w.killHard()))
  }
}

/**
 * A test's own time limit: its faults' planned time, a restart's overhead per fault, and the
 * drain (the suite's default would cut a long run off mid-way).
 */
function timeoutFor(perKind: number, seed: number): number {
  const planned = plan(random(seed), perKind).reduce((sum, f) => sum + f.durationMs + f.gapMs + 15_000, 0)
  return planned + 120_000 + DRAIN_TIMEOUT_MS
}

const EOS_SEED = SEED
const ALOS_SEED = (SEED + 7) % 1_000_000
const ALOS_PER_KIND = Math.max(1, Math.floor(PER_KIND / 3))
const ALOS_RECORDS = Math.floor(RECORDS / 4)

test(
  // The seed is in the names, so that a failure's report says how to replay it.
  `exactly-once under ${PER_KIND} faults of each of ${FAULT_KINDS.length} kinds over ${RECORDS} records (FRESHET_FAULT_SEED=${SEED})`,
  { timeout: timeoutFor(PER_KIND, EOS_SEED) },
  async (t) => {
    t.diagnostic(`fault seed ${EOS_SEED}`)
    const run = await faultRun(t, `faults-eos-${EOS_SEED}`, 'exactly-once', RECORDS, PER_KIND, EOS_SEED)
    assertExactlyOnce(run.records, oracle(RECORDS, endMs(RECORDS)))
  },
)

test(
  `at-least-once under ${ALOS_PER_KIND} fault(s) of each kind over ${ALOS_RECORDS} records loses nothing (FRESHET_FAULT_SEED=${SEED})`,
  {
    timeout: timeoutFor(ALOS_PER_KIND, ALOS_SEED),
  },
  async (t) => {
    t.diagnostic(`fault seed ${ALOS_SEED}`)
    const run = await faultRun(
      t,
      `faults-alos-${ALOS_SEED}`,
      'at-least-once',
      ALOS_RECORDS,
      ALOS_PER_KIND,
      ALOS_SEED,
    )
    assertAtLeastOnce(run.records, oracle(ALOS_RECORDS, endMs(ALOS_RECORDS)))
  },
)
