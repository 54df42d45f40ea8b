/**
 * The metrics flags of the long-running commands and the server they start: every one of them
 * (produce, consume, registry, run, demo) serves /metrics, /health and /ready beside its work.
 */
import type { Registry } from 'prom-client'
import { MetricsServer, type HttpRoute, type Readiness } from '../metrics/index.ts'
import { intFlag } from './args.ts'

export const METRICS_OPTIONS = {
  'metrics-port': { type: 'string' },
  'metrics-host': { type: 'string' },
} as const

export const METRICS_HELP = `  --metrics-port P       serve /metrics, /health and /ready on this port (default: a free port,
                         logged at start)
  --metrics-host H       address to serve them on (default 127.0.0.1; 0.0.0.0 for every interface)`

/** The metrics server the flags describe, not started (a bad flag throws before anything runs). */
export function metricsServer(
  values: Record<string, string | boolean | undefined>,
  registry: Registry,
  readiness?: () => Readiness,
  routes?: readonly HttpRoute[],
): MetricsServer {
  const host = values['metrics-host']
  return new MetricsServer({
    registry,
    port: intFlag('metrics-port', values['metrics-port'], 0) ?? 0,
    ...(typeof host === 'string' ? { host } : {}),
    ...(readiness === undefined ? {} : { readiness }),
    ...(routes === undefined ? {} : { routes }),
  })
}
