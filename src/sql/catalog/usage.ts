/**
 * Checks that depend on how a statement uses a table, which Flink makes when it creates the
 * table's source (a query reads it) or sink (an INSERT writes it). The planner calls them with
 * the position of the statement that reads or writes.
 */
import type { Position } from '../ast.ts'
import { sqlInvalid, sqlUnsupported } from '../errors.ts'
import { metadataKeys } from './table.ts'
import type {
  KafkaBounded,
  KafkaConnector,
  KafkaStartup,
  TableDefinition,
  UpsertKafkaConnector,
} from './types.ts'

/** Throws SQL_INVALID when Flink would refuse to read `table`. */
export function checkSource(table: TableDefinition, file: string, at: Position): void {
  const fail = (message: string): never => {
    throw sqlInvalid(file, at, `Unable to create a source for reading table '${table.name}': ${message}`)
  }
  const connector = table.connector
  switch (connector.kind) {
    case 'print':
    case 'blackhole':
      fail(`Connector '${connector.kind}' can only be used as a sink. It cannot be used as a source.`)
      return
    case 'datagen':
      return
    case 'kafka':
      checkFormats(connector, 'whenRead', fail)
      checkPosition('startup', connector.startup, connector, fail)
      checkPosition('bounded', connector.bounded, connector, fail)
      // Flink's KafkaSource refuses committed offsets without a group (as the start, or as the end).
      if (
        (connector.startup.mode === 'group-offsets' || connector.bounded.mode === 'group-offsets') &&
        connector.groupId === undefined
      ) {
        fail(`Property group.id is required when using committed offset for offsets initializer`)
      }
      return
    case 'upsert-kafka':
      checkFormats(connector, 'whenRead', fail)
      checkPosition('bounded', connector.bounded, connector, fail)
      if (connector.bounded.mode === 'group-offsets' && connector.properties['group.id'] === undefined) {
        fail(`Property group.id is required when using committed offset for offsets initializer`)
      }
      return
  }
}

/** Throws SQL_INVALID when Flink would refuse to write `table`. */
export function checkSink(table: TableDefinition, file: string, at: Position): void {
  const fail = (message: string): never => {
    throw sqlInvalid(file, at, `Unable to create a sink for writing table '${table.name}': ${message}`)
  }
  const connector = table.connector
  switch (connector.kind) {
    case 'datagen':
      fail(`Connector 'datagen' can only be used as a source. It cannot be used as a sink.`)
      return
    case 'print':
    case 'blackhole':
      return
    case 'kafka':
      checkPartitioning(table, fail)
      checkFormats(connector, 'whenWritten', fail)
      checkWritableMetadata(table, fail)
      if (!['default', 'fixed', 'round-robin'].includes(connector.partitioner)) {
        throw sqlUnsupported(
          file,
          at,
          `the partitioner class '${connector.partitioner}'`,
          "use 'default', 'fixed' or 'round-robin'",
        )
      }
      if (connector.partitioner === 'round-robin' && connector.key !== undefined) {
        fail(`Currently 'round-robin' partitioner only works when option 'key.fields' is not specified.`)
      }
      checkSubjects(connector, fail)
      checkDeliveryGuarantee(connector, fail)
      return
    case 'upsert-kafka': {
      checkPartitioning(table, fail)
      checkFormats(connector, 'whenWritten', fail)
      checkWritableMetadata(table, fail)
      const rows = connector.bufferFlushMaxRows > 0
      const interval = connector.bufferFlushIntervalMs > 0
      if (rows !== interval) {
        fail(
          `'sink.buffer-flush.max-rows' and 'sink.buffer-flush.interval' must be set to be greater than zero together to enable sink buffer flushing.`,
        )
      }
      checkSubjects(connector, fail)
      checkDeliveryGuarantee(connector, fail)
      return
    }
  }
}

/** Kafka sinks write no partitioned tables (print and blackhole do; reading ignores it). */
function checkPartitioning(table: TableDefinition, fail: (m: string) => never): void {
  if (table.partitionedBy.length > 0) {
    fail(
      `Table '${table.name}' is a partitioned table, but the underlying DynamicTableSink doesn't implement the SupportsPartitioning interface.`,
    )
  }
}

function checkFormats(
  connector: KafkaConnector | UpsertKafkaConnector,
  use: 'whenRead' | 'whenWritten',
  fail: (m: string) => never,
): void {
  for (const part of [connector.key, connector.value]) {
    const message = part?.format.kind === 'json' ? part.format.refused?.[use] : undefined
    if (message !== undefined) fail(message)
  }
}

/** A table that is written declares the metadata it cannot write as VIRTUAL. */
function checkWritableMetadata(table: TableDefinition, fail: (m: string) => never): void {
  const keys = metadataKeys(table.connector.kind)
  const writable = Object.keys(keys).filter((k) => keys[k]!.writable)
  for (const column of table.columns) {
    if (column.kind !== 'metadata' || column.virtual || keys[column.key]?.writable === true) continue
    fail(
      `Invalid metadata key '${column.key}' in column '${column.name}' of table '${table.name}'. The sink supports the following metadata keys for writing:\n${writable.join('\n')}`,
    )
  }
}

/**
 * The options that `scan.startup.mode` or `scan.bounded.mode` needs beside it, as Flink's Kafka
 * source checks them (same words for both, but for `startup` / `bounded`).
 */
function checkPosition(
  which: 'startup' | 'bounded',
  position: KafkaStartup | KafkaBounded,
  connector: KafkaConnector | UpsertKafkaConnector,
  fail: (m: string) => never,
): void {
  if (position.mode === 'timestamp' && position.timestampMs === undefined) {
    fail(`'scan.${which}.timestamp-millis' is required in 'timestamp' ${which} mode but missing.`)
  }
  if (position.mode === 'specific-offsets') {
    if (position.specificOffsets === undefined) {
      fail(`'scan.${which}.specific-offsets' is required in 'specific-offsets' ${which} mode but missing.`)
    }
    if (connector.topics?.length !== 1)
      fail(`Currently Kafka source only supports specific offset for single topic.`)
  }
}

function checkDeliveryGuarantee(
  connector: KafkaConnector | UpsertKafkaConnector,
  fail: (m: string) => never,
): void {
  if (connector.deliveryGuarantee === 'exactly-once' && connector.transactionalIdPrefix === undefined) {
    fail(`sink.transactional-id-prefix must be specified when using DeliveryGuarantee.EXACTLY_ONCE.`)
  }
}

/** An `avro-confluent` sink needs a subject; Kafka fills one in only for a single topic. */
function checkSubjects(connector: KafkaConnector | UpsertKafkaConnector, fail: (m: string) => never): void {
  for (const part of [connector.key, connector.value]) {
    if (part?.format.kind === 'avro-confluent' && part.format.subject === undefined) {
      fail(`Option avro-confluent.subject is required for serialization`)
    }
  }
}
