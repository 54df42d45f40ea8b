/**
 * The measured process of bench/pipeline.bench.ts and bench/recovery.bench.ts: one freshet
 * `Worker`, alone in its own Node.js process, so that its CPU time, peak RSS and CPU profile
 * (`--worker-cpu-prof`) are its own and not the producer's or the latency reader's. Started by
 * `startWorkerProcess` (worker-process.ts); it talks to the benchmark over the IPC channel only.
 *
 * The protocol, as numbered steps:
 *   1. On `start`, build the topology (a seed job, or a stateless pass-through), start the
 *      worker (exactly-once, Avro through the benchmark's registry) and report `started` with
 *      the time start() was called and the time it resolved.
 *   2. Report `restore` for each restore event of a task's store (how many changelog records it
 *      replays, then that it is done), and `assigned` when the group gave the worker its tasks
 *      (and their stores are restored).
 *   3. After every commit, report `committed` with the counters of the tasks at that moment. The
 *      worker emits the event while it still holds its lock, after the transaction committed and
 *      before any further record is processed, so the counters are exactly what was committed.
 *   4. On `status`, report the stores and the process's usage as they are now, without stopping:
 *      what a benchmark that kills the process reads beforehand.
 *   5. On `stop`, stop the worker (the final commit), report `stopped` with the stores as they
 *      were before stopping, and exit; `--cpu-prof` writes the profile then.
 * A worker that fails reports `failed` and the process exits with status 1.
 */
import { resourceUsage } from 'node:process'
import { inspect } from 'node:util'
import { buildJob } from '../../src/jobs/index.ts'
import { RegistryClient } from '../../src/registry/index.ts'
import {
  randomWorkerId,
  Worker,
  type WorkerEvent,
  type WorkerOptions,
  type WorkerStatus,
} from '../../src/runtime/index.ts'
import { AnalyticsResultSchema, UserEventSchema, type UserEvent } from '../../src/schemas/index.ts'
import { AvroSerializer } from '../../src/serde/index.ts'
import { planSql } from '../../src/sql/index.ts'
import { pipeline, type Topology } from '../../src/stream/index.ts'
import { seedSqlFile } from '../../test/helpers/sql.ts'

/** What the benchmark asks the worker process to run. */
export interface WorkerConfig {
  /**
   * `event-counts`, `revenue` and `sessions` are the seed jobs (their defaults but the topics);
   * `sql-event-counts` is event-counts as sql/event-counts.sql, planned onto the DSL; `passthrough`
   * is stream -> map -> to, without state.
   */
  topology: 'event-counts' | 'revenue' | 'sessions' | 'sql-event-counts' | 'passthrough'
  bootstrap: string
  registryUrl: string
  applicationId: string
  inputTopic: string
  outputTopic: string
  /** event-counts only; the job's default (a minute) when absent. */
  windowMs?: number
  /** RocksDB state under this directory; in-memory stores when absent. */
  stateDir?: string
  /** The worker's default (100 ms) when absent. */
  commitIntervalMs?: number
  /** The worker's default (10,000) when absent. */
  maxBatchRecords?: number
  /**
   * A fixed worker id, so that a process started again after a crash takes over the transactional
   * id of the one before it (`<applicationId>-<workerId>`); a random one when absent.
   */
  workerId?: string
}

/** Per-process resource figures, cumulative since the process started. */
export interface ProcessUsage {
  /** User + system CPU time, microseconds. */
  cpuUs: number
  /** Resident set size now, bytes. */
  rssBytes: number
  /** Largest resident set size so far, bytes. */
  maxRssBytes: number
}

export interface StoreFigures {
  name: string
  keys: number
  bytes: number
}

export type ToWorker = { type: 'start'; config: WorkerConfig } | { type: 'status' } | { type: 'stop' }

export type FromWorker =
  | { type: 'ready' }
  | {
      type: 'started'
      calledAtMs: number
      startedAtMs: number
      /** Usage just before `Worker.start()` was called. */
      usageAtCall: ProcessUsage
    }
  | { type: 'assigned'; atMs: number; tasks: string[] }
  | {
      type: 'restore'
      atMs: number
      task: string
      store: string
      restoredRecords: number
      totalRecords: number
      done: boolean
    }
  | {
      type: 'committed'
      atMs: number
      records: number
      durationMs: number
      /** Records taken in by the tasks of each sub-topology (index = sub-topology id). */
      recordsIn: number[]
      recordsOut: number[]
      /** Late records (dead-lettered) of all tasks. */
      late: number
      usage: ProcessUsage
    }
  | { type: 'aborted'; atMs: number; reason: string }
  | { type: 'status'; atMs: number; stores: StoreFigures[]; usage: ProcessUsage }
  | { type: 'stopped'; atMs: number; stores: StoreFigures[]; commits: number; aborts: number }
  | { type: 'failed'; message: string }

function send(message: FromWorker): void {
  process.send?.(message)
}

function usage(): ProcessUsage {
  const cpu = process.cpuUsage()
  return {
    cpuUs: cpu.user + cpu.system,
    rssBytes: process.memoryUsage.rss(),
    // resourceUsage() reports maxRSS in kibibytes.
    maxRssBytes: resourceUsage().maxRSS * 1024,
  }
}

function topologyOf(config: WorkerConfig, registry: RegistryClient): Topology {
  const common = {
    applicationId: config.applicationId,
    inputTopic: config.inputTopic,
    outputTopic: config.outputTopic,
    outputSerde: new AvroSerializer({ registry, topic: config.outputTopic, schema: AnalyticsResultSchema }),
  }
  if (config.topology === 'event-counts') {
    return buildJob('event-counts', {
      ...common,
      ...(config.windowMs === undefined ? {} : { windowMs: config.windowMs }),
    })
  }
  if (config.topology === 'revenue' || config.topology === 'sessions')
    return buildJob(config.topology, common)
  const app = pipeline({ applicationId: config.applicationId })
  app
    .stream<UserEvent>(config.inputTopic, { schema: UserEventSchema })
    .map((event) => event, { name: 'copy' })
    .to(config.outputTopic, {
      serde: new AvroSerializer<UserEvent>({ registry, topic: config.outputTopic, schema: UserEventSchema }),
    })
  return app.build()
}

function counters(status: WorkerStatus): { recordsIn: number[]; recordsOut: number[]; late: number } {
  const recordsIn: number[] = []
  const recordsOut: number[] = []
  let late = 0
  for (const task of status.tasks) {
    const sub = Number(task.id.split('_')[0])
    recordsIn[sub] = (recordsIn[sub] ?? 0) + task.recordsIn
    recordsOut[sub] = (recordsOut[sub] ?? 0) + task.recordsOut
    late += task.recordsLate
  }
  return {
    recordsIn: Array.from(recordsIn, (n) => n ?? 0),
    recordsOut: Array.from(recordsOut, (n) => n ?? 0),
    late,
  }
}

function storesOf(status: WorkerStatus): StoreFigures[] {
  const byName = new Map<string, StoreFigures>()
  for (const task of status.tasks) {
    for (const store of task.stores) {
      const total = byName.get(store.name) ?? { name: store.name, keys: 0, bytes: 0 }
      total.keys += store.keys
      total.bytes += store.bytes
      byName.set(store.name, total)
    }
  }
  return [...byName.values()]
}

let worker: Worker | undefined

/** sql/event-counts.sql on the benchmark's topics, broker and registry, planned. */
async function sqlEventCounts(
  config: WorkerConfig,
): Promise<Partial<WorkerOptions> & { topology: Topology }> {
  const planned = await planSql(
    seedSqlFile('event-counts', {
      input: config.inputTopic,
      output: config.outputTopic,
      bootstrap: config.bootstrap,
      registryUrl: config.registryUrl,
      applicationId: config.applicationId,
    }),
    'sql/event-counts.sql',
  )
  return {
    topology: planned.topology,
    deserializers: { ...planned.deserializers },
    ...(planned.maxOutOfOrdernessMs === undefined
      ? {}
      : { maxOutOfOrdernessMs: planned.maxOutOfOrdernessMs }),
  }
}

async function start(config: WorkerConfig): Promise<void> {
  const registry = new RegistryClient({ url: config.registryUrl })
  const plan =
    config.topology === 'sql-event-counts'
      ? await sqlEventCounts(config)
      : { topology: topologyOf(config, registry) }
  const current: Worker = new Worker({
    bootstrapBrokers: [config.bootstrap],
    ...plan,
    workerId: config.workerId ?? randomWorkerId(),
    processingGuarantee: 'exactly-once',
    format: 'avro',
    registry,
    ...(config.stateDir === undefined ? {} : { stateDir: config.stateDir }),
    ...(config.commitIntervalMs === undefined ? {} : { commitIntervalMs: config.commitIntervalMs }),
    ...(config.maxBatchRecords === undefined ? {} : { maxBatchRecords: config.maxBatchRecords }),
    onEvent: (event: WorkerEvent) => {
      // Step 2
      if (event.type === 'assigned') send({ type: 'assigned', atMs: Date.now(), tasks: event.tasks })
      else if (event.type === 'restore') {
        send({
          type: 'restore',
          atMs: Date.now(),
          task: event.task,
          store: event.store,
          restoredRecords: event.restoredRecords,
          totalRecords: event.totalRecords,
          done: event.done,
        })
      }
      // Step 3
      else if (event.type === 'committed') {
        send({
          type: 'committed',
          atMs: Date.now(),
          records: event.records,
          durationMs: event.durationMs,
          ...counters(current.status()),
          usage: usage(),
        })
      } else if (event.type === 'aborted') send({ type: 'aborted', atMs: Date.now(), reason: event.reason })
    },
  })
  worker = current
  // Step 1
  const usageAtCall = usage()
  const calledAtMs = Date.now()
  await current.start()
  send({ type: 'started', calledAtMs, startedAtMs: Date.now(), usageAtCall })
  current.done.catch((error: unknown) => fail(error))
}

// Step 4
function status(): void {
  const stores = worker === undefined ? [] : storesOf(worker.status())
  send({ type: 'status', atMs: Date.now(), stores, usage: usage() })
}

// Step 5
async function stop(): Promise<void> {
  const current = worker
  let stores: StoreFigures[] = []
  let commits = 0
  let aborts = 0
  if (current !== undefined) {
    stores = storesOf(current.status())
    await current.stop()
    commits = current.status().commits
    aborts = current.status().aborts
  }
  send({ type: 'stopped', atMs: Date.now(), stores, commits, aborts })
  process.disconnect?.()
  // A client's keep-alive socket may hold the loop open; exiting normally still writes --cpu-prof.
  setTimeout(() => process.exit(0), 2_000).unref()
}

function fail(error: unknown): void {
  // The whole cause chain: a Kafka client error nests the broker's answer a few levels down.
  send({ type: 'failed', message: inspect(error, { depth: 8 }) })
  process.exitCode = 1
  process.disconnect?.()
  setTimeout(() => process.exit(1), 1_000).unref()
}

process.on('message', (message: ToWorker) => {
  if (message.type === 'status') {
    status()
    return
  }
  const work = message.type === 'start' ? start(message.config) : stop()
  work.catch(fail)
})
// The benchmark going away (even by SIGKILL) closes the channel: nothing is left to report to.
process.on('disconnect', () => {
  if (worker?.state === 'RUNNING') void worker.stop().finally(() => process.exit())
})
send({ type: 'ready' })
