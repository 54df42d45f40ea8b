import { FreshetError } from '../errors/index.ts'
import { connectionSpec } from '../kafka/index.ts'
import { checks, type Spec } from '../options/index.ts'
import type { SchemaRegistryClient, SerdeFormat } from '../serde/index.ts'
import type { WatchedJob } from './collector.ts'

/** The port the dashboard listens on unless told otherwise. */
export const DEFAULT_DASHBOARD_PORT = 8088

export interface DashboardOptions {
  /** host:port list of bootstrap brokers. */
  bootstrapBrokers: string[]
  /** The workers to show; each one's events go to `Dashboard.observe`. */
  jobs: WatchedJob[]
  /** Where the jobs write their AnalyticsResult rows (default event-analytics). */
  resultsTopic?: string
  /** How the results are encoded (default avro, which needs `registry`). */
  format?: SerdeFormat
  /** Decodes Avro results; its reachability is shown as the registry's health. */
  registry?: SchemaRegistryClient & { listSubjects(): Promise<string[]> }
  /** 0 picks a free port. Default 8088. */
  port?: number
  /** Default 127.0.0.1; 0.0.0.0 serves every interface. */
  host?: string
  title?: string
  sampleIntervalMs?: number
  /** How much sample history the page gets when it connects. */
  historyMs?: number
  /** Latency percentiles are over the results committed this long before each sample. */
  latencyWindowMs?: number
}

function jobsCheck(where: string, key: string, value: unknown): WatchedJob[] {
  const valid =
    Array.isArray(value) &&
    value.every(
      (j: Partial<WatchedJob> | null) =>
        j !== null &&
        typeof j === 'object' &&
        typeof j.job === 'string' &&
        typeof j.applicationId === 'string' &&
        typeof j.inputTopic === 'string' &&
        typeof j.outputTopic === 'string' &&
        typeof j.worker?.status === 'function',
    )
  if (!valid) {
    throw new FreshetError(
      'INVALID_OPTION',
      `${where}: option "${key}" must list { job, applicationId, inputTopic, outputTopic, worker }`,
      { details: { option: key } },
    )
  }
  const names = (value as WatchedJob[]).map((j) => j.job)
  if (new Set(names).size !== names.length) {
    throw new FreshetError(
      'INVALID_OPTION',
      `${where}: option "${key}" names a job twice: ${names.join(', ')}`,
      {
        details: { option: key },
      },
    )
  }
  return value as WatchedJob[]
}

export const dashboardSpec: Spec<DashboardOptions> = {
  bootstrapBrokers: connectionSpec.bootstrapBrokers,
  jobs: { check: jobsCheck },
  resultsTopic: { check: checks.string(), default: 'event-analytics' },
  format: { check: checks.oneOf(['avro', 'json'] as const), default: 'avro' },
  registry: { check: checks.any<NonNullable<DashboardOptions['registry']>>() },
  port: { check: checks.int(0, 65_535), default: DEFAULT_DASHBOARD_PORT },
  host: { check: checks.string(), default: '127.0.0.1' },
  title: { check: checks.string(), default: 'freshet' },
  sampleIntervalMs: { check: checks.int(100, 60_000), default: 1_000 },
  historyMs: { check: checks.int(1_000, 86_400_000), default: 300_000 },
  latencyWindowMs: { check: checks.int(1_000, 3_600_000), default: 30_000 },
}
