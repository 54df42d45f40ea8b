/**
 * freshet's library API. The folders read as the data flow: schemas -> serde -> producer ->
 * kafka -> consumer -> dlq, with the registry and the local stack beside them; then the stream
 * processing layers (time, windows, state, stream, testing), the seed jobs built on them, and the
 * metrics and dashboard that watch them.
 */
export * from './errors/index.ts'
export * from './schemas/index.ts'
export * from './serde/index.ts'
export * from './registry/index.ts'
export * from './kafka/index.ts'
export * from './producer/index.ts'
export * from './consumer/index.ts'
export * from './dlq/index.ts'
export {
  DEFAULT_TOPICS,
  KAFKA_VERSION,
  down,
  fetchKafkaJars,
  resolveStackOptions,
  startBroker,
  status,
  up,
  type BrokerOptions,
  type ResolvedStackOptions,
  type RunningBroker,
  type ServiceStatus,
  type StackOptions,
} from './stack/index.ts'
export * from './time/index.ts'
export * from './windows/index.ts'
export * from './state/index.ts'
export * from './stream/index.ts'
export {
  MemoryRegistry,
  TestDriver,
  TestInput,
  TestOutput,
  StoreView,
  type DeadLetter as TestDeadLetter,
  type PipeOptions,
  type TestDriverOptions,
  type TestRecord,
} from './testing/index.ts'
export * from './jobs/index.ts'
export * from './task/index.ts'
export * from './commit/index.ts'
export * from './runtime/index.ts'
export * from './metrics/index.ts'
export * from './dashboard/index.ts'
export * from './query/index.ts'
