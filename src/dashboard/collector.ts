/**
 * What the dashboard shows, gathered once per sample interval from the workers it watches (their
 * `status()` and commit events), the cluster (lag, reachability) and the registry (reachability).
 * Rates are the difference of cumulative counters between two samples; latency percentiles are over
 * the commits of the last `latencyWindowMs`: of the window-result delays where a job writes window
 * results (what the pipeline adds once a window may close; the time from an event to its window's
 * result also holds the window's length, which says nothing of speed), else of the times from an
 * event to its result.
 */
import type { KafkaAdmin, PartitionLag } from '../kafka/index.ts'
import type { WorkerEvent, WorkerState, WorkerStatus, WorkerWaiting } from '../runtime/index.ts'
import type { AnalyticsSnapshot } from './analytics.ts'

/** A worker the dashboard watches: one job's worker, in the same process. */
export interface WatchedJob {
  /** The job's name, as the page shows it (event-counts, revenue, sessions, top-users). */
  job: string
  applicationId: string
  inputTopic: string
  outputTopic: string
  worker: { readonly state: WorkerState; status(): WorkerStatus }
}

/** Whether a service answered its last check, and what it said. */
export interface ServiceHealth {
  up: boolean
  detail: string
  /** When it was last checked, ms since the epoch. */
  checkedMs: number
}

/** One job at the time of a sample. */
export interface JobSample {
  inPerSec: number
  outPerSec: number
  /** Records of the input behind the group's committed offsets; null until first asked. */
  lag: number | null
  /**
   * Latency of the results committed in the latency window, ms, of the kind `latency` says; null
   * without any.
   */
  p50Ms: number | null
  p99Ms: number | null
  /**
   * `window-result`: after the window could close (its end + grace + the out-of-orderness bound);
   * `event-time`: from the event time of a result that is not a window's; null without results.
   */
  latency: 'window-result' | 'event-time' | null
}

export interface Sample {
  timeMs: number
  /** Growth of the input topic (events arriving), per second. */
  inPerSec: number
  /** Results written to the output topics by every job, per second. */
  outPerSec: number
  jobs: Record<string, JobSample>
}

export interface JobView extends JobSample {
  job: string
  applicationId: string
  state: WorkerState
  tasks: number
  recordsIn: number
  recordsOut: number
  deadLetters: number
  late: number
  skipped: number
  commits: number
  aborts: number
  rebalances: number
  /** Keys in the job's state stores (approximate for RocksDB). */
  stateKeys: number
  /** Windows (sessions) the job holds open, as of each task's last commit: exact. */
  openWindows: number
  /** While the worker waits for Kafka or the registry: for what, since when, why. */
  waiting: WorkerWaiting | null
  /** Outages the worker waited out and resumed from. */
  resumes: number
}

export interface DashboardState {
  timeMs: number
  title: string
  health: { kafka: ServiceHealth; registry: ServiceHealth | null }
  jobs: JobView[]
  analytics: AnalyticsSnapshot
}

export interface DashboardSnapshot extends DashboardState {
  /** Oldest first, over the history the collector keeps. */
  samples: Sample[]
}

export interface CollectorOptions {
  title: string
  jobs: WatchedJob[]
  admin: KafkaAdmin
  /** Answers when the registry is up; none when the jobs run without one (JSON). */
  registryCheck?: () => Promise<string>
  analytics: () => AnalyticsSnapshot
  historyMs: number
  latencyWindowMs: number
  healthIntervalMs: number
}

interface Counters {
  timeMs: number
  inputEnd: number | null
  /** When `inputEnd` was read: a lag request that failed leaves an older figure. */
  inputEndMs: number
  jobs: Map<string, { recordsIn: number; recordsOut: number }>
}

/** The q-quantile (0..1) of sorted values, nearest rank. */
export function quantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))
  return sorted[rank] as number
}

const MAX_LATENCIES_PER_JOB = 20_000

/** Appends a commit's latencies (at `nowMs`) to `kept`, which holds at most MAX_LATENCIES_PER_JOB. */
function keep(kept: Array<[number, number]>, nowMs: number, latenciesMs: readonly number[]): void {
  for (const ms of latenciesMs) kept.push([nowMs, Math.max(0, ms)])
  if (kept.length > MAX_LATENCIES_PER_JOB) kept.splice(0, kept.length - MAX_LATENCIES_PER_JOB)
}

export class DashboardCollector {
  readonly #options: CollectorOptions
  readonly #samples: Sample[] = []
  /** Per job: [commit time ms, latency ms] of the results committed lately, oldest first. */
  readonly #latencies = new Map<string, { window: Array<[number, number]>; event: Array<[number, number]> }>()
  readonly #lags = new Map<string, number>()
  #previous: Counters | undefined
  #health: DashboardState['health']
  #healthCheckedMs = -Infinity
  #inputEnd: number | null = null
  #inputEndMs = 0

  constructor(options: CollectorOptions) {
    this.#options = options
    const unknown = { up: false, detail: 'not checked yet', checkedMs: 0 }
    this.#health = { kafka: unknown, registry: options.registryCheck === undefined ? null : unknown }
    for (const job of options.jobs) this.#latencies.set(job.job, { window: [], event: [] })
  }

  /** Give it the events of `job`'s worker: the commits carry the latencies of their results. */
  observe(job: string, event: WorkerEvent): void {
    if (event.type !== 'committed' || event.endToEndMs.length === 0) return
    const latencies = this.#latencies.get(job)
    if (latencies === undefined) return
    const nowMs = Date.now()
    keep(latencies.window, nowMs, event.windowResultDelayMs)
    keep(latencies.event, nowMs, event.endToEndMs)
  }

  /**
   * Takes a sample: asks the cluster for the lag (and the services for their health, every
   * `healthIntervalMs`), reads the workers' counters, appends the sample to the history.
   */
  async sample(): Promise<{ sample: Sample; state: DashboardState }> {
    const o = this.#options
    await Promise.all([this.#askLag(), this.#checkHealth()])
    const nowMs = Date.now()
    const counters: Counters = {
      timeMs: nowMs,
      inputEnd: this.#inputEnd,
      inputEndMs: this.#inputEndMs,
      jobs: new Map(),
    }
    const statuses = new Map<string, WorkerStatus>()
    for (const job of o.jobs) {
      const status = job.worker.status()
      statuses.set(job.job, status)
      const input = status.topics.find((t) => t.topic === job.inputTopic)
      const output = status.topics.find((t) => t.topic === job.outputTopic)
      counters.jobs.set(job.job, { recordsIn: input?.recordsIn ?? 0, recordsOut: output?.recordsOut ?? 0 })
    }
    const previous = this.#previous
    this.#previous = counters
    const seconds = previous === undefined ? 0 : (nowMs - previous.timeMs) / 1_000
    const rate = (now: number | null | undefined, before: number | null | undefined): number =>
      seconds <= 0 || now == null || before == null ? 0 : Math.max(0, now - before) / seconds

    const jobs: Record<string, JobSample> = {}
    let outPerSec = 0
    for (const job of o.jobs) {
      const now = counters.jobs.get(job.job)
      const before = previous?.jobs.get(job.job)
      const latencies = this.#latencies.get(job.job) ?? { window: [], event: [] }
      const since = nowMs - o.latencyWindowMs
      for (const kept of [latencies.window, latencies.event]) {
        while (kept.length > 0 && (kept[0] as [number, number])[0] < since) kept.shift()
      }
      const kind =
        latencies.window.length > 0 ? 'window-result' : latencies.event.length > 0 ? 'event-time' : null
      const sorted = (kind === 'window-result' ? latencies.window : latencies.event)
        .map(([, ms]) => ms)
        .sort((a, b) => a - b)
      jobs[job.job] = {
        inPerSec: rate(now?.recordsIn, before?.recordsIn),
        outPerSec: rate(now?.recordsOut, before?.recordsOut),
        lag: this.#lags.get(job.job) ?? null,
        p50Ms: quantile(sorted, 0.5),
        p99Ms: quantile(sorted, 0.99),
        latency: kind,
      }
      outPerSec += jobs[job.job]!.outPerSec
    }
    const inputSeconds = previous === undefined ? 0 : (counters.inputEndMs - previous.inputEndMs) / 1_000
    const sample: Sample = {
      timeMs: nowMs,
      inPerSec:
        inputSeconds <= 0 || counters.inputEnd === null || previous?.inputEnd == null
          ? (this.#samples.at(-1)?.inPerSec ?? 0)
          : Math.max(0, counters.inputEnd - previous.inputEnd) / inputSeconds,
      outPerSec,
      jobs,
    }
    this.#samples.push(sample)
    while (this.#samples.length > 0 && (this.#samples[0] as Sample).timeMs < nowMs - o.historyMs) {
      this.#samples.shift()
    }
    return { sample, state: this.#state(nowMs, sample, statuses) }
  }

  /** The whole picture: the state of the last sample and the history. */
  snapshot(): DashboardSnapshot {
    const last = this.#samples.at(-1)
    const nowMs = last?.timeMs ?? Date.now()
    const statuses = new Map(this.#options.jobs.map((job) => [job.job, job.worker.status()]))
    const sample = last ?? { timeMs: nowMs, inPerSec: 0, outPerSec: 0, jobs: {} }
    return { ...this.#state(nowMs, sample, statuses), samples: [...this.#samples] }
  }

  #state(nowMs: number, sample: Sample, statuses: Map<string, WorkerStatus>): DashboardState {
    const o = this.#options
    const jobs = o.jobs.map((job): JobView => {
      const status = statuses.get(job.job) as WorkerStatus
      const figures = sample.jobs[job.job] ?? {
        inPerSec: 0,
        outPerSec: 0,
        lag: this.#lags.get(job.job) ?? null,
        p50Ms: null,
        p99Ms: null,
        latency: null,
      }
      return {
        job: job.job,
        applicationId: job.applicationId,
        state: status.state,
        tasks: status.tasks.length,
        recordsIn: status.topics.find((t) => t.topic === job.inputTopic)?.recordsIn ?? 0,
        recordsOut: status.topics.find((t) => t.topic === job.outputTopic)?.recordsOut ?? 0,
        deadLetters: status.totals.recordsDeadLettered + status.totals.recordsLate,
        late: status.totals.recordsLate,
        skipped: status.totals.recordsSkipped,
        commits: status.commits,
        aborts: status.aborts,
        rebalances: status.rebalances,
        stateKeys: status.tasks.reduce((n, t) => n + t.stores.reduce((m, s) => m + s.keys, 0), 0),
        openWindows: status.tasks.reduce((n, t) => n + t.openWindows, 0),
        waiting: status.waiting ?? null,
        resumes: status.resumes,
        ...figures,
      }
    })
    return { timeMs: nowMs, title: o.title, health: this.#health, jobs, analytics: o.analytics() }
  }

  async #askLag(): Promise<void> {
    await Promise.all(
      this.#options.jobs.map(async (job, i) => {
        let lags: PartitionLag[]
        try {
          lags = await this.#options.admin.groupLag(job.applicationId, job.inputTopic)
        } catch {
          return // the health check says why; the last lag stays
        }
        this.#lags.set(job.job, Number(lags.reduce((n, p) => n + p.lag, 0n)))
        // Every job reads the same input in the seed pipeline; its growth is the events arriving.
        if (i === 0) {
          this.#inputEnd = Number(lags.reduce((n, p) => n + p.endOffset, 0n))
          this.#inputEndMs = Date.now()
        }
      }),
    )
  }

  async #checkHealth(): Promise<void> {
    const nowMs = Date.now()
    if (nowMs - this.#healthCheckedMs < this.#options.healthIntervalMs) return
    this.#healthCheckedMs = nowMs
    const check = async (ask: () => Promise<string>): Promise<ServiceHealth> => {
      try {
        return { up: true, detail: await ask(), checkedMs: nowMs }
      } catch (error) {
        return { up: false, detail: error instanceof Error ? error.message : String(error), checkedMs: nowMs }
      }
    }
    const registryCheck = this.#options.registryCheck
    const [kafka, registry] = await Promise.all([
      check(async () => {
        const info = await this.#options.admin.clusterInfo()
        return `cluster ${info.clusterId}, ${info.brokers.length} broker${info.brokers.length === 1 ? '' : 's'}`
      }),
      registryCheck === undefined ? Promise.resolve(null) : check(registryCheck),
    ])
    this.#health = { kafka, registry }
  }
}
