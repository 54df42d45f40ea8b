/**
 * The seed jobs, as topologies built from options: `event-counts`, `revenue`, `sessions` and
 * `top-users` read `UserEvent`s (topic `user-events`) and write `AnalyticsResult` rows (topic
 * `event-analytics`, schemas/analytics_result.avsc). `freshet run <job>` and the demo run them;
 * the test driver runs them without a broker. See docs/jobs.md.
 */
export { buildJob, isJobName, JOB_NAMES, JOBS } from './jobs.ts'
export { DEFAULT_INPUT_TOPIC, DEFAULT_OUTPUT_TOPIC, MAX_TOP_N, resolveJobOptions } from './options.ts'
export { MONEY_SCALE } from './result.ts'
export { UNKNOWN_CURRENCY } from './revenue.ts'
export { RANKING_KEY } from './top-users.ts'
export type {
  CommonJobOptions,
  EventCountsOptions,
  JobDefaults,
  JobInfo,
  JobName,
  JobOptions,
  JobOptionsByName,
  ResolvedJobOptions,
  RevenueOptions,
  SessionsOptions,
  TopUsersOptions,
} from './types.ts'
