import { FreshetError } from '../errors/index.ts'
import { checks, type Spec } from '../options/index.ts'
import type { TypedSchema } from '../schemas/index.ts'
import { BAD_RECORD_POLICIES, type BadRecordPolicy } from '../task/index.ts'
import { DEFAULT_OUTAGE_TIMEOUT_MS, outageTimeoutCheck } from '../producer/index.ts'
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
  /**
   * The reader schema: Avro values are resolved to it, JSON values checked against it. Without it
   * (the default) each Avro value is decoded with its writer's schema, fetched from the registry by
   * the id in the value, and JSON values are taken as they are. The statistics count records per
   * schema, and the fields `statsFieldsFor` names for freshet's own schemas.
   */
  schema?: TypedSchema<unknown>
  /**
   * What a record that cannot be decoded does: `skip` counts it and reports it to `onSkipped`;
   * `dlq` writes it to `dlqTopic` (creating the topic on first use) before the batch's commit;
   * `fail` ends the run with its error before the batch's commit. Default `skip`: a consumer
   * creates and writes nothing unless asked to.
   */
  onBadRecord?: BadRecordPolicy
  /** Needed for avro. */
  registry?: SchemaRegistryClient
  /** Where records that cannot be decoded go with `onBadRecord: 'dlq'`; `<topic>.dlq` by default. */
  dlqTopic?: string
  /** First wait after the registry could not be reached; doubles up to `maxRetryBackoffMs`. */
  retryBackoffMs?: number
  maxRetryBackoffMs?: number
  clientId?: string
  /**
   * How long an outage of the cluster is waited out, from its first failure, before the run
   * fails: a new member of the group then reads on from its committed offsets. 0 fails at once
   * (when the client's own retries give up); Infinity waits for as long as it takes.
   */
  outageTimeoutMs?: number
}

export const eventConsumerSpec: Spec<EventConsumerOptions> = {
  bootstrapBrokers: { check: checks.stringList() },
  topic: { check: checks.string(), default: 'user-events' },
  groupId: { check: checks.string(), default: 'freshet-consumer' },
  fromBeginning: { check: checks.boolean(), default: false },
  maxMessages: { check: checks.int(1) },
  format: { check: checks.oneOf(['avro', 'json'] as const), default: 'avro' },
  schema: {
    check: (where, key, value) => {
      const schema = value as Partial<TypedSchema<unknown>> | null
      if (
        schema === null ||
        typeof schema !== 'object' ||
        typeof schema.name !== 'string' ||
        !schema.schema
      ) {
        throw new FreshetError('INVALID_OPTION', `${where}: option "${key}" must be a schema (src/schemas)`, {
          details: { option: key },
        })
      }
      return value as TypedSchema<unknown>
    },
  },
  onBadRecord: { check: checks.oneOf(BAD_RECORD_POLICIES), default: 'skip' },
  registry: { check: registryClientCheck },
  dlqTopic: { check: checks.string() },
  retryBackoffMs: { check: checks.int(1, 60_000), default: 200 },
  maxRetryBackoffMs: { check: checks.int(1, 600_000), default: 10_000 },
  clientId: { check: checks.string(), default: 'freshet-consumer' },
  outageTimeoutMs: { check: outageTimeoutCheck, default: DEFAULT_OUTAGE_TIMEOUT_MS },
}
