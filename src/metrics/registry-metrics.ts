/**
 * Metrics of `freshet registry`: its HTTP requests by route (the route's pattern, never the raw
 * path, so subjects do not multiply the series), their durations, and what the registry holds.
 */
import { Counter, Histogram, type Registry } from 'prom-client'
import type { RegistryRequest, RegistryStatus } from '../registry/index.ts'
import { readGauge, REQUEST_BUCKETS_S } from './collect.ts'

export interface RegistryMetricsOptions {
  registry: Registry
  /** What the schema registry holds; read at every scrape. Undefined (no samples) before it has read its topic. */
  status: () => RegistryStatus | undefined
}

export class RegistryMetrics {
  readonly #requests: Counter<'method' | 'route' | 'status'>
  readonly #requestSeconds: Histogram<'method' | 'route'>

  constructor(options: RegistryMetricsOptions) {
    const { registry, status } = options
    this.#requests = new Counter({
      name: 'freshet_registry_http_requests_total',
      help: 'HTTP requests answered, by method, route pattern and status code.',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    })
    this.#requestSeconds = new Histogram({
      name: 'freshet_registry_http_request_duration_seconds',
      help: 'From a request arriving to its answer sent, by method and route pattern.',
      labelNames: ['method', 'route'],
      buckets: REQUEST_BUCKETS_S,
      registers: [registry],
    })
    readGauge({
      registry,
      name: 'freshet_registry_subjects',
      help: 'Subjects with at least one version not deleted.',
      labelNames: [],
      read: () => {
        const s = status()
        return s === undefined ? [] : [[{}, s.subjects]]
      },
    })
    readGauge({
      registry,
      name: 'freshet_registry_schemas',
      help: 'Distinct schema ids.',
      labelNames: [],
      read: () => {
        const s = status()
        return s === undefined ? [] : [[{}, s.schemas]]
      },
    })
  }

  /** Records one request; give it as `startRegistry({ onRequest })`. */
  readonly observe = (request: RegistryRequest): void => {
    const { method, route } = request
    this.#requests.inc({ method, route, status: String(request.status) })
    this.#requestSeconds.observe({ method, route }, request.durationMs / 1_000)
  }
}
