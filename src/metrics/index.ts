/**
 * Prometheus metrics of freshet's long-running commands, and the HTTP endpoints that serve them
 * (docs/operations.md).
 */
export { ConsumerMetrics, type ConsumerMetricsOptions } from './consumer-metrics.ts'
export { ProducerMetrics, type ProducerMetricsOptions } from './producer-metrics.ts'
export { processRegistry } from './registry.ts'
export { RegistryMetrics, type RegistryMetricsOptions } from './registry-metrics.ts'
export { MetricsServer, type HttpRoute, type MetricsServerOptions, type Readiness } from './server.ts'
export { WorkerMetrics, type MeasuredWorker, type WorkerMetricsOptions } from './worker-metrics.ts'
