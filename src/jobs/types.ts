import type { AnalyticsResult } from '../schemas/index.ts'
import type { Serializer } from '../serde/index.ts'

/** The seed jobs, by the name `freshet run <job>` takes. */
export type JobName = 'event-counts' | 'revenue' | 'sessions' | 'top-users'

/** Options every job takes. */
export interface CommonJobOptions {
  /** Consumer group, transactional ids and prefix of the internal topics. Default `freshet-<job>`. */
  applicationId?: string
  /** The topic of `UserEvent`s read, keyed by user id. Default `user-events`. */
  inputTopic?: string
  /** The topic the `AnalyticsResult`s are written to. Default `event-analytics`. */
  outputTopic?: string
  /** How long after its end (in watermark time) a window still takes records. Default 0. */
  graceMs?: number
  /** How the results are serialized (e.g. an `AvroSerializer` of `AnalyticsResultSchema`). Default the runtime's. */
  outputSerde?: Serializer<AnalyticsResult>
}

export interface EventCountsOptions extends CommonJobOptions {
  /** Size of the tumbling windows. Default 60 000 (a minute). */
  windowMs?: number
}

export interface RevenueOptions extends CommonJobOptions {
  /** Size of the hopping windows. Default 300 000 (5 minutes). */
  windowMs?: number
  /** Distance between the starts of consecutive windows, at most `windowMs`. Default 60 000. */
  advanceMs?: number
}

export interface SessionsOptions extends CommonJobOptions {
  /** Inactivity that ends a session: events further apart than this are in two sessions. Default 1 800 000 (30 minutes). */
  gapMs?: number
}

export interface TopUsersOptions extends CommonJobOptions {
  /** Size of the tumbling windows. Default 60 000 (a minute). */
  windowMs?: number
  /** Length of each window's ranking. Default 10. */
  topN?: number
}

/** The options of each job. */
export interface JobOptionsByName {
  'event-counts': EventCountsOptions
  revenue: RevenueOptions
  sessions: SessionsOptions
  'top-users': TopUsersOptions
}

/** The options of job N (of any job when N is not narrowed). */
export type JobOptions<N extends JobName = JobName> = JobOptionsByName[N]

/** The value of every option but `outputSerde` when it is not given. */
export type JobDefaults<N extends JobName> = Readonly<Required<Omit<JobOptionsByName[N], 'outputSerde'>>>

/** Options after validation: every option but `outputSerde` has its value. */
export type ResolvedJobOptions<N extends JobName> = Required<Omit<JobOptionsByName[N], 'outputSerde'>> &
  Pick<CommonJobOptions, 'outputSerde'>

/** What `JOBS` says about a job: for `freshet run --help` and the docs. */
export interface JobInfo<N extends JobName = JobName> {
  readonly name: N
  /** One line: what the job computes. */
  readonly description: string
  readonly defaults: JobDefaults<N>
}
