/**
 * The catalog of jobs and `buildJob`, the one way in: it validates the name and the options, then
 * builds the job's topology for the test driver or the runtime to run.
 */
import { FreshetError } from '../errors/index.ts'
import type { Topology } from '../stream/index.ts'
import { eventCountsJob } from './event-counts.ts'
import { JOB_DEFAULTS, resolveJobOptions } from './options.ts'
import { revenueJob } from './revenue.ts'
import { sessionsJob } from './sessions.ts'
import { topUsersJob } from './top-users.ts'
import type { JobInfo, JobName, JobOptions, ResolvedJobOptions } from './types.ts'

const BUILDERS: { readonly [N in JobName]: (options: ResolvedJobOptions<N>) => Topology } = {
  'event-counts': eventCountsJob,
  revenue: revenueJob,
  sessions: sessionsJob,
  'top-users': topUsersJob,
}

/** Every job: its name, what it computes and its defaults. */
export const JOBS: { readonly [N in JobName]: JobInfo<N> } = Object.freeze({
  'event-counts': {
    name: 'event-counts',
    description: 'events per event type per tumbling window',
    defaults: JOB_DEFAULTS['event-counts'],
  },
  revenue: {
    name: 'revenue',
    description: 'purchases, revenue and average amount per currency per hopping window',
    defaults: JOB_DEFAULTS.revenue,
  },
  sessions: {
    name: 'sessions',
    description: "each user's sessions: start, end, duration, events, page views, purchases, revenue",
    defaults: JOB_DEFAULTS.sessions,
  },
  'top-users': {
    name: 'top-users',
    description: 'the users with the most events per tumbling window, one row per rank',
    defaults: JOB_DEFAULTS['top-users'],
  },
})

/** The job names, in the order `freshet run --help` lists them. */
export const JOB_NAMES: readonly JobName[] = Object.freeze(Object.keys(JOBS) as JobName[])

export function isJobName(name: unknown): name is JobName {
  return typeof name === 'string' && Object.hasOwn(JOBS, name)
}

/**
 * The topology of job `name` with `options` (defaults in `JOBS[name].defaults`). Throws
 * FRESHET_INVALID_OPTION for an unknown job, listing the known ones, and for invalid options,
 * naming the option.
 */
export function buildJob<N extends JobName>(name: N, options?: JobOptions<N>): Topology {
  if (!isJobName(name)) {
    throw new FreshetError(
      'INVALID_OPTION',
      `unknown job ${JSON.stringify(name)}; known: ${JOB_NAMES.join(', ')}`,
      { details: { option: 'job', allowed: JOB_NAMES } },
    )
  }
  const build = BUILDERS[name] as (options: ResolvedJobOptions<N>) => Topology
  return build(resolveJobOptions(name, options ?? {}))
}
