/**
 * Recovery after a crash: how long a freshet worker that held about a million keys of RocksDB
 * state takes to resume its output after it was killed with SIGKILL, on the `sessions` seed job
 * (exactly-once), and where that time goes. The peer is the same run's first start, without state.
 *
 * The run, as numbered steps:
 *   1. Start a broker on free ports in a temporary directory and an in-process registry; fill a
 *      fresh input topic (`--partitions`) with N Avro user events of `--users` users, of whom
 *      `--active-sessions` are in a session at once, so that the backlog leaves about that many
 *      sessions open (one store key each).
 *   2. Start worker A in a process of its own (bench/lib/pipeline-worker.ts): sessions, RocksDB
 *      state under the run's directory, worker id `bench-recovery-1`; wait for the first commit
 *      whose counters show all N records taken in. Read its store's key count (an estimate) and
 *      the changelog's length: what a restore from nothing would replay.
 *   3. Kill A with SIGKILL: no final commit, no LeaveGroup, its member stays in the group until its
 *      session times out.
 *   4. Produce `--extra` further events into the input topic.
 *   5. Start worker B with the same application id, state directory and worker id, and time it
 *      from its spawn and from `Worker.start()` to its assignment (tasks restored and opened) and
 *      to its first commit that took in records (output resumed), and until it took in all the
 *      extra events. The timeline in between: the first `restore` event (the group joined, its
 *      offsets stable, the first store opened), each task's restore, the assignment; the changelog
 *      records B replayed; the group coordinator's and transaction coordinator's lines from the
 *      broker's log; B's peak RSS.
 *   6. Unless `--skip-replacement`: kill B, produce `--extra` events again and start worker C on a
 *      new worker id (`bench-recovery-2`, a replacement whose transactional id fences nobody), on
 *      the same state directory; the same figures. Then stop C cleanly.
 *   7. Unless `--skip-scan`: with no worker running, open each task's store in this process and time
 *      a full scan with the close-queue rebuild the window aggregate's `open()` does, to tell that
 *      part of B's time from the rest.
 *   8. Print a BENCH line per figure and a summary; stop everything.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { JOB_DEFAULTS } from '../src/jobs/options.ts'
import { KafkaAdmin } from '../src/kafka/index.ts'
import { GeneratedEvents } from '../src/producer/index.ts'
import { UserEventSchema } from '../src/schemas/index.ts'
import { AvroSerializer } from '../src/serde/index.ts'
import { decodeWindowKey, RocksDbStateStore, storeDirectory } from '../src/state/index.ts'
import { session, WindowCloseQueue } from '../src/windows/index.ts'
import { flagsOrExit } from './lib/args.ts'
import { produceEvents, startCluster, type BenchCluster } from './lib/cluster.ts'
import type { FromWorker, StoreFigures, WorkerConfig } from './lib/pipeline-worker.ts'
import { describeMachine, figureRecorder, formatRate, table } from './lib/report.ts'
import { startWorkerProcess, type WorkerProcess } from './lib/worker-process.ts'

const BENCH = 'bench/recovery.bench.ts'
const MIB = 1024 * 1024
const FIRST_WORKER_ID = 'bench-recovery-1'
const REPLACEMENT_WORKER_ID = 'bench-recovery-2'
/** A drain of millions of events into a large RocksDB store on a small machine takes minutes. */
const DRAIN_TIMEOUT_MS = 3_600_000

const spec = {
  count: { kind: 'int', default: 2_000_000, min: 1000, help: 'events of the backlog worker A drains' },
  users: { kind: 'int', default: 2_000_000, min: 1, max: 10_000_000, help: 'user population of the events' },
  'active-sessions': {
    kind: 'int',
    default: 1_000_000,
    min: 1,
    max: 10_000_000,
    help: 'sessions in progress at once in the backlog, at most --users',
  },
  partitions: {
    kind: 'int',
    default: 6,
    min: 1,
    max: 1000,
    help: 'partitions of the input and output topics',
  },
  extra: { kind: 'int', default: 1000, min: 1, max: 1_000_000, help: 'events produced after each kill' },
  'skip-replacement': { kind: 'boolean', help: 'skip step 6 (worker C on a new worker id)' },
  'skip-scan': { kind: 'boolean', help: "skip step 7 (the stores' scan in this process)" },
  keep: { kind: 'boolean', help: 'keep the broker directory (logs, state) after the run' },
  help: { kind: 'boolean', help: 'print this help' },
} as const

const flags = flagsOrExit(BENCH, spec)

const log = (line: string): void => console.error(`# ${line}`)
const { figures, report } = figureRecorder()
const runId = Date.now().toString(36)
const APPLICATION_ID = `bench-recovery-${runId}`
const INPUT = `bench-recovery-${runId}-in`
const OUTPUT = `bench-recovery-${runId}-out`

/** The generated events of the run's user population; `seed` 7 for the backlog, others after it. */
function eventsSource(cluster: BenchCluster, seed: number, activeSessions: number): GeneratedEvents {
  return new GeneratedEvents(
    INPUT,
    { seed, users: flags.users, activeSessions },
    new AvroSerializer({ registry: cluster.registry, topic: INPUT, schema: UserEventSchema }),
  )
}

async function produce(cluster: BenchCluster, count: number, source: GeneratedEvents): Promise<void> {
  const startedAtMs = Date.now()
  const summary = await produceEvents(cluster, INPUT, count, { clientId: 'freshet-bench-recovery', source })
  log(
    `produced ${summary.sent} events into ${INPUT} in ${Date.now() - startedAtMs} ms, ${(summary.bytes / summary.sent).toFixed(1)} bytes each`,
  )
}

function workerConfig(cluster: BenchCluster, workerId: string): WorkerConfig {
  return {
    topology: 'sessions',
    bootstrap: cluster.bootstrap,
    registryUrl: cluster.registryUrl,
    applicationId: APPLICATION_ID,
    inputTopic: INPUT,
    outputTopic: OUTPUT,
    stateDir: join(cluster.dir, 'state'),
    workerId,
  }
}

type Committed = Extract<FromWorker, { type: 'committed' }>

/** Logs the aborts and, every few seconds, the progress of a worker's commits. */
function watch(worker: WorkerProcess, label: string, total: number): void {
  let progressAtMs = 0
  worker.onMessage((m) => {
    if (m.type === 'aborted') log(`${label}: a commit failed and was aborted: ${m.reason}`)
    if (m.type === 'committed' && m.atMs - progressAtMs >= 5_000) {
      progressAtMs = m.atMs
      log(`${label}: committed ${m.recordsIn[0] ?? 0} of ${total} records`)
    }
  })
}

interface Drained {
  worker: WorkerProcess
  startToAssignedMs: number
  stores: StoreFigures[]
}

/** Step 2: worker A drains the backlog; its store figures are read before it is killed. */
async function drainFirst(cluster: BenchCluster): Promise<Drained> {
  const n = flags.count
  const worker = await startWorkerProcess(cluster)
  watch(worker, 'A', n)
  const assigned = worker.next('assigned')
  const started = await worker.start(workerConfig(cluster, FIRST_WORKER_ID))
  const firstAssignment = await assigned
  const drained = await worker.next('committed', (m) => (m.recordsIn[0] ?? 0) >= n, DRAIN_TIMEOUT_MS)
  const seconds = (drained.atMs - started.calledAtMs) / 1000
  log(`A: ${n} events in ${seconds.toFixed(1)} s from Worker.start(); late records: ${drained.late}`)
  const status = await worker.status()
  for (const store of status.stores) {
    log(`A: store ${store.name} (RocksDB): about ${store.keys} keys, ${store.bytes} bytes`)
  }
  const startToAssignedMs = firstAssignment.atMs - started.calledAtMs
  report('recovery.drain.seconds', seconds, 's')
  report('recovery.drain.events_per_sec', n / seconds, 'events/s')
  report('recovery.cold_start.start_to_assigned_ms', startToAssignedMs, 'ms')
  report('recovery.drain.worker_peak_rss_mib', drained.usage.maxRssBytes / MIB, 'MiB')
  report(
    'recovery.state.rocksdb_estimated_keys',
    status.stores.reduce((sum, s) => sum + s.keys, 0),
    'keys',
  )
  report('recovery.state.changelog_records', await changelogRecords(cluster), 'records')
  return { worker, startToAssignedMs, stores: status.stores }
}

/** The records of the application's changelog topics, as their end offsets count them. */
async function changelogRecords(cluster: BenchCluster): Promise<number> {
  const admin = new KafkaAdmin({ bootstrapBrokers: [cluster.bootstrap] })
  try {
    const topics = (await admin.listTopics()).filter(
      (t) => t.startsWith(`${APPLICATION_ID}-`) && t.endsWith('-changelog'),
    )
    let records = 0n
    for (const topic of topics) {
      for (const end of (await admin.endOffsets(topic)).values()) records += end
    }
    return Number(records)
  } finally {
    await admin.close()
  }
}

/** What happened to one task's store during a restart, from its `restore` events. */
interface TaskRestore {
  task: string
  firstAtMs: number
  doneAtMs: number
  restoredRecords: number
}

interface Recovery {
  worker: WorkerProcess
  spawnAtMs: number
  readyAtMs: number
  calledAtMs: number
  firstRestoreAtMs: number
  assignedAtMs: number
  startedAtMs: number
  resumed: Committed
  caughtUp: Committed
  restores: TaskRestore[]
}

/** Step 5 (and 6): a worker started on the crashed one's state, until it took in `extra` records. */
async function restart(cluster: BenchCluster, label: string, workerId: string): Promise<Recovery> {
  const spawnAtMs = Date.now()
  const worker = await startWorkerProcess(cluster)
  const readyAtMs = Date.now()
  watch(worker, label, flags.extra)
  const restores = new Map<string, TaskRestore>()
  worker.onMessage((m) => {
    if (m.type !== 'restore') return
    const task = restores.get(m.task) ?? {
      task: m.task,
      firstAtMs: m.atMs,
      doneAtMs: NaN,
      restoredRecords: 0,
    }
    task.restoredRecords = m.restoredRecords
    if (m.done) task.doneAtMs = m.atMs
    restores.set(m.task, task)
  })
  const firstRestore = worker.next('restore')
  const assigned = worker.next('assigned')
  const resumed = worker.next('committed', (m) => (m.recordsIn[0] ?? 0) > 0)
  const caughtUp = worker.next('committed', (m) => (m.recordsIn[0] ?? 0) >= flags.extra)
  const started = await worker.start(workerConfig(cluster, workerId))
  const recovery: Recovery = {
    worker,
    spawnAtMs,
    readyAtMs,
    calledAtMs: started.calledAtMs,
    firstRestoreAtMs: (await firstRestore).atMs,
    assignedAtMs: (await assigned).atMs,
    startedAtMs: started.startedAtMs,
    resumed: await resumed,
    caughtUp: await caughtUp,
    restores: [...restores.values()].sort((a, b) => a.firstAtMs - b.firstAtMs),
  }
  if ((recovery.caughtUp.recordsIn[0] ?? 0) !== flags.extra) {
    log(
      `${label}: WARNING: took in ${recovery.caughtUp.recordsIn[0]} records, expected the ${flags.extra} produced after the kill`,
    )
  }
  return recovery
}

/** Steps 5 and 6: the figures and the timeline of one restart, relative to the kill before it. */
function reportRecovery(
  prefix: string,
  label: string,
  r: Recovery,
  killedAtMs: number,
  coldStartMs: number,
): void {
  const rel = (atMs: number): string => `+${formatRate(atMs - killedAtMs)} ms`
  log(`${label}: timeline from the kill:`)
  log(`  ${rel(r.spawnAtMs)} process spawned; ${rel(r.readyAtMs)} ready; ${rel(r.calledAtMs)} Worker.start()`)
  log(`  ${rel(r.firstRestoreAtMs)} first restore event (group joined, offsets stable, first store opened)`)
  for (const t of r.restores) {
    log(
      `  ${rel(t.firstAtMs)} .. ${rel(t.doneAtMs)} task ${t.task}: ${t.restoredRecords} changelog records replayed`,
    )
  }
  log(`  ${rel(r.assignedAtMs)} assigned; ${rel(r.startedAtMs)} Worker.start() resolved`)
  log(`  ${rel(r.resumed.atMs)} first commit that took in records (${r.resumed.recordsIn[0]})`)
  log(`  ${rel(r.caughtUp.atMs)} took in all ${flags.extra} extra records`)
  // Between one task's last restore event and the next task's first: the window aggregate's open()
  // of the former, then the RocksDB open and the changelog end of the latter.
  const gapsMs = r.restores.map((t, i) => (r.restores[i + 1]?.firstAtMs ?? r.assignedAtMs) - t.doneAtMs)
  log(`  between tasks (open() of one, store open of the next), ms: ${gapsMs.join(', ')}`)

  report(`${prefix}.kill_to_spawn_ms`, r.spawnAtMs - killedAtMs, 'ms')
  report(`${prefix}.spawn_to_start_ms`, r.calledAtMs - r.spawnAtMs, 'ms')
  report(`${prefix}.start_to_first_restore_ms`, r.firstRestoreAtMs - r.calledAtMs, 'ms')
  report(`${prefix}.first_restore_to_assigned_ms`, r.assignedAtMs - r.firstRestoreAtMs, 'ms')
  report(`${prefix}.start_to_assigned_ms`, r.assignedAtMs - r.calledAtMs, 'ms')
  report(`${prefix}.spawn_to_assigned_ms`, r.assignedAtMs - r.spawnAtMs, 'ms')
  report(`${prefix}.start_to_resumed_ms`, r.resumed.atMs - r.calledAtMs, 'ms')
  report(`${prefix}.spawn_to_resumed_ms`, r.resumed.atMs - r.spawnAtMs, 'ms')
  report(`${prefix}.kill_to_resumed_ms`, r.resumed.atMs - killedAtMs, 'ms')
  report(`${prefix}.spawn_to_caught_up_ms`, r.caughtUp.atMs - r.spawnAtMs, 'ms')
  report(
    `${prefix}.restored_records`,
    r.restores.reduce((sum, t) => sum + t.restoredRecords, 0),
    'records',
  )
  report(
    `${prefix}.restore_replay_ms`,
    r.restores.reduce((sum, t) => sum + (t.doneAtMs - t.firstAtMs), 0),
    'ms',
  )
  report(
    `${prefix}.between_tasks_ms`,
    gapsMs.reduce((sum, ms) => sum + ms, 0),
    'ms',
  )
  report(`${prefix}.worker_peak_rss_mib`, r.caughtUp.usage.maxRssBytes / MIB, 'MiB')
  report(
    `${prefix}.start_to_assigned_ratio_vs_cold_start`,
    (r.assignedAtMs - r.calledAtMs) / coldStartMs,
    'ratio',
  )
}

/** A line of the broker's log4j file: `[yyyy-MM-dd HH:mm:ss,SSS] LEVEL message (logger)`, local time. */
const LOG_LINE = /^\[(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d),(\d{3})\] (.*)$/

/**
 * Steps 5 and 6: the broker's lines about the application's group and transactional ids between
 * `fromMs` and `toMs`: when the dead member was dropped, when the group stabilized, when a
 * producer id was fenced.
 */
function brokerTimeline(cluster: BenchCluster, fromMs: number, toMs: number, originMs: number): void {
  let text: string
  try {
    text = readFileSync(join(cluster.dir, 'logs', 'server.log'), 'utf8')
  } catch {
    log('broker log: not readable')
    return
  }
  const lines: string[] = []
  for (const line of text.split('\n')) {
    if (!line.includes(APPLICATION_ID)) continue
    const m = LOG_LINE.exec(line)
    if (m === null) continue
    const atMs = new Date(`${m[1]}T${m[2]}.${m[3]}`).getTime()
    if (atMs < fromMs || atMs > toMs) continue
    lines.push(`  +${formatRate(atMs - originMs)} ms ${(m[4] as string).slice(0, 260)}`)
  }
  log(`broker log, lines naming ${APPLICATION_ID} (${lines.length}), from the kill:`)
  for (const line of lines.slice(0, 40)) log(line)
}

/** Step 7: each task's store scanned as the window aggregate's `open()` scans it, in this process. */
async function scanStores(cluster: BenchCluster, storeName: string): Promise<void> {
  const windows = session({ gapMs: JOB_DEFAULTS.sessions.gapMs, graceMs: JOB_DEFAULTS.sessions.graceMs })
  let keys = 0
  let openMs = 0
  let scanMs = 0
  for (let partition = 0; partition < flags.partitions; partition++) {
    const directory = storeDirectory({
      stateDir: join(cluster.dir, 'state'),
      applicationId: APPLICATION_ID,
      taskId: `0_${partition}`,
      storeName,
    })
    const openedAtMs = performance.now()
    const store = await RocksDbStateStore.open({ directory, name: storeName })
    const scannedAtMs = performance.now()
    const queue = new WindowCloseQueue<string>(windows, { keyId: (key) => key })
    for (const stateKey of store.keys()) {
      const { key, startMs, endMs } = decodeWindowKey(stateKey)
      queue.add(key.toString('utf8'), { startMs, endMs: endMs ?? startMs })
    }
    const doneAtMs = performance.now()
    await store.close()
    keys += queue.size
    openMs += scannedAtMs - openedAtMs
    scanMs += doneAtMs - scannedAtMs
    log(
      `scan: task 0_${partition}: ${queue.size} windows, open ${(scannedAtMs - openedAtMs).toFixed(0)} ms, scan ${(doneAtMs - scannedAtMs).toFixed(0)} ms`,
    )
  }
  report('recovery.scan.windows', keys, 'windows')
  report('recovery.scan.store_open_ms', openMs, 'ms')
  report('recovery.scan.scan_ms', scanMs, 'ms')
  report('recovery.scan.windows_per_sec', keys / (scanMs / 1000), 'windows/s')
}

function summary(): string {
  const value = (name: string): string => {
    const v = figures.find((f) => f.name === name)?.value
    return v === undefined ? '-' : formatRate(v)
  }
  const runs = [
    ['B, same worker id', 'recovery.same_id'],
    ['C, new worker id', 'recovery.new_id'],
  ].filter(([, prefix]) => figures.some((f) => f.name.startsWith(`${prefix}.`)))
  const rows = [
    ['restart after SIGKILL', ...runs.map(([label]) => label as string)],
    ...[
      ['spawn -> Worker.start(), ms', 'spawn_to_start_ms'],
      ['start -> first restore event, ms', 'start_to_first_restore_ms'],
      ['first restore event -> assigned, ms', 'first_restore_to_assigned_ms'],
      ['start -> output resumed, ms', 'start_to_resumed_ms'],
      ['kill -> output resumed, ms', 'kill_to_resumed_ms'],
      ['changelog records replayed', 'restored_records'],
      ['peak RSS, MiB', 'worker_peak_rss_mib'],
    ].map(([label, name]) => [label as string, ...runs.map(([, prefix]) => value(`${prefix}.${name}`))]),
  ]
  return [
    `state: about ${value('recovery.state.rocksdb_estimated_keys')} keys in RocksDB, changelog ${value('recovery.state.changelog_records')} records; cold start to assignment ${value('recovery.cold_start.start_to_assigned_ms')} ms`,
    table(rows),
  ].join('\n')
}

async function main(): Promise<void> {
  log(`machine: ${describeMachine()}`)
  // Step 1
  const cluster = await startCluster({ log, keepDir: flags.keep })
  try {
    await cluster.createTopic(INPUT, flags.partitions)
    await cluster.createTopic(OUTPUT, flags.partitions)
    await produce(cluster, flags.count, eventsSource(cluster, 7, flags['active-sessions']))
    // Step 2
    const a = await drainFirst(cluster)
    // Made before the kill, so that building the generator's sessions is not in the timeline.
    const extraSessions = Math.min(flags['active-sessions'], flags.extra)
    const afterA = eventsSource(cluster, 8, extraSessions)
    const afterB = eventsSource(cluster, 9, extraSessions)
    // Step 3
    const killedAAtMs = await a.worker.kill()
    log(`A killed (SIGKILL)`)
    // Step 4
    await produce(cluster, flags.extra, afterA)
    // Step 5
    const b = await restart(cluster, 'B', FIRST_WORKER_ID)
    reportRecovery('recovery.same_id', 'B', b, killedAAtMs, a.startToAssignedMs)
    brokerTimeline(cluster, killedAAtMs - 1_000, b.resumed.atMs, killedAAtMs)
    let last = b.worker
    // Step 6
    if (!flags['skip-replacement']) {
      const killedBAtMs = await b.worker.kill()
      log(`B killed (SIGKILL)`)
      await produce(cluster, flags.extra, afterB)
      const c = await restart(cluster, 'C', REPLACEMENT_WORKER_ID)
      reportRecovery('recovery.new_id', 'C', c, killedBAtMs, a.startToAssignedMs)
      brokerTimeline(cluster, killedBAtMs - 1_000, c.resumed.atMs, killedBAtMs)
      last = c.worker
    }
    const stopped = await last.stop()
    log(`last worker stopped cleanly after ${stopped.commits} commits, ${stopped.aborts} aborts`)
    // Step 7
    const storeName = a.stores[0]?.name
    if (!flags['skip-scan'] && storeName !== undefined) await scanStores(cluster, storeName)
    // Step 8
    console.log(summary())
    log(`machine after the run: ${describeMachine()}`)
    await cluster.deleteTopic(INPUT).catch(() => undefined)
    await cluster.deleteTopic(OUTPUT).catch(() => undefined)
  } finally {
    await cluster.stop()
  }
}

await main()
