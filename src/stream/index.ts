/**
 * The typed DSL: `pipeline({ applicationId })`, streams and their operators, windows, tables and
 * joins, sinks; `build()` gives a `Topology` (nodes, sub-topologies, stores, topics) that the test
 * driver (src/testing) and the runtime run.
 */
export {
  jsonSerde,
  structuredSerde,
  valueStore,
  type LateRecord,
  type ProcessContext,
  type ProcessRecord,
  type Provenance,
  type StateHandle,
  type StoreSpec,
  type TopNOptions,
  type ValueSerde,
  type WindowResult,
} from '../operators/index.ts'
export type {
  AggregateOptions,
  DeduplicateOptions,
  GlobalTableOptions,
  IntervalJoinOptions,
  KeyByOptions,
  NameOption,
  PipelineOptions,
  SinkOptions,
  StreamOptions,
  TableOptions,
} from './options.ts'
export { Pipeline, pipeline } from './pipeline.ts'
export {
  GlobalTable,
  KeyedStream,
  LateAwareStream,
  Stream,
  Table,
  type Branches,
  type KeyedBranches,
  type ProcessOptions,
} from './stream.ts'
export { changelogTopic, repartitionTopic, requireCoPartitioned, Topology } from './topology.ts'
export type {
  GlobalSourceSpec,
  GlobalTableDescription,
  NodeDescription,
  NodeInput,
  NodeKind,
  NodeRole,
  SinkSpec,
  SourceKind,
  SourceSpec,
  StoreDescription,
  StoreKind,
  SubtopologyDescription,
  TopologyContext,
  TopologyDescription,
  TopologyFactory,
  TopologyLike,
} from './types.ts'
export { WindowedStream, type AggregatorFor, type WindowedResults } from './windowed.ts'
