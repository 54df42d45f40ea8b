export { assignTasks, listTasks, taskAssigner, taskName, type TaskId, type TaskInputs } from './assignor.ts'
export {
  resolveWorkerOptions,
  type ProcessingGuarantee,
  type WorkerEvent,
  type WorkerOptions,
} from './options.ts'
export { type GeneratedRecord, type SourceGenerator } from './generators.ts'
export { inRecords, RECORD_LAG_SCAN_OFFSETS } from './record-lag.ts'
export { planTopics, type RuntimePlan } from './plan.ts'
export { restoreStore, type RestoreProgress } from './restore.ts'
export {
  notReadyReason,
  randomWorkerId,
  Worker,
  WORKER_TRANSITIONS,
  type TaskStatus,
  type TopicStatus,
  type WorkerState,
  type WorkerStatus,
  type WorkerWaiting,
} from './worker.ts'
export { jobsStatus, type JobStatus } from './jobs-status.ts'
