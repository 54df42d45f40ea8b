import { hostname } from 'node:os'
import { FreshetError } from '../errors/index.ts'
import { DEFAULT_DASHBOARD_PORT } from '../dashboard/index.ts'
import { isJobName, type JobName, type JobOptions } from '../jobs/index.ts'
import { connectionSpec } from '../kafka/index.ts'
import { checks, type Spec } from '../options/index.ts'
import type { WorkerEvent } from '../runtime/index.ts'

export interface DemoOptions {
  /** host:port list of bootstrap brokers. */
  bootstrapBrokers: string[]
  /** The schema registry: the events and the results are Avro. */
  registryUrl: string
  /** Root of the workers' local state (their RocksDB stores go under <stateDir>/state). */
  stateDir: string
  /** Events per second the producer sends. Default 1000. */
  ratePerSec?: number
  /** Default user-events. */
  inputTopic?: string
  /** Default event-analytics. */
  outputTopic?: string
  /** Partitions of the input and output topics when the demo creates them. Default 6. */
  partitions?: number
  /** The jobs' groups are `<applicationPrefix>-<job>`. Default freshet-demo. */
  applicationPrefix?: string
  /** The workers' id in their groups. Default demo-<hostname>: a restarted demo fences the last one. */
  workerId?: string
  /** Per job, its options instead of the demo's (`DEMO_JOB_OPTIONS`). */
  jobs?: { [N in JobName]?: JobOptions<N> }
  commitIntervalMs?: number
  /** Default 8088; 0 picks a free port. */
  dashboardPort?: number
  dashboardHost?: string
  /** Default 0: a free port. */
  metricsPort?: number
  metricsHost?: string
  /** How often the dashboard samples the workers. Default 1000. */
  sampleIntervalMs?: number
  /**
   * Flink SQL files to run beside the seed jobs, each as a worker of its own application (the
   * file's `pipeline.name`, else `sql-<file name>`), shown on the dashboard under that id.
   */
  sql?: string[]
  /** Every worker's events, with the job they come from (progress, rebalances, aborts). */
  onEvent?: (job: string, event: WorkerEvent) => void
}

export const demoSpec: Spec<DemoOptions> = {
  bootstrapBrokers: connectionSpec.bootstrapBrokers,
  registryUrl: { check: checks.string() },
  stateDir: { check: checks.string() },
  ratePerSec: { check: checks.number(0.001, 1_000_000), default: 1_000 },
  inputTopic: { check: checks.string(), default: 'user-events' },
  outputTopic: { check: checks.string(), default: 'event-analytics' },
  partitions: { check: checks.int(1, 10_000), default: 6 },
  applicationPrefix: { check: checks.string(), default: 'freshet-demo' },
  workerId: { check: checks.string(), default: `demo-${hostname()}` },
  jobs: {
    check: (where, key, value) => {
      if (
        value === null ||
        typeof value !== 'object' ||
        Object.keys(value).some((name) => !isJobName(name))
      ) {
        throw new FreshetError(
          'INVALID_OPTION',
          `${where}: option "${key}" must map job names to their options`,
          {
            details: { option: key },
          },
        )
      }
      return value as NonNullable<DemoOptions['jobs']>
    },
  },
  commitIntervalMs: { check: checks.int(1, 60_000), default: 100 },
  dashboardPort: { check: checks.int(0, 65_535), default: DEFAULT_DASHBOARD_PORT },
  dashboardHost: { check: checks.string(), default: '127.0.0.1' },
  metricsPort: { check: checks.int(0, 65_535), default: 0 },
  metricsHost: { check: checks.string(), default: '127.0.0.1' },
  sampleIntervalMs: { check: checks.int(100, 60_000) },
  sql: {
    check: (where, key, value) => {
      if (!Array.isArray(value) || value.some((file) => typeof file !== 'string' || !file.endsWith('.sql'))) {
        throw new FreshetError('INVALID_OPTION', `${where}: option "${key}" must list .sql files`, {
          details: { option: key },
        })
      }
      return value as string[]
    },
  },
  onEvent: { check: checks.func<NonNullable<DemoOptions['onEvent']>>() },
}
