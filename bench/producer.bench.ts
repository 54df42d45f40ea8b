/**
 * Producer throughput: freshet's EventProducer against Apache Kafka's ProducerPerformance, on the
 * same broker in the same run (docs/benchmarks.md).
 *
 * The run, as numbered steps:
 *   1. Start a broker on free ports in a temporary directory and an in-process registry.
 *   2. Warm up (broker and freshet): freshet produces events to a topic of its own; their mean
 *      Avro value size becomes the peer's record size.
 *   3. For each run, on a fresh topic per side: freshet produces N Avro user events (registry,
 *      idempotent, acks=all, one process) and ProducerPerformance sends N records of that size
 *      (idempotent, acks=all, its default batching unless --peer-* flags say otherwise). The order alternates between runs.
 *   4. Print a BENCH line per figure (medians over the runs) and the ratio, then a summary.
 *   5. Stop everything and delete the directory.
 */
import { flagsOrExit } from './lib/args.ts'
import { produceEvents, startCluster, type BenchCluster } from './lib/cluster.ts'
import { runProducerPerformance, type PeerResult } from './lib/java-peer.ts'
import {
  benchLine,
  describeMachine,
  type Figure,
  formatRate,
  median,
  medianFigure,
  table,
} from './lib/report.ts'

const BENCH = 'bench/producer.bench.ts'
const MIB = 1024 * 1024

const spec = {
  count: { kind: 'int', default: 1_000_000, min: 1, help: 'events per measured run, each side' },
  runs: { kind: 'int', default: 3, min: 1, max: 20, help: 'measured runs per side; figures are medians' },
  warmup: { kind: 'int', default: 200_000, min: 1, help: 'events of the warm-up run' },
  partitions: { kind: 'int', default: 6, min: 1, max: 1000, help: 'partitions of each topic' },
  'batch-size': {
    kind: 'int',
    min: 1,
    max: 1_000_000,
    help: 'EventProducer batchSize (its default if absent)',
  },
  'max-in-flight': { kind: 'int', min: 1, max: 5, help: 'EventProducer maxInFlight (its default if absent)' },
  'skip-peer': { kind: 'boolean', help: 'measure freshet only (for profiling)' },
  'peer-batch-bytes': {
    kind: 'int',
    min: 1,
    max: 64 * 1024 * 1024,
    help: "the peer's batch.size (Java's default, 16384, if absent)",
  },
  'peer-linger-ms': {
    kind: 'int',
    min: 0,
    max: 60_000,
    help: "the peer's linger.ms (Java's default, 5, if absent)",
  },
  keep: { kind: 'boolean', help: 'keep the broker directory and its logs' },
  help: { kind: 'boolean', help: 'print this help' },
} as const

interface FreshetResult {
  events: number
  bytes: number
  elapsedMs: number
  eventsPerSec: number
  mibPerSec: number
  /** The producing process's user + system CPU time per event, and its share of one core. */
  cpuUsPerEvent: number
  coreShare: number
}

const flags = flagsOrExit(BENCH, spec)

const log = (line: string): void => console.error(`# ${line}`)

async function produceWithFreshet(
  cluster: BenchCluster,
  topic: string,
  count: number,
): Promise<FreshetResult> {
  await cluster.createTopic(topic, flags.partitions)
  try {
    const cpuBefore = process.cpuUsage()
    const summary = await produceEvents(cluster, topic, count, {
      clientId: 'freshet-bench',
      ...(flags['batch-size'] === undefined ? {} : { batchSize: flags['batch-size'] }),
      ...(flags['max-in-flight'] === undefined ? {} : { maxInFlight: flags['max-in-flight'] }),
    })
    const cpu = process.cpuUsage(cpuBefore)
    const cpuUs = cpu.user + cpu.system
    const seconds = summary.elapsedMs / 1000
    return {
      cpuUsPerEvent: cpuUs / summary.sent,
      coreShare: cpuUs / 1000 / summary.elapsedMs,
      events: summary.sent,
      bytes: summary.bytes,
      elapsedMs: summary.elapsedMs,
      eventsPerSec: summary.sent / seconds,
      mibPerSec: summary.bytes / MIB / seconds,
    }
  } finally {
    await cluster.deleteTopic(topic).catch(() => undefined)
  }
}

async function produceWithPeer(
  cluster: BenchCluster,
  topic: string,
  count: number,
  recordBytes: number,
): Promise<PeerResult> {
  await cluster.createTopic(topic, flags.partitions)
  try {
    const producerProps: Record<string, string> = {}
    if (flags['peer-batch-bytes'] !== undefined)
      producerProps['batch.size'] = String(flags['peer-batch-bytes'])
    if (flags['peer-linger-ms'] !== undefined) producerProps['linger.ms'] = String(flags['peer-linger-ms'])
    return await runProducerPerformance(cluster, { topic, records: count, recordBytes, producerProps })
  } finally {
    await cluster.deleteTopic(topic).catch(() => undefined)
  }
}

function figuresOf(recordBytes: number, freshet: FreshetResult[], peer: PeerResult[]): Figure[] {
  const figures: Figure[] = [
    { name: 'producer.record_bytes', value: recordBytes, unit: 'bytes' },
    medianFigure(
      'producer.freshet.events_per_sec',
      'events/s',
      freshet.map((r) => r.eventsPerSec),
    ),
    medianFigure(
      'producer.freshet.mib_per_sec',
      'MiB/s',
      freshet.map((r) => r.mibPerSec),
    ),
    medianFigure(
      'producer.freshet.cpu_us_per_event',
      'µs/event',
      freshet.map((r) => r.cpuUsPerEvent),
    ),
    medianFigure(
      'producer.freshet.core_share',
      'cores',
      freshet.map((r) => r.coreShare),
    ),
  ]
  if (peer.length === 0) return figures
  figures.push(
    medianFigure(
      'producer.java.records_per_sec',
      'records/s',
      peer.map((r) => r.recordsPerSec),
    ),
    medianFigure(
      'producer.java.mib_per_sec',
      'MiB/s',
      peer.map((r) => r.mibPerSec),
    ),
    medianFigure(
      'producer.java.latency_avg_ms',
      'ms',
      peer.map((r) => r.avgLatencyMs),
    ),
    medianFigure(
      'producer.java.latency_p99_ms',
      'ms',
      peer.map((r) => r.p99LatencyMs),
    ),
    {
      // The ratio of the medians; each run's own ratio is listed beside it.
      name: 'producer.ratio_vs_java',
      unit: 'ratio',
      value: median(freshet.map((r) => r.eventsPerSec)) / median(peer.map((r) => r.recordsPerSec)),
      runs: freshet.map((r, i) => r.eventsPerSec / peer[i]!.recordsPerSec),
    },
  )
  return figures
}

function summary(figures: Figure[], recordBytes: number): string {
  const value = (name: string): number | undefined => figures.find((f) => f.name === name)?.value
  const rows = [['', 'records/s', 'MiB/s']]
  rows.push([
    'freshet EventProducer (Avro, keyed)',
    formatRate(value('producer.freshet.events_per_sec')!),
    value('producer.freshet.mib_per_sec')!.toFixed(2),
  ])
  const java = value('producer.java.records_per_sec')
  if (java !== undefined) {
    rows.push(['Kafka ProducerPerformance', formatRate(java), value('producer.java.mib_per_sec')!.toFixed(2)])
  }
  const lines = [
    '',
    `${flags.count.toLocaleString('en-US')} records of ${recordBytes} bytes per run, ${flags.partitions} partitions, acks=all, idempotent; medians of ${flags.runs} run(s)`,
    table(rows),
  ]
  const ratio = value('producer.ratio_vs_java')
  if (ratio !== undefined) lines.push(`freshet / Java: ${ratio.toFixed(2)}x`)
  return lines.join('\n')
}

async function main(): Promise<void> {
  log(`machine: ${describeMachine()}`)
  // Step 1
  const cluster = await startCluster({ log, keepDir: flags.keep })
  try {
    // Step 2
    const warm = await produceWithFreshet(cluster, 'bench-warmup', flags.warmup)
    const recordBytes = Math.round(warm.bytes / warm.events)
    log(`warm-up: ${formatRate(warm.eventsPerSec)} events/s; mean Avro value ${recordBytes} bytes`)

    // Step 3
    const freshet: FreshetResult[] = []
    const peer: PeerResult[] = []
    const runFreshet = async (run: number): Promise<void> => {
      const r = await produceWithFreshet(cluster, `bench-freshet-${run}`, flags.count)
      freshet.push(r)
      const seconds = (r.elapsedMs / 1000).toFixed(2)
      log(
        `run ${run} freshet: ${formatRate(r.eventsPerSec)} events/s, ${r.mibPerSec.toFixed(2)} MiB/s, ${seconds} s, ` +
          `CPU ${r.cpuUsPerEvent.toFixed(2)} µs/event at ${r.coreShare.toFixed(2)} core`,
      )
    }
    const runPeer = async (run: number): Promise<void> => {
      const r = await produceWithPeer(cluster, `bench-java-${run}`, flags.count, recordBytes)
      peer.push(r)
      log(`run ${run} ProducerPerformance: ${r.line}`)
    }
    for (let run = 1; run <= flags.runs; run++) {
      if (flags['skip-peer']) await runFreshet(run)
      else if (run % 2 === 1) {
        await runFreshet(run)
        await runPeer(run)
      } else {
        await runPeer(run)
        await runFreshet(run)
      }
    }

    // Step 4
    const figures = figuresOf(recordBytes, freshet, peer)
    for (const figure of figures) console.log(benchLine(figure))
    console.log(summary(figures, recordBytes))
    log(`machine after the runs: ${describeMachine()}`)
  } finally {
    // Step 5
    await cluster.stop()
  }
}

await main()
