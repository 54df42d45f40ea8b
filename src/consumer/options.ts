import { checks, type Spec } from '../options/index.ts'
import { registryClientCheck, type SchemaRegistryClient, type SerdeFormat } from '../serde/index.ts'

export interface EventConsumerOptions {
  bootstrapBrokers: string[]
  topic: string
  groupId?: string
  /** Start from the earliest offset where the group has committed nothing. */
  fromBeginning?: boolean
  /** Stop after this many records (decoded or dead-lettered). */
  maxMessages?: number
  format?: SerdeFormat
  /** Needed for avro. */
  registry?: SchemaRegistryClient
  /** Where records that cannot be decoded go; `<topic>.dlq` by default. */
  dlqTopic?: string
  /** First wait after the registry could not be reached; doubles up to `maxRetryBackoffMs`. */
  retryBackoffMs?: number
  maxRetryBackoffMs?: number
  clientId?: string
}

export const eventConsumerSpec: Spec<EventConsumerOptions> = {
  bootstrapBrokers: { check: checks.stringList() },
  topic: { check: checks.string(), default: 'user-events' },
  groupId: { check: checks.string(), default: 'freshet-consumer' },
  fromBeginning: { check: checks.boolean(), default: false },
  maxMessages: { check: checks.int(1) },
  format: { check: checks.oneOf(['avro', 'json'] as const), default: 'avro' },
  registry: { check: registryClientCheck },
  dlqTopic: { check: checks.string() },
  retryBackoffMs: { check: checks.int(1, 60_000), default: 200 },
  maxRetryBackoffMs: { check: checks.int(1, 600_000), default: 10_000 },
  clientId: { check: checks.string(), default: 'freshet-consumer' },
}
