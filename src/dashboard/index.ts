/**
 * The live dashboard of a pipeline (docs/dashboard.md): a page on localhost fed by server-sent
 * events with the workers' throughput, lag and latency, the jobs' analytics and the services' health.
 */
export { AnalyticsBoard, type AnalyticsSnapshot } from './analytics.ts'
export {
  quantile,
  type DashboardSnapshot,
  type DashboardState,
  type JobView,
  type Sample,
  type WatchedJob,
} from './collector.ts'
export { Dashboard } from './dashboard.ts'
export { DEFAULT_DASHBOARD_PORT, type DashboardOptions } from './options.ts'
