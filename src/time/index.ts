/**
 * Event time: extracting timestamps from records and tracking the watermark of a task over its input
 * partitions. Pure and deterministic; processing time only enters through `nowMs` arguments or an
 * injected clock.
 */
export {
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_MAX_FUTURE_SKEW_MS,
  DEFAULT_MAX_OUT_OF_ORDERNESS_MS,
  resolveWatermarkOptions,
  type ResolvedWatermarkOptions,
  type WatermarkOptions,
} from './options.ts'
export {
  DEFAULT_TIMESTAMP_FIELD,
  fromField,
  fromFunction,
  fromRecordTimestamp,
  isValidTimestampMs,
  MAX_TIMESTAMP_MS,
  resolveTimestampExtractor,
  timestampRejectionError,
  topicPartition,
  type TimestampChoice,
} from './timestamps.ts'
export type {
  ObserveVerdict,
  PartitionId,
  PartitionWatermark,
  TimestampAccepted,
  TimestampExtractor,
  TimestampInvalid,
  TimestampRejection,
  TimestampSource,
  TimestampTooFarAhead,
  WatermarkSnapshot,
} from './types.ts'
export { WatermarkTracker } from './watermarks.ts'
