import { collectDefaultMetrics, Registry } from 'prom-client'

/**
 * prom-client's gauges named like counters (Prometheus reserves `_total` for counters, and
 * promtool refuses them); the same counts stay available per type as `nodejs_active_handles`,
 * `nodejs_active_requests` and `nodejs_active_resources`.
 */
const MISNAMED_DEFAULTS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
]

/**
 * A registry for one process: the Node.js process metrics prom-client collects (CPU, memory,
 * event loop lag, garbage collection; `process_*` and `nodejs_*`) and a `command` label on
 * every series, so that one Prometheus can scrape the producer, the workers and the registry apart.
 */
export function processRegistry(command: string): Registry {
  const registry = new Registry()
  registry.setDefaultLabels({ command })
  collectDefaultMetrics({ register: registry })
  for (const name of MISNAMED_DEFAULTS) registry.removeSingleMetric(name)
  return registry
}
