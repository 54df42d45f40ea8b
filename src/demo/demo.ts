/**
 * The seed pipeline end to end in one process: the event producer at a steady rate, the four seed
 * jobs each as a worker of its own consumer group (the same `Worker` that `freshet run` starts),
 * any SQL files given the same way (as `freshet sql run` plans them), their Prometheus metrics on
 * one endpoint and the live dashboard.
 *
 * start(), as numbered steps:
 *   1. Create the input and output topics when missing (the workers create their internal and
 *      dead-letter topics themselves).
 *   2. Start the metrics server and the four workers; each joins its group and restores its state.
 *   3. Start the dashboard, which follows the output topic and samples the workers.
 *   4. Start the producer.
 * stop() undoes them in reverse: the producer first, so the workers commit what it sent last.
 */
import { join } from 'node:path'
import { FreshetError, toFreshetError } from '../errors/index.ts'
import { Dashboard } from '../dashboard/index.ts'
import { buildJob, JOB_NAMES, type JobName, type JobOptions } from '../jobs/index.ts'
import { KafkaAdmin } from '../kafka/index.ts'
import { MetricsServer, processRegistry, WorkerMetrics } from '../metrics/index.ts'
import { EventProducer, type ProduceProgress } from '../producer/index.ts'
import { RegistryClient } from '../registry/index.ts'
import { notReadyReason, Worker, type WorkerEvent } from '../runtime/index.ts'
import { AnalyticsResultSchema, type AnalyticsResult } from '../schemas/index.ts'
import { createSerializer } from '../serde/index.ts'
import { validateOptions } from '../options/index.ts'
import { planSqlFile, sqlWorkerOptions, type PlannedScript } from '../sql/index.ts'
import type { Topology } from '../stream/index.ts'
import { demoSpec, type DemoOptions } from './options.ts'

export interface DemoJob {
  /** A seed job's name, or a SQL file's application id. */
  readonly job: string
  readonly applicationId: string
  readonly worker: Worker
}

export class Demo {
  readonly #options: DemoOptions
  readonly #registry: RegistryClient
  readonly #admin: KafkaAdmin
  readonly #jobs: DemoJob[] = []
  #metrics: MetricsServer | undefined
  #dashboard: Dashboard | undefined
  #producer: EventProducer | undefined
  #producing: Promise<unknown> | undefined
  readonly #stopProducer = new AbortController()
  #progress: ProduceProgress | undefined
  #failure: FreshetError | undefined
  #failed: (error: FreshetError) => void = () => {}
  /** Settles with the first failure of a worker or the producer (never resolves otherwise). */
  readonly failure: Promise<FreshetError>

  constructor(options: DemoOptions) {
    this.#options = validateOptions('Demo', options, demoSpec)
    this.#registry = new RegistryClient({ url: this.#options.registryUrl })
    this.#admin = new KafkaAdmin({
      bootstrapBrokers: this.#options.bootstrapBrokers,
      clientId: 'freshet-demo',
    })
    this.failure = new Promise((resolve) => (this.#failed = resolve))
  }

  get jobs(): readonly DemoJob[] {
    return this.#jobs
  }

  /** The dashboard's address once started. */
  get dashboardUrl(): string {
    return this.#required(this.#dashboard, 'dashboardUrl').url
  }

  /** The metrics endpoint's address once started (…/metrics). */
  get metricsUrl(): string {
    return `${this.#required(this.#metrics, 'metricsUrl').url}/metrics`
  }

  /** What the producer sent so far. */
  get produced(): ProduceProgress | undefined {
    return this.#progress
  }

  #required<T>(value: T | undefined, what: string): T {
    if (value === undefined) throw new FreshetError('INVALID_STATE', `Demo.${what}: call start() first`)
    return value
  }

  #fail(error: unknown, where: string): void {
    if (this.#failure !== undefined) return
    this.#failure = toFreshetError(error, 'KAFKA_ERROR', where)
    this.#failed(this.#failure)
  }

  async start(): Promise<void> {
    const o = this.#options
    const connection = { bootstrapBrokers: o.bootstrapBrokers }
    // Step 1
    const existing = new Set(await this.#admin.listTopics())
    await this.#admin.createTopics(
      [o.inputTopic!, o.outputTopic!]
        .filter((topic) => !existing.has(topic))
        .map((topic) => ({ topic, partitions: o.partitions! })),
    )

    // Step 2
    const registry = processRegistry('demo')
    const metrics = new WorkerMetrics({ registry })
    this.#metrics = new MetricsServer({
      registry,
      port: o.metricsPort!,
      host: o.metricsHost!,
      readiness: () => {
        const reasons = this.#jobs.flatMap((j) => {
          const reason = notReadyReason(j.worker.status())
          return reason === undefined ? [] : [`${j.job} ${reason}`]
        })
        return reasons.length === 0 ? { ready: true } : { ready: false, reason: reasons.join(', ') }
      },
    })
    await this.#metrics.start()
    const outputSerde = createSerializer<AnalyticsResult>({
      format: 'avro',
      topic: o.outputTopic!,
      schema: AnalyticsResultSchema,
      registry: this.#registry,
    })
    const observers = new Map<string, Array<(event: WorkerEvent) => void>>()
    const addJob = (job: string, topology: Topology, sql?: PlannedScript): void => {
      const applicationId = topology.applicationId
      const listeners: Array<(event: WorkerEvent) => void> = []
      observers.set(job, listeners)
      const worker = new Worker({
        ...connection,
        topology,
        workerId: o.workerId!,
        processingGuarantee: 'exactly-once',
        commitIntervalMs: o.commitIntervalMs!,
        stateDir: join(o.stateDir, 'state'),
        registry: this.#registry,
        format: 'avro',
        onBadRecord: 'dlq',
        ...(sql === undefined ? {} : sqlWorkerOptions(sql)),
        onEvent: (event) => {
          for (const listener of listeners) listener(event)
          o.onEvent?.(job, event)
        },
      })
      listeners.push(
        metrics.add({
          application: applicationId,
          status: () => worker.status(),
          lag: () => this.#admin.groupLag(applicationId, o.inputTopic!),
        }),
      )
      this.#jobs.push({ job, applicationId, worker })
    }
    for (const job of JOB_NAMES) {
      const topology = buildJob(job, {
        ...(o.jobs?.[job] ?? DEMO_JOB_OPTIONS[job]),
        applicationId: `${o.applicationPrefix}-${job}`,
        inputTopic: o.inputTopic!,
        outputTopic: o.outputTopic!,
        outputSerde,
      } as JobOptions)
      addJob(job, topology)
    }
    for (const file of o.sql ?? []) {
      const planned = await planSqlFile(file)
      addJob(planned.applicationId, planned.topology, planned)
    }
    await Promise.all(this.#jobs.map((j) => j.worker.start()))
    for (const { job, worker } of this.#jobs) {
      worker.done.then(
        () => {
          if (worker.state !== 'STOPPED' && worker.state !== 'STOPPING')
            this.#fail(new FreshetError('KAFKA_ERROR', `the ${job} worker stopped on its own`), job)
        },
        (error: unknown) => this.#fail(error, `the ${job} worker failed`),
      )
    }

    // Step 3
    this.#dashboard = new Dashboard({
      ...connection,
      jobs: this.#jobs.map(({ job, applicationId, worker }) => ({
        job,
        applicationId,
        inputTopic: o.inputTopic!,
        outputTopic: o.outputTopic!,
        worker,
      })),
      resultsTopic: o.outputTopic!,
      registry: this.#registry,
      port: o.dashboardPort!,
      host: o.dashboardHost!,
      ...(o.sampleIntervalMs === undefined ? {} : { sampleIntervalMs: o.sampleIntervalMs }),
    })
    for (const { job } of this.#jobs) {
      const dashboard = this.#dashboard
      observers.get(job)?.push((event) => dashboard.observe(job, event))
    }
    await this.#dashboard.start()

    // Step 4
    this.#producer = new EventProducer({
      ...connection,
      topic: o.inputTopic!,
      ratePerSec: o.ratePerSec!,
      registry: this.#registry,
      clientId: 'freshet-demo-producer',
    })
    this.#producing = this.#producer
      .run({ signal: this.#stopProducer.signal, onProgress: (p) => (this.#progress = p) })
      .then((summary) => {
        if (summary.error !== undefined) this.#fail(summary.error, 'the producer failed')
      })
  }

  /** Stops everything start() started, the producer first; safe to call after a failed start. */
  async stop(): Promise<void> {
    this.#stopProducer.abort()
    await this.#producing?.catch(() => {})
    await this.#producer?.close().catch(() => {})
    await this.#dashboard?.close()
    await Promise.all(this.#jobs.map((j) => j.worker.stop().catch(() => {})))
    await this.#metrics?.close()
    await this.#admin.close().catch(() => {})
  }
}

/**
 * Windows short enough that the dashboard fills within a minute of the start: results every 10
 * seconds, sessions that end after 30 seconds without an event (the jobs' own defaults are minutes).
 */
export const DEMO_JOB_OPTIONS: { readonly [N in JobName]: JobOptions<N> } = Object.freeze({
  'event-counts': { windowMs: 10_000 },
  revenue: { windowMs: 60_000, advanceMs: 10_000 },
  sessions: { gapMs: 30_000 },
  'top-users': { windowMs: 10_000, topN: 10 },
})
