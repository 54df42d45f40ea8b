/**
 * The entry point of the DSL: `pipeline({ applicationId })` gives a builder whose `stream` and
 * `table` methods read topics; the streams' operators append to it, and `build()` freezes the result
 * into a `Topology`.
 */
import {
  MAIN_OUTPUT,
  PassThroughOperator,
  TableSourceOperator,
  type Operator,
  type ValueSerde,
} from '../operators/index.ts'
import { fromRecordTimestamp, resolveTimestampExtractor, type TimestampExtractor } from '../time/index.ts'
import { PipelineBuilder } from './builder.ts'
import {
  checkTopic,
  resolveGlobalTableOptions,
  resolvePipelineOptions,
  resolveStreamOptions,
  resolveTableOptions,
  type GlobalTableOptions,
  type PipelineOptions,
  type StreamOptions,
  type TableOptions,
} from './options.ts'
import { GlobalTable, Stream, Table } from './stream.ts'
import type { Topology } from './topology.ts'

export class Pipeline {
  readonly applicationId: string
  readonly #builder: PipelineBuilder

  constructor(options: PipelineOptions) {
    const { applicationId, preAggregate } = resolvePipelineOptions(options)
    this.applicationId = applicationId
    this.#builder = new PipelineBuilder(applicationId, preAggregate ?? true)
  }

  /**
   * Reads `topic` as a stream of values of type T (from `schema`, or given explicitly). Event time
   * comes from `timestamp`: a field path, an extractor, or by default the `timestamp` field.
   */
  stream<T = unknown>(topic: string, options: StreamOptions<T> = {}): Stream<T> {
    checkTopic('stream', topic)
    const { name, schema, timestamp } = resolveStreamOptions<T>(options)
    const builder = this.#builder
    const extractor = resolveTimestampExtractor<T>(timestamp) as TimestampExtractor<unknown>
    const draft = builder.add({
      name: name ?? builder.freeName(`source-${topic}`),
      kind: 'source',
      role: 'source',
      inputs: [],
      outputs: [MAIN_OUTPUT],
      ownedStores: [],
      usedStores: [],
      topic,
      details: schema === undefined ? '' : `schema: ${schema.name}`,
      create: () => new PassThroughOperator() as Operator<unknown, unknown>,
      source: { kind: 'stream', timestamp: extractor, schema },
    })
    return new Stream<T>({ builder, node: draft.name, output: MAIN_OUTPUT })
  }

  /**
   * Reads `topic` as a table: the latest value per Kafka key, a null value deleting the key. Tables
   * are looked up by stream-table joins; their updates do not move the watermark. The topic is the
   * store's changelog: the table is restored from it, up to the task's committed offset of it.
   */
  table<V, K = string>(topic: string, options: TableOptions<V> = {}): Table<K, V> {
    checkTopic('table', topic)
    const { name, schema, serde } = resolveTableOptions<V>(options)
    const builder = this.#builder
    const nodeName = name ?? builder.freeName(`table-${topic}`)
    const store = `${nodeName}-store`
    builder.add({
      name: nodeName,
      kind: 'table',
      role: 'source',
      inputs: [],
      outputs: [MAIN_OUTPUT],
      ownedStores: [{ name: store, kind: 'table', format: serde?.format ?? 'json' }],
      usedStores: [],
      topic,
      details: schema === undefined ? '' : `schema: ${schema.name}`,
      create: () => new TableSourceOperator<V>(store, serde) as Operator<unknown, unknown>,
      source: { kind: 'table', timestamp: fromRecordTimestamp(), schema, table: { store, serde } },
    })
    return new Table<K, V>({ builder, node: nodeName, output: MAIN_OUTPUT }, { name: store, serde })
  }

  /**
   * Reads `topic` as a global table: every worker reads every partition of it into one store, which
   * every task looks up with `join(globalTable, keySelector, joiner)`. No co-partitioning, no
   * repartition: the key selector maps each stream record to the table key. The topic is the
   * store's changelog. Its updates are not part of the exactly-once transaction (Kafka Streams'
   * GlobalKTable).
   */
  globalTable<V, K = string>(topic: string, options: GlobalTableOptions<V> = {}): GlobalTable<K, V> {
    checkTopic('globalTable', topic)
    const { name, schema, serde } = resolveGlobalTableOptions<V>(options)
    const builder = this.#builder
    const nodeName = name ?? builder.freeName(`global-table-${topic}`)
    const store = `${nodeName}-store`
    builder.add({
      name: nodeName,
      kind: 'global-table',
      role: 'source',
      inputs: [],
      outputs: [],
      ownedStores: [{ name: store, kind: 'global-table', format: serde?.format ?? 'json' }],
      usedStores: [],
      topic,
      details: schema === undefined ? '' : `schema: ${schema.name}`,
      create: () => new TableSourceOperator<V>(store, serde) as Operator<unknown, unknown>,
      global: { store, schema, serde: serde as ValueSerde<unknown> | undefined },
    })
    return new GlobalTable<K, V>({ builder, node: nodeName, output: MAIN_OUTPUT }, { name: store, serde })
  }

  /** The topology built so far, frozen; the pipeline can be extended and built again. */
  build(): Topology {
    return this.#builder.build()
  }

  /** `build().describe()`. */
  describe(): string {
    return this.build().describe()
  }
}

export function pipeline(options: PipelineOptions): Pipeline {
  return new Pipeline(options)
}
