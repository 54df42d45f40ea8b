import type { OperatorFactory, ValueSerde } from '../operators/index.ts'
import type { TypedSchema } from '../schemas/index.ts'
import type { Serializer } from '../serde/index.ts'
import type { TimestampExtractor } from '../time/index.ts'

export type NodeKind =
  | 'source'
  | 'table'
  | 'repartition-source'
  | 'filter'
  | 'map'
  | 'flat-map'
  | 'peek'
  | 'branch'
  | 'merge'
  | 'key-by'
  | 'process'
  | 'window-aggregate'
  | 'window-combine'
  | 'deduplicate'
  | 'stream-table-join'
  | 'global-table'
  | 'global-table-join'
  | 'interval-join-side'
  | 'sink'
  | 'repartition-sink'

export type NodeRole = 'source' | 'processor' | 'sink'

export type StoreKind =
  'window' | 'session' | 'key-value' | 'table' | 'global-table' | 'deduplicate' | 'join-buffer'

/** One edge into a node: the parent and which of its outputs (`main`, a branch, `late`). */
export interface NodeInput {
  readonly node: string
  readonly output: string
}

export interface NodeDescription {
  readonly name: string
  readonly kind: NodeKind
  readonly role: NodeRole
  readonly subtopology: number
  readonly inputs: readonly NodeInput[]
  /** Children, with the output of this node that feeds each. */
  readonly successors: ReadonlyArray<{ readonly node: string; readonly output: string }>
  readonly outputs: readonly string[]
  /** Stores the node owns, then the ones it reads (a join reading a table's store). */
  readonly stores: readonly string[]
  /** The topic a source reads or a sink writes. */
  readonly topic?: string
  /** Options worth showing: window sizes, join bounds, and so on. */
  readonly details: string
}

export interface StoreDescription {
  readonly name: string
  readonly kind: StoreKind
  /**
   * `<applicationId>-<store>-changelog`, compacted; for a table read straight from a topic, that
   * topic (`sourceChangelog`).
   */
  readonly changelogTopic: string
  /**
   * The store is restored from the topic it is built from, up to the task's committed offset of it,
   * and has no changelog topic of its own (Kafka Streams' source-topic changelog).
   */
  readonly sourceChangelog: boolean
  readonly owner: string
  /** Every node that opens the store, the owner first. */
  readonly nodes: readonly string[]
  /** Encoding of the values. */
  readonly format: string
  readonly subtopology: number
}

/**
 * A global table: every worker reads every partition of its topic into one store that each task
 * looks up. It belongs to no sub-topology and makes no tasks; its topic is its changelog.
 */
export interface GlobalTableDescription {
  readonly node: string
  readonly topic: string
  readonly store: string
  /** Encoding of the values in the store. */
  readonly format: string
  /** The join nodes that look it up. */
  readonly nodes: readonly string[]
  readonly details: string
}

/** The operators between two topic boundaries; one task per partition of its input topics. */
export interface SubtopologyDescription {
  readonly id: number
  readonly nodes: readonly string[]
  readonly sourceTopics: readonly string[]
  readonly sinkTopics: readonly string[]
  readonly stores: readonly string[]
}

/** Everything a runtime needs to know about a pipeline, as plain data. */
export interface TopologyDescription {
  readonly applicationId: string
  readonly subtopologies: readonly SubtopologyDescription[]
  /** In topological order: parents before children. */
  readonly nodes: readonly NodeDescription[]
  /** Task stores: one instance per task of their sub-topology. */
  readonly stores: readonly StoreDescription[]
  readonly globalTables: readonly GlobalTableDescription[]
  readonly topics: {
    /** Input topics read as streams. */
    readonly sources: readonly string[]
    /** Input topics read as tables. */
    readonly tables: readonly string[]
    /** Input topics read in full by every worker as global tables. */
    readonly globalTables: readonly string[]
    readonly sinks: readonly string[]
    /** `<applicationId>-<name>-repartition`, written and read by the pipeline itself. */
    readonly repartition: readonly string[]
    /** The changelog topics the pipeline creates: not the source topics that serve as changelogs. */
    readonly changelog: readonly string[]
  }
}

export type SourceKind = 'stream' | 'table' | 'repartition'

/** How a source node reads its topic. */
export interface SourceSpec {
  readonly node: string
  readonly topic: string
  readonly kind: SourceKind
  readonly subtopology: number
  /** Event time of a record. Repartition sources use the record timestamp the sink wrote. */
  readonly timestamp: TimestampExtractor<unknown>
  readonly schema?: TypedSchema<unknown> | undefined
  /** Table sources: the store the table is kept in, restored from this topic. */
  readonly table?: { readonly store: string; readonly serde?: ValueSerde<unknown> | undefined } | undefined
}

/** How a global table reads its topic into its store. */
export interface GlobalSourceSpec {
  readonly node: string
  readonly topic: string
  readonly store: string
  readonly schema?: TypedSchema<unknown> | undefined
  /** Encoding of the values in the store. */
  readonly serde?: ValueSerde<unknown> | undefined
}

/** How a sink node writes its topic. */
export interface SinkSpec {
  readonly node: string
  readonly topic: string
  readonly kind: 'sink' | 'repartition'
  readonly subtopology: number
  readonly serde?: Serializer<unknown> | undefined
  /** The value schema the runtime serializes with, in its format, when there is no serde. */
  readonly schema?: TypedSchema<unknown> | undefined
  /** The Kafka timestamp of its records (sinks only; repartition records carry event time). */
  readonly recordTimestamp?: 'event-time' | 'processing-time' | undefined
  /** Partition count asked for a repartition topic; by default that of the writing sub-topology. */
  readonly partitions?: number | undefined
}

/** A node while the pipeline is being built. */
export interface NodeDraft {
  readonly name: string
  readonly kind: NodeKind
  readonly role: NodeRole
  readonly inputs: readonly NodeInput[]
  readonly outputs: readonly string[]
  readonly ownedStores: ReadonlyArray<{
    readonly name: string
    readonly kind: StoreKind
    readonly format: string
  }>
  /** Stores owned by other nodes that this one opens. */
  readonly usedStores: readonly string[]
  readonly topic?: string
  readonly details: string
  readonly create: OperatorFactory
  readonly source?: Omit<SourceSpec, 'node' | 'topic' | 'subtopology'>
  /** A global table: read by every worker in full, outside the sub-topologies. */
  readonly global?: Omit<GlobalSourceSpec, 'node' | 'topic'>
  readonly sink?: Omit<SinkSpec, 'node' | 'topic' | 'subtopology'>
  /**
   * A window aggregation that may be pre-aggregated before the repartition it reads: the operator
   * that folds each upstream task's records (src/stream/combine.ts decides where it goes).
   */
  readonly combiner?: OperatorFactory | undefined
}

/**
 * What a topology module's factory is given by `freshet run <module>` (see docs/cli.md): a module
 * that exports a function of this context can be deployed under several application ids, with
 * its settings given on the command line.
 */
export interface TopologyContext {
  /** `--application-id`, when given: the factory builds its pipeline under this id. */
  readonly applicationId: string | undefined
  /** The `--param key=value` pairs. */
  readonly params: Readonly<Record<string, string>>
}

/** A module's export that builds its topology when `freshet run` starts: a `Topology` or a pipeline. */
export type TopologyFactory = (context: TopologyContext) => TopologyLike | Promise<TopologyLike>

/** A topology, or a pipeline that builds one. */
export type TopologyLike = { build(): unknown } | { readonly applicationId: string; sources(): unknown }
