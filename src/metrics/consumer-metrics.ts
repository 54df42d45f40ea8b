/**
 * Metrics of `freshet consume`: what an `EventConsumer` read, decoded and dead-lettered, and the
 * outages it waited out, read from its status when Prometheus scrapes; the group's lag per
 * partition, asked of the cluster at scrape time; and the duration of each batch, from its delivery
 * to its commit.
 */
import { Counter, Histogram, type Registry } from 'prom-client'
import type { ConsumedBatch, ConsumerStatus } from '../consumer/index.ts'
import type { PartitionLag } from '../kafka/index.ts'
import { boundedLag, lagSamples, LATENCY_BUCKETS_S, readCounter, readGauge } from './collect.ts'

export interface ConsumerMetricsOptions {
  registry: Registry
  /** The consumer's running figures; read at every scrape. */
  status: () => ConsumerStatus
  /** The group's lag per partition; asked at every scrape when given. */
  lag?: () => Promise<PartitionLag[]>
}

export class ConsumerMetrics {
  readonly #batchSeconds: Histogram<'group'>

  constructor(options: ConsumerMetricsOptions) {
    const { registry, status, lag } = options
    const perTopic = (name: string, help: string, value: (s: ConsumerStatus) => number): void =>
      readCounter({
        registry,
        name,
        help,
        labelNames: ['group', 'topic'],
        read: () => {
          const s = status()
          return [[{ group: s.group, topic: s.topic }, value(s)]]
        },
      })
    perTopic('freshet_consumer_records_total', 'Records fetched, per topic.', (s) => s.records)
    perTopic('freshet_consumer_bytes_total', 'Key and value bytes of the records fetched.', (s) => s.bytes)
    perTopic('freshet_consumer_decoded_records_total', 'Records decoded and handed on.', (s) => s.decoded)
    readCounter({
      registry,
      name: 'freshet_consumer_dead_letters_total',
      help: 'Records that could not be decoded, written to the dead-letter topic, by error code.',
      labelNames: ['group', 'topic', 'code'],
      read: () => {
        const s = status()
        return Object.entries(s.deadLetters).map(([code, n]) => [{ group: s.group, topic: s.topic, code }, n])
      },
    })
    readCounter({
      registry,
      name: 'freshet_consumer_skipped_records_total',
      help: 'Records that could not be decoded, counted and skipped (the default of consume), by error code.',
      labelNames: ['group', 'topic', 'code'],
      read: () => {
        const s = status()
        return Object.entries(s.skipped ?? {}).map(([code, n]) => [
          { group: s.group, topic: s.topic, code },
          n,
        ])
      },
    })
    readCounter({
      registry,
      name: 'freshet_consumer_commits_total',
      help: 'Offset commits (one per batch).',
      labelNames: ['group'],
      read: () => {
        const s = status()
        return [[{ group: s.group }, s.commits]]
      },
    })
    readCounter({
      registry,
      name: 'freshet_consumer_retries_total',
      help: 'Waits for an unreachable schema registry.',
      labelNames: ['group'],
      read: () => {
        const s = status()
        return [[{ group: s.group }, s.retries]]
      },
    })
    readCounter({
      registry,
      name: 'freshet_consumer_resumes_total',
      help: 'Outages of the cluster the consumer waited out, reading on as a new member of its group.',
      labelNames: ['group'],
      read: () => {
        const s = status()
        return [[{ group: s.group }, s.resumes ?? 0]]
      },
    })
    perTopic(
      'freshet_consumer_redelivered_records_total',
      'Records handed on whose commit did not land before an outage, handed on again after it.',
      (s) => s.redeliveredRecords ?? 0,
    )
    readGauge({
      registry,
      name: 'freshet_consumer_waiting_since_seconds',
      help: 'While the consumer waits out an outage of the cluster: since when, as Unix time in seconds.',
      labelNames: ['group'],
      read: () => {
        const s = status()
        return s.waiting === undefined ? [] : [[{ group: s.group }, s.waiting.sinceMs / 1_000]]
      },
    })
    const lagFailures = new Counter({
      name: 'freshet_consumer_lag_query_failures_total',
      help: 'Scrapes answered without the lag (the query failed or took longer than 2 s); seen from the next scrape.',
      labelNames: ['group'],
      registers: [registry],
    })
    readGauge({
      registry,
      name: 'freshet_consumer_lag_records',
      help: "Records between the group's committed offset and the end of each partition it has committed.",
      labelNames: ['group', 'topic', 'partition'],
      read: async () => {
        if (lag === undefined) return []
        const group = status().group
        const lags = await boundedLag(lag, () => lagFailures.inc({ group }))
        // Without a committed offset the group has read nothing there, and starts at the end
        // unless told otherwise: the whole partition is not lag.
        return lagSamples(
          lags.filter((p) => p.committedOffset !== null),
          { group },
        )
      },
    })
    this.#batchSeconds = new Histogram({
      name: 'freshet_consumer_batch_processing_seconds',
      help: 'One batch: decoded, dead letters written, handed on, offsets committed.',
      labelNames: ['group'],
      buckets: LATENCY_BUCKETS_S,
      registers: [registry],
    })
  }

  /** Records one batch; give it as `EventConsumer.run({ onBatch })`. */
  readonly observe = (batch: ConsumedBatch): void => {
    this.#batchSeconds.observe({ group: batch.group }, batch.durationMs / 1_000)
  }
}
