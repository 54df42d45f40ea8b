/**
 * A user function with key-value state: the escape hatch for logic no built-in operator covers.
 * Each store is reached through a typed handle (`get`, `put`, `delete` by key) whose values are
 * encoded with the store's serde, JSON by default.
 */
import { jsonSerde, type ValueSerde } from './serde.ts'
import type { OperatorStore } from './store.ts'
import type { Keyed, Operator, OperatorContext, Provenance } from './types.ts'

/** Declares a key-value store for `process`: `{ stores: { seen: valueStore<number>() } }`. */
export interface StoreSpec<V> {
  readonly kind: 'key-value'
  readonly serde: ValueSerde<V>
}

export function valueStore<V>(options: { serde?: ValueSerde<V> } = {}): StoreSpec<V> {
  return { kind: 'key-value', serde: options.serde ?? jsonSerde<V>() }
}

/** Typed access to one store, by key. */
export interface StateHandle<K, V> {
  get(key: K): V | undefined
  put(key: K, value: V): void
  delete(key: K): void
}

export type StoreSpecs = Readonly<Record<string, StoreSpec<unknown>>>

export type StateHandles<K, S> = {
  readonly [N in keyof S]: S[N] extends StoreSpec<infer V> ? StateHandle<K, V> : never
}

export interface ProcessRecord<K, T> {
  readonly key: K
  readonly value: T
  readonly timestampMs: number
  readonly source?: Provenance | undefined
}

export interface ProcessContext<K, S> {
  readonly stores: StateHandles<K, S>
  /** The operator's watermark when the record arrived. */
  readonly watermarkMs: number
}

export interface ProcessConfig<K, T, R> {
  readonly stores: Readonly<Record<string, StoreSpec<unknown>>>
  /** Returns the output value, or `undefined` for none; with `expand`, an iterable of values. */
  readonly fn: (record: ProcessRecord<K, T>, context: ProcessContext<K, StoreSpecs>) => unknown
  readonly expand: boolean
  readonly __output?: R
}

function handle<K, V>(store: OperatorStore, serde: ValueSerde<V>): StateHandle<K, V> {
  const keyOf = (key: K): Buffer => Buffer.from(JSON.stringify(key) ?? 'null')
  return {
    get(key) {
      const bytes = store.get(keyOf(key))
      return bytes === undefined ? undefined : serde.decode(bytes)
    },
    put(key, value) {
      store.put(keyOf(key), serde.encode(value))
    },
    delete(key) {
      store.delete(keyOf(key))
    },
  }
}

export class ProcessOperator<K, T, R> implements Operator<T, R> {
  readonly #config: ProcessConfig<K, T, R>
  #context!: OperatorContext<R>
  readonly #processContext: { stores: Record<string, StateHandle<K, unknown>>; watermarkMs: number } = {
    stores: {},
    watermarkMs: -Infinity,
  }

  constructor(config: ProcessConfig<K, T, R>) {
    this.#config = config
  }

  open(context: OperatorContext<R>): void {
    this.#context = context
    const stores: Record<string, StateHandle<K, unknown>> = {}
    for (const [name, spec] of Object.entries(this.#config.stores)) {
      stores[name] = handle<K, unknown>(context.store(name), spec.serde)
    }
    this.#processContext.stores = stores
  }

  process(record: Keyed<T>, timestampMs: number): void {
    const input: ProcessRecord<K, T> = {
      key: record.key as K,
      value: record.value,
      timestampMs,
      source: record.source,
    }
    const out = this.#config.fn(input, this.#processContext as ProcessContext<K, StoreSpecs>)
    if (out === undefined) return
    if (!this.#config.expand) {
      this.#context.forward({ key: record.key, value: out as R, source: record.source }, timestampMs)
      return
    }
    for (const value of out as Iterable<R>) {
      this.#context.forward({ key: record.key, value, source: record.source }, timestampMs)
    }
  }

  onWatermark(watermarkMs: number): void {
    if (watermarkMs > this.#processContext.watermarkMs) this.#processContext.watermarkMs = watermarkMs
  }

  onCommit(): void {}

  close(): void {}
}
