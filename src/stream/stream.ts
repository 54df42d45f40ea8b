/**
 * Typed streams. A `Stream<T>` carries values of type T keyed by whatever key the records had; a
 * `KeyedStream<K, T>` is partitioned by a key of type K, which is what state needs (windows,
 * `process`, deduplication, joins). Value-only operators on a keyed stream keep it keyed; `keyBy`
 * changes the key and therefore the partitioning, so it marks a repartition boundary.
 */
import { FreshetError } from '../errors/index.ts'
import {
  BranchOperator,
  DEFAULT_BRANCH,
  DeduplicateOperator,
  FilterOperator,
  FlatMapOperator,
  IntervalJoinSideOperator,
  isValueSerde,
  KeyByOperator,
  LATE_OUTPUT,
  MAIN_OUTPUT,
  MapOperator,
  PassThroughOperator,
  PeekOperator,
  ProcessOperator,
  SinkOperator,
  StreamTableJoinOperator,
  type LateRecord,
  type Operator,
  type ProcessContext,
  type ProcessRecord,
  type StoreSpec,
  type StoreSpecs,
  type ValueSerde,
} from '../operators/index.ts'
import { fromRecordTimestamp } from '../time/index.ts'
import type { CumulatingWindows, SessionWindows, TimeWindows } from '../windows/index.ts'
import { attachHandle, handleOf, sameBuilder, type PipelineBuilder, type StreamHandle } from './builder.ts'
import {
  checkTopic,
  requireFunction,
  resolveDeduplicateOptions,
  resolveIntervalJoinOptions,
  resolveKeyByOptions,
  resolveName,
  resolveSinkOptions,
  type DeduplicateOptions,
  type IntervalJoinOptions,
  type KeyByOptions,
  type NameOption,
  type SinkOptions,
} from './options.ts'
import { repartitionTopic } from './topology.ts'
import type { NodeInput, NodeKind } from './types.ts'
import { WindowedStream } from './windowed.ts'

/** The type a branch predicate narrows to: U for a type guard `value is U`, else T. */
export type Narrowed<P, T> = P extends ((value: T, key: never) => value is infer U extends T) ? U : T

/** The streams `branch` returns: one per predicate (narrowed by type guards) and `default`. */
export type Branches<T, B> = { readonly [N in keyof B]: Stream<Narrowed<B[N], T>> } & {
  readonly default: Stream<T>
}

export type KeyedBranches<K, T, B> = { readonly [N in keyof B]: KeyedStream<K, Narrowed<B[N], T>> } & {
  readonly default: KeyedStream<K, T>
}

export interface ProcessOptions<S> extends NameOption {
  /** The stores the function uses, by name: `{ seen: valueStore<number>() }`. */
  stores?: S
  /** The function returns an iterable of outputs instead of one output (or `undefined`). */
  expand?: boolean
}

/** The key of a stream that is not keyed: whatever key its records were read with. */
type Keyless = unknown

/** Appends a processor node reading `from` and returns the new handle's parts. */
function addProcessor(
  from: StreamHandle,
  kind: NodeKind,
  name: string | undefined,
  create: () => Operator<unknown, unknown>,
  extra: { outputs?: readonly string[]; details?: string; usedStores?: readonly string[] } = {},
): StreamHandle {
  const builder = from.builder
  const draft = builder.add({
    name: builder.nameFor(kind, name),
    kind,
    role: 'processor',
    inputs: [{ node: from.node, output: from.output }],
    outputs: extra.outputs ?? [MAIN_OUTPUT],
    ownedStores: [],
    usedStores: extra.usedStores ?? [],
    details: extra.details ?? '',
    create,
  })
  return { builder, node: draft.name, output: MAIN_OUTPUT }
}

function addMerge(
  builder: PipelineBuilder,
  inputs: readonly NodeInput[],
  name: string | undefined,
): StreamHandle {
  const draft = builder.add({
    name: builder.nameFor('merge', name),
    kind: 'merge',
    role: 'processor',
    inputs,
    outputs: [MAIN_OUTPUT],
    ownedStores: [],
    usedStores: [],
    details: '',
    create: () => new PassThroughOperator(),
  })
  return { builder, node: draft.name, output: MAIN_OUTPUT }
}

function branchNames(where: string, branches: unknown): string[] {
  if (branches === null || typeof branches !== 'object' || Array.isArray(branches)) {
    throw new FreshetError('INVALID_OPTION', `${where}: expected an object of named predicates`)
  }
  const names = Object.keys(branches)
  if (names.length === 0) throw new FreshetError('INVALID_OPTION', `${where}: give at least one branch`)
  for (const name of names) {
    if (name === DEFAULT_BRANCH || name === LATE_OUTPUT || name === MAIN_OUTPUT) {
      throw new FreshetError(
        'INVALID_OPTION',
        `${where}: "${name}" is reserved; name the branch differently`,
        {
          details: { option: name },
        },
      )
    }
    requireFunction(where, `branch "${name}"`, (branches as Record<string, unknown>)[name])
  }
  return names
}

export class Stream<T> {
  /** Made by `pipeline().stream(...)` and the operators; not constructed directly. */
  constructor(handle: StreamHandle) {
    attachHandle(this, handle)
  }

  /** Keeps the records for which `predicate` holds; a type guard narrows the stream's type. */
  filter<U extends T = T>(
    predicate: ((value: T, key: Keyless) => value is U) | ((value: T, key: Keyless) => boolean),
    options: NameOption = {},
  ): Stream<U> {
    return new Stream(filterHandle(this, predicate, options))
  }

  /** Replaces each value by `fn(value, key)`; the key and event time stay. */
  map<U>(fn: (value: T, key: Keyless) => U, options: NameOption = {}): Stream<U> {
    return new Stream(mapHandle(this, fn, options))
  }

  /** Replaces each value by zero or more values. */
  flatMap<U>(fn: (value: T, key: Keyless) => Iterable<U>, options: NameOption = {}): Stream<U> {
    return new Stream(flatMapHandle(this, fn, options))
  }

  /** Calls `fn` for each record and passes it on unchanged (logging, metrics). */
  peek(fn: (value: T, key: Keyless, timestampMs: number) => void, options: NameOption = {}): Stream<T> {
    return new Stream(peekHandle(this, fn, options))
  }

  /**
   * Splits the stream: each record goes to the first branch whose predicate holds, or to `default`.
   * Branches are returned by name.
   */
  branch<const B extends Record<string, (value: T, key: Keyless) => boolean>>(
    branches: B,
    options: NameOption = {},
  ): Branches<T, B> {
    const handles = branchHandles(this, branches, options)
    return Object.fromEntries(Object.entries(handles).map(([n, h]) => [n, new Stream(h)])) as Branches<T, B>
  }

  /** The records of both streams, in the order they arrive. */
  merge<U>(other: Stream<U>, options: NameOption = {}): Stream<T | U> {
    return new Stream(mergeHandle(this, other, options))
  }

  /**
   * Keys the stream by `selectKey(value, key)`. The key decides the partition, so the records are
   * written to the repartition topic `<applicationId>-<name>-repartition` and read back partitioned
   * by the new key: a new sub-topology starts here.
   */
  keyBy<K>(selectKey: (value: T, key: Keyless) => K, options: KeyByOptions = {}): KeyedStream<K, T> {
    return new KeyedStream(keyByHandle(this, selectKey, options))
  }

  /**
   * Keys the stream by the Kafka record key it was read with. No repartitioning: the input topic is
   * partitioned by that key already.
   */
  byRecordKey<K = string>(): KeyedStream<K, T> {
    return new KeyedStream(handleOf(this, 'byRecordKey'))
  }

  /**
   * Joins each record with the global table's current value for `keySelector(value, key)`; records
   * without one are dropped. No repartition: every task sees the whole table.
   */
  join<GK, V, R>(
    table: GlobalTable<GK, V>,
    keySelector: (value: T, key: Keyless) => NoInfer<GK> | null | undefined,
    joiner: (value: T, tableValue: V, key: Keyless) => R,
    options?: NameOption,
  ): Stream<R>
  join(table: unknown, keySelector: unknown, joiner: unknown, options: NameOption = {}): Stream<unknown> {
    return new Stream(globalJoinHandle(this, table, keySelector, joiner, false, options))
  }

  /** Like `join` with a global table, but records without a table value are joined with `undefined`. */
  leftJoin<GK, V, R>(
    table: GlobalTable<GK, V>,
    keySelector: (value: T, key: Keyless) => NoInfer<GK> | null | undefined,
    joiner: (value: T, tableValue: V | undefined, key: Keyless) => R,
    options?: NameOption,
  ): Stream<R>
  leftJoin(table: unknown, keySelector: unknown, joiner: unknown, options: NameOption = {}): Stream<unknown> {
    return new Stream(globalJoinHandle(this, table, keySelector, joiner, true, options))
  }

  /** Writes the stream to `topic`, keyed as it is, with the event time as record timestamp. */
  to(topic: string, options: SinkOptions<T> = {}): void {
    sinkHandle(this, topic, options)
  }
}

export class KeyedStream<K, T> extends Stream<T> {
  /** Carries K through the type system. */
  declare readonly __key?: (key: K) => K

  override filter<U extends T = T>(
    predicate: ((value: T, key: K) => value is U) | ((value: T, key: K) => boolean),
    options: NameOption = {},
  ): KeyedStream<K, U> {
    return new KeyedStream(filterHandle(this, predicate, options))
  }

  override map<U>(fn: (value: T, key: K) => U, options: NameOption = {}): KeyedStream<K, U> {
    return new KeyedStream(mapHandle(this, fn, options))
  }

  override flatMap<U>(fn: (value: T, key: K) => Iterable<U>, options: NameOption = {}): KeyedStream<K, U> {
    return new KeyedStream(flatMapHandle(this, fn, options))
  }

  override peek(
    fn: (value: T, key: K, timestampMs: number) => void,
    options: NameOption = {},
  ): KeyedStream<K, T> {
    return new KeyedStream(peekHandle(this, fn, options))
  }

  override branch<const B extends Record<string, (value: T, key: K) => boolean>>(
    branches: B,
    options: NameOption = {},
  ): KeyedBranches<K, T, B> {
    const handles = branchHandles(this, branches, options)
    return Object.fromEntries(
      Object.entries(handles).map(([n, h]) => [n, new KeyedStream(h)]),
    ) as KeyedBranches<K, T, B>
  }

  override merge<U>(other: KeyedStream<K, U>, options?: NameOption): KeyedStream<K, T | U>
  override merge<U>(other: Stream<U>, options?: NameOption): Stream<T | U>
  override merge<U>(other: Stream<U>, options: NameOption = {}): Stream<T | U> {
    const handle = mergeHandle(this, other, options)
    return other instanceof KeyedStream ? new KeyedStream(handle) : new Stream(handle)
  }

  override keyBy<K2>(selectKey: (value: T, key: K) => K2, options: KeyByOptions = {}): KeyedStream<K2, T> {
    return new KeyedStream(keyByHandle(this, selectKey, options))
  }

  /** Groups the records of each key into windows, to aggregate them. */
  window<W extends TimeWindows | CumulatingWindows | SessionWindows>(windows: W): WindowedStream<K, T, W> {
    const kind = (windows as Partial<TimeWindows | CumulatingWindows | SessionWindows> | null)?.kind
    if (kind !== 'tumbling' && kind !== 'hopping' && kind !== 'cumulating' && kind !== 'session') {
      throw new FreshetError(
        'INVALID_OPTION',
        'window: expected tumbling(...), hopping(...), cumulating(...) or session(...)',
      )
    }
    return new WindowedStream<K, T, W>(handleOf(this, 'window'), windows)
  }

  /**
   * Runs `fn` for each record with typed key-value stores. What it returns is forwarded (nothing
   * for `undefined`); with `expand: true` it returns an iterable of values to forward.
   */
  process<R, S extends StoreSpecs = Record<never, StoreSpec<unknown>>>(
    fn: (record: ProcessRecord<K, T>, context: ProcessContext<K, S>) => Iterable<R>,
    options: ProcessOptions<S> & { expand: true },
  ): KeyedStream<K, R>
  process<R, S extends StoreSpecs = Record<never, StoreSpec<unknown>>>(
    fn: (record: ProcessRecord<K, T>, context: ProcessContext<K, S>) => R | undefined,
    options?: ProcessOptions<S> & { expand?: false },
  ): KeyedStream<K, R>
  process<R, S extends StoreSpecs>(
    fn: (record: ProcessRecord<K, T>, context: ProcessContext<K, S>) => unknown,
    options: ProcessOptions<S> = {},
  ): KeyedStream<K, R> {
    requireFunction('process', 'fn', fn)
    const { name, stores = {} as S, expand = false, ...rest } = options
    const unknownKeys = Object.keys(rest)
    if (unknownKeys.length > 0) {
      throw new FreshetError(
        'INVALID_OPTION',
        `process: unknown option "${unknownKeys[0]}"; allowed: name, stores, expand`,
        {
          details: { option: unknownKeys[0], allowed: ['name', 'stores', 'expand'] },
        },
      )
    }
    if (stores === null || typeof stores !== 'object' || Array.isArray(stores)) {
      throw new FreshetError(
        'INVALID_OPTION',
        'process: option "stores" must be an object of valueStore()s',
        {
          details: { option: 'stores' },
        },
      )
    }
    if (typeof expand !== 'boolean') {
      throw new FreshetError('INVALID_OPTION', 'process: option "expand" must be a boolean', {
        details: { option: 'expand' },
      })
    }
    const from = handleOf(this, 'process')
    const builder = from.builder
    const storeSpecs = stores as Readonly<Record<string, StoreSpec<unknown>>>
    const nodeName = builder.nameFor(
      'process',
      resolveName('process', name === undefined ? {} : { name }).name,
    )
    const draft = builder.add({
      name: nodeName,
      kind: 'process',
      role: 'processor',
      inputs: [{ node: from.node, output: from.output }],
      outputs: [MAIN_OUTPUT],
      ownedStores: Object.entries(storeSpecs).map(([storeName, spec]) => {
        resolveName('process', { name: storeName })
        if (
          spec === null ||
          typeof spec !== 'object' ||
          spec.kind !== 'key-value' ||
          !isValueSerde(spec.serde)
        ) {
          throw new FreshetError(
            'INVALID_OPTION',
            `process: store "${storeName}" must be declared with valueStore()`,
            {
              details: { option: `stores.${storeName}`, expected: 'valueStore<V>({ serde? })' },
            },
          )
        }
        return { name: storeName, kind: 'key-value' as const, format: spec.serde.format }
      }),
      usedStores: [],
      details: expand ? 'expand' : '',
      create: () =>
        new ProcessOperator<K, T, R>({
          stores: storeSpecs,
          fn: fn as (record: ProcessRecord<K, T>, context: ProcessContext<K, StoreSpecs>) => unknown,
          expand,
        }) as Operator<unknown, unknown>,
    })
    return new KeyedStream({ builder, node: draft.name, output: MAIN_OUTPUT })
  }

  /**
   * Drops records whose key (and `id`, when given) was seen less than `withinMs` of event time
   * apart. Records older than the watermark go to `late()`.
   */
  deduplicate(options: DeduplicateOptions<T, K>): LateAwareStream<K, T, T> {
    const { name, withinMs, id } = resolveDeduplicateOptions<T, K>(options)
    const from = handleOf(this, 'deduplicate')
    const builder = from.builder
    const nodeName = builder.nameFor('deduplicate', name)
    const store = `${nodeName}-store`
    builder.add({
      name: nodeName,
      kind: 'deduplicate',
      role: 'processor',
      inputs: [{ node: from.node, output: from.output }],
      outputs: [MAIN_OUTPUT, LATE_OUTPUT],
      ownedStores: [{ name: store, kind: 'deduplicate', format: 'time' }],
      usedStores: [],
      details: `withinMs: ${withinMs}${id === undefined ? '' : ', by id'}`,
      create: () => new DeduplicateOperator<T, K>({ withinMs, id, store }) as Operator<unknown, unknown>,
    })
    return new LateAwareStream({
      builder,
      node: nodeName,
      output: MAIN_OUTPUT,
      late: [{ node: nodeName, output: LATE_OUTPUT }],
    })
  }

  /**
   * Joins each record with the table's current value for its key; records without one are dropped.
   * With a global table, the value for `keySelector(value, key)`; the stream keeps its key.
   */
  override join<GK, V, R>(
    table: GlobalTable<GK, V>,
    keySelector: (value: T, key: K) => NoInfer<GK> | null | undefined,
    joiner: (value: T, tableValue: V, key: K) => R,
    options?: NameOption,
  ): KeyedStream<K, R>
  override join<V, R>(
    table: Table<K, V>,
    joiner: (value: T, tableValue: V, key: K) => R,
    options?: NameOption,
  ): KeyedStream<K, R>
  override join(table: unknown, a: unknown, b?: unknown, c?: unknown): KeyedStream<K, unknown> {
    if (isGlobalTable(table)) {
      return new KeyedStream(globalJoinHandle(this, table, a, b, false, (c ?? {}) as NameOption))
    }
    return this.#tableJoin(
      table as Table<K, unknown>,
      a as (value: T, tableValue: unknown, key: K) => unknown,
      false,
      (b ?? {}) as NameOption,
    )
  }

  /** Like `join`, but records without a table value are joined with `undefined`. */
  override leftJoin<GK, V, R>(
    table: GlobalTable<GK, V>,
    keySelector: (value: T, key: K) => NoInfer<GK> | null | undefined,
    joiner: (value: T, tableValue: V | undefined, key: K) => R,
    options?: NameOption,
  ): KeyedStream<K, R>
  override leftJoin<V, R>(
    table: Table<K, V>,
    joiner: (value: T, tableValue: V | undefined, key: K) => R,
    options?: NameOption,
  ): KeyedStream<K, R>
  override leftJoin(table: unknown, a: unknown, b?: unknown, c?: unknown): KeyedStream<K, unknown> {
    if (isGlobalTable(table)) {
      return new KeyedStream(globalJoinHandle(this, table, a, b, true, (c ?? {}) as NameOption))
    }
    return this.#tableJoin(
      table as Table<K, unknown>,
      a as (value: T, tableValue: unknown, key: K) => unknown,
      true,
      (b ?? {}) as NameOption,
    )
  }

  /**
   * Joins each record of this stream (at time ta) with each record of `other` with the same key at
   * a time tb in `[ta - beforeMs, ta + afterMs]`. The result has the later of the two times.
   */
  intervalJoin<U, R>(
    other: KeyedStream<K, U>,
    options: IntervalJoinOptions,
    joiner: (left: T, right: U, key: K) => R,
  ): LateAwareStream<K, R, T | U> {
    const { name, beforeMs, afterMs } = resolveIntervalJoinOptions(options)
    requireFunction('intervalJoin', 'joiner', joiner)
    const left = handleOf(this, 'intervalJoin')
    const right = handleOf(other, 'intervalJoin')
    sameBuilder(left, right, 'intervalJoin')
    const builder = left.builder
    const joinName = builder.nameFor('interval-join', name)
    const leftStore = `${joinName}-left-store`
    const rightStore = `${joinName}-right-store`
    const details = `beforeMs: ${beforeMs}, afterMs: ${afterMs}`
    for (const side of ['left', 'right'] as const) {
      const from = side === 'left' ? left : right
      const ownStore = side === 'left' ? leftStore : rightStore
      const otherStore = side === 'left' ? rightStore : leftStore
      builder.add({
        name: `${joinName}-${side}`,
        kind: 'interval-join-side',
        role: 'processor',
        inputs: [{ node: from.node, output: from.output }],
        outputs: [MAIN_OUTPUT, LATE_OUTPUT],
        ownedStores: [{ name: ownStore, kind: 'join-buffer', format: 'json' }],
        // Each side scans the other's buffer; the topology checks at build that both stores exist.
        usedStores: [otherStore],
        details: `${side}; ${details}`,
        create: () =>
          new IntervalJoinSideOperator<T, U, R, K>({
            side,
            ownStore,
            otherStore,
            beforeMs,
            afterMs,
            join: joiner,
          }) as Operator<unknown, unknown>,
      })
    }
    const merged = addMerge(
      builder,
      [
        { node: `${joinName}-left`, output: MAIN_OUTPUT },
        { node: `${joinName}-right`, output: MAIN_OUTPUT },
      ],
      joinName,
    )
    return new LateAwareStream({
      ...merged,
      late: [
        { node: `${joinName}-left`, output: LATE_OUTPUT },
        { node: `${joinName}-right`, output: LATE_OUTPUT },
      ],
    })
  }

  #tableJoin<V, R>(
    table: Table<K, V>,
    joiner: (value: T, tableValue: V | undefined, key: K) => R,
    left: boolean,
    options: NameOption,
  ): KeyedStream<K, R> {
    const where = left ? 'leftJoin' : 'join'
    const { name } = resolveName(where, options)
    requireFunction(where, 'joiner', joiner)
    const from = handleOf(this, where)
    const tableHandle = handleOf(table, where)
    sameBuilder(from, tableHandle, where)
    const store = tableStoreOf(table)
    const handle = addProcessor(
      from,
      'stream-table-join',
      name,
      () =>
        new StreamTableJoinOperator<T, V, R, K>({
          tableStore: store.name,
          join: joiner,
          left,
          serde: store.serde,
        }) as Operator<unknown, unknown>,
      { details: `${left ? 'left' : 'inner'} join with table ${tableHandle.node}`, usedStores: [store.name] },
    )
    return new KeyedStream(handle)
  }
}

/**
 * A keyed result with a side output: `late()` gives the records that arrived after the windows (or
 * join intervals) they belonged to had closed, with `lateByMs`, the window and their provenance.
 */
export class LateAwareStream<K, V, L> extends KeyedStream<K, V> {
  late(): KeyedStream<K, LateRecord<L, K>> {
    const handle = handleOf(this, 'late')
    const inputs = handle.late ?? []
    if (inputs.length === 1) return new KeyedStream({ builder: handle.builder, ...(inputs[0] as NodeInput) })
    // Several sides (an interval join): one merge node, made on first use and shared after.
    let merged = handle.builder.lateMerges.get(handle.node)
    if (merged === undefined) {
      const made = addMerge(handle.builder, inputs, `${handle.node}-late`)
      merged = { node: made.node, output: made.output }
      handle.builder.lateMerges.set(handle.node, merged)
    }
    return new KeyedStream({ builder: handle.builder, ...merged })
  }
}

/** A table: the latest value per key of a (compacted) topic, for stream-table joins. */
export class Table<K, V> {
  /** Carries K and V through the type system. */
  declare readonly __types?: (key: K, value: V) => [K, V]
  /** Tells a table from a global table to the type system. */
  declare readonly __kind?: 'table'

  /** Made by `pipeline().table(...)`. */
  constructor(handle: StreamHandle, store: { name: string; serde?: ValueSerde<V> | undefined }) {
    attachHandle(this, handle)
    tableStores.set(this, store as { name: string; serde?: ValueSerde<unknown> | undefined })
  }
}

/**
 * A global table: the latest value per key of a topic, every partition of it in every worker, for
 * joins that map each stream record to a table key (`join(globalTable, keySelector, joiner)`).
 */
export class GlobalTable<K, V> {
  /** Carries K and V through the type system. */
  declare readonly __types?: (key: K, value: V) => [K, V]
  /** Tells a global table from a table to the type system. */
  declare readonly __kind?: 'global-table'

  /** Made by `pipeline().globalTable(...)`. */
  constructor(handle: StreamHandle, store: { name: string; serde?: ValueSerde<V> | undefined }) {
    attachHandle(this, handle)
    globalTableStores.set(this, store as { name: string; serde?: ValueSerde<unknown> | undefined })
  }
}

const tableStores = new WeakMap<object, { name: string; serde?: ValueSerde<unknown> | undefined }>()
const globalTableStores = new WeakMap<object, { name: string; serde?: ValueSerde<unknown> | undefined }>()

function isGlobalTable(table: unknown): table is GlobalTable<unknown, unknown> {
  return typeof table === 'object' && table !== null && globalTableStores.has(table)
}

/** A join with a global table: no co-partitioning, the key selector picks the table key. */
function globalJoinHandle(
  stream: object,
  table: unknown,
  keySelector: unknown,
  joiner: unknown,
  left: boolean,
  options: NameOption,
): StreamHandle {
  const where = left ? 'leftJoin' : 'join'
  const { name } = resolveName(where, options)
  const store = isGlobalTable(table) ? globalTableStores.get(table) : undefined
  if (store === undefined) {
    throw new FreshetError(
      'TOPOLOGY_INVALID',
      `${where}: expected a global table made by pipeline().globalTable(); a table made by pipeline().table() joins a keyed stream by its key`,
    )
  }
  requireFunction(where, 'keySelector', keySelector)
  requireFunction(where, 'joiner', joiner)
  const from = handleOf(stream, where)
  const tableHandle = handleOf(table as object, where)
  sameBuilder(from, tableHandle, where)
  return addProcessor(
    from,
    'global-table-join',
    name,
    () =>
      new StreamTableJoinOperator<unknown, unknown, unknown, unknown>({
        tableStore: store.name,
        join: joiner as (value: unknown, tableValue: unknown, key: unknown) => unknown,
        left,
        serde: store.serde,
        tableKey: keySelector as (value: unknown, key: unknown) => unknown,
      }) as Operator<unknown, unknown>,
    {
      details: `${left ? 'left' : 'inner'} join with global table ${tableHandle.node}`,
      usedStores: [store.name],
    },
  )
}

function tableStoreOf<K, V>(table: Table<K, V>): { name: string; serde?: ValueSerde<V> | undefined } {
  const store = tableStores.get(table)
  if (store === undefined)
    throw new FreshetError('TOPOLOGY_INVALID', 'join: expected a table made by pipeline().table()')
  return store as { name: string; serde?: ValueSerde<V> | undefined }
}

function filterHandle<T, K>(
  stream: Stream<T>,
  predicate: (value: T, key: K) => boolean,
  options: NameOption,
): StreamHandle {
  const { name } = resolveName('filter', options)
  requireFunction('filter', 'predicate', predicate)
  return addProcessor(
    handleOf(stream, 'filter'),
    'filter',
    name,
    () => new FilterOperator(predicate) as Operator<unknown, unknown>,
  )
}

function mapHandle<T, U, K>(
  stream: Stream<T>,
  fn: (value: T, key: K) => U,
  options: NameOption,
): StreamHandle {
  const { name } = resolveName('map', options)
  requireFunction('map', 'fn', fn)
  return addProcessor(
    handleOf(stream, 'map'),
    'map',
    name,
    () => new MapOperator(fn) as Operator<unknown, unknown>,
  )
}

function flatMapHandle<T, U, K>(
  stream: Stream<T>,
  fn: (value: T, key: K) => Iterable<U>,
  options: NameOption,
): StreamHandle {
  const { name } = resolveName('flatMap', options)
  requireFunction('flatMap', 'fn', fn)
  return addProcessor(
    handleOf(stream, 'flatMap'),
    'flat-map',
    name,
    () => new FlatMapOperator(fn) as Operator<unknown, unknown>,
  )
}

function peekHandle<T, K>(
  stream: Stream<T>,
  fn: (value: T, key: K, timestampMs: number) => void,
  options: NameOption,
): StreamHandle {
  const { name } = resolveName('peek', options)
  requireFunction('peek', 'fn', fn)
  return addProcessor(
    handleOf(stream, 'peek'),
    'peek',
    name,
    () => new PeekOperator(fn) as Operator<unknown, unknown>,
  )
}

function branchHandles<T, K>(
  stream: Stream<T>,
  branches: Record<string, (value: T, key: K) => boolean>,
  options: NameOption,
): Record<string, StreamHandle> {
  const { name } = resolveName('branch', options)
  const names = branchNames('branch', branches)
  const predicates = names.map((n) => [n, branches[n] as (value: T, key: K) => boolean] as const)
  const handle = addProcessor(
    handleOf(stream, 'branch'),
    'branch',
    name,
    () => new BranchOperator(predicates) as Operator<unknown, unknown>,
    { outputs: [...names, DEFAULT_BRANCH], details: `branches: ${[...names, DEFAULT_BRANCH].join(', ')}` },
  )
  return Object.fromEntries([...names, DEFAULT_BRANCH].map((n) => [n, { ...handle, output: n }]))
}

function mergeHandle<T, U>(stream: Stream<T>, other: Stream<U>, options: NameOption): StreamHandle {
  const { name } = resolveName('merge', options)
  const a = handleOf(stream, 'merge')
  const b = handleOf(other, 'merge')
  sameBuilder(a, b, 'merge')
  return addMerge(
    a.builder,
    [
      { node: a.node, output: a.output },
      { node: b.node, output: b.output },
    ],
    name,
  )
}

function keyByHandle<T, K, K2>(
  stream: Stream<T>,
  selectKey: (value: T, key: K) => K2,
  options: KeyByOptions,
): StreamHandle {
  const { name, partitions } = resolveKeyByOptions(options)
  requireFunction('keyBy', 'selectKey', selectKey)
  const from = handleOf(stream, 'keyBy')
  const builder = from.builder
  const keyed = addProcessor(
    from,
    'key-by',
    name,
    () => new KeyByOperator(selectKey) as Operator<unknown, unknown>,
  )
  const topic = repartitionTopic(builder.applicationId, keyed.node)
  builder.add({
    name: `${keyed.node}-repartition-sink`,
    kind: 'repartition-sink',
    role: 'sink',
    inputs: [{ node: keyed.node, output: MAIN_OUTPUT }],
    outputs: [],
    ownedStores: [],
    usedStores: [],
    topic,
    details: partitions === undefined ? '' : `partitions: ${partitions}`,
    create: () => new SinkOperator(topic) as Operator<unknown, unknown>,
    sink: { kind: 'repartition', partitions },
  })
  const source = builder.add({
    name: `${keyed.node}-repartition-source`,
    kind: 'repartition-source',
    role: 'source',
    inputs: [],
    outputs: [MAIN_OUTPUT],
    ownedStores: [],
    usedStores: [],
    topic,
    details: '',
    create: () => new PassThroughOperator() as Operator<unknown, unknown>,
    source: { kind: 'repartition', timestamp: fromRecordTimestamp() },
  })
  return { builder, node: source.name, output: MAIN_OUTPUT }
}

function sinkHandle<T>(stream: Stream<T>, topic: string, options: SinkOptions<T>): void {
  checkTopic('to', topic)
  const { name, serde, schema, recordTimestamp } = resolveSinkOptions<T>(options)
  const from = handleOf(stream, 'to')
  const builder = from.builder
  builder.add({
    name: name ?? builder.freeName(`sink-${topic}`),
    kind: 'sink',
    role: 'sink',
    inputs: [{ node: from.node, output: from.output }],
    outputs: [],
    ownedStores: [],
    usedStores: [],
    topic,
    details: [
      serde !== undefined
        ? `serde: ${serde.constructor.name}`
        : schema !== undefined
          ? `schema: ${schema.name}`
          : '',
      recordTimestamp === 'processing-time' ? 'record timestamp: processing time' : '',
    ]
      .filter((part) => part !== '')
      .join('; '),
    create: () => new SinkOperator(topic) as Operator<unknown, unknown>,
    sink: {
      kind: 'sink',
      serde: serde as SinkOptions<unknown>['serde'],
      schema: schema as SinkOptions<unknown>['schema'],
      recordTimestamp,
    },
  })
}
