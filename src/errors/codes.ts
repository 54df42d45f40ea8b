/**
 * Stable error codes. A code never changes meaning once released; callers branch on `code`,
 * never on message text. `retriable` says whether the same call may succeed later unchanged.
 */
export const ErrorCodes = {
  // Options and usage
  INVALID_OPTION: { code: 'FRESHET_INVALID_OPTION', retriable: false },
  INVALID_STATE: { code: 'FRESHET_INVALID_STATE', retriable: false },
  // Local stack
  STACK_START_FAILED: { code: 'FRESHET_STACK_START_FAILED', retriable: false },
  STACK_TIMEOUT: { code: 'FRESHET_STACK_TIMEOUT', retriable: true },
  KAFKA_JARS_MISSING: { code: 'FRESHET_KAFKA_JARS_MISSING', retriable: false },
  // Local Flink and its SQL Gateway
  /** pip or Maven could not install Apache Flink into the cache. */
  FLINK_INSTALL_FAILED: { code: 'FRESHET_FLINK_INSTALL_FAILED', retriable: false },
  /** A Flink process exited during start-up, or a port it needs is taken. */
  FLINK_START_FAILED: { code: 'FRESHET_FLINK_START_FAILED', retriable: false },
  FLINK_TIMEOUT: { code: 'FRESHET_FLINK_TIMEOUT', retriable: true },
  FLINK_GATEWAY_UNREACHABLE: { code: 'FRESHET_FLINK_GATEWAY_UNREACHABLE', retriable: true },
  /** The SQL Gateway answered a request with an error that is not about a statement. */
  FLINK_GATEWAY_ERROR: { code: 'FRESHET_FLINK_GATEWAY_ERROR', retriable: false },
  /** A .sql file cannot be split into statements (an unterminated string or comment). */
  FLINK_SQL_INVALID: { code: 'FRESHET_FLINK_SQL_INVALID', retriable: false },
  /** Flink refused or failed a statement; `details` names the file line it starts on. */
  FLINK_STATEMENT_FAILED: { code: 'FRESHET_FLINK_STATEMENT_FAILED', retriable: false },
  // SQL
  /** A SQL statement is wrong: syntax, an unknown table or column, a type mismatch, a bad option. */
  SQL_INVALID: { code: 'FRESHET_SQL_INVALID', retriable: false },
  /** Valid Flink SQL that freshet does not run; `details` names the construct and its position. */
  SQL_UNSUPPORTED: { code: 'FRESHET_SQL_UNSUPPORTED', retriable: false },
  // Kafka
  KAFKA_UNREACHABLE: { code: 'FRESHET_KAFKA_UNREACHABLE', retriable: true },
  KAFKA_ERROR: { code: 'FRESHET_KAFKA_ERROR', retriable: false },
  TOPIC_NOT_FOUND: { code: 'FRESHET_TOPIC_NOT_FOUND', retriable: false },
  /** The broker refused a record or batch over its size limit (message.max.bytes). */
  RECORD_TOO_LARGE: { code: 'FRESHET_RECORD_TOO_LARGE', retriable: false },
  // Schemas and the registry
  SCHEMA_INVALID: { code: 'FRESHET_SCHEMA_INVALID', retriable: false },
  SCHEMA_NOT_FOUND: { code: 'FRESHET_SCHEMA_NOT_FOUND', retriable: false },
  SCHEMA_INCOMPATIBLE: { code: 'FRESHET_SCHEMA_INCOMPATIBLE', retriable: false },
  REGISTRY_UNREACHABLE: { code: 'FRESHET_REGISTRY_UNREACHABLE', retriable: true },
  REGISTRY_ERROR: { code: 'FRESHET_REGISTRY_ERROR', retriable: false },
  // Serialization
  SERDE_BAD_MAGIC_BYTE: { code: 'FRESHET_SERDE_BAD_MAGIC_BYTE', retriable: false },
  SERDE_TRUNCATED: { code: 'FRESHET_SERDE_TRUNCATED', retriable: false },
  SERDE_SCHEMA_MISMATCH: { code: 'FRESHET_SERDE_SCHEMA_MISMATCH', retriable: false },
  SERDE_ENCODE_FAILED: { code: 'FRESHET_SERDE_ENCODE_FAILED', retriable: false },
  SERDE_NULL_VALUE: { code: 'FRESHET_SERDE_NULL_VALUE', retriable: false },
  // Producing and consuming
  /** A line of a producer's input is not JSON, or does not match the schema. */
  INPUT_INVALID: { code: 'FRESHET_INPUT_INVALID', retriable: false },
  PRODUCE_FAILED: { code: 'FRESHET_PRODUCE_FAILED', retriable: true },
  DLQ_WRITE_FAILED: { code: 'FRESHET_DLQ_WRITE_FAILED', retriable: true },
  // Windows and time
  TIMESTAMP_INVALID: { code: 'FRESHET_TIMESTAMP_INVALID', retriable: false },
  TIMESTAMP_FUTURE: { code: 'FRESHET_TIMESTAMP_FUTURE', retriable: false },
  /** A record arrived after every window it belongs to had closed (watermark plus grace). */
  RECORD_LATE: { code: 'FRESHET_RECORD_LATE', retriable: false },
  /** A record without a key reached an operator that keeps state per key. */
  RECORD_KEY_NULL: { code: 'FRESHET_RECORD_KEY_NULL', retriable: false },
  WATERMARK_SNAPSHOT_INVALID: { code: 'FRESHET_WATERMARK_SNAPSHOT_INVALID', retriable: false },
  // Pipelines
  TOPOLOGY_INVALID: { code: 'FRESHET_TOPOLOGY_INVALID', retriable: false },
  OPERATOR_FAILED: { code: 'FRESHET_OPERATOR_FAILED', retriable: false },
  STATE_DECODE_FAILED: { code: 'FRESHET_STATE_DECODE_FAILED', retriable: false },
  STATE_ENCODE_FAILED: { code: 'FRESHET_STATE_ENCODE_FAILED', retriable: false },
  // State
  STATE_BACKEND_UNAVAILABLE: { code: 'FRESHET_STATE_BACKEND_UNAVAILABLE', retriable: false },
  STATE_IO_FAILED: { code: 'FRESHET_STATE_IO_FAILED', retriable: false },
  STATE_LOCKED: { code: 'FRESHET_STATE_LOCKED', retriable: true },
  STATE_FORMAT_UNSUPPORTED: { code: 'FRESHET_STATE_FORMAT_UNSUPPORTED', retriable: false },
  STATE_CHANGELOG_NOT_DRAINED: { code: 'FRESHET_STATE_CHANGELOG_NOT_DRAINED', retriable: false },
  STATE_UNFLUSHED_CHANGES: { code: 'FRESHET_STATE_UNFLUSHED_CHANGES', retriable: false },
  STATE_CHECKPOINT_INVALID: { code: 'FRESHET_STATE_CHECKPOINT_INVALID', retriable: false },
  STATE_KEY_INVALID: { code: 'FRESHET_STATE_KEY_INVALID', retriable: false },
  // Runtime
  /** The group moved a task's partitions away (or removed the worker) before its commit landed. */
  TASK_MIGRATED: { code: 'FRESHET_TASK_MIGRATED', retriable: true },
  /** Another worker took over this worker's transactional id (same application and worker id). */
  WORKER_FENCED: { code: 'FRESHET_WORKER_FENCED', retriable: false },
  RESTORE_FAILED: { code: 'FRESHET_RESTORE_FAILED', retriable: true },
  // Interactive queries
  /** No store of that name in the worker's topology. */
  QUERY_STORE_NOT_FOUND: { code: 'FRESHET_QUERY_STORE_NOT_FOUND', retriable: false },
  /** The store holds nothing for the key. */
  QUERY_KEY_NOT_FOUND: { code: 'FRESHET_QUERY_KEY_NOT_FOUND', retriable: false },
  /** The store's kind does not answer that query (a range over a window store, a join buffer). */
  QUERY_NOT_SUPPORTED: { code: 'FRESHET_QUERY_NOT_SUPPORTED', retriable: false },
  /** Nobody can answer now: the group rebalances, the task restores, its worker is unreachable. */
  QUERY_UNAVAILABLE: { code: 'FRESHET_QUERY_UNAVAILABLE', retriable: true },
} as const

export type ErrorName = keyof typeof ErrorCodes
export type ErrorCode = (typeof ErrorCodes)[ErrorName]['code']
