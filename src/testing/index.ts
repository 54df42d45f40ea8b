/**
 * The test driver: runs a topology in-process with a driven clock, in-memory topics and stores, and
 * the watermark per task that the runtime keeps, so pipelines are tested without a broker.
 */
export { TestDriver, TestInput, TestOutput, type DeadLetter, type TestRecord } from './driver.ts'
export {
  BAD_RECORD_POLICIES,
  DEFAULT_COMMIT_INTERVAL_MS,
  type BadRecordPolicy,
  type PipeOptions,
  type TestDriverOptions,
} from './options.ts'
export { MemoryRegistry } from './memory-registry.ts'
export { murmur2, partitionFor } from './partitioner.ts'
export { StoreView, type RawEntry, type StoreEntry } from './store-view.ts'
