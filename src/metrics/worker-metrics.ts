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

/** Seconds: from 5 ms to 2 minutes, for commits, batches and end-to-end latency alike. */
const LATENCY_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120]

type CounterSource = (status: WorkerStatus) => Array<[Record<string, string>, number]>

export class WorkerMetrics {
  readonly #workers = new Map<string, MeasuredWorker>()
  readonly #commitSeconds: Histogram<'application'>
  readonly #batchSeconds: Histogram<'application'>
  readonly #endToEndSeconds: Histogram<'application'>
  readonly #restoreRemaining: Gauge<'application' | 'task' | 'store'>

  constructor(options: WorkerMetricsOptions) {
    const { registry } = options
    const workers = this.#workers
    /** Each worker's labels and status, read once per metric per scrape. */
    const each = (): Array<[{ application: string }, WorkerStatus]> =>
      [...workers.values()].map((w) => [{ application: w.application }, w.status()])
    const counter = (name: string, help: string, labelNames: string[], source: CounterSource): void => {
      new Counter({
        name,
        help,
        labelNames: ['application', ...labelNames],
        registers: [registry],
        collect() {
          this.reset()
          for (const [app, status] of each()) {
            for (const [labels, value] of source(status)) this.inc({ ...app, ...labels }, value)
          }
        },
      })
    }
    const total =
      (value: (s: WorkerStatus) => number): CounterSource =>
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

    new Gauge({
      name: 'freshet_worker_tasks',
      help: 'Tasks the worker runs.',
      labelNames: ['application'],
      registers: [registry],
      collect() {
        this.reset()
        for (const [app, status] of each()) this.set(app, status.tasks.length)
      },
    })
    new Gauge({
      name: 'freshet_worker_up',
      help: '1 while the worker processes (RUNNING), else 0.',
      labelNames: ['application', 'state'],
      registers: [registry],
      collect() {
        this.reset()
        for (const [app, { state }] of each()) this.set({ ...app, state }, state === 'RUNNING' ? 1 : 0)
      },
    })
    new Gauge({
      name: 'freshet_task_watermark_seconds',
      help: "A task's watermark, as Unix time in seconds (absent before its first).",
      labelNames: ['application', 'task'],
      registers: [registry],
      collect() {
        this.reset()
        for (const [app, status] of each()) {
          for (const task of status.tasks) {
            if (Number.isFinite(task.watermarkMs))
              this.set({ ...app, task: task.id }, task.watermarkMs / 1_000)
          }
        }
      },
    })
    const storeGauge = (
      name: string,
      help: string,
      value: (s: { keys: number; bytes: number }) => number,
    ): void => {
      new Gauge({
        name,
        help,
        labelNames: ['application', 'task', 'store'],
        registers: [registry],
        collect() {
          this.reset()
          for (const [app, status] of each()) {
            for (const task of status.tasks) {
              for (const store of task.stores)
                this.set({ ...app, task: task.id, store: store.name }, value(store))
            }
          }
        },
      })
    }
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
    new Gauge({
      name: 'freshet_consumer_lag_records',
      help: "Records between the group's committed offset and the end of each input partition.",
      labelNames: ['application', 'topic', 'partition'],
      registers: [registry],
      async collect() {
        this.reset()
        const asked = [...workers.values()].map(
          async (w) => [w.application, (await w.lag?.()) ?? []] as const,
        )
        for (const [application, lags] of await Promise.all(asked)) {
          for (const p of lags) {
            this.set({ application, topic: p.topic, partition: String(p.partition) }, Number(p.lag))
          }
        }
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
    } else if (event.type === 'restore') {
      const labels = { ...app, task: event.task, store: event.store }
      if (event.done) this.#restoreRemaining.remove(labels)
      else this.#restoreRemaining.set(labels, Math.max(0, event.totalRecords - event.restoredRecords))
    }
  }
}
