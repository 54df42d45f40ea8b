/**
 * Pipeline throughput, latency and state size: one freshet Worker running `event-counts` (and, for
 * the drain, `revenue` and `sessions`) with exactly-once, on Avro user events through the registry,
 * beside Kafka Streams running the same on the same broker, and beside Apache Flink SQL for the
 * drain of event-counts (docs/benchmarks.md, "Pipeline").
 *
 * The run, as numbered steps:
 *   1. Start a broker on free ports in a temporary directory and an in-process registry.
 *   2. Drain: fill a fresh input topic with N Avro user events (EventProducer), then start one
 *      worker in a process of its own (bench/lib/pipeline-worker.ts) running event-counts, and
 *      time it from `Worker.start()` to the first commit after which both sub-topologies have
 *      taken in all N records. Cross-check the group's lag on the input topic (must be 0).
 *      Then the same drain of sql/event-counts.sql planned onto the DSL (src/sql), on the same
 *      backlog, and its ratio to the job's (`--skip-sql` leaves it out).
 *   3. State: the window store's keys and bytes as the worker reports them, then, after the worker
 *      stopped, the changelog topic: its records and its size on the broker's disk.
 *   4. The peers' drains on the same input topic: Kafka Streams (bench/lib/streams-peer.ts), timed
 *      the same way, and the ratio of the two (`--skip-peer` leaves it out); then Apache Flink 2.2
 *      SQL (bench/lib/flink-peer.ts: a local Flink installed on first use and started for the
 *      drain, event-counts as SQL with a bounded scan, parallelism 2), timed from the submission of
 *      the SQL to the job's end and over the job's own run time, its output's counts checked
 *      against N, and the ratio of freshet's drain to the latter (`--skip-flink` leaves it out).
 *      Then the drains of `revenue` and `sessions` (`--jobs` chooses among the three seed jobs),
 *      each with fresh application ids on the same input topic: freshet, timed as in step 2 (the
 *      first sub-topology took in all N records and each later one all the one before wrote), then
 *      Kafka Streams, timed as its event-counts, and their ratio. The input topic is deleted after
 *      the last drain. Last, the output check of revenue and sessions: their drains, a few seconds
 *      of event time, close no window, so both sides run each job again, untimed, on a small
 *      one-partition topic whose events are spread over hours of event time, and the rows they
 *      wrote are compared (rows, purchases, events); a WARNING line where they differ by more than
 *      2%.
 *   5. Latency, baseline: a producer at a steady rate with wall-clock timestamps and a
 *      read_committed reader on the producer's own topic: what every latency figure holds
 *      besides the pipeline.
 *   6. Latency, pass-through, per side: stream -> map -> to (exactly-once, default commit
 *      interval) between the same producer and reader; per output record, the time the reader
 *      received it minus its timestamp (the input event's, set just before it was sent).
 *   7. Latency, window results, per side: event-counts with short windows; per result row, the
 *      time it was received minus the earliest time its window could close (window end + the
 *      watermark's out-of-orderness bound + grace, in wall-clock time as the events are).
 *   8. Print a BENCH line per figure and a summary with the targets; stop everything.
 */
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { GroupConsumer, KafkaAdmin, PartitionReader, type InRecord } from '../src/kafka/index.ts'
import { EventProducer, GeneratedEvents } from '../src/producer/index.ts'
import { AnalyticsResultSchema, UserEventSchema, type AnalyticsResult } from '../src/schemas/index.ts'
import { AvroSerializer, createDeserializer } from '../src/serde/index.ts'
import { DEFAULT_MAX_OUT_OF_ORDERNESS_MS } from '../src/time/index.ts'
import { DEFAULT_GRACE_MS } from '../src/windows/index.ts'
import { flagsOrExit } from './lib/args.ts'
import { produceEvents, startCluster, type BenchCluster } from './lib/cluster.ts'
import type { FromWorker, StoreFigures, WorkerConfig } from './lib/pipeline-worker.ts'
import { runFlinkPeerDrain } from './lib/flink-peer.ts'
import { cpuTimeMs } from './lib/proc.ts'
import { describeMachine, figureRecorder, formatRate, quantile, table } from './lib/report.ts'
import {
  runStreamsPeerDrain,
  startStreamsPeer,
  type PeerJob,
  type StreamsPeerResult,
} from './lib/streams-peer.ts'
import { startWorkerProcess } from './lib/worker-process.ts'

const BENCH = 'bench/pipeline.bench.ts'
const MIB = 1024 * 1024

/** The targets the summary checks the figures against (docs/benchmarks.md, "Results"). */
const TARGETS = {
  drainVsKafkaStreams: 2.0,
  drainVsFlink: 1.2,
  drainCpuUsPerEvent: 8,
  drainPeakRssMib: 250,
  /** Pass-through p99 at a commit interval of `passthroughIntervalMs` only. */
  passthroughP99Ms: 50,
  passthroughIntervalMs: 20,
  windowResultP99Ms: 150,
  bytesPerKey: 150,
} as const

const spec = {
  count: { kind: 'int', default: 1_000_000, min: 1, help: 'events of the drain backlog' },
  partitions: {
    kind: 'int',
    default: 6,
    min: 1,
    max: 1000,
    help: 'partitions of the input and output topics',
  },
  rate: { kind: 'int', default: 10_000, min: 1, max: 1_000_000, help: 'events/s of the latency runs' },
  duration: { kind: 'int', default: 30, min: 1, max: 3600, help: 'seconds each latency run produces' },
  warmup: {
    kind: 'int',
    default: 5,
    min: 0,
    max: 3600,
    help: 'seconds at the start of a latency run left out of its figures',
  },
  'window-ms': {
    kind: 'int',
    default: 1_000,
    min: 1,
    help: 'window size of event-counts in the window-result latency runs',
  },
  'commit-interval-ms': {
    kind: 'int',
    min: 1,
    max: 600_000,
    help: "the worker's (and the peer's) commit interval (their default, 100, if absent)",
  },
  'max-batch-records': {
    kind: 'int',
    min: 1,
    max: 1_000_000,
    help: "the worker's maxBatchRecords (its default, 10,000, if absent)",
  },
  rocksdb: { kind: 'boolean', help: 'keep the drain worker state in RocksDB (stateDir) instead of memory' },
  users: {
    kind: 'int',
    min: 1,
    max: 10_000_000,
    help: "user population of the drain backlog (the generator's default, 10,000, if absent)",
  },
  'active-sessions': {
    kind: 'int',
    min: 1,
    max: 10_000_000,
    help: "sessions in progress at once in the drain backlog, at most --users (the generator's default if absent)",
  },
  jobs: {
    kind: 'list',
    default: ['event-counts', 'revenue', 'sessions'],
    allowed: ['event-counts', 'revenue', 'sessions'],
    help: 'the seed jobs whose drains run (the SQL, Flink and state figures come with event-counts)',
  },
  'skip-drain': { kind: 'boolean', help: 'skip the drain (and state) figures' },
  'skip-latency': { kind: 'boolean', help: 'skip the latency runs' },
  'skip-peer': { kind: 'boolean', help: 'skip the Kafka Streams peer' },
  'skip-flink': { kind: 'boolean', help: 'skip the drain of event-counts as Apache Flink SQL' },
  'skip-sql': { kind: 'boolean', help: 'skip the drain of sql/event-counts.sql planned onto the DSL' },
  'worker-cpu-prof': {
    kind: 'boolean',
    help: "write a CPU profile (node --cpu-prof) of each worker process into the run's directory",
  },
  keep: { kind: 'boolean', help: 'keep the broker directory (logs, profiles) after the run' },
  help: { kind: 'boolean', help: 'print this help' },
} as const

const flags = flagsOrExit(BENCH, spec)

const log = (line: string): void => console.error(`# ${line}`)
const { figures, report } = figureRecorder()
const runId = Date.now().toString(36)
/** The backlog every drain reads: filled by the first, deleted after the last. */
const DRAIN_INPUT = `bench-drain-${runId}-in`
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

function workerFlags(cluster: BenchCluster): string[] {
  return flags['worker-cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${join(cluster.dir, 'profiles')}`] : []
}

/** The worker options the flags set, common to every worker of the run. */
function workerTuning(): Pick<WorkerConfig, 'commitIntervalMs' | 'maxBatchRecords'> {
  return {
    ...(flags['max-batch-records'] === undefined ? {} : { maxBatchRecords: flags['max-batch-records'] }),
    ...(flags['commit-interval-ms'] === undefined ? {} : { commitIntervalMs: flags['commit-interval-ms'] }),
  }
}

async function fill(cluster: BenchCluster, topic: string, count: number): Promise<void> {
  const population =
    flags.users === undefined && flags['active-sessions'] === undefined
      ? {}
      : {
          source: new GeneratedEvents(
            topic,
            {
              seed: 7,
              ...(flags.users === undefined ? {} : { users: flags.users }),
              ...(flags['active-sessions'] === undefined ? {} : { activeSessions: flags['active-sessions'] }),
            },
            new AvroSerializer({ registry: cluster.registry, topic, schema: UserEventSchema }),
          ),
        }
  const summary = await produceEvents(cluster, topic, count, {
    clientId: 'freshet-bench-fill',
    ...population,
  })
  log(
    `filled ${topic}: ${summary.sent} events, ${(summary.bytes / summary.sent).toFixed(1)} bytes each, ${formatRate(summary.ratePerSec)} events/s`,
  )
}

/** Sum of the `.log` segment files of every partition directory of `topic` on the broker's disk. */
function topicDiskBytes(cluster: BenchCluster, topic: string): number {
  const data = join(cluster.dir, 'data')
  let bytes = 0
  for (const dir of readdirSync(data)) {
    if (!dir.startsWith(`${topic}-`) || !/^\d+$/.test(dir.slice(topic.length + 1))) continue
    for (const file of readdirSync(join(data, dir))) {
      if (file.endsWith('.log')) bytes += statSync(join(data, dir, file)).size
    }
  }
  return bytes
}

interface ChangelogFigures {
  topic: string
  records: number
  keys: number
  keyValueBytes: number
  diskBytes: number
}

/** Step 3: every committed record of the changelog topics of `applicationId`. */
async function readChangelogs(cluster: BenchCluster, applicationId: string): Promise<ChangelogFigures[]> {
  const admin = new KafkaAdmin({ bootstrapBrokers: [cluster.bootstrap] })
  const reader = new PartitionReader({
    bootstrapBrokers: [cluster.bootstrap],
    isolationLevel: 'read_committed',
  })
  try {
    const topics = (await admin.listTopics()).filter(
      (t) => t.startsWith(`${applicationId}-`) && t.endsWith('-changelog'),
    )
    const out: ChangelogFigures[] = []
    for (const topic of topics) {
      const partitions = (await admin.describeTopic(topic)).partitions.map((p) => p.partition)
      const ends = await reader.endOffsets(topic, partitions)
      const keys = new Set<string>()
      let records = 0
      let keyValueBytes = 0
      for (const partition of partitions) {
        for await (const batch of reader.read(topic, partition, 0n, ends.get(partition) ?? 0n)) {
          for (const record of batch) {
            records++
            keyValueBytes += (record.key?.length ?? 0) + (record.value?.length ?? 0)
            keys.add(`${partition}:${record.key?.toString('latin1') ?? ''}`)
          }
        }
      }
      out.push({ topic, records, keys: keys.size, keyValueBytes, diskBytes: topicDiskBytes(cluster, topic) })
    }
    return out
  } finally {
    await reader.close()
    await admin.close()
  }
}

/** The seed jobs besides event-counts, whose drain figures carry the job's name. */
type OtherJob = 'revenue' | 'sessions'
const OTHER_JOBS: readonly OtherJob[] = ['revenue', 'sessions']

/**
 * What a drain runs and under which figure names: the seed job event-counts (`pipeline.drain.*`),
 * the same as SQL planned onto the DSL (`pipeline.sql_drain.*`), or another seed job
 * (`pipeline.drain.<job>.*`), on the same backlog.
 */
interface DrainRun {
  readonly topology: 'event-counts' | 'sql-event-counts' | OtherJob
  readonly prefix: string
  readonly label: string
}

const DSL_DRAIN: DrainRun = { topology: 'event-counts', prefix: 'pipeline.drain', label: 'drain' }
const SQL_DRAIN: DrainRun = { topology: 'sql-event-counts', prefix: 'pipeline.sql_drain', label: 'sql drain' }

function jobDrainRun(job: OtherJob): DrainRun {
  return { topology: job, prefix: `pipeline.drain.${job}`, label: `${job} drain` }
}

/** Step 2: the backlog every drain reads. */
async function fillDrainInput(cluster: BenchCluster): Promise<void> {
  await cluster.createTopic(DRAIN_INPUT, flags.partitions)
  await fill(cluster, DRAIN_INPUT, flags.count)
}

/** Steps 2 and 3; step 4 for revenue and sessions (freshet's side). */
async function drain(cluster: BenchCluster, run: DrainRun = DSL_DRAIN): Promise<void> {
  const input = DRAIN_INPUT
  const output = `bench-${run.topology}-${runId}-out`
  await cluster.createTopic(output, flags.partitions)

  const applicationId = `bench-${run.topology}-${runId}`
  const config: WorkerConfig = {
    topology: run.topology,
    bootstrap: cluster.bootstrap,
    registryUrl: cluster.registryUrl,
    applicationId,
    inputTopic: input,
    outputTopic: output,
    ...(flags.rocksdb ? { stateDir: join(cluster.dir, 'state') } : {}),
    ...workerTuning(),
  }
  const worker = await startWorkerProcess(cluster, { execArgv: workerFlags(cluster) })
  const n = flags.count
  let progressAt = 0
  const commitMs: number[] = []
  worker.onMessage((m) => {
    if (m.type === 'committed') commitMs.push(m.durationMs)
    if (m.type === 'aborted') log(`${run.label}: a commit failed and was aborted: ${m.reason}`)
    if (m.type === 'committed' && m.atMs - progressAt >= 2_000) {
      progressAt = m.atMs
      log(
        `${run.label}: committed ${m.recordsIn.join(' / ')} records in, ${m.recordsOut.join(' / ')} out (per sub-topology) of ${n}`,
      )
    }
  })
  const brokerCpuAtStartMs = cpuTimeMs(cluster.brokerPid)
  const assigned = worker.next('assigned')
  const started = await worker.start(config)
  const firstAssignment = await assigned
  // Sub-topology 0 reads the input; each one after it reads what the one before it wrote to their
  // repartition topic (fewer records than events where they are pre-aggregated).
  const drained = await worker.next('committed', (m) => drainedAll(m, n))
  const brokerCpuAtEndMs = cpuTimeMs(cluster.brokerPid)
  const seconds = (drained.atMs - started.calledAtMs) / 1000
  const processingSeconds = (drained.atMs - firstAssignment.atMs) / 1000
  log(
    `${run.label}: ${n} events in ${seconds.toFixed(2)} s from Worker.start() (${processingSeconds.toFixed(2)} s after the assignment); late records: ${drained.late}`,
  )
  if (drained.recordsIn[0] !== n) {
    log(`${run.label}: WARNING: sub-topology 0 took in ${drained.recordsIn[0]} records, expected ${n}`)
  }
  log(
    `${run.label}: records in per sub-topology ${drained.recordsIn.join(' / ')}, out ${drained.recordsOut.join(' / ')}`,
  )

  const admin = new KafkaAdmin({ bootstrapBrokers: [cluster.bootstrap] })
  try {
    const lag = await admin.groupLag(applicationId, input)
    const total = lag.reduce((sum, p) => sum + p.lag, 0n)
    log(`${run.label}: group lag on ${input} after the drain: ${total} (must be 0)`)
  } finally {
    await admin.close()
  }
  const stopped = await worker.stop()

  report(`${run.prefix}.events_per_sec`, n / seconds, 'events/s')
  report(`${run.prefix}.seconds`, seconds, 's')
  report(`${run.prefix}.startup_ms`, firstAssignment.atMs - started.calledAtMs, 'ms')
  report(`${run.prefix}.processing_events_per_sec`, n / processingSeconds, 'events/s')
  const cpuUs = drained.usage.cpuUs - started.usageAtCall.cpuUs
  report(`${run.prefix}.worker_cpu_us_per_event`, cpuUs / n, 'us/event')
  report(`${run.prefix}.worker_cpu_share`, cpuUs / 1000 / (drained.atMs - started.calledAtMs), 'cores')
  if (brokerCpuAtStartMs !== undefined && brokerCpuAtEndMs !== undefined) {
    report(
      `${run.prefix}.broker_cpu_us_per_event`,
      ((brokerCpuAtEndMs - brokerCpuAtStartMs) * 1000) / n,
      'us/event',
    )
  }
  report(`${run.prefix}.worker_peak_rss_mib`, drained.usage.maxRssBytes / MIB, 'MiB')
  report(`${run.prefix}.commits`, stopped.commits, 'commits')
  const sortedCommitMs = Float64Array.from(commitMs).sort()
  report(`${run.prefix}.commit_ms_p50`, quantile(sortedCommitMs, 0.5), 'ms')
  report(`${run.prefix}.commit_ms_p99`, quantile(sortedCommitMs, 0.99), 'ms')

  if (run !== DSL_DRAIN) {
    await cluster.deleteTopic(output).catch(() => undefined)
    return
  }
  // Step 3
  const windowStore = pickWindowStore(stopped.stores)
  if (windowStore === undefined || windowStore.keys === 0) {
    log('state: the window store holds no key (every window closed?)')
  } else if (flags.rocksdb) {
    // RocksDB's figures are estimates (estimate-num-keys counts overwrites still in the memtable)
    // and its bytes are files plus memtables: with few keys, overhead rather than a size per key.
    log(
      `state: store ${windowStore.name} (RocksDB): about ${windowStore.keys} keys, ${windowStore.bytes} bytes`,
    )
    report('pipeline.state.rocksdb_estimated_keys', windowStore.keys, 'keys')
    report('pipeline.state.rocksdb_bytes', windowStore.bytes, 'bytes')
  } else {
    log(`state: store ${windowStore.name}: ${windowStore.keys} keys, ${windowStore.bytes} bytes`)
    report('pipeline.state.window_keys', windowStore.keys, 'keys')
    report('pipeline.state.bytes_per_key', windowStore.bytes / windowStore.keys, 'bytes')
  }
  for (const changelog of await readChangelogs(cluster, applicationId)) {
    log(
      `state: ${changelog.topic}: ${changelog.records} records of ${changelog.keys} keys, ${changelog.keyValueBytes} bytes of keys and values, ${changelog.diskBytes} bytes on disk`,
    )
    if (changelog.records === 0) continue
    report('pipeline.state.changelog_records', changelog.records, 'records')
    report('pipeline.state.changelog_disk_bytes_per_record', changelog.diskBytes / changelog.records, 'bytes')
    report('pipeline.state.changelog_disk_bytes_per_key', changelog.diskBytes / changelog.keys, 'bytes')
  }
  await cluster.deleteTopic(output).catch(() => undefined)
}

function pickWindowStore(stores: StoreFigures[]): StoreFigures | undefined {
  return stores.find((s) => s.name.includes('counts')) ?? stores[0]
}

/**
 * Who runs a latency run's topology: a freshet worker process, or the Kafka Streams peer. The
 * baseline runs none: the reader reads the producer's topic itself, which measures what the
 * producer, the broker and the reader add to every latency figure.
 */
type Side = 'freshet' | 'kafka-streams' | 'baseline'

interface RunningPipeline {
  /** The process whose CPU time is the pipeline's. */
  readonly pid: number
  /** Stops it; returns a line for the log. */
  stop(): Promise<string>
}

/** Starts `topology` on `side` and resolves once it is processing (assigned, or RUNNING). */
async function startPipeline(
  cluster: BenchCluster,
  side: Side,
  topology: 'event-counts' | 'passthrough',
  names: { applicationId: string; input: string; output: string },
): Promise<RunningPipeline> {
  if (side === 'kafka-streams') {
    const peer = await startStreamsPeer(cluster, {
      topology,
      applicationId: names.applicationId,
      inputTopic: names.input,
      outputTopic: names.output,
      windowMs: flags['window-ms'],
      ...(flags['commit-interval-ms'] === undefined ? {} : { commitIntervalMs: flags['commit-interval-ms'] }),
      log,
    })
    await peer.running
    return {
      pid: peer.pid,
      async stop() {
        const usage = await peer.stop()
        return `Kafka Streams stopped, peak RSS ${((usage.peakRssBytes ?? NaN) / MIB).toFixed(0)} MiB`
      },
    }
  }
  const worker = await startWorkerProcess(cluster, { execArgv: workerFlags(cluster) })
  worker.onMessage((m: FromWorker) => {
    if (m.type === 'aborted') log(`${topology}: a commit failed and was aborted: ${m.reason}`)
  })
  const commitMs: number[] = []
  worker.onMessage((m) => {
    if (m.type === 'committed') commitMs.push(m.durationMs)
  })
  const assigned = worker.next('assigned')
  await worker.start({
    topology,
    bootstrap: cluster.bootstrap,
    registryUrl: cluster.registryUrl,
    applicationId: names.applicationId,
    inputTopic: names.input,
    outputTopic: names.output,
    ...(topology === 'event-counts' ? { windowMs: flags['window-ms'] } : {}),
    ...workerTuning(),
  })
  await assigned
  return {
    pid: worker.pid,
    async stop() {
      const stopped = await worker.stop()
      const sorted = Float64Array.from(commitMs).sort()
      return `worker stopped: ${stopped.commits} commits (p50 ${quantile(sorted, 0.5)} ms, p99 ${quantile(sorted, 0.99)} ms), ${stopped.aborts} aborts`
    },
  }
}

interface LatencyRun {
  sent: number
  producedPerSec: number
  /** Wall-clock time the producer started. */
  startMs: number
  /** CPU time of the pipeline's process while the producer ran, as a share of one core. */
  cpuShare: number
}

/**
 * Steps 5 to 7: `topology` on `side` on fresh topics, a read_committed reader on its output and a
 * producer at `--rate` for `--duration` seconds; `onBatch` gets every batch the reader receives with
 * the time it received it. The reader stops once `enough` holds, or 15 s after the producer.
 */
async function latencyRun(
  cluster: BenchCluster,
  side: Side,
  topology: 'event-counts' | 'passthrough',
  onBatch: (records: InRecord[], receivedMs: number) => Promise<void> | void,
  enough: (sent: number) => boolean,
): Promise<LatencyRun> {
  const name = `bench-latency-${side}-${topology}-${runId}`
  const names = { applicationId: name, input: `${name}-in`, output: `${name}-out` }
  await cluster.createTopic(names.input, flags.partitions)
  await cluster.createTopic(names.output, flags.partitions)
  // The peer reads the input's schema from the registry as it starts: register it the way the
  // producer will (the same serializer, so the same text and id).
  await new AvroSerializer({ registry: cluster.registry, topic: names.input, schema: UserEventSchema }).init()
  const running: RunningPipeline =
    side === 'baseline'
      ? { pid: process.pid, stop: () => Promise.resolve('nothing to stop') }
      : await startPipeline(cluster, side, topology, names)
  const reader = new GroupConsumer({
    bootstrapBrokers: [cluster.bootstrap],
    groupId: `${name}-reader`,
    topics: [side === 'baseline' ? names.input : names.output],
    fromBeginning: true,
    isolationLevel: 'read_committed',
    maxWaitMs: 100,
  })
  await reader.start()
  let reading = true
  const readLoop = (async () => {
    while (reading) {
      const batch = await reader.nextBatch()
      const receivedMs = Date.now()
      if (batch.length === 0) break
      await onBatch(batch, receivedMs)
    }
  })()

  const producer = new EventProducer({
    bootstrapBrokers: [cluster.bootstrap],
    topic: names.input,
    ratePerSec: flags.rate,
    durationMs: flags.duration * 1000,
    format: 'avro',
    registry: cluster.registry,
    seed: 11,
    clientId: 'freshet-bench-latency',
  })
  const cpuAtStartMs = cpuTimeMs(running.pid)
  const startMs = Date.now()
  let summary
  try {
    summary = await producer.run()
    if (summary.error) throw summary.error
  } finally {
    await producer.close()
  }
  const cpuShare =
    side === 'baseline'
      ? NaN
      : ((cpuTimeMs(running.pid) ?? NaN) - (cpuAtStartMs ?? NaN)) / (Date.now() - startMs)
  log(`${side} ${topology}: produced ${summary.sent} events at ${formatRate(summary.ratePerSec)} events/s`)
  // Whatever is still in the pipeline comes out within a few commit intervals.
  const deadline = Date.now() + 15_000
  while (!enough(summary.sent) && Date.now() < deadline) await sleep(100)
  reading = false
  await reader.close()
  await readLoop
  log(`${side} ${topology}: ${await running.stop()}`)
  await cluster.deleteTopic(names.input).catch(() => undefined)
  await cluster.deleteTopic(names.output).catch(() => undefined)
  return { sent: summary.sent, producedPerSec: summary.ratePerSec, startMs, cpuShare }
}

function latencyPrefix(side: Side, what: string): string {
  if (side === 'baseline') return 'pipeline.latency.baseline'
  return side === 'freshet' ? `pipeline.latency.${what}` : `pipeline.peer.kafka_streams.latency.${what}`
}

function latencyFigures(prefix: string, sortedMs: Float64Array, run: LatencyRun): void {
  report(`${prefix}.events_per_sec`, run.producedPerSec, 'events/s')
  report(`${prefix}.samples`, sortedMs.length, 'samples')
  if (sortedMs.length === 0) {
    // E.g. window results of a run shorter than warm-up + the watermark's bound + a window.
    log(`${prefix}: no samples after the warm-up; make --duration longer`)
    return
  }
  report(`${prefix}.p50_ms`, quantile(sortedMs, 0.5), 'ms')
  report(`${prefix}.p99_ms`, quantile(sortedMs, 0.99), 'ms')
  report(`${prefix}.max_ms`, quantile(sortedMs, 1), 'ms')
  if (!Number.isNaN(run.cpuShare)) report(`${prefix}.cpu_share`, run.cpuShare, 'cores')
}

/** Steps 5 and 6 */
async function passthroughLatency(cluster: BenchCluster, side: Side): Promise<void> {
  // Per received record: its timestamp (the event's, set as it was produced) and its latency.
  const stamps: number[] = []
  const latencies: number[] = []
  const run = await latencyRun(
    cluster,
    side,
    'passthrough',
    (batch, receivedMs) => {
      for (const record of batch) {
        stamps.push(record.timestampMs)
        latencies.push(receivedMs - record.timestampMs)
      }
    },
    (sent) => stamps.length >= sent,
  )
  if (stamps.length !== run.sent)
    log(`${side} passthrough: WARNING: received ${stamps.length} of ${run.sent}`)
  const warmupEndMs = run.startMs + flags.warmup * 1000
  const sorted = Float64Array.from(latencies.filter((_, i) => stamps[i]! >= warmupEndMs)).sort()
  latencyFigures(latencyPrefix(side, 'passthrough'), sorted, run)
}

/** Step 7 */
async function windowLatency(cluster: BenchCluster, side: Side): Promise<void> {
  const avro = createDeserializer<AnalyticsResult>({
    format: 'avro',
    registry: cluster.registry,
    schema: AnalyticsResultSchema,
  })
  // The peer writes its rows as JSON (see bench/peer/StreamsPeer.java).
  const decode = async (records: InRecord[]): Promise<Array<{ window_end: number }>> => {
    if (side === 'kafka-streams') {
      return records.map((r) => JSON.parse((r.value as Buffer).toString('utf8')) as { window_end: number })
    }
    await avro.prepare(records.map((r) => r.value))
    return records.map((r) => avro.deserializeSync(r.value))
  }
  const boundMs = DEFAULT_MAX_OUT_OF_ORDERNESS_MS + DEFAULT_GRACE_MS
  const rows: Array<{ windowEndMs: number; delayMs: number }> = []
  let lastSeenMs = 0
  const run = await latencyRun(
    cluster,
    side,
    'event-counts',
    async (batch, receivedMs) => {
      for (const row of await decode(batch)) {
        rows.push({ windowEndMs: row.window_end, delayMs: receivedMs - (row.window_end + boundMs) })
      }
      lastSeenMs = receivedMs
    },
    // After the producer stops, the windows it closed come out within a few commit intervals.
    () => lastSeenMs > 0 && Date.now() - lastSeenMs > 3_000,
  )
  const warmupEndMs = run.startMs + flags.warmup * 1000
  const measured = rows.filter((r) => r.windowEndMs - flags['window-ms'] >= warmupEndMs)
  const windows = new Set(measured.map((r) => r.windowEndMs)).size
  log(
    `${side} event-counts: ${rows.length} rows; measured ${measured.length} of ${windows} windows after the warm-up`,
  )
  const sorted = Float64Array.from(measured.map((r) => r.delayMs)).sort()
  latencyFigures(latencyPrefix(side, 'window_close'), sorted, run)
}

/** Step 4: the Kafka Streams drain of `job`; its figures under `pipeline.peer.kafka_streams.drain[.<job>]`. */
async function peerDrain(cluster: BenchCluster, job: PeerJob = 'event-counts'): Promise<StreamsPeerResult> {
  const input = DRAIN_INPUT
  const name = job === 'event-counts' ? `bench-peer-${runId}` : `bench-peer-${job}-${runId}`
  const output = `${name}-out`
  const prefix = peerDrainPrefix(job)
  const label = job === 'event-counts' ? 'peer' : `peer ${job}`
  await cluster.createTopic(output, flags.partitions)
  try {
    const result = await runStreamsPeerDrain(cluster, {
      job,
      applicationId: name,
      inputTopic: input,
      outputTopic: output,
      records: flags.count,
      ...(flags['commit-interval-ms'] === undefined ? {} : { commitIntervalMs: flags['commit-interval-ms'] }),
      log,
    })
    log(
      `${label}: ${flags.count} events in ${(result.drainMs / 1000).toFixed(2)} s from KafkaStreams.start(), ${result.lateOrDropped} dropped`,
    )
    report(`${prefix}.events_per_sec`, flags.count / (result.drainMs / 1000), 'events/s')
    report(`${prefix}.seconds`, result.drainMs / 1000, 's')
    report(`${prefix}.startup_ms`, result.startupMs, 'ms')
    if (result.cpuMs !== undefined) {
      report(`${prefix}.cpu_us_per_event`, (result.cpuMs * 1000) / flags.count, 'us/event')
    }
    if (result.brokerCpuMs !== undefined) {
      report(`${prefix}.broker_cpu_us_per_event`, (result.brokerCpuMs * 1000) / flags.count, 'us/event')
    }
    if (result.peakRssBytes !== undefined) {
      report(peerPeakRssName(job), result.peakRssBytes / MIB, 'MiB')
    }
    return result
  } finally {
    await cluster.deleteTopic(output).catch(() => undefined)
  }
}

function peerDrainPrefix(job: PeerJob): string {
  const prefix = 'pipeline.peer.kafka_streams.drain'
  return job === 'event-counts' ? prefix : `${prefix}.${job}`
}

/** event-counts keeps its historical name, outside `drain`. */
function peerPeakRssName(job: PeerJob): string {
  return job === 'event-counts'
    ? 'pipeline.peer.kafka_streams.peak_rss_mib'
    : `${peerDrainPrefix(job)}.peak_rss_mib`
}

/** Step 4: freshet's drain of `job` over the peer's, as `pipeline.drain[.<job>].ratio_vs_kafka_streams`. */
function reportPeerRatio(job: PeerJob, peer: StreamsPeerResult): void {
  const prefix = job === 'event-counts' ? 'pipeline.drain' : `pipeline.drain.${job}`
  const freshet = figures.find((f) => f.name === `${prefix}.events_per_sec`)?.value
  if (freshet !== undefined) {
    report(`${prefix}.ratio_vs_kafka_streams`, freshet / (flags.count / (peer.drainMs / 1000)), 'ratio')
  }
}

/** What the output check compares of a side's rows. */
interface OutputTotals {
  rows: number
  purchases: number
  events: number
}

type ResultRow = Pick<AnalyticsResult, 'purchases' | 'events'>

function totalsOf(rows: ResultRow[]): OutputTotals {
  let purchases = 0
  let events = 0
  for (const row of rows) {
    purchases += row.purchases ?? 0
    events += row.events ?? 0
  }
  return { rows: rows.length, purchases, events }
}

/** Every committed record of `topic`. */
async function readTopic(cluster: BenchCluster, topic: string): Promise<InRecord[]> {
  const admin = new KafkaAdmin({ bootstrapBrokers: [cluster.bootstrap] })
  const reader = new PartitionReader({
    bootstrapBrokers: [cluster.bootstrap],
    isolationLevel: 'read_committed',
  })
  try {
    const partitions = (await admin.describeTopic(topic)).partitions.map((p) => p.partition)
    const ends = await reader.endOffsets(topic, partitions)
    const records: InRecord[] = []
    for (const partition of partitions) {
      for await (const batch of reader.read(topic, partition, 0n, ends.get(partition) ?? 0n)) {
        records.push(...batch)
      }
    }
    return records
  } finally {
    await reader.close()
    await admin.close()
  }
}

/** Events of the output check, and the event time between two of them. */
const CHECK_COUNT = 20_000
const CHECK_EVENT_SPACING_MS = 500
/** Largest relative difference of the two sides' totals the output check lets pass. */
const CHECK_TOLERANCE = 0.02

/**
 * Step 4, output check: `job` on both sides, untimed, on `input` (events spread over hours of event
 * time, so that windows and sessions close); compares the rows each side wrote.
 */
async function outputCheck(cluster: BenchCluster, job: OtherJob, input: string): Promise<void> {
  const name = `bench-check-${job}-${runId}`
  const freshetOutput = `${name}-freshet-out`
  const peerOutput = `${name}-peer-out`
  await cluster.createTopic(freshetOutput, flags.partitions)
  await cluster.createTopic(peerOutput, flags.partitions)
  try {
    const worker = await startWorkerProcess(cluster)
    const drained = worker.next('committed', (m) => drainedAll(m, CHECK_COUNT))
    drained.catch(() => undefined)
    await worker.start({
      topology: job,
      bootstrap: cluster.bootstrap,
      registryUrl: cluster.registryUrl,
      applicationId: `${name}-freshet`,
      inputTopic: input,
      outputTopic: freshetOutput,
      ...workerTuning(),
    })
    await drained
    await worker.stop()
    const peer = await runStreamsPeerDrain(cluster, {
      job,
      applicationId: `${name}-peer`,
      inputTopic: input,
      outputTopic: peerOutput,
      records: CHECK_COUNT,
      log,
    })
    const avro = createDeserializer<AnalyticsResult>({
      format: 'avro',
      registry: cluster.registry,
      schema: AnalyticsResultSchema,
    })
    const freshetRecords = await readTopic(cluster, freshetOutput)
    await avro.prepare(freshetRecords.map((r) => r.value))
    const mine = totalsOf(freshetRecords.map((r) => avro.deserializeSync(r.value)))
    // The peer writes its rows as JSON (see bench/peer/StreamsPeer.java).
    const theirs = totalsOf(
      (await readTopic(cluster, peerOutput)).map(
        (r) => JSON.parse((r.value as Buffer).toString('utf8')) as ResultRow,
      ),
    )
    const describe = (t: OutputTotals): string =>
      `${t.rows} rows, ${t.purchases} purchases${job === 'sessions' ? `, ${t.events} events` : ''}`
    log(
      `check ${job} (${CHECK_COUNT} events, ${CHECK_EVENT_SPACING_MS} ms of event time apart): freshet ${describe(mine)}; Kafka Streams ${describe(theirs)} (${peer.lateOrDropped} dropped)`,
    )
    const off = (a: number, b: number): boolean => Math.abs(a - b) > CHECK_TOLERANCE * Math.max(a, b)
    const keys: Array<keyof OutputTotals> =
      job === 'sessions' ? ['rows', 'purchases', 'events'] : ['rows', 'purchases']
    const differing = keys.filter((k) => off(mine[k], theirs[k]))
    if (mine.rows === 0 || theirs.rows === 0 || differing.length > 0) {
      log(
        `check ${job}: WARNING: the outputs of freshet and Kafka Streams differ (${differing.join(', ') || 'no rows'}) by more than ${CHECK_TOLERANCE * 100}%`,
      )
    }
  } finally {
    await cluster.deleteTopic(freshetOutput).catch(() => undefined)
    await cluster.deleteTopic(peerOutput).catch(() => undefined)
  }
}

/** Step 4, Flink; returns its events/s over the job's own run time. */
async function flinkDrain(cluster: BenchCluster): Promise<number> {
  const output = `bench-flink-${runId}-out`
  await cluster.createTopic(output, flags.partitions)
  const n = flags.count
  const prefix = 'pipeline.peer.flink.drain'
  try {
    const result = await runFlinkPeerDrain(cluster, {
      inputTopic: DRAIN_INPUT,
      outputTopic: output,
      outputPartitions: flags.partitions,
      records: n,
      log,
    })
    log(
      `flink: ${n} events in ${(result.submitToFinishedMs / 1000).toFixed(2)} s from the submission of the SQL to the job's end, ${(result.jobDurationMs / 1000).toFixed(2)} s of job run time; cluster up in ${(result.clusterUpMs / 1000).toFixed(1)} s`,
    )
    log(
      `flink: ${result.outputRows} rows counting ${result.countedEvents} events; SQL Gateway CPU ${result.gatewayCpuMs ?? '-'} ms`,
    )
    if (result.countedEvents !== n) {
      log(`flink: WARNING: the output's counts add up to ${result.countedEvents} events, expected ${n}`)
    }
    const jobEventsPerSec = n / (result.jobDurationMs / 1000)
    report(`${prefix}.events_per_sec`, n / (result.submitToFinishedMs / 1000), 'events/s')
    report(`${prefix}.seconds`, result.submitToFinishedMs / 1000, 's')
    report(`${prefix}.job_events_per_sec`, jobEventsPerSec, 'events/s')
    report(`${prefix}.job_seconds`, result.jobDurationMs / 1000, 's')
    if (result.jobStartupMs !== undefined) report(`${prefix}.job_startup_ms`, result.jobStartupMs, 'ms')
    if (result.cpuMs !== undefined) {
      report(`${prefix}.cpu_us_per_event`, (result.cpuMs * 1000) / n, 'us/event')
    }
    if (result.brokerCpuMs !== undefined) {
      report(`${prefix}.broker_cpu_us_per_event`, (result.brokerCpuMs * 1000) / n, 'us/event')
    }
    if (result.taskManagerPeakRssBytes !== undefined) {
      report('pipeline.peer.flink.peak_rss_mib', result.taskManagerPeakRssBytes / MIB, 'MiB')
    }
    return jobEventsPerSec
  } finally {
    await cluster.deleteTopic(output).catch(() => undefined)
  }
}

/** The pass-through target holds at its commit interval only: elsewhere the row has none. */
function passthroughTarget(): [string, (v: number) => boolean] | [string] {
  if (flags['commit-interval-ms'] !== TARGETS.passthroughIntervalMs) return ['']
  return [`<= ${TARGETS.passthroughP99Ms}`, (v) => v <= TARGETS.passthroughP99Ms]
}

function verdictOf(ratio: number, target: number): string {
  return `(target >= ${target.toFixed(1)}x: ${ratio >= target ? 'met' : 'MISSED'})`
}

function summary(): string {
  const value = (name: string): number | undefined => figures.find((f) => f.name === name)?.value
  const fmt = (v: number | undefined): string =>
    v === undefined || Number.isNaN(v) ? '-' : Math.abs(v) >= 1000 ? formatRate(v) : v.toFixed(1)
  const peer = 'pipeline.peer.kafka_streams'
  const flink = 'pipeline.peer.flink'
  const at = `at ${formatRate(flags.rate)}/s`
  // [label, freshet figure, peer figure, Flink figure, target, test]
  const rows: Array<
    [string, string, string | undefined, string | undefined, string, ((v: number) => boolean)?]
  > = [
    [
      `drain of ${formatRate(flags.count)} events, events/s`,
      'pipeline.drain.events_per_sec',
      `${peer}.drain.events_per_sec`,
      `${flink}.drain.events_per_sec`,
      '',
    ],
    [
      'drain without startup, events/s',
      'pipeline.drain.processing_events_per_sec',
      undefined,
      `${flink}.drain.job_events_per_sec`,
      '',
    ],
    [
      'drain, CPU us per event',
      'pipeline.drain.worker_cpu_us_per_event',
      `${peer}.drain.cpu_us_per_event`,
      `${flink}.drain.cpu_us_per_event`,
      `<= ${TARGETS.drainCpuUsPerEvent}`,
      (v) => v <= TARGETS.drainCpuUsPerEvent,
    ],
    [
      'drain, peak RSS MiB',
      'pipeline.drain.worker_peak_rss_mib',
      `${peer}.peak_rss_mib`,
      `${flink}.peak_rss_mib`,
      `<= ${TARGETS.drainPeakRssMib}`,
      (v) => v <= TARGETS.drainPeakRssMib,
    ],
    ...OTHER_JOBS.flatMap((job): Array<[string, string, string | undefined, string | undefined, string]> => [
      [
        `${job} drain, events/s`,
        `pipeline.drain.${job}.events_per_sec`,
        `${peer}.drain.${job}.events_per_sec`,
        undefined,
        '',
      ],
      [
        `${job} drain, CPU us per event`,
        `pipeline.drain.${job}.worker_cpu_us_per_event`,
        `${peer}.drain.${job}.cpu_us_per_event`,
        undefined,
        '',
      ],
      [
        `${job} drain, peak RSS MiB`,
        `pipeline.drain.${job}.worker_peak_rss_mib`,
        `${peer}.drain.${job}.peak_rss_mib`,
        undefined,
        '',
      ],
    ]),
    [
      `baseline, producer -> reader ${at}, p50 ms`,
      'pipeline.latency.baseline.p50_ms',
      undefined,
      undefined,
      '',
    ],
    [
      `baseline, producer -> reader ${at}, p99 ms`,
      'pipeline.latency.baseline.p99_ms',
      undefined,
      undefined,
      '',
    ],
    [
      `pass-through latency ${at}, p50 ms`,
      'pipeline.latency.passthrough.p50_ms',
      `${peer}.latency.passthrough.p50_ms`,
      undefined,
      '',
    ],
    [
      `pass-through latency ${at}, p99 ms`,
      'pipeline.latency.passthrough.p99_ms',
      `${peer}.latency.passthrough.p99_ms`,
      undefined,
      ...passthroughTarget(),
    ],
    [
      `window result delay ${at}, p50 ms`,
      'pipeline.latency.window_close.p50_ms',
      `${peer}.latency.window_close.p50_ms`,
      undefined,
      '',
    ],
    [
      `window result delay ${at}, p99 ms`,
      'pipeline.latency.window_close.p99_ms',
      `${peer}.latency.window_close.p99_ms`,
      undefined,
      `<= ${TARGETS.windowResultP99Ms}`,
      (v) => v <= TARGETS.windowResultP99Ms,
    ],
    [
      'window state, bytes per key',
      'pipeline.state.bytes_per_key',
      undefined,
      undefined,
      `<= ${TARGETS.bytesPerKey}`,
      (v) => v <= TARGETS.bytesPerKey,
    ],
  ]
  const lines = [
    ['Figure', 'freshet', 'Kafka Streams', 'Flink', 'Target', 'freshet'],
    ...rows.map(([label, mine, theirs, flinks, target, test]) => {
      const v = value(mine)
      const verdict =
        test === undefined
          ? ''
          : v === undefined || Number.isNaN(v)
            ? 'not measured'
            : test(v)
              ? 'met'
              : 'MISSED'
      const other = (name: string | undefined): string => (name === undefined ? '' : fmt(value(name)))
      return [label, fmt(v), other(theirs), other(flinks), target, verdict]
    }),
  ]
  const ratio = value('pipeline.drain.ratio_vs_kafka_streams')
  const sqlRatio = value('pipeline.sql_drain.ratio_vs_dsl')
  const out = ['', table(lines)]
  if (ratio !== undefined) {
    out.push(
      `drain, freshet / Kafka Streams: ${ratio.toFixed(2)}x ${verdictOf(ratio, TARGETS.drainVsKafkaStreams)}`,
    )
  }
  for (const job of OTHER_JOBS) {
    const jobRatio = value(`pipeline.drain.${job}.ratio_vs_kafka_streams`)
    if (jobRatio !== undefined) out.push(`${job} drain, freshet / Kafka Streams: ${jobRatio.toFixed(2)}x`)
  }
  const flinkRatio = value('pipeline.drain.ratio_vs_flink')
  if (flinkRatio !== undefined) {
    // Flink's first drain row runs from the submission of the SQL to FINISHED; its second, the job's.
    out.push(
      `drain, freshet / Flink (the job's own run time): ${flinkRatio.toFixed(2)}x ` +
        verdictOf(flinkRatio, TARGETS.drainVsFlink),
    )
  }
  if (sqlRatio !== undefined) {
    out.push(
      `drain of sql/event-counts.sql / the event-counts job: ${sqlRatio.toFixed(2)}x ` +
        `(${formatRate(value('pipeline.sql_drain.events_per_sec') ?? NaN)} events/s; target >= 0.90x)`,
    )
  }
  return out.join('\n')
}

async function main(): Promise<void> {
  log(`machine: ${describeMachine()}`)
  // Step 1
  const cluster = await startCluster({ log, keepDir: flags.keep || flags['worker-cpu-prof'] })
  const sides: Side[] = flags['skip-peer'] ? ['freshet'] : ['freshet', 'kafka-streams']
  try {
    // Steps 2-3
    if (!flags['skip-drain']) {
      await fillDrainInput(cluster)
      if (flags.jobs.includes('event-counts')) {
        await drain(cluster)
        if (!flags['skip-sql']) {
          await drain(cluster, SQL_DRAIN)
          const dsl = figures.find((f) => f.name === 'pipeline.drain.events_per_sec')?.value
          const sql = figures.find((f) => f.name === 'pipeline.sql_drain.events_per_sec')?.value
          if (dsl !== undefined && sql !== undefined)
            report('pipeline.sql_drain.ratio_vs_dsl', sql / dsl, 'ratio')
        }
        // Step 4
        if (!flags['skip-peer']) reportPeerRatio('event-counts', await peerDrain(cluster))
        if (!flags['skip-flink']) {
          const flink = await flinkDrain(cluster)
          for (const prefix of ['pipeline.drain', 'pipeline.sql_drain']) {
            const freshet = figures.find((f) => f.name === `${prefix}.events_per_sec`)?.value
            if (freshet !== undefined) report(`${prefix}.ratio_vs_flink`, freshet / flink, 'ratio')
          }
        }
      }
      // Step 4, revenue and sessions
      const others = OTHER_JOBS.filter((job) => flags.jobs.includes(job))
      for (const job of others) {
        await drain(cluster, jobDrainRun(job))
        if (!flags['skip-peer']) reportPeerRatio(job, await peerDrain(cluster, job))
      }
      await cluster.deleteTopic(DRAIN_INPUT).catch(() => undefined)
      // Step 4, output check
      if (!flags['skip-peer'] && others.length > 0) {
        const checkInput = `bench-check-${runId}-in`
        // One partition: a backlog hours long read from several would reach the repartition topic
        // out of order by far more than the grace, and Kafka Streams, whose windows close on the
        // largest timestamp a task has seen, would drop most purchases as late.
        await cluster.createTopic(checkInput, 1)
        // Event time hours in the past, a fixed step per reading of the clock, so that windows and
        // sessions close. The generator reads its clock a little more often than once per event: it
        // starts twice the span back and never passes now (freshet rejects timestamps ahead of it).
        let eventMs = Date.now() - 2 * CHECK_COUNT * CHECK_EVENT_SPACING_MS
        const clock = (): number => (eventMs = Math.min(Date.now(), eventMs + CHECK_EVENT_SPACING_MS))
        await produceEvents(cluster, checkInput, CHECK_COUNT, {
          clientId: 'freshet-bench-check',
          seed: 13,
          clock,
        })
        for (const job of others) await outputCheck(cluster, job, checkInput)
        await cluster.deleteTopic(checkInput).catch(() => undefined)
      }
    }
    if (!flags['skip-latency']) {
      // Step 5
      await passthroughLatency(cluster, 'baseline')
      // Step 6
      for (const side of sides) await passthroughLatency(cluster, side)
      // Step 7
      for (const side of sides) await windowLatency(cluster, side)
    }
    // Step 8
    console.log(summary())
    if (flags['worker-cpu-prof']) log(`worker CPU profiles: ${join(cluster.dir, 'profiles')}`)
    log(`machine after the runs: ${describeMachine()}`)
  } finally {
    await cluster.stop()
  }
}

await main()

/** The drain is done when the input is read and every sub-topology has read what the one before it wrote. */
function drainedAll(m: { recordsIn: number[]; recordsOut: number[] }, n: number): boolean {
  const [first, ...rest] = m.recordsIn
  return first !== undefined && first >= n && rest.every((count, i) => count >= (m.recordsOut[i] ?? 0))
}
