/**
 * Metrics read from the component they describe when Prometheus scrapes, rather than counted per
 * record: the component keeps plain running figures (which it needs anyway for its status), and
 * each scrape copies them into the registry.
 */
import { Counter, Gauge, type Registry } from 'prom-client'
import type { PartitionLag } from '../kafka/index.ts'

/** Label values and the figure they carry. */
export type Sample<L extends string> = [Partial<Record<L, string>>, number]

/** Seconds: from 1 ms to 10 s, for requests (produce requests, registry HTTP requests). */
export const REQUEST_BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

/** Seconds: from 5 ms to 2 minutes, for commits, batches and end-to-end latency alike. */
export const LATENCY_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120]

interface ReadMetric<L extends string> {
  registry: Registry
  name: string
  help: string
  labelNames: readonly L[]
  /** The figures now; asked at every scrape. */
  read: () => Iterable<Sample<L>> | Promise<Iterable<Sample<L>>>
}

/** The configuration of a metric that, at each scrape, resets and records what `read` returns. */
function readAtScrape<L extends string>(
  m: ReadMetric<L>,
  record: (labels: Sample<L>[0], value: number) => void,
) {
  return {
    name: m.name,
    help: m.help,
    labelNames: m.labelNames,
    registers: [m.registry],
    async collect(this: { reset(): void }) {
      const samples = await m.read()
      this.reset()
      for (const [labels, value] of samples) record(labels, value)
    },
  }
}

/** A counter holding the running totals `read` returns at each scrape. */
export function readCounter<L extends string>(m: ReadMetric<L>): void {
  const counter: Counter<L> = new Counter<L>(readAtScrape(m, (labels, value) => counter.inc(labels, value)))
}

/** A gauge holding the values `read` returns at each scrape; a series not returned disappears. */
export function readGauge<L extends string>(m: ReadMetric<L>): void {
  const gauge: Gauge<L> = new Gauge<L>(readAtScrape(m, (labels, value) => gauge.set(labels, value)))
}

/** A group's lag per partition as samples labelled topic and partition, besides `labels`. */
export function lagSamples(
  lags: readonly PartitionLag[],
  labels: Record<string, string>,
): Array<Sample<string>> {
  return lags.map((p) => [{ ...labels, topic: p.topic, partition: String(p.partition) }, Number(p.lag)])
}

/** Longest a scrape waits for a group's lag before it answers without it. */
export const LAG_TIMEOUT_MS = 2_000

/**
 * A group's lag, asked at scrape time and bounded: a query that fails or takes longer than
 * `timeoutMs` yields no lag samples (and `onFailure` counts it) instead of failing the whole scrape,
 * whose other figures matter most while the cluster is in trouble.
 */
export async function boundedLag(
  lag: () => Promise<PartitionLag[]>,
  onFailure: () => void,
  timeoutMs = LAG_TIMEOUT_MS,
): Promise<PartitionLag[]> {
  let timer: NodeJS.Timeout | undefined
  const asked = lag()
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), timeoutMs)
  })
  try {
    const answer = await Promise.race([asked, late])
    if (answer !== 'late') return answer
    asked.catch(() => {})
  } catch {
    // Counted below; the next scrape asks again.
  } finally {
    clearTimeout(timer)
  }
  onFailure()
  return []
}
