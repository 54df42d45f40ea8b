/**
 * Operators: small units behind one lifecycle (`open`, `process`, `onWatermark`, `onCommit`,
 * `close`), synchronous per record, with state only through `OperatorStore`. A `TaskGraph` wires the
 * operators of one task; the DSL in src/stream decides which operators a pipeline needs.
 */
export {
  avgAggregator,
  countAggregator,
  distinctCountAggregator,
  extremumAggregator,
  sumAggregator,
  topNAggregator,
  type Aggregator,
  type TopNOptions,
} from './aggregators.ts'
export { DeduplicateOperator, type DeduplicateConfig } from './deduplicate.ts'
export { ExpiryQueue, type Expiry } from './expiry-queue.ts'
export { LATE_OUTPUT, MAIN_OUTPUT, TaskGraph, type GraphNode, type TaskHooks } from './graph.ts'
export {
  IntervalJoinSideOperator,
  StreamTableJoinOperator,
  tableEntry,
  tableKeyBytes,
  TableSourceOperator,
  type IntervalJoinSideConfig,
  type StreamTableJoinConfig,
} from './joins.ts'
export {
  ProcessOperator,
  valueStore,
  type ProcessConfig,
  type ProcessContext,
  type ProcessRecord,
  type StateHandle,
  type StateHandles,
  type StoreSpec,
  type StoreSpecs,
} from './process.ts'
export {
  decodeKey,
  encodeKey,
  isValueSerde,
  jsonSerde,
  partitionFor,
  partitionKeyBytes,
  structuredSerde,
  type ValueSerde,
} from './serde.ts'
export {
  BranchOperator,
  DEFAULT_BRANCH,
  FilterOperator,
  FlatMapOperator,
  KeyByOperator,
  MapOperator,
  PassThroughOperator,
  PeekOperator,
  SinkOperator,
} from './stateless.ts'
export type { OperatorStore } from './store.ts'
export { OPEN_WINDOWS } from './types.ts'
export type {
  Keyed,
  LateRecord,
  Operator,
  OperatorContext,
  OperatorFactory,
  OperatorMetrics,
  Provenance,
  WindowResult,
} from './types.ts'
export { WindowAggregateOperator, type WindowAggregateConfig } from './window-aggregate.ts'
export {
  DEFAULT_COMBINE_ENTRIES,
  WindowCombineOperator,
  WindowPartial,
  type WindowCombineConfig,
} from './window-combine.ts'
