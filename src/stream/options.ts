/**
 * Options of the DSL, validated where they enter (each builder method): unknown keys are rejected
 * naming the allowed ones, and names that end up in topic names are checked against Kafka's rules.
 */
import { FreshetError } from '../errors/index.ts'
import { isValueSerde, type ValueSerde } from '../operators/index.ts'
import type { TypedSchema } from '../schemas/index.ts'
import type { Serializer } from '../serde/index.ts'
import type { TimestampChoice } from '../time/index.ts'
import { checks, requireOptions, validateOptions, type Check, type Spec } from '../options/index.ts'

/** Kafka's rule for topic names, which node, store and application names become part of. */
const NAME_PATTERN = /^[a-zA-Z0-9._-]+$/
const MAX_TOPIC_LENGTH = 249

export const nameCheck: Check<string> = (where, key, value) => {
  if (typeof value !== 'string' || !NAME_PATTERN.test(value) || value.length > MAX_TOPIC_LENGTH) {
    throw new FreshetError(
      'INVALID_OPTION',
      `${where}: option "${key}" must be a name of letters, digits, '.', '_' and '-', got ${JSON.stringify(value)}`,
      { details: { option: key, expected: 'a name matching [a-zA-Z0-9._-]+' } },
    )
  }
  return value
}

export function checkTopic(where: string, topic: unknown): string {
  return nameCheck(where, 'topic', topic)
}

export function functionCheck<F>(): Check<F> {
  return (where, key, value) => {
    if (typeof value !== 'function') {
      throw new FreshetError('INVALID_OPTION', `${where}: option "${key}" must be a function`, {
        details: { option: key, expected: 'a function' },
      })
    }
    return value as F
  }
}

export function requireFunction(where: string, what: string, value: unknown): void {
  if (typeof value !== 'function') {
    throw new FreshetError('INVALID_OPTION', `${where}: ${what} must be a function, got ${typeof value}`, {
      details: { option: what, expected: 'a function' },
    })
  }
}

const schemaCheck: Check<TypedSchema<unknown>> = (where, key, value) => {
  const schema = value as Partial<TypedSchema<unknown>> | null
  if (
    schema === null ||
    typeof schema !== 'object' ||
    typeof schema.name !== 'string' ||
    schema.schema === undefined
  ) {
    throw new FreshetError(
      'INVALID_OPTION',
      `${where}: option "${key}" must be a generated schema such as UserEventSchema`,
      {
        details: { option: key, expected: 'a TypedSchema' },
      },
    )
  }
  return value as TypedSchema<unknown>
}

const valueSerdeCheck: Check<ValueSerde<unknown>> = (where, key, value) => {
  if (!isValueSerde(value)) {
    throw new FreshetError(
      'INVALID_OPTION',
      `${where}: option "${key}" must be a state serde (jsonSerde(), structuredSerde())`,
      {
        details: { option: key, expected: 'an object with encode and decode' },
      },
    )
  }
  return value
}

const serializerCheck: Check<Serializer<unknown>> = (where, key, value) => {
  const serde = value as Partial<Serializer<unknown>> | null
  if (serde === null || typeof serde !== 'object' || typeof serde.serialize !== 'function') {
    throw new FreshetError(
      'INVALID_OPTION',
      `${where}: option "${key}" must be a Serializer (JsonSerializer, AvroSerializer)`,
      {
        details: { option: key, expected: 'an object with serialize' },
      },
    )
  }
  return value as Serializer<unknown>
}

const timestampCheck: Check<Exclude<TimestampChoice<unknown>, undefined>> = (where, key, value) => {
  const ok =
    typeof value === 'function' ||
    typeof value === 'string' ||
    (Array.isArray(value) && value.every((part) => typeof part === 'string'))
  if (!ok) {
    throw new FreshetError(
      'INVALID_OPTION',
      `${where}: option "${key}" must be a field path or a function (value, record) => number`,
      {
        details: { option: key, expected: 'a field path, or an extractor such as fromRecordTimestamp()' },
      },
    )
  }
  return value as Exclude<TimestampChoice<unknown>, undefined>
}

export interface NameOption {
  /** Name of the node; it also names the node's stores and internal topics. Default: `<kind>-<n>`. */
  name?: string
}

export interface PipelineOptions {
  /** Names the consumer group, the transactional ids and every internal topic. */
  applicationId: string
  /**
   * Fold each task's records per key and window before a repartition that feeds a window
   * aggregation, where the results cannot tell (docs/windows-and-time.md, "Pre-aggregation").
   * Default true.
   */
  preAggregate?: boolean
}

export interface StreamOptions<T> extends NameOption {
  /** The value schema: types the stream and tells the runtime how to decode. */
  schema?: TypedSchema<T>
  /** Event time of a record: a field path, an extractor, or nothing for the `timestamp` field. */
  timestamp?: Exclude<TimestampChoice<T>, undefined>
}

export interface TableOptions<V> extends NameOption {
  schema?: TypedSchema<V>
  /** Encoding of the values in the table's store. Default JSON. */
  serde?: ValueSerde<V>
}

/** A global table takes the options of a table: `schema`, `serde`, `name`. */
export type GlobalTableOptions<V> = TableOptions<V>

export interface KeyByOptions extends NameOption {
  /** Partitions of the repartition topic. Default: as many as the sub-topology writing it has tasks. */
  partitions?: number
}

export interface AggregateOptions<A> extends NameOption {
  /** Encoding of the accumulators in the window store. Default JSON. */
  serde?: ValueSerde<A>
}

export interface DeduplicateOptions<T, K> extends NameOption {
  /** Records of one key less than this far apart in event time are duplicates. */
  withinMs: number
  /** What identifies a record within its key; without it, the key alone. */
  id?: (value: T, key: K) => unknown
}

export interface IntervalJoinOptions extends NameOption {
  /** How far before the left record a right record may be. */
  beforeMs: number
  /** How far after the left record a right record may be. */
  afterMs: number
}

export interface SinkOptions<T> extends NameOption {
  /**
   * The value schema: the runtime writes values in its format with it (Confluent-framed Avro
   * registered under `<topic>-value` with `format: 'avro'`, JSON checked against it with `json`),
   * and the test driver checks every value sent against it.
   */
  schema?: TypedSchema<T>
  /** How the runtime serializes values, instead of the one `schema` and the format imply. */
  serde?: Serializer<T>
  /**
   * The Kafka timestamp of the records written: `'event-time'` (the default) is the result's event
   * time, as Kafka Streams and Flink write it; `'processing-time'` is the wall clock when the
   * record is written. Reprocessing old data (a backfill) with event time writes records older
   * than the topic's `retention.ms`, which the broker deletes at its next retention check: the
   * worker warns when that happens (see docs/runtime.md).
   */
  recordTimestamp?: RecordTimestamp
}

/** Which time a sink writes as its records' Kafka timestamp. */
export type RecordTimestamp = 'event-time' | 'processing-time'

export const nameSpec: Spec<NameOption> = { name: { check: nameCheck } }

export function resolveName(where: string, options: unknown): NameOption {
  return validateOptions(where, options, nameSpec)
}

export function resolvePipelineOptions(input: unknown): PipelineOptions {
  const options = validateOptions<PipelineOptions>('pipeline', input, {
    applicationId: { check: nameCheck },
    preAggregate: { check: checks.boolean() },
  })
  requireOptions('pipeline', options, ['applicationId'])
  return options
}

export function resolveStreamOptions<T>(input: unknown): StreamOptions<T> {
  return validateOptions<StreamOptions<T>>('stream', input, {
    name: { check: nameCheck },
    schema: { check: schemaCheck as Check<TypedSchema<T>> },
    timestamp: { check: timestampCheck as Check<Exclude<TimestampChoice<T>, undefined>> },
  })
}

export function resolveTableOptions<V>(input: unknown): TableOptions<V> {
  return validateOptions<TableOptions<V>>('table', input, {
    name: { check: nameCheck },
    schema: { check: schemaCheck as Check<TypedSchema<V>> },
    serde: { check: valueSerdeCheck as Check<ValueSerde<V>> },
  })
}

export function resolveGlobalTableOptions<V>(input: unknown): GlobalTableOptions<V> {
  return validateOptions<GlobalTableOptions<V>>('globalTable', input, {
    name: { check: nameCheck },
    schema: { check: schemaCheck as Check<TypedSchema<V>> },
    serde: { check: valueSerdeCheck as Check<ValueSerde<V>> },
  })
}

export function resolveKeyByOptions(input: unknown): KeyByOptions {
  return validateOptions<KeyByOptions>('keyBy', input, {
    name: { check: nameCheck },
    partitions: { check: checks.int(1, 1_000_000) },
  })
}

export function resolveAggregateOptions<A>(where: string, input: unknown): AggregateOptions<A> {
  return validateOptions<AggregateOptions<A>>(where, input, {
    name: { check: nameCheck },
    serde: { check: valueSerdeCheck as Check<ValueSerde<A>> },
  })
}

export function resolveDeduplicateOptions<T, K>(input: unknown): DeduplicateOptions<T, K> {
  const options = validateOptions<DeduplicateOptions<T, K>>('deduplicate', input, {
    name: { check: nameCheck },
    withinMs: { check: checks.int(1) },
    id: { check: functionCheck<(value: T, key: K) => unknown>() },
  })
  requireOptions('deduplicate', options, ['withinMs'])
  return options
}

export function resolveIntervalJoinOptions(input: unknown): IntervalJoinOptions {
  const options = validateOptions<IntervalJoinOptions>('intervalJoin', input, {
    name: { check: nameCheck },
    beforeMs: { check: checks.int(0) },
    afterMs: { check: checks.int(0) },
  })
  requireOptions('intervalJoin', options, ['beforeMs', 'afterMs'])
  return options
}

export function resolveSinkOptions<T>(input: unknown): SinkOptions<T> {
  const options = validateOptions<SinkOptions<T>>('to', input, {
    name: { check: nameCheck },
    schema: { check: schemaCheck as Check<TypedSchema<T>> },
    serde: { check: serializerCheck as Check<Serializer<T>> },
    recordTimestamp: { check: checks.oneOf(['event-time', 'processing-time'] as const) },
  })
  if (options.schema !== undefined && options.serde !== undefined) {
    throw new FreshetError(
      'INVALID_OPTION',
      'to: give "schema" or "serde", not both: a serde carries its own schema',
      {
        details: { option: 'serde' },
      },
    )
  }
  return options
}

export function resolveTopNOptions<T>(
  input: unknown,
): NameOption & { by: (value: T) => number; descending?: boolean; id?: (value: T) => unknown } {
  const options = validateOptions<
    NameOption & { by: (value: T) => number; descending?: boolean; id?: (value: T) => unknown }
  >('topN', input, {
    name: { check: nameCheck },
    by: { check: functionCheck<(value: T) => number>() },
    descending: { check: checks.boolean() },
    id: { check: functionCheck<(value: T) => unknown>() },
  })
  requireOptions('topN', options, ['by'])
  return options
}
