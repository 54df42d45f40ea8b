/**
 * Workers' metrics, labelled by application: one worker per registry in `freshet run`, the four seed
 * jobs in one registry in `freshet demo`. Nothing here runs per record: the cumulative figures are read from
 * `Worker.status()` when Prometheus scrapes, the durations come from the worker's events (one per
 * commit, carrying that commit's batch durations and end-to-end latencies), and consumer lag is
 * asked of the cluster at scrape time, as Kafka's own lag exporters do.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import { FreshetError } from '../errors/index.ts'
import type { PartitionLag } from '../kafka/index.ts'
import type { WorkerEvent, WorkerStatus } from '../runtime/index.ts'
import { boundedLag, lagSamples, LATENCY_BUCKETS_S, readCounter, readGauge, type Sample } from './collect.ts'

export interface WorkerMetricsOptions {
  registry: Registry
}

/** A worker whose figures the registry serves. */
export interface MeasuredWorker {
  /** The application id: the consumer group, a label of every metric; one worker per id. */
  application: string
  status: () => WorkerStatus
  /** The group's lag per input partition; asked at every scrape when given. */
  lag?: () => Promise<PartitionLag[]>
}

type StatusSamples = (status: WorkerStatus) => Array<Sample<string>>

export class WorkerMetrics {
  readonly #workers = new Map<string, MeasuredWorker>()
  readonly #commitSeconds: Histogram<'application'>
  readonly #batchSeconds: Histogram<'application'>
  readonly #endToEndSeconds: Histogram<'application'>
  readonly #windowResultDelaySeconds: Histogram<'application'>
  readonly #restoreRemaining: Gauge<'application' | 'task' | 'store'>

  constructor(options: WorkerMetricsOptions) {
    const { registry } = options
    const workers = this.#workers
    /** Each worker's figures under its application label, its status read once per metric per scrape. */
    const perWorker = (samples: StatusSamples) => (): Array<Sample<string>> =>
      [...workers.values()].flatMap((w) => {
        const application = w.application
        return samples(w.status()).map(([labels, value]): Sample<string> => [
          { application, ...labels },
          value,
        ])
      })
    const counter = (name: string, help: string, labelNames: string[], samples: StatusSamples): void =>
      readCounter({
        registry,
        name,
        help,
        labelNames: ['application', ...labelNames],
        read: perWorker(samples),
      })
    const gauge = (name: string, help: string, labelNames: string[], samples: StatusSamples): void =>
      readGauge({
        registry,
        name,
        help,
        labelNames: ['application', ...labelNames],
        read: perWorker(samples),
      })
    const total =
      (value: (s: WorkerStatus) => number): StatusSamples =>
      (s) => [[{}, value(s)]]
    counter(
      'freshet_worker_consumed_records_total',
      'Records the tasks took in, per topic (replays count again).',
      ['topic'],
      (s) => s.topics.map((t) => [{ topic: t.topic }, t.recordsIn]),
    )
    counter(
      'freshet_worker_consumed_bytes_total',
      'Key and value bytes of the records taken in, per topic.',
      ['topic'],
      (s) => s.topics.map((t) => [{ topic: t.topic }, t.bytesIn]),
    )
    counter(
      'freshet_worker_produced_records_total',
      'Records sent, per topic (outputs, repartition, changelog, dead letters).',
      ['topic'],
      (s) => s.topics.map((t) => [{ topic: t.topic }, t.recordsOut]),
    )
    counter(
      'freshet_worker_produced_bytes_total',
      'Key and value bytes of the records sent, per topic.',
      ['topic'],
      (s) => s.topics.map((t) => [{ topic: t.topic }, t.bytesOut]),
    )
    counter(
      'freshet_worker_bad_records_total',
      'Bad input records (skipped or dead-lettered), by error code.',
      ['code'],
      (s) => Object.entries(s.badRecords).map(([code, n]) => [{ code }, n]),
    )
    counter(
      'freshet_worker_dead_letters_total',
      'Records sent to the dead-letter topic: bad input and late records.',
      [],
      total((s) => s.totals.recordsDeadLettered + s.totals.recordsLate),
    )
    counter(
      'freshet_worker_late_records_total',
      'Records behind the watermark plus grace (always dead-lettered).',
      [],
      total((s) => s.totals.recordsLate),
    )
    counter(
      'freshet_worker_skipped_records_total',
      'Bad input records dropped under the skip policy.',
      [],
      total((s) => s.totals.recordsSkipped),
    )
    counter(
      'freshet_worker_commits_total',
      'Commits (transactions under exactly-once).',
      [],
      total((s) => s.commits),
    )
    counter(
      'freshet_worker_aborts_total',
      'Aborted transactions and recoveries.',
      [],
      total((s) => s.aborts),
    )
    counter(
      'freshet_worker_rebalances_total',
      'Assignments received from the consumer group.',
      [],
      total((s) => s.rebalances),
    )
    gauge(
      'freshet_worker_tasks',
      'Tasks the worker runs.',
      [],
      total((s) => s.tasks.length),
    )
    gauge('freshet_worker_up', '1 while the worker processes (RUNNING), else 0.', ['state'], (s) => [
      [{ state: s.state }, s.state === 'RUNNING' ? 1 : 0],
    ])
    counter(
      'freshet_worker_resumes_total',
      'Outages of the cluster the worker waited out and resumed from with new clients.',
      [],
      total((s) => s.resumes),
    )
    gauge(
      'freshet_worker_waiting_since_seconds',
      'While the worker waits for Kafka or the registry: since when, as Unix time in seconds.',
      ['for'],
      (s) => (s.waiting === undefined ? [] : [[{ for: s.waiting.for }, s.waiting.sinceMs / 1_000]]),
    )
    gauge(
      'freshet_task_watermark_seconds',
      "A task's watermark, as Unix time in seconds (absent before its first).",
      ['task'],
      (s) =>
        s.tasks
          .filter((task) => Number.isFinite(task.watermarkMs))
          .map((task) => [{ task: task.id }, task.watermarkMs / 1_000]),
    )
    gauge(
      'freshet_task_open_windows',
      "Windows a task's windowed operators hold open (sessions, for session windows), as of its last commit; exact.",
      ['task'],
      (s) => s.tasks.map((task) => [{ task: task.id }, task.openWindows]),
    )
    const storeGauge = (
      name: string,
      help: string,
      value: (s: { keys: number; bytes: number }) => number,
    ): void =>
      gauge(name, help, ['task', 'store'], (s) =>
        s.tasks.flatMap((task) =>
          task.stores.map((store): Sample<string> => [{ task: task.id, store: store.name }, value(store)]),
        ),
      )
    storeGauge('freshet_state_store_keys', 'Keys in a state store (approximate for RocksDB).', (s) => s.keys)
    storeGauge(
      'freshet_state_store_bytes',
      'Bytes of a state store (approximate for RocksDB).',
      (s) => s.bytes,
    )
    this.#restoreRemaining = new Gauge({
      name: 'freshet_restore_remaining_records',
      help: 'Changelog records still to replay into a store being restored.',
      labelNames: ['application', 'task', 'store'],
      registers: [registry],
    })
    const lagFailures = new Counter({
      name: 'freshet_worker_lag_query_failures_total',
      help: 'Scrapes answered without the lag (the query failed or took longer than 2 s); seen from the next scrape.',
      labelNames: ['application'],
      registers: [registry],
    })
    readGauge({
      registry,
      name: 'freshet_worker_lag_records',
      help: "Records between the group's committed offset and the end of each input partition.",
      labelNames: ['application', 'topic', 'partition'],
      read: async () => {
        const asked = [...workers.values()].map(async ({ application, lag }) =>
          lag === undefined
            ? []
            : lagSamples(await boundedLag(lag, () => lagFailures.inc({ application })), { application }),
        )
        return (await Promise.all(asked)).flat()
      },
    })
    const histogram = (name: string, help: string): Histogram<'application'> =>
      new Histogram({
        name,
        help,
        labelNames: ['application'],
        buckets: LATENCY_BUCKETS_S,
        registers: [registry],
      })
    this.#commitSeconds = histogram(
      'freshet_worker_commit_duration_seconds',
      'Duration of a commit: outputs flushed, offsets sent, transaction ended.',
    )
    this.#batchSeconds = histogram(
      'freshet_worker_batch_processing_seconds',
      'Processing of one fetched batch by the tasks, up to its outputs sent.',
    )
    this.#endToEndSeconds = histogram(
      'freshet_worker_end_to_end_latency_seconds',
      'From the event time of a result written to an output topic to the commit that made it visible.',
    )
    this.#windowResultDelaySeconds = histogram(
      'freshet_worker_window_result_delay_seconds',
      'From the earliest time a window could close (end + grace + out-of-orderness bound) to the commit that made its result visible.',
    )
  }

  /**
   * Serves `worker`'s figures from now on. Returns the observer of its events: compose it into
   * `WorkerOptions.onEvent`, it records the durations and restore progress.
   */
  add(worker: MeasuredWorker): (event: WorkerEvent) => void {
    if (this.#workers.has(worker.application)) {
      throw new FreshetError(
        'INVALID_OPTION',
        `WorkerMetrics.add: application ${JSON.stringify(worker.application)} is already measured`,
        { details: { option: 'application' } },
      )
    }
    this.#workers.set(worker.application, worker)
    return (event) => this.#observe(worker.application, event)
  }

  #observe(application: string, event: WorkerEvent): void {
    const app = { application }
    if (event.type === 'committed') {
      this.#commitSeconds.observe(app, event.durationMs / 1_000)
      for (const ms of event.batchMs) this.#batchSeconds.observe(app, ms / 1_000)
      for (const ms of event.endToEndMs) this.#endToEndSeconds.observe(app, Math.max(0, ms) / 1_000)
      for (const ms of event.windowResultDelayMs) {
        this.#windowResultDelaySeconds.observe(app, Math.max(0, ms) / 1_000)
      }
    } else if (event.type === 'restore') {
      const labels = { ...app, task: event.task, store: event.store }
      if (event.done) this.#restoreRemaining.remove(labels)
      else this.#restoreRemaining.set(labels, Math.max(0, event.totalRecords - event.restoredRecords))
    }
  }
}
