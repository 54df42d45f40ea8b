/**
 * A group's partition assignor, which the consumer runs when it leads the group. Opaque outside
 * src/kafka: freshet's declarations name no type of the client library, so a project type-checking
 * with `skipLibCheck: false` never checks the client's declarations through freshet's.
 */
export type PartitionAssigner = (...args: never[]) => unknown

/** A record to produce. `headers` values are bytes or UTF-8 strings. */
export interface OutRecord {
  topic: string
  key?: Buffer | null
  value: Buffer | null
  headers?: Record<string, Buffer | string>
  partition?: number
  timestampMs?: number
  /**
   * Not written: for a window's final result, the earliest wall-clock time the window could have
   * closed (its close time in event time plus the watermark's out-of-orderness bound), from which
   * the worker measures the window-result delay.
   */
  windowDueMs?: number | undefined
}

/** A consumed record, as freshet sees it: raw bytes, provenance, headers. */
export interface InRecord {
  topic: string
  partition: number
  offset: bigint
  timestampMs: number
  key: Buffer | null
  value: Buffer | null
  headers: Map<string, Buffer>
  leaderEpoch: number
}

export interface TopicPartitionOffset {
  topic: string
  partition: number
  /** The next offset to read (Kafka's committed-offset convention). */
  offset: bigint
  /**
   * A string committed with the offset (the group's offset metadata, at most 4 KiB by default):
   * what the reader needs besides the offset to resume where it left off.
   */
  metadata?: string
}

export interface TopicSpec {
  topic: string
  partitions?: number
  replicas?: number
  configs?: Record<string, string>
}

export interface TopicDescription {
  topic: string
  id: string
  partitions: Array<{ partition: number; leader: number; replicas: number[]; isr: number[] }>
}

export type Compression = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd'
export type IsolationLevel = 'read_committed' | 'read_uncommitted'

/** What the send path did to get records through, since the producer was made. */
export interface SendStats {
  /** Batches sent again after a failed attempt. */
  retriedBatches: number
  /** Producer ids taken (InitProducerId): one at the start, one after each loss of producer state or failed send. */
  producerIds: number
}
