import type { ErrorCodes } from '../errors/index.ts'

/**
 * Identifies one input partition of a task. Use `topicPartition(topic, partition)` so that tasks
 * reading several topics (joins) keep their partitions apart.
 */
export type PartitionId = string

/** What a timestamp extractor may read besides the value: the Kafka record's own fields. */
export interface TimestampSource {
  /** The Kafka record timestamp (CreateTime or LogAppendTime, as the topic is configured). */
  timestampMs: number
  topic?: string
  partition?: number
  offset?: bigint | string
}

/**
 * Returns the event time of a record in milliseconds since the epoch. Extractors made by `fromField`,
 * `fromRecordTimestamp` and `fromFunction` throw FRESHET_TIMESTAMP_INVALID rather than return a
 * value that is not finite, negative or beyond `MAX_TIMESTAMP_MS`.
 */
export type TimestampExtractor<V> = (value: V, record: TimestampSource) => number

export interface TimestampAccepted {
  readonly ok: true
}

/** The timestamp is not a finite number in `[0, MAX_TIMESTAMP_MS]`. */
export interface TimestampInvalid {
  readonly ok: false
  readonly code: typeof ErrorCodes.TIMESTAMP_INVALID.code
  readonly timestampMs: number
}

/** The timestamp is more than `maxFutureSkewMs` ahead of the processing-time clock. */
export interface TimestampTooFarAhead {
  readonly ok: false
  readonly code: typeof ErrorCodes.TIMESTAMP_FUTURE.code
  readonly timestampMs: number
  readonly aheadByMs: number
}

export type TimestampRejection = TimestampInvalid | TimestampTooFarAhead

/**
 * What `WatermarkTracker.observe` says about a record. A rejected record changed nothing in the
 * tracker; the caller hands it to its bad-record policy (`fail | skip | dlq`).
 */
export type ObserveVerdict = TimestampAccepted | TimestampRejection

export interface PartitionWatermark {
  readonly partition: PartitionId
  /** `maxTimestampMs - maxOutOfOrdernessMs`; -Infinity before the partition's first record. */
  readonly watermarkMs: number
  readonly maxTimestampMs: number
  /** Idle partitions do not hold the task watermark back. */
  readonly idle: boolean
  /** The partition's input has ended (`WatermarkTracker.finish`). */
  readonly finished: boolean
  /** Processing time of the partition's last accepted record, or of its assignment. */
  readonly lastActivityMs: number
}

/**
 * A checkpoint of a `WatermarkTracker`, plain JSON. `null` stands for -Infinity (nothing seen yet),
 * which JSON cannot carry. Processing times are not kept: they mean nothing in another process, and
 * idle timers restart when the snapshot is restored.
 */
export interface WatermarkSnapshot {
  readonly version: 1
  readonly watermarkMs: number | null
  /** Sorted by partition, so equal trackers give equal snapshots. */
  readonly partitions: ReadonlyArray<{
    readonly partition: PartitionId
    readonly maxTimestampMs: number | null
    readonly idle: boolean
  }>
}
