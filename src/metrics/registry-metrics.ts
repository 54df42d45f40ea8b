/**
 * Metrics of `freshet registry`: its HTTP requests by route (the route's pattern, never the raw
 * path, so subjects do not multiply the series), their durations, and what the registry holds.
 */
import { Counter, Histogram, type Registry } from 'prom-client'
import type { RegistryRequest, RegistryStatus } from '../registry/index.ts'
import { readGauge, REQUEST_BUCKETS_S } from './collect.ts'
import type { Readiness } from './server.ts'

export interface RegistryMetricsOptions {
  registry: Registry
  /** What the schema registry holds; read at every scrape. Undefined (no samples) before it has read its topic. */
  status: () => RegistryStatus | undefined
}

export class RegistryMetrics {
  readonly #requests: Counter<'method' | 'route' | 'status'>
  readonly #requestSeconds: Histogram<'method' | 'route'>
  readonly #status: () => RegistryStatus | undefined

  constructor(options: RegistryMetricsOptions) {
    const { registry, status } = options
    this.#status = status
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

  /**
   * GET /ready, from the same status the gauges read: ready while the registry reaches the end of
   * its topic; not before it has read it, nor while it waits for Kafka (with since when and why).
   */
  readonly readiness = (): Readiness => {
    const s = this.#status()
    if (s === undefined) return { ready: false, reason: 'reading the registry topic' }
    if (s.state === 'SERVING') return { ready: true }
    if (s.state === 'WAITING_FOR_KAFKA') {
      return {
        ready: false,
        reason: `waiting for Kafka since ${new Date(s.sinceMs).toISOString()}: ${s.reason}`,
      }
    }
    return { ready: false, reason: s.state === 'CLOSED' ? 'stopped' : 'reading the registry topic' }
  }

  /** Records one request; give it as `startRegistry({ onRequest })`. */
  readonly observe = (request: RegistryRequest): void => {
    const { method, route } = request
    this.#requests.inc({ method, route, status: String(request.status) })
    this.#requestSeconds.observe({ method, route }, request.durationMs / 1_000)
  }
}
