/**
 * What the planner needs to know about a table: its columns, time attribute and connector. The
 * catalog (src/sql/catalog) validates a CREATE TABLE against Flink's options and resolves it into
 * this shape.
 */
import type { Expr, Position, SqlType } from '../ast.ts'
import type { AvroSchemaJson } from '../../schemas/index.ts'

export type TableColumn =
  | { readonly kind: 'physical'; readonly name: string; readonly type: SqlType; readonly at: Position }
  | {
      readonly kind: 'metadata'
      readonly name: string
      readonly type: SqlType
      readonly key: string
      readonly virtual: boolean
      readonly at: Position
    }
  | {
      readonly kind: 'computed'
      readonly name: string
      readonly type?: SqlType | undefined
      readonly expr: Expr
      readonly at: Position
    }

export type ValueFormat =
  | {
      readonly format: 'avro-confluent'
      readonly registryUrl: string
      /** `avro-confluent.schema`: the reader (source) or writer (sink) schema, exactly. */
      readonly schema?: AvroSchemaJson | undefined
      readonly subject?: string | undefined
    }
  | { readonly format: 'json' }
  | { readonly format: 'raw' }

export interface KafkaConnector {
  readonly kind: 'kafka' | 'upsert-kafka'
  readonly topic: string
  readonly bootstrapServers: string
  readonly groupId?: string | undefined
  readonly value: ValueFormat
  /** `key.format` and `key.fields`: the record key is made of these columns. */
  readonly key?: { readonly format: ValueFormat; readonly fields: readonly string[] } | undefined
  /** Value columns: all physical columns (`ALL`), or those not in the key (`EXCEPT_KEY`). */
  readonly valueFieldsInclude: 'ALL' | 'EXCEPT_KEY'
  readonly startupMode:
    'earliest-offset' | 'latest-offset' | 'group-offsets' | 'timestamp' | 'specific-offsets'
  readonly boundedMode: 'unbounded' | 'latest-offset' | 'group-offsets' | 'timestamp' | 'specific-offsets'
  readonly deliveryGuarantee: 'exactly-once' | 'at-least-once' | 'none'
}

export type Connector =
  | KafkaConnector
  | { readonly kind: 'print'; readonly identifier?: string | undefined; readonly standardError: boolean }
  | { readonly kind: 'blackhole' }
  | { readonly kind: 'datagen' }

export interface TableSpec {
  readonly name: string
  readonly columns: readonly TableColumn[]
  /** `WATERMARK FOR column AS column - INTERVAL ...`: the event-time column and its delay. */
  readonly watermark?: { readonly column: string; readonly expr: Expr; readonly at: Position } | undefined
  readonly primaryKey?: readonly string[] | undefined
  readonly connector: Connector
  readonly at: Position
}
