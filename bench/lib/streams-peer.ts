/**
 * The peer of the pipeline benchmark: the seed jobs event-counts, revenue and sessions and the
 * pass-through written with Kafka Streams (bench/peer/StreamsPeer.java), on the same broker, fed
 * the same events.
 *
 * Preparing it, once per source version:
 *   1. Maven copies Kafka Streams, Apache Avro and a log4j2 binding from Maven Central
 *      (bench/peer/pom.xml) into the cache outside git, as `make install` does for the broker.
 *   2. javac compiles StreamsPeer.java into the same cache, under a directory named after the
 *      source's hash, so an edited source is compiled again.
 * Running it:
 *   3. The input topic's registered Avro schema and id are written to a file for the peer, which
 *      decodes the Confluent wire format itself (Confluent's serde is not on Maven Central).
 *   4. The JVM runs under the cluster's watchdog; its stdout lines STARTED, RUNNING and DRAINED
 *      carry wall-clock times, and its CPU time and peak RSS are read from /proc when it drains
 *      (drain mode) or before it is stopped by closing its standard input (live mode).
 */
import { spawn, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { JOBS } from '../../src/jobs/index.ts'
import { cacheDir, KAFKA_LOG4J_CONFIG } from '../../src/stack/kafka-jars.ts'
import { DEFAULT_MAX_OUT_OF_ORDERNESS_MS } from '../../src/time/index.ts'
import { DEFAULT_GRACE_MS } from '../../src/windows/index.ts'
import type { BenchCluster } from './cluster.ts'
import { cpuTimeMs, peakRssBytes } from './proc.ts'

const PEER_DIR = fileURLToPath(new URL('../peer/', import.meta.url))
const POM = join(PEER_DIR, 'pom.xml')
const SOURCE = join(PEER_DIR, 'StreamsPeer.java')
const MAIN_CLASS = 'dev.freshet.bench.StreamsPeer'
/** The seed jobs the peer has, besides the pass-through. */
export type PeerJob = 'event-counts' | 'revenue' | 'sessions'

export interface StreamsPeerOptions {
  topology: PeerJob | 'passthrough'
  applicationId: string
  inputTopic: string
  outputTopic: string
  /**
   * event-counts only; the job's default (a minute) when absent. revenue and sessions run with the
   * jobs' defaults.
   */
  windowMs?: number
  /**
   * Drain mode: the peer exits at the first commit after it took in this many input records and
   * everything it wrote to its repartition topic (event-counts, revenue). Without it the peer runs
   * until `stop()`.
   */
  records?: number
  commitIntervalMs?: number
  heapMb?: number
  log?: (line: string) => void
}

/** Resource figures of the JVM over a span (drain: STARTED to DRAINED; live: RUNNING to stop). */
export interface PeerUsage {
  cpuMs: number | undefined
  brokerCpuMs: number | undefined
  peakRssBytes: number | undefined
}

export interface StreamsPeer {
  readonly pid: number
  /** Wall-clock time just before KafkaStreams.start(). */
  readonly started: Promise<number>
  /** Wall-clock time of the first RUNNING state. */
  readonly running: Promise<number>
  /** Drain mode: when the commit holding the last record completed, and the records dropped as late. */
  readonly drained: Promise<{ atMs: number; dropped: number; usage: PeerUsage }>
  /** Live mode: closes the peer's standard input, waits for it to exit; usage since RUNNING. */
  stop(): Promise<PeerUsage>
}

export interface StreamsPeerResult {
  /** From just before KafkaStreams.start() to the commit that holds the last record. */
  drainMs: number
  /** From just before KafkaStreams.start() to its first RUNNING state. */
  startupMs: number
  /** CPU time of the JVM over the drain (from the STARTED line to the DRAINED line). */
  cpuMs: number | undefined
  /** Broker CPU time over the same span. */
  brokerCpuMs: number | undefined
  peakRssBytes: number | undefined
  /** Records the window operator dropped as late (Kafka Streams' dropped-records-total). */
  lateOrDropped: number
}

function peerCache(): string {
  return join(cacheDir(), 'bench-streams-peer')
}

/** Steps 1 and 2; returns the JVM classpath. */
export function prepareStreamsPeer(log: (line: string) => void = () => {}): string {
  const libs = join(peerCache(), 'libs')
  const pomHash = createHash('sha256').update(readFileSync(POM)).digest('hex').slice(0, 12)
  const stamp = join(libs, `.complete-${pomHash}`)
  if (!existsSync(stamp)) {
    // Step 1
    rmSync(libs, { recursive: true, force: true })
    mkdirSync(libs, { recursive: true })
    log(`fetching Kafka Streams and Avro from Maven Central into ${libs}`)
    const mvn = spawnSync(
      'mvn',
      [
        '-q',
        '-B',
        '-f',
        POM,
        'dependency:copy-dependencies',
        `-DoutputDirectory=${libs}`,
        '-DincludeScope=runtime',
      ],
      { stdio: ['ignore', 'inherit', 'inherit'] },
    )
    if (mvn.error || mvn.status !== 0) {
      throw new Error(`Maven could not fetch the Kafka Streams peer's jars (exit ${mvn.status})`, {
        cause: mvn.error,
      })
    }
    writeFileSync(stamp, `${readdirSync(libs).length} jars\n`)
  }
  // Step 2
  const sourceHash = createHash('sha256').update(readFileSync(SOURCE)).digest('hex').slice(0, 12)
  const classes = join(peerCache(), `classes-${sourceHash}`)
  if (!existsSync(join(classes, '.complete'))) {
    rmSync(classes, { recursive: true, force: true })
    mkdirSync(classes, { recursive: true })
    log(`compiling ${SOURCE}`)
    const javac = spawnSync('javac', ['-d', classes, '-cp', join(libs, '*'), SOURCE], {
      stdio: ['ignore', 'inherit', 'inherit'],
    })
    if (javac.error || javac.status !== 0) {
      throw new Error(`javac could not compile ${SOURCE} (exit ${javac.status})`, { cause: javac.error })
    }
    writeFileSync(join(classes, '.complete'), '')
  }
  return `${classes}:${join(libs, '*')}`
}

export async function startStreamsPeer(cluster: BenchCluster, run: StreamsPeerOptions): Promise<StreamsPeer> {
  const log = run.log ?? (() => {})
  const classpath = prepareStreamsPeer(log)
  // Step 3
  const dir = join(cluster.dir, `streams-peer-${run.applicationId}`)
  mkdirSync(dir, { recursive: true })
  const registered = await cluster.registry.getLatest(`${run.inputTopic}-value`)
  const schemaFile = join(dir, 'user_event.avsc')
  writeFileSync(schemaFile, registered.schema)

  // Step 4
  const args = [
    `-Xmx${run.heapMb ?? 1024}m`,
    `-Dlog4j2.configurationFile=${KAFKA_LOG4J_CONFIG}`,
    `-Dkafka.logs.dir=${join(dir, 'logs')}`,
    '-cp',
    classpath,
    MAIN_CLASS,
    ...['--topology', run.topology],
    ...['--bootstrap', cluster.bootstrap],
    ...['--application-id', run.applicationId],
    ...['--input', run.inputTopic],
    ...['--output', run.outputTopic],
    ...['--schema-file', schemaFile],
    ...['--schema-id', String(registered.id)],
    ...jobArgs(run),
    ...['--grace-ms', String(DEFAULT_MAX_OUT_OF_ORDERNESS_MS + DEFAULT_GRACE_MS)],
    ...['--state-dir', join(dir, 'state')],
    ...(run.records === undefined ? [] : ['--records', String(run.records)]),
    ...(run.commitIntervalMs === undefined ? [] : ['--commit-interval-ms', String(run.commitIntervalMs)]),
  ]
  const child = spawn('java', args, { stdio: ['pipe', 'pipe', 'pipe'] })
  if (child.pid === undefined) throw new Error('could not spawn java for the Kafka Streams peer')
  // Closing the input of a peer that has exited already (drain mode) is no error.
  child.stdin.on('error', () => {})
  const pid = child.pid
  const release = await cluster.adopt(pid)
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000)
  })
  const usageSince = (from: { cpuMs: number | undefined; brokerCpuMs: number | undefined }): PeerUsage => {
    const cpuMs = cpuTimeMs(pid)
    const brokerCpuMs = cpuTimeMs(cluster.brokerPid)
    return {
      cpuMs: cpuMs === undefined || from.cpuMs === undefined ? undefined : cpuMs - from.cpuMs,
      brokerCpuMs:
        brokerCpuMs === undefined || from.brokerCpuMs === undefined
          ? undefined
          : brokerCpuMs - from.brokerCpuMs,
      peakRssBytes: peakRssBytes(pid),
    }
  }
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject)
    child.once('close', (code) => {
      release()
      resolve(code)
    })
  })
  const failure = exited.then((code) => {
    throw new Error(`the Kafka Streams peer exited with ${code}:\n${stderr}`)
  })
  const settle = <T>(promise: Promise<T>): Promise<T> => Promise.race([promise, failure])
  let onStarted: (atMs: number) => void = () => {}
  let onRunning: (atMs: number) => void = () => {}
  let onDrained: (drained: { atMs: number; dropped: number; usage: PeerUsage }) => void = () => {}
  const started = settle(new Promise<number>((resolve) => (onStarted = resolve)))
  const running = settle(new Promise<number>((resolve) => (onRunning = resolve)))
  const drained = settle(
    new Promise<{ atMs: number; dropped: number; usage: PeerUsage }>((r) => (onDrained = r)),
  )
  // Whoever does not wait for a promise must not see its rejection as unhandled.
  for (const promise of [started, running, drained]) promise.catch(() => {})
  let atStart = { cpuMs: undefined as number | undefined, brokerCpuMs: undefined as number | undefined }
  let atRunning = atStart
  createInterface({ input: child.stdout }).on('line', (line) => {
    const [word, at, , dropped] = line.trim().split(' ')
    if (word === 'STARTED') {
      atStart = { cpuMs: cpuTimeMs(pid), brokerCpuMs: cpuTimeMs(cluster.brokerPid) }
      onStarted(Number(at))
    } else if (word === 'RUNNING') {
      atRunning = { cpuMs: cpuTimeMs(pid), brokerCpuMs: cpuTimeMs(cluster.brokerPid) }
      onRunning(Number(at))
    } else if (word === 'DRAINED')
      onDrained({ atMs: Number(at), dropped: Number(dropped), usage: usageSince(atStart) })
    else if (word === 'FAILED') log(`peer: ${line}`)
  })
  return {
    pid,
    started,
    running,
    drained,
    async stop() {
      const usage = usageSince(atRunning)
      child.stdin.end()
      const code = await exited
      if (code !== 0) throw new Error(`the Kafka Streams peer exited with ${code}:\n${stderr}`)
      return usage
    },
  }
}

/** The window (or gap) of the peer's job: freshet's defaults, as the drains run the seed jobs. */
function jobArgs(run: StreamsPeerOptions): string[] {
  if (run.topology === 'revenue') {
    const { windowMs, advanceMs } = JOBS.revenue.defaults
    return ['--window-ms', String(windowMs), '--advance-ms', String(advanceMs)]
  }
  if (run.topology === 'sessions') return ['--gap-ms', String(JOBS.sessions.defaults.gapMs)]
  return ['--window-ms', String(run.windowMs ?? JOBS['event-counts'].defaults.windowMs)]
}

/** The drain of `job` (event-counts when absent), as the freshet drain: see StreamsPeerResult. */
export async function runStreamsPeerDrain(
  cluster: BenchCluster,
  run: Omit<StreamsPeerOptions, 'topology' | 'records'> & { records: number; job?: PeerJob },
): Promise<StreamsPeerResult> {
  const peer = await startStreamsPeer(cluster, { ...run, topology: run.job ?? 'event-counts' })
  const [startedMs, runningMs, drained] = await Promise.all([peer.started, peer.running, peer.drained])
  await peer.stop()
  return {
    drainMs: drained.atMs - startedMs,
    startupMs: runningMs - startedMs,
    cpuMs: drained.usage.cpuMs,
    brokerCpuMs: drained.usage.brokerCpuMs,
    peakRssBytes: drained.usage.peakRssBytes,
    lateOrDropped: drained.dropped,
  }
}
