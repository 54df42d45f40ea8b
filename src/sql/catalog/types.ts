/**
 * What the catalog keeps of a `CREATE TABLE` or `CREATE VIEW`: plain data the planner turns into
 * sources and sinks. Option values are parsed and checked as Flink 2.2 checks them (its connector
 * and format factories), with Flink's defaults filled in; times carry their unit.
 */
import type { CreateViewStatement, Expr, Position, Query, SqlType } from '../ast.ts'

export interface PhysicalColumn {
  readonly kind: 'physical'
  readonly name: string
  /** As declared; a primary key column is NOT NULL, as Flink makes it. */
  readonly type: SqlType
  /** 0-based place among all columns. */
  readonly position: number
  /** 0-based place among the physical columns: the field of the connector's row. */
  readonly physicalIndex: number
  readonly comment?: string | undefined
  readonly at: Position
}

/** `ts TIMESTAMP_LTZ(3) METADATA FROM 'timestamp' VIRTUAL` */
export interface MetadataColumn {
  readonly kind: 'metadata'
  readonly name: string
  readonly type: SqlType
  readonly position: number
  /** The connector's metadata key (`timestamp`, `partition`, `headers`, ...). */
  readonly key: string
  /** Read only: not part of an INSERT's columns. */
  readonly virtual: boolean
  readonly at: Position
}

/** `event_time AS TO_TIMESTAMP_LTZ(ts, 3)`: compiled by the planner against the physical columns. */
export interface ComputedColumn {
  readonly kind: 'computed'
  readonly name: string
  readonly expr: Expr
  readonly position: number
  /** Known when the catalog was given a type inference for expressions. */
  readonly type?: SqlType | undefined
  readonly at: Position
}

export type TableColumn = PhysicalColumn | MetadataColumn | ComputedColumn

export interface WatermarkDefinition {
  /** The rowtime column (physical, metadata or computed). */
  readonly column: string
  /** `ts - INTERVAL '5' SECOND`, for the planner to compile. */
  readonly expr: Expr
  readonly at: Position
}

/** The `scan.watermark.*` options every Flink table source accepts. */
export interface WatermarkOptions {
  readonly emitStrategy: 'on-periodic' | 'on-event'
  readonly alignmentGroup?: string | undefined
  readonly alignmentMaxDriftMs?: number | undefined
  readonly alignmentUpdateIntervalMs: number
  readonly idleTimeoutMs?: number | undefined
}

// -- Formats -----------------------------------------------------------------------------------

export interface JsonFormat {
  readonly kind: 'json'
  readonly failOnMissingField: boolean
  readonly ignoreParseErrors: boolean
  readonly timestampFormat: 'SQL' | 'ISO-8601'
  readonly mapNullKeyMode: 'FAIL' | 'DROP' | 'LITERAL'
  readonly mapNullKeyLiteral: string
  readonly encodeDecimalAsPlainNumber: boolean
  readonly encodeIgnoreNullFields: boolean
  readonly decodeJsonParserEnabled: boolean
  /**
   * Flink's error for options that are wrong for one use only (`fail-on-missing-field` with
   * `ignore-parse-errors` when read; a bad `map-null-key.mode` when written), raised by
   * `checkSource` / `checkSink`.
   */
  readonly refused?: { readonly whenRead?: string | undefined; readonly whenWritten?: string | undefined }
}

export interface AvroConfluentFormat {
  readonly kind: 'avro-confluent'
  /** `avro-confluent.url`: the registry. */
  readonly url: string
  /**
   * The subject a sink registers its schema under: `avro-confluent.subject`, else (Kafka with one
   * topic) `<topic>-value` / `<topic>-key`, as Flink's Kafka connector fills it in.
   */
  readonly subject?: string | undefined
  /** `avro-confluent.schema`: the reader schema (source) and writer schema (sink), as written. */
  readonly schema?: string | undefined
  /**
   * The registry client's settings, under Confluent's names (`basic.auth.user.info`,
   * `schema.registry.ssl.truststore.location`, ...), plus `avro-confluent.properties.*`.
   */
  readonly registryProperties: Readonly<Record<string, string>>
}

export interface RawFormat {
  readonly kind: 'raw'
  /** `raw.charset`, as written (Flink's default `UTF-8`). */
  readonly charset: string
  /** Node's name of the charset. */
  readonly encoding: BufferEncoding
  readonly endianness: 'big-endian' | 'little-endian'
}

export type FormatDefinition = JsonFormat | AvroConfluentFormat | RawFormat

/** One side of a Kafka record: the format and the physical columns it carries, in order. */
export interface KafkaRecordPart {
  readonly format: FormatDefinition
  /** Table column names (for the key: with `key.fields-prefix`). */
  readonly fields: readonly string[]
}

export interface KafkaKey extends KafkaRecordPart {
  /** `key.fields-prefix`: stripped from the column names inside the key format. */
  readonly prefix?: string | undefined
}

export interface KafkaValue extends KafkaRecordPart {
  readonly include: 'ALL' | 'EXCEPT_KEY'
}

// -- Connectors --------------------------------------------------------------------------------

export type StartupMode =
  'earliest-offset' | 'latest-offset' | 'group-offsets' | 'timestamp' | 'specific-offsets'
export type BoundedMode = 'unbounded' | 'latest-offset' | 'group-offsets' | 'timestamp' | 'specific-offsets'

export interface KafkaStartup {
  /** Default `group-offsets`. */
  readonly mode: StartupMode
  /** `scan.startup.timestamp-millis` */
  readonly timestampMs?: number | undefined
  /** `scan.startup.specific-offsets`, partition -> offset. */
  readonly specificOffsets?: ReadonlyMap<number, number> | undefined
}

export interface KafkaBounded {
  /** Default `unbounded`. */
  readonly mode: BoundedMode
  readonly timestampMs?: number | undefined
  readonly specificOffsets?: ReadonlyMap<number, number> | undefined
}

export type DeliveryGuarantee = 'at-least-once' | 'exactly-once' | 'none'

interface KafkaCommon {
  /** `topic`, split at `;`. Exactly one of `topics` and `topicPattern` is set. */
  readonly topics?: readonly string[] | undefined
  readonly topicPattern?: string | undefined
  readonly bootstrapServers: string
  /** Every `properties.*` option, without the prefix (bootstrap.servers and group.id included). */
  readonly properties: Readonly<Record<string, string>>
  readonly bounded: KafkaBounded
  /** `scan.topic-partition-discovery.interval`, default 5 minutes; 0 turns it off. */
  readonly partitionDiscoveryIntervalMs: number
  readonly scanParallelism?: number | undefined
  readonly value: KafkaValue
  readonly deliveryGuarantee: DeliveryGuarantee
  readonly transactionalIdPrefix?: string | undefined
  /** `sink.transaction-naming-strategy`, default INCREMENTING. */
  readonly transactionNamingStrategy: 'INCREMENTING' | 'POOLING'
  readonly sinkParallelism?: number | undefined
}

export interface KafkaConnector extends KafkaCommon {
  readonly kind: 'kafka'
  readonly groupId?: string | undefined
  readonly startup: KafkaStartup
  readonly key?: KafkaKey | undefined
  /** `sink.partitioner`: default, fixed, round-robin, or a class name (unsupported by freshet's runtime). */
  readonly partitioner: string
}

export interface UpsertKafkaConnector extends KafkaCommon {
  readonly kind: 'upsert-kafka'
  /** The primary key columns, in key order. */
  readonly key: KafkaKey
  /** `sink.buffer-flush.max-rows`, default 0 (off). */
  readonly bufferFlushMaxRows: number
  /** `sink.buffer-flush.interval`, default 0 (off). */
  readonly bufferFlushIntervalMs: number
}

export interface PrintConnector {
  readonly kind: 'print'
  readonly printIdentifier?: string | undefined
  readonly standardError: boolean
  readonly sinkParallelism?: number | undefined
}

export interface BlackholeConnector {
  readonly kind: 'blackhole'
}

export type DatagenField =
  | {
      readonly kind: 'random'
      /** `fields.<col>.min`/`max` for numbers, as written. */
      readonly min?: string | undefined
      readonly max?: string | undefined
      /** `fields.<col>.length`, default 100: strings, bytes, arrays, maps. */
      readonly length?: number | undefined
      readonly varLen: boolean
      /** `fields.<col>.max-past` for timestamps. */
      readonly maxPastMs?: number | undefined
      readonly nullRate: number
    }
  | { readonly kind: 'sequence'; readonly start: string; readonly end: string; readonly nullRate: number }

export interface DatagenConnector {
  readonly kind: 'datagen'
  /** Default 10000. */
  readonly rowsPerSecond: number
  /** Unbounded when absent. */
  readonly numberOfRows?: number | undefined
  readonly scanParallelism?: number | undefined
  /** One per physical column, keyed by column name; defaults filled in. */
  readonly fields: Readonly<Record<string, DatagenField>>
}

export type ConnectorDefinition =
  KafkaConnector | UpsertKafkaConnector | PrintConnector | BlackholeConnector | DatagenConnector

// -- Tables and views --------------------------------------------------------------------------

export interface TableDefinition {
  readonly kind: 'table'
  readonly name: string
  readonly temporary: boolean
  /** The file and position of the CREATE TABLE, for errors that point at it. */
  readonly file: string
  readonly at: Position
  readonly columns: readonly TableColumn[]
  readonly physicalColumns: readonly PhysicalColumn[]
  readonly primaryKey?: readonly string[] | undefined
  readonly watermark?: WatermarkDefinition | undefined
  readonly watermarkOptions: WatermarkOptions
  readonly partitionedBy: readonly string[]
  /** The WITH options as written. */
  readonly options: Readonly<Record<string, string>>
  readonly connector: ConnectorDefinition
}

export interface ViewDefinition {
  readonly kind: 'view'
  readonly name: string
  readonly temporary: boolean
  readonly file: string
  readonly at: Position
  readonly columns?: readonly string[] | undefined
  readonly query: Query
  readonly statement: CreateViewStatement
}

export type CatalogObject = TableDefinition | ViewDefinition
