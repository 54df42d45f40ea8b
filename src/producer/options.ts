import { FreshetError } from '../errors/index.ts'
import type { Compression } from '../kafka/index.ts'
import { checks, type Spec } from '../options/index.ts'
import { registryClientCheck, type SchemaRegistryClient, type SerdeFormat } from '../serde/index.ts'
import { DEFAULT_OUTAGE_TIMEOUT_MS, outageTimeoutCheck } from './outage.ts'
import type { RecordSource } from './source.ts'

export interface EventProducerOptions {
  bootstrapBrokers: string[]
  topic: string
  /**
   * Where the records come from. Default: generated user events (`users`, `seed`, `clock`),
   * serialized as `format` says; the source then brings its own serializer.
   */
  source?: RecordSource
  /**
   * Stop after this many records. Without `count` or `durationMs`, `run` needs an abort signal,
   * or a source that ends.
   */
  count?: number
  /** Stop after this long. */
  durationMs?: number
  /** Events per second; unlimited when absent. */
  ratePerSec?: number
  format?: SerdeFormat
  /** Needed for avro. */
  registry?: SchemaRegistryClient
  /** Records per produce request. */
  batchSize?: number
  /** Produce requests awaiting acknowledgement at once. */
  maxInFlight?: number
  compression?: Compression
  /** Size of the simulated user population. */
  users?: number
  /** Seed of the event generator: the same seed gives the same events. */
  seed?: number
  /** Source of event timestamps in milliseconds (default Date.now); with `seed`, makes a run repeatable. */
  clock?: () => number
  clientId?: string
  /**
   * How long an outage of the cluster is waited out, from its first failed request, before the
   * run fails: the failed batches are sent again, in order, meanwhile. 0 fails at once (when the
   * client's own retries give up); Infinity waits for as long as it takes.
   */
  outageTimeoutMs?: number
}

export const eventProducerSpec: Spec<EventProducerOptions> = {
  bootstrapBrokers: { check: checks.stringList() },
  topic: { check: checks.string(), default: 'user-events' },
  source: {
    check: (where, key, value) => {
      const source = value as Partial<RecordSource> | null
      if (
        source === null ||
        typeof source !== 'object' ||
        typeof source.next !== 'function' ||
        typeof source.init !== 'function'
      ) {
        throw new FreshetError(
          'INVALID_OPTION',
          `${where}: option "${key}" must be a record source (init, next)`,
          {
            details: { option: key },
          },
        )
      }
      return value as RecordSource
    },
  },
  count: { check: checks.int(0) },
  durationMs: { check: checks.int(1) },
  ratePerSec: { check: checks.number(0.001) },
  format: { check: checks.oneOf(['avro', 'json'] as const), default: 'avro' },
  registry: { check: registryClientCheck },
  batchSize: { check: checks.int(1, 1_000_000), default: 5_000 },
  maxInFlight: { check: checks.int(1, 5), default: 5 },
  compression: { check: checks.oneOf(['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const), default: 'none' },
  users: { check: checks.int(1, 10_000_000), default: 10_000 },
  seed: { check: checks.int(0, 0xffffffff) },
  clock: { check: checks.func<() => number>() },
  clientId: { check: checks.string(), default: 'freshet-producer' },
  outageTimeoutMs: { check: outageTimeoutCheck, default: DEFAULT_OUTAGE_TIMEOUT_MS },
}
