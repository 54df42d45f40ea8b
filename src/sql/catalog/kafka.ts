/**
 * The `kafka` and `upsert-kafka` connectors of flink-connector-kafka 5.0.0-2.2: option names,
 * defaults and checks, in Flink's order (formats, required options, values, leftover keys, then
 * the checks between options and against the columns), so the first error is the one Flink
 * reports.
 */
import type { RowField } from '../ast.ts'
import type { ConnectorContext } from './connectors.ts'
import { checkFormatColumns, readFormat, type FormatContext } from './formats.ts'
import type { OptionReader } from './options.ts'
import type {
  AvroConfluentFormat,
  BoundedMode,
  DeliveryGuarantee,
  FormatDefinition,
  KafkaBounded,
  KafkaConnector,
  KafkaKey,
  KafkaStartup,
  KafkaValue,
  StartupMode,
  UpsertKafkaConnector,
} from './types.ts'

const STARTUP_MODES: readonly StartupMode[] = [
  'earliest-offset',
  'latest-offset',
  'group-offsets',
  'timestamp',
  'specific-offsets',
]
const BOUNDED_MODES: readonly BoundedMode[] = [
  'unbounded',
  'latest-offset',
  'group-offsets',
  'timestamp',
  'specific-offsets',
]
const DELIVERY_GUARANTEES: readonly DeliveryGuarantee[] = ['exactly-once', 'at-least-once', 'none']
const NAMING_STRATEGIES = ['INCREMENTING', 'POOLING'] as const
const FIELDS_INCLUDE = ['ALL', 'EXCEPT_KEY'] as const
const DEFAULT_DISCOVERY_INTERVAL_MS = 5 * 60_000

/** `'connector' = 'kafka'`: an append-only topic, optionally keyed by `key.fields`. */
export function readKafka(reader: OptionReader, ctx: ConnectorContext): KafkaConnector {
  declareKafkaCommon(reader)
  reader.declare(
    'format',
    'key.format',
    'key.fields',
    'properties.group.id',
    'scan.startup.mode',
    'scan.startup.specific-offsets',
    'scan.startup.timestamp-millis',
    'sink.partitioner',
    'sink.semantic',
  )
  // Step 1: formats (the key's, then the value's: 'format' wins over 'value.format').
  const keyFormat = reader.has('key.format') ? readFormat(reader, 'key.format', ctx) : undefined
  const valueFormatKey = reader.has('format')
    ? 'format'
    : reader.has('value.format')
      ? 'value.format'
      : undefined
  if (valueFormatKey === undefined) return ctx.fail(`Could not find required scan format 'value.format'.`)
  const valueFormat = readFormat(reader, valueFormatKey, ctx)
  // Step 2: required options; step 3: values.
  requireOptions(reader, ['properties.bootstrap.servers'], ctx)
  const common = readKafkaCommon(reader)
  const startup = readStartup(reader)
  const partitioner = reader.string('sink.partitioner') ?? 'default'
  const keyFields = reader.list('key.fields')
  // Step 4: leftover keys.
  reader.acceptPrefix('properties.')
  reader.checkUnsupported('kafka')
  // Step 5: checks between options and against the columns.
  checkTopic(common.topics, common.topicPattern, ctx)
  if (keyFormat === undefined && keyFields !== undefined) {
    ctx.fail(`The option 'key.fields' can only be declared if a key format is defined using 'key.format'.`)
  }
  if (keyFormat !== undefined && (keyFields === undefined || keyFields.length === 0)) {
    ctx.fail(
      `A key format 'key.format' requires the declaration of one or more of key fields using 'key.fields'.`,
    )
  }
  if (partitioner === '') ctx.fail(`Option 'sink.partitioner' should be a non-empty string.`)
  if (ctx.primaryKey !== undefined && ctx.primaryKey.length > 0) {
    ctx.fail(
      `The Kafka table '${ctx.table}' with '${reader.string(valueFormatKey)}' format doesn't support defining PRIMARY KEY constraint on the table, because it can't guarantee the semantic of primary key.`,
    )
  }
  const key = keyFormat === undefined ? undefined : keyPart(keyFormat, keyFields!, common.keyPrefix, ctx)
  const value = valuePart(valueFormat, common.include, key, common.keyPrefix, ctx)
  const topic = singleTopic(common.topics)
  const result: KafkaConnector = {
    kind: 'kafka',
    ...common.connector,
    groupId: reader.string('properties.group.id'),
    startup,
    key: key === undefined ? undefined : withSubject(key, topic, 'key'),
    value: withSubject(value, topic, 'value'),
    partitioner,
  }
  return result
}

function declareKafkaCommon(reader: OptionReader): void {
  reader.declare(
    'topic',
    'topic-pattern',
    'properties.bootstrap.servers',
    'key.fields-prefix',
    'value.format',
    'value.fields-include',
    'scan.bounded.mode',
    'scan.bounded.specific-offsets',
    'scan.bounded.timestamp-millis',
    'scan.topic-partition-discovery.interval',
    'scan.parallelism',
    'sink.parallelism',
    'sink.delivery-guarantee',
    'sink.transactional-id-prefix',
    'sink.transaction-naming-strategy',
  )
}

function readKafkaCommon(reader: OptionReader) {
  const topics = reader.list('topic')
  const topicPattern = reader.string('topic-pattern')
  const properties: Record<string, string> = {}
  for (const key of reader.keys()) {
    if (key.startsWith('properties.')) properties[key.slice('properties.'.length)] = reader.string(key)!
  }
  const boundedMode = reader.enumOf('scan.bounded.mode', BOUNDED_MODES, 'unbounded')
  const bounded: KafkaBounded = {
    mode: boundedMode,
    timestampMs: reader.long('scan.bounded.timestamp-millis'),
    specificOffsets:
      boundedMode === 'specific-offsets' ? offsets(reader, 'scan.bounded.specific-offsets') : undefined,
  }
  const include = reader.enumOf('value.fields-include', FIELDS_INCLUDE, 'ALL')
  const keyPrefix = reader.string('key.fields-prefix')
  return {
    topics,
    topicPattern,
    include,
    keyPrefix,
    connector: {
      topics,
      topicPattern,
      bootstrapServers: reader.string('properties.bootstrap.servers') ?? '',
      properties,
      bounded,
      partitionDiscoveryIntervalMs:
        reader.durationMs('scan.topic-partition-discovery.interval') ?? DEFAULT_DISCOVERY_INTERVAL_MS,
      scanParallelism: reader.int('scan.parallelism'),
      sinkParallelism: reader.int('sink.parallelism'),
      deliveryGuarantee: readDeliveryGuarantee(reader),
      transactionalIdPrefix: reader.string('sink.transactional-id-prefix'),
      transactionNamingStrategy: reader.enumOf(
        'sink.transaction-naming-strategy',
        NAMING_STRATEGIES,
        'INCREMENTING',
      ),
    },
  }
}

/** `sink.semantic` (deprecated, kafka only) overrides `sink.delivery-guarantee`, as in Flink. */
function readDeliveryGuarantee(reader: OptionReader): DeliveryGuarantee {
  const guarantee = reader.enumOf('sink.delivery-guarantee', DELIVERY_GUARANTEES, 'at-least-once')
  if (!reader.has('sink.semantic')) return guarantee
  const semantic = reader.string('sink.semantic')!.toLowerCase().replaceAll('_', '-')
  const found = DELIVERY_GUARANTEES.find((g) => g === semantic)
  if (found === undefined) {
    return reader.fail(
      `Invalid value for option 'sink.semantic': '${reader.string('sink.semantic')}'. Expected one of: [exactly-once, at-least-once, none].`,
    )
  }
  return found
}

function readStartup(reader: OptionReader): KafkaStartup {
  const mode = reader.enumOf('scan.startup.mode', STARTUP_MODES, 'group-offsets')
  return {
    mode,
    timestampMs: reader.long('scan.startup.timestamp-millis'),
    specificOffsets:
      mode === 'specific-offsets' ? offsets(reader, 'scan.startup.specific-offsets') : undefined,
  }
}

/** `partition:0,offset:42;partition:1,offset:300` (Flink's `parseSpecificOffsets`). */
function offsets(reader: OptionReader, key: string): ReadonlyMap<number, number> | undefined {
  const text = reader.string(key)
  if (text === undefined) return undefined
  const result = new Map<number, number>()
  const bad = (): never =>
    reader.fail(
      `Invalid properties '${key}' should follow the format 'partition:0,offset:42;partition:1,offset:300', but is '${text}'.`,
    )
  for (const pair of text.split(';')) {
    const match = /^partition:([+-]?\d+),offset:([+-]?\d+)$/.exec(pair)
    if (match === null) bad()
    const partition = Number(match![1])
    const offset = Number(match![2])
    if (!Number.isSafeInteger(partition) || !Number.isSafeInteger(offset)) bad()
    result.set(partition, offset)
  }
  return result
}

function checkTopic(
  topics: readonly string[] | undefined,
  pattern: string | undefined,
  ctx: FormatContext,
): void {
  if (topics !== undefined && pattern !== undefined) {
    ctx.fail(`Option 'topic' and 'topic-pattern' shouldn't be set together.`)
  }
  if (topics === undefined && pattern === undefined)
    ctx.fail(`Either 'topic' or 'topic-pattern' must be set.`)
  if (pattern !== undefined) {
    try {
      new RegExp(pattern)
    } catch (error) {
      ctx.fail(`Option 'topic-pattern' is not a regular expression: ${(error as Error).message}`)
    }
  }
}

function singleTopic(topics: readonly string[] | undefined): string | undefined {
  return topics !== undefined && topics.length === 1 ? topics[0] : undefined
}

/**
 * A sink with an `avro-confluent` format and one topic registers under `<topic>-key` /
 * `<topic>-value` unless a subject is given (flink-connector-kafka's
 * `autoCompleteSchemaRegistrySubject`).
 */
function withSubject<T extends KafkaKey | KafkaValue>(
  part: T,
  topic: string | undefined,
  side: 'key' | 'value',
): T {
  if (part.format.kind !== 'avro-confluent' || part.format.subject !== undefined || topic === undefined) {
    return part
  }
  const format: AvroConfluentFormat = { ...part.format, subject: `${topic}-${side}` }
  return { ...part, format }
}

function keyPart(
  format: FormatDefinition,
  fields: readonly string[],
  prefix: string | undefined,
  ctx: ConnectorContext,
): KafkaKey {
  const names = ctx.physical.map((c) => c.name)
  for (const field of fields) {
    if (!names.includes(field)) {
      ctx.fail(
        `Could not find the field '${field}' in the table schema for usage in the key format. A key field must be a regular, physical column. The following columns can be selected in the 'key.fields' option:\n[${names.join(', ')}]`,
      )
    }
    if (prefix !== undefined && !field.startsWith(prefix)) {
      ctx.fail(
        `All fields in 'key.fields' must be prefixed with '${prefix}' when option 'key.fields-prefix' is set but field '${field}' is not prefixed.`,
      )
    }
  }
  const columns = fields.map((f) => ({
    name: prefix === undefined ? f : f.slice(prefix.length),
    type: ctx.physical.find((c) => c.name === f)!.type,
  }))
  checkFormatColumns(format, columns, ctx)
  return { format, fields, prefix }
}

function valuePart(
  format: FormatDefinition,
  include: 'ALL' | 'EXCEPT_KEY',
  key: KafkaKey | undefined,
  prefix: string | undefined,
  ctx: ConnectorContext,
): KafkaValue {
  if (include === 'ALL' && prefix !== undefined && prefix !== '') {
    ctx.fail(
      `A key prefix is not allowed when option 'value.fields-include' is set to 'ALL'. Set it to 'EXCEPT_KEY' instead to avoid field overlaps.`,
    )
  }
  const keyFields = include === 'EXCEPT_KEY' ? (key?.fields ?? []) : []
  const columns: RowField[] = ctx.physical
    .filter((c) => !keyFields.includes(c.name))
    .map((c) => ({ name: c.name, type: c.type }))
  checkFormatColumns(format, columns, ctx)
  return { format, fields: columns.map((c) => c.name), include }
}

function requireOptions(reader: OptionReader, keys: readonly string[], ctx: FormatContext): void {
  const missing = keys.filter((k) => !reader.has(k)).sort()
  if (missing.length > 0) {
    ctx.fail(
      `One or more required options are missing.\n\nMissing required options are:\n\n${missing.join('\n')}`,
    )
  }
}

// -- upsert-kafka ------------------------------------------------------------------------------

/** `'connector' = 'upsert-kafka'`: a changelog topic keyed by the PRIMARY KEY. */
export function readUpsertKafka(reader: OptionReader, ctx: ConnectorContext): UpsertKafkaConnector {
  declareKafkaCommon(reader)
  reader.declare('key.format', 'sink.buffer-flush.max-rows', 'sink.buffer-flush.interval')
  // Step 1: formats, both required.
  if (!reader.has('key.format')) return ctx.fail(`Could not find required scan format 'key.format'.`)
  const keyFormat = readFormat(reader, 'key.format', ctx)
  if (!reader.has('value.format')) return ctx.fail(`Could not find required scan format 'value.format'.`)
  const valueFormat = readFormat(reader, 'value.format', ctx)
  // Step 2: required options; step 3: values; step 4: leftover keys.
  requireOptions(reader, ['key.format', 'properties.bootstrap.servers', 'value.format'], ctx)
  const common = readKafkaCommon(reader)
  const bufferFlushMaxRows = reader.int('sink.buffer-flush.max-rows') ?? 0
  const bufferFlushIntervalMs = reader.durationMs('sink.buffer-flush.interval') ?? 0
  reader.acceptPrefix('properties.')
  reader.checkUnsupported('upsert-kafka')
  // Step 5: the primary key is the message key.
  if (ctx.primaryKey === undefined || ctx.primaryKey.length === 0) {
    ctx.fail(
      `'upsert-kafka' tables require to define a PRIMARY KEY constraint. The PRIMARY KEY specifies which columns should be read from or write to the Kafka message key. The PRIMARY KEY also defines records in the 'upsert-kafka' table should update or delete on which keys.`,
    )
  }
  checkTopic(common.topics, common.topicPattern, ctx)
  const key = keyPart(keyFormat, ctx.primaryKey!, common.keyPrefix, ctx)
  const value = valuePart(valueFormat, common.include, key, common.keyPrefix, ctx)
  const topic = singleTopic(common.topics)
  return {
    kind: 'upsert-kafka',
    ...common.connector,
    key: withSubject(key, topic, 'key'),
    value: withSubject(value, topic, 'value'),
    bufferFlushMaxRows,
    bufferFlushIntervalMs,
  }
}
