/**
 * Metrics of `freshet produce`: what an `EventProducer` sent, read from its status when Prometheus
 * scrapes, the outages it waited out, and the duration of each request of a batch (one observation
 * per batch at its acknowledgement, and one per failed attempt; a batch larger than a request is
 * sent as several requests, one after another).
 */
import { Histogram, type Registry } from 'prom-client'
import type { ProducerRequest, ProducerStatus } from '../producer/index.ts'
import { readCounter, readGauge, REQUEST_BUCKETS_S } from './collect.ts'

export interface ProducerMetricsOptions {
  registry: Registry
  /** The producer's running figures; read at every scrape. */
  status: () => ProducerStatus
}

export class ProducerMetrics {
  readonly #requestSeconds: Histogram<'topic' | 'outcome'>

  constructor(options: ProducerMetricsOptions) {
    const { registry, status } = options
    readCounter({
      registry,
      name: 'freshet_producer_records_total',
      help: 'Records the brokers acknowledged, per topic.',
      labelNames: ['topic'],
      read: () => {
        const s = status()
        return [[{ topic: s.topic }, s.records]]
      },
    })
    readCounter({
      registry,
      name: 'freshet_producer_bytes_total',
      help: 'Key and value bytes of the acknowledged records, per topic.',
      labelNames: ['topic'],
      read: () => {
        const s = status()
        return [[{ topic: s.topic }, s.bytes]]
      },
    })
    readCounter({
      registry,
      name: 'freshet_producer_failed_records_total',
      help: 'Records of the batches that failed, by error code (parts of a batch may have been written).',
      labelNames: ['topic', 'code'],
      read: () => {
        const s = status()
        return Object.entries(s.failed).map(([code, n]) => [{ topic: s.topic, code }, n])
      },
    })
    readCounter({
      registry,
      name: 'freshet_producer_resent_records_total',
      help: 'Records sent again after their request failed in an outage, once per resend: the topic holds at most this many duplicates.',
      labelNames: ['topic'],
      read: () => {
        const s = status()
        return [[{ topic: s.topic }, s.resentRecords]]
      },
    })
    readCounter({
      registry,
      name: 'freshet_producer_resumes_total',
      help: 'Outages of the cluster the producer waited out, its failed batches sent again.',
      labelNames: ['topic'],
      read: () => {
        const s = status()
        return [[{ topic: s.topic }, s.resumes]]
      },
    })
    readGauge({
      registry,
      name: 'freshet_producer_waiting_since_seconds',
      help: 'While the producer waits out an outage of the cluster: since when, as Unix time in seconds.',
      labelNames: ['topic'],
      read: () => {
        const s = status()
        return s.waiting === undefined ? [] : [[{ topic: s.topic }, s.waiting.sinceMs / 1_000]]
      },
    })
    readGauge({
      registry,
      name: 'freshet_producer_batches_in_flight',
      help: 'Batches sent and not yet acknowledged.',
      labelNames: ['topic'],
      read: () => {
        const s = status()
        return [[{ topic: s.topic }, s.requestsInFlight]]
      },
    })
    this.#requestSeconds = new Histogram({
      name: 'freshet_producer_batch_duration_seconds',
      help: 'From sending a batch to its acknowledgement (or failure), per topic and outcome.',
      labelNames: ['topic', 'outcome'],
      buckets: REQUEST_BUCKETS_S,
      registers: [registry],
    })
  }

  /** Records one batch; give it as `EventProducer.run({ onRequest })`. */
  readonly observe = (request: ProducerRequest): void => {
    this.#requestSeconds.observe(
      { topic: request.topic, outcome: request.error === undefined ? 'ok' : 'error' },
      request.durationMs / 1_000,
    )
  }
}
