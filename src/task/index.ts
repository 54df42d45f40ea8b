export {
  isWatermarkMarker,
  readRepartitionRecord,
  readWatermarkMarker,
  repartitionRecord,
  WATERMARK_HEADER,
  watermarkMarker,
  type WatermarkMarker,
} from './records.ts'
export {
  BAD_RECORD_POLICIES,
  LATE_HEADERS,
  StreamTask,
  type BadRecordOutcome,
  type BadRecordPolicy,
  type TaskCounters,
  type TaskOptions,
  type TaskSink,
  type TaskSource,
} from './task.ts'
export { TASK_TRANSITIONS, TaskLifecycle, type TaskState } from './lifecycle.ts'
