/**
 * The peer: Apache Kafka's own producer benchmark, `org.apache.kafka.tools.ProducerPerformance`
 * (what `kafka-producer-perf-test.sh` runs), from the same jars as the broker.
 *
 * It sends unkeyed records of a fixed size filled with random letters, so the Java client's
 * sticky partitioner fills one partition's batch at a time; it has no option for keys.
 */
import { spawn } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { KAFKA_LOG4J_CONFIG, kafkaClasspath } from '../../src/stack/kafka-jars.ts'
import type { BenchCluster } from './cluster.ts'

export interface PeerRun {
  topic: string
  records: number
  recordBytes: number
  /** Extra producer properties; acks=all and enable.idempotence=true are always set. */
  producerProps?: Record<string, string>
  /** The heap kafka-producer-perf-test.sh gives the tool. */
  heapMb?: number
}

/** The tool's final summary line. */
export interface PeerResult {
  records: number
  recordsPerSec: number
  /** MiB of record values per second, as the tool counts (1024 * 1024 bytes). */
  mibPerSec: number
  avgLatencyMs: number
  maxLatencyMs: number
  p50LatencyMs: number
  p95LatencyMs: number
  p99LatencyMs: number
  p999LatencyMs: number
  /** Wall time of the whole JVM, start-up included. */
  wallMs: number
  line: string
}

const SUMMARY =
  /^(\d+) records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\), ([\d.]+) ms avg latency, ([\d.]+) ms max latency, (\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th, (\d+) ms 99\.9th\.?$/

/** Parses the final line of ProducerPerformance; undefined for its periodic progress lines. */
export function parsePeerSummary(line: string): Omit<PeerResult, 'wallMs'> | undefined {
  const m = SUMMARY.exec(line.trim())
  if (!m) return undefined
  const n = m.slice(1).map(Number)
  return {
    records: n[0]!,
    recordsPerSec: n[1]!,
    mibPerSec: n[2]!,
    avgLatencyMs: n[3]!,
    maxLatencyMs: n[4]!,
    p50LatencyMs: n[5]!,
    p95LatencyMs: n[6]!,
    p99LatencyMs: n[7]!,
    p999LatencyMs: n[8]!,
    line: line.trim(),
  }
}

export async function runProducerPerformance(cluster: BenchCluster, run: PeerRun): Promise<PeerResult> {
  const logDir = join(cluster.dir, 'peer-logs')
  mkdirSync(logDir, { recursive: true })
  const props = {
    'bootstrap.servers': cluster.bootstrap,
    acks: 'all',
    'enable.idempotence': 'true',
    ...run.producerProps,
  }
  const args = [
    `-Xmx${run.heapMb ?? 512}m`,
    `-Dlog4j2.configurationFile=${KAFKA_LOG4J_CONFIG}`,
    `-Dkafka.logs.dir=${logDir}`,
    '-cp',
    kafkaClasspath(),
    'org.apache.kafka.tools.ProducerPerformance',
    '--topic',
    run.topic,
    '--num-records',
    String(run.records),
    '--record-size',
    String(run.recordBytes),
    '--throughput',
    '-1',
    '--producer-props',
    ...Object.entries(props).map(([k, v]) => `${k}=${v}`),
  ]
  const startMs = performance.now()
  const child = spawn('java', args, { stdio: ['ignore', 'pipe', 'pipe'] })
  if (child.pid === undefined) throw new Error('could not spawn java for ProducerPerformance')
  const release = await cluster.adopt(child.pid)
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject)
    child.once('close', resolve)
  })
  release()
  const wallMs = performance.now() - startMs
  const summary = stdout
    .split('\n')
    .map(parsePeerSummary)
    .find((s) => s !== undefined)
  if (code !== 0 || !summary) {
    throw new Error(
      `ProducerPerformance exited with ${code} without a summary line:\n${stdout.slice(-2000)}\n${stderr.slice(-2000)}`,
    )
  }
  return { ...summary, wallMs }
}
