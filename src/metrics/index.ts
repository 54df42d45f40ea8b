/**
 * Prometheus metrics of freshet's long-running commands, and the HTTP endpoints that serve them
 * (docs/operations.md).
 */
export { processRegistry } from './registry.ts'
export { MetricsServer, type MetricsServerOptions, type Readiness } from './server.ts'
export { WorkerMetrics, type MeasuredWorker, type WorkerMetricsOptions } from './worker-metrics.ts'
