/**
 * The second peer of the pipeline benchmark's drain: event-counts as Apache Flink 2.2 SQL (the job
 * of sql/event-counts.sql) on a local Flink session cluster, reading the same input topic through
 * the same registry.
 *
 * Preparing it:
 *   1. Flink is installed into the cache on first use (src/flink/install.ts: PyPI and Maven
 *      Central, about 400 MB), outside git.
 * Running it:
 *   2. A JobManager, a TaskManager and the SQL Gateway start on free ports with their state in the
 *      run's directory (src/flink/cluster.ts). The cluster's teardown runs `flinkDown` from before
 *      the first process is spawned, and the processes are put under its watchdog once they are up,
 *      so no Flink process outlives the run, however it ends.
 *   3. sql/event-counts.sql itself, the file freshet's SQL drain plans (a Kafka table in the
 *      avro-confluent format with the exact writer schema, a one-minute tumbling COUNT per event
 *      type into AnalyticsResult rows through the registry), on the benchmark's topics with a
 *      bounded scan up to the offsets the job starts with, goes through the SQL Gateway; the job
 *      finishes once it has read every record and the end of input has closed every window.
 *   4. Two times: from the call that submits the SQL to the job's end (planning, scheduling and
 *      task deployment included), and the job's own run time as Flink's REST API reports it. The
 *      CPU time of the JobManager and TaskManager JVMs (from /proc) over the first span.
 *   5. The output rows are read back and their counts summed: they must add up to the events.
 *   6. The cluster is stopped and its processes waited for.
 */
import { join } from 'node:path'
import {
  flinkDown,
  flinkInstalled,
  flinkUp,
  installFlink,
  jobState,
  resolveFlinkOptions,
  restUrl,
  gatewayUrl,
  submitSql,
  waitForJob,
  type FlinkTarget,
} from '../../src/flink/index.ts'
import { PartitionReader } from '../../src/kafka/index.ts'
import { AnalyticsResultSchema, type AnalyticsResult } from '../../src/schemas/index.ts'
import { createDeserializer } from '../../src/serde/index.ts'
import { freePort } from '../../src/stack/processes.ts'
import type { BenchCluster } from './cluster.ts'
import { seedSqlFile } from '../../test/helpers/sql.ts'
import { cpuTimeMs, peakRssBytes } from './proc.ts'

/**
 * The machine the benchmark was written for has 2 cores: one task slot per core. Flink's default
 * (the cluster's `parallelism.default`, 1) would leave one of them idle.
 */
const PARALLELISM = 2

export interface FlinkPeerOptions {
  inputTopic: string
  /** A fresh topic for the job's rows. */
  outputTopic: string
  /** Partitions of the output topic. */
  outputPartitions: number
  /** Events in the input topic; the output's counts must add up to it. */
  records: number
  log?: (line: string) => void
}

export interface FlinkPeerResult {
  /** From the call that submits the SQL to the job's end-time (both wall-clock, same machine). */
  submitToFinishedMs: number
  /** The job's `duration` from GET /jobs/<id>: its start-time to its end-time. */
  jobDurationMs: number
  /** From the job's start-time to its first RUNNING state (scheduling and task deployment). */
  jobStartupMs: number | undefined
  /** From the start of `flinkUp` to all three processes answering (installation excluded). */
  clusterUpMs: number
  /** CPU time of the JobManager and TaskManager JVMs from just before submission to the end. */
  cpuMs: number | undefined
  /** CPU time of the SQL Gateway (where the SQL is planned) over the same span. */
  gatewayCpuMs: number | undefined
  /** Broker CPU time over the same span. */
  brokerCpuMs: number | undefined
  /** Peak resident set of the TaskManager JVM. */
  taskManagerPeakRssBytes: number | undefined
  /** Rows the job wrote, and the sum of their counts (the events it counted). */
  outputRows: number
  countedEvents: number
}

/**
 * sql/event-counts.sql itself, as freshet's SQL drain runs it, on the benchmark's topics, broker
 * and registry, with a bounded scan and the parallelism set.
 */
function eventCountsSql(run: FlinkPeerOptions, bootstrap: string, registryUrl: string): string {
  const file = seedSqlFile('event-counts', {
    input: run.inputTopic,
    output: run.outputTopic,
    bootstrap,
    registryUrl,
    applicationId: 'bench-flink-event-counts',
    bounded: true,
  })
  return `SET 'parallelism.default' = '${PARALLELISM}';\n${file}`
}

interface JobTimes {
  startTimeMs: number
  endTimeMs: number
  durationMs: number
  runningAtMs: number | undefined
}

async function jobTimes(rest: string, jobId: string): Promise<JobTimes> {
  const response = await fetch(`${rest}/jobs/${jobId}`, { signal: AbortSignal.timeout(10_000) })
  if (!response.ok) throw new Error(`GET ${rest}/jobs/${jobId}: HTTP ${response.status}`)
  const body = (await response.json()) as {
    'start-time': number
    'end-time': number
    duration: number
    timestamps?: Record<string, number>
  }
  return {
    startTimeMs: body['start-time'],
    endTimeMs: body['end-time'],
    durationMs: body.duration,
    runningAtMs: body.timestamps?.RUNNING,
  }
}

/** Step 5: the rows of the output topic (AnalyticsResult, Avro through the registry) and the sum of their counts. */
async function readCounts(
  cluster: BenchCluster,
  topic: string,
  partitionCount: number,
): Promise<{ rows: number; events: number }> {
  const avro = createDeserializer<AnalyticsResult>({
    format: 'avro',
    registry: cluster.registry,
    schema: AnalyticsResultSchema,
  })
  const reader = new PartitionReader({ bootstrapBrokers: [cluster.bootstrap] })
  try {
    const partitions = Array.from({ length: partitionCount }, (_, i) => i)
    let rows = 0
    let events = 0
    for (const [partition, end] of await reader.endOffsets(topic, partitions)) {
      for await (const batch of reader.read(topic, partition, 0n, end)) {
        await avro.prepare(batch.map((r) => r.value))
        for (const record of batch) {
          rows++
          events += avro.deserializeSync(record.value).events ?? 0
        }
      }
    }
    return { rows, events }
  } finally {
    await reader.close()
  }
}

/** The drain of event-counts on Flink: see FlinkPeerResult. */
export async function runFlinkPeerDrain(
  cluster: BenchCluster,
  run: FlinkPeerOptions,
): Promise<FlinkPeerResult> {
  const log = run.log ?? (() => {})
  // Step 1
  if (!flinkInstalled()) log('flink: not in the cache yet, installing it (about 400 MB, once)')
  installFlink({ log: (line) => log(`flink: ${line}`) })

  // Step 2
  const target: FlinkTarget = {
    stateDir: join(cluster.dir, 'flink-peer'),
    host: '127.0.0.1',
    // The cluster's defaults, whatever FRESHET_FLINK_* the environment holds: every run the same.
    flink: resolveFlinkOptions(
      { restPort: await freePort(), rpcPort: await freePort(), gatewayPort: await freePort() },
      {},
    ),
  }
  const rest = restUrl(target)
  const removeTeardown = cluster.onStop(() => flinkDown(target))
  const releases: Array<() => void> = []
  try {
    const upAtMs = Date.now()
    const services = await flinkUp(target, log)
    const clusterUpMs = Date.now() - upAtMs
    const pidOf = (name: string): number => {
      const pid = services.find((s) => s.name === name)?.pid
      if (pid === null || pid === undefined) throw new Error(`flink: no pid for the ${name}`)
      return pid
    }
    const [jobManager, taskManager, gateway] = ['jobmanager', 'taskmanager', 'sql-gateway'].map(pidOf) as [
      number,
      number,
      number,
    ]
    for (const pid of [jobManager, taskManager, gateway]) releases.push(await cluster.adopt(pid))

    // Step 3
    const cpuNow = (): number | undefined => {
      const jm = cpuTimeMs(jobManager)
      const tm = cpuTimeMs(taskManager)
      return jm === undefined || tm === undefined ? undefined : jm + tm
    }
    const atStart = {
      cpuMs: cpuNow(),
      gatewayCpuMs: cpuTimeMs(gateway),
      brokerCpuMs: cpuTimeMs(cluster.brokerPid),
    }
    const submittedAtMs = Date.now()
    const submitted = await submitSql({
      gatewayUrl: gatewayUrl(target),
      sql: eventCountsSql(run, cluster.bootstrap, cluster.registryUrl),
      file: 'flink-event-counts.sql',
    })
    if (submitted.failed) throw new Error(`flink: ${submitted.failed.error ?? 'a statement failed'}`)
    const jobId = submitted.jobIds[0]
    if (jobId === undefined) throw new Error('flink: the SQL submitted no job')
    log(`flink: job ${jobId} submitted in ${Date.now() - submittedAtMs} ms, ${await jobState(rest, jobId)}`)
    const outcome = await waitForJob(rest, jobId, { timeoutMs: 1_800_000 })
    const since = (from: number | undefined, now: number | undefined): number | undefined =>
      from === undefined || now === undefined ? undefined : now - from
    const cpuMs = since(atStart.cpuMs, cpuNow())
    const gatewayCpuMs = since(atStart.gatewayCpuMs, cpuTimeMs(gateway))
    const brokerCpuMs = since(atStart.brokerCpuMs, cpuTimeMs(cluster.brokerPid))
    const taskManagerPeakRssBytes = peakRssBytes(taskManager)
    if (outcome.state !== 'FINISHED') {
      throw new Error(`flink: job ${jobId} ended ${outcome.state}: ${outcome.failure ?? ''}`)
    }

    // Step 4
    const times = await jobTimes(rest, jobId)

    // Step 5
    const counted = await readCounts(cluster, run.outputTopic, run.outputPartitions)
    return {
      submitToFinishedMs: times.endTimeMs - submittedAtMs,
      jobDurationMs: times.durationMs,
      jobStartupMs: times.runningAtMs === undefined ? undefined : times.runningAtMs - times.startTimeMs,
      clusterUpMs,
      cpuMs,
      gatewayCpuMs,
      brokerCpuMs,
      taskManagerPeakRssBytes,
      outputRows: counted.rows,
      countedEvents: counted.events,
    }
  } finally {
    // Step 6
    await flinkDown(target, log)
    for (const release of releases) release()
    removeTeardown()
  }
}
