/** Compatibility levels, as Confluent names them. */
export const COMPATIBILITY_LEVELS = [
  'NONE',
  'BACKWARD',
  'BACKWARD_TRANSITIVE',
  'FORWARD',
  'FORWARD_TRANSITIVE',
  'FULL',
  'FULL_TRANSITIVE',
] as const
export type CompatibilityLevel = (typeof COMPATIBILITY_LEVELS)[number]

/** Registry modes: READONLY refuses writes, IMPORT accepts schemas with their ids given. */
export const MODES = ['READWRITE', 'READONLY', 'IMPORT'] as const
export type Mode = (typeof MODES)[number]

export const DEFAULT_COMPATIBILITY: CompatibilityLevel = 'BACKWARD'
export const DEFAULT_MODE: Mode = 'READWRITE'

/** The only schema type this registry parses and checks. */
export const SCHEMA_TYPES = ['AVRO'] as const

/** One version of a subject. */
export interface SchemaVersion {
  subject: string
  version: number
  id: number
  /** The schema text as stored (canonical form for schemas registered here). */
  schema: string
  /** Omitted for AVRO, as Confluent does. */
  schemaType?: string
  deleted: boolean
}

/**
 * A record of the `_schemas` log, decoded. Keys and values follow Confluent's format so that
 * Confluent's tooling can read the topic; `null` payloads are tombstones.
 */
export type RegistryRecord =
  | {
      kind: 'schema'
      subject: string
      version: number
      value: { id: number; schema: string; schemaType?: string; deleted: boolean } | null
    }
  | { kind: 'config'; subject: string | null; compatibility: CompatibilityLevel | null }
  | { kind: 'mode'; subject: string | null; mode: Mode | null }
  | { kind: 'delete-subject'; subject: string; version: number | null }
  | { kind: 'clear-subject'; subject: string; version: number | null }

/** A record as it sits in the log: raw key and value bytes at an offset. */
export interface LogEntry {
  offset: bigint
  key: Buffer | null
  value: Buffer | null
}

/** A record to append: raw key and value bytes (a null value is a tombstone). */
export interface LogWrite {
  key: Buffer
  value: Buffer | null
}

/**
 * The registry's durable log. Offsets are dense and start at 0 for the in-memory log; the Kafka
 * log uses the topic's offsets (which compaction leaves with gaps).
 */
export interface RegistryLog {
  /**
   * Starts delivering every record from the start of the log, in order, then new ones. When a read
   * fails the log reads again from where it was, by itself, and reports the failure to
   * `onReadError`.
   */
  start(onEntries: (entries: LogEntry[]) => void, onReadError?: (error: unknown) => void): Promise<void>
  /** The offset the next appended record will get: every record below it is readable. */
  endOffset(): Promise<bigint>
  /** Appends the records in order; resolves with the offset of the last one once durable. */
  append(records: LogWrite[]): Promise<bigint>
  /** Drops the connections to the storage: reads start again, and later calls open new ones. */
  reconnect?(): void
  close(): Promise<void>
}
