/**
 * Operators without state: they look at one record at a time and forward zero or more records.
 * User functions receive the value and the key; the event time and provenance pass through.
 */
import { requireKey } from './serde.ts'
import type { Keyed, Operator, OperatorContext } from './types.ts'

/** The shared lifecycle of operators that keep nothing: no state, nothing to do on watermarks. */
abstract class Stateless<In, Out> implements Operator<In, Out> {
  protected context!: OperatorContext<Out>

  open(context: OperatorContext<Out>): void {
    this.context = context
  }

  abstract process(record: Keyed<In>, timestampMs: number): void

  onWatermark(): void {}

  onCommit(): void {}

  close(): void {}
}

/** Forwards every record unchanged: sources, and merges of several streams. */
export class PassThroughOperator<T> extends Stateless<T, T> {
  process(record: Keyed<T>, timestampMs: number): void {
    this.context.forward(record, timestampMs)
  }
}

export class FilterOperator<T, K> extends Stateless<T, T> {
  readonly #predicate: (value: T, key: K) => boolean

  constructor(predicate: (value: T, key: K) => boolean) {
    super()
    this.#predicate = predicate
  }

  process(record: Keyed<T>, timestampMs: number): void {
    if (this.#predicate(record.value, record.key as K)) this.context.forward(record, timestampMs)
  }
}

export class MapOperator<T, U, K> extends Stateless<T, U> {
  readonly #map: (value: T, key: K) => U

  constructor(map: (value: T, key: K) => U) {
    super()
    this.#map = map
  }

  process(record: Keyed<T>, timestampMs: number): void {
    const value = this.#map(record.value, record.key as K)
    this.context.forward({ key: record.key, value, source: record.source }, timestampMs)
  }
}

export class FlatMapOperator<T, U, K> extends Stateless<T, U> {
  readonly #flatMap: (value: T, key: K) => Iterable<U>

  constructor(flatMap: (value: T, key: K) => Iterable<U>) {
    super()
    this.#flatMap = flatMap
  }

  process(record: Keyed<T>, timestampMs: number): void {
    for (const value of this.#flatMap(record.value, record.key as K)) {
      this.context.forward({ key: record.key, value, source: record.source }, timestampMs)
    }
  }
}

export class PeekOperator<T, K> extends Stateless<T, T> {
  readonly #peek: (value: T, key: K, timestampMs: number) => void

  constructor(peek: (value: T, key: K, timestampMs: number) => void) {
    super()
    this.#peek = peek
  }

  process(record: Keyed<T>, timestampMs: number): void {
    this.#peek(record.value, record.key as K, timestampMs)
    this.context.forward(record, timestampMs)
  }
}

/** Sends each record to the first branch whose predicate holds, or to `default`. */
export class BranchOperator<T, K> extends Stateless<T, T> {
  readonly #branches: ReadonlyArray<readonly [string, (value: T, key: K) => boolean]>

  constructor(branches: ReadonlyArray<readonly [string, (value: T, key: K) => boolean]>) {
    super()
    this.#branches = branches
  }

  process(record: Keyed<T>, timestampMs: number): void {
    for (const [name, predicate] of this.#branches) {
      if (predicate(record.value, record.key as K)) {
        this.context.forwardTo(name, record, timestampMs)
        return
      }
    }
    this.context.forwardTo(DEFAULT_BRANCH, record, timestampMs)
  }
}

export const DEFAULT_BRANCH = 'default'

/** Replaces the key; the topology follows it with a repartition topic. */
export class KeyByOperator<T, K, K2> extends Stateless<T, T> {
  readonly #selectKey: (value: T, key: K) => K2

  constructor(selectKey: (value: T, key: K) => K2) {
    super()
    this.#selectKey = selectKey
  }

  process(record: Keyed<T>, timestampMs: number): void {
    const keyed = {
      key: this.#selectKey(record.value, record.key as K),
      value: record.value,
      source: record.source,
    }
    // Everything after a keyBy keeps state per key: a record the key function gives no key is bad
    // input here, where the function that failed to give one is named.
    requireKey(keyed, this.context.operator)
    this.context.forward(keyed, timestampMs)
  }
}

/** Writes every record to a topic; the record's event time becomes the Kafka record timestamp. */
export class SinkOperator<T> extends Stateless<T, never> {
  readonly #topic: string

  constructor(topic: string) {
    super()
    this.#topic = topic
  }

  process(record: Keyed<T>, timestampMs: number): void {
    this.context.send(this.#topic, record, timestampMs)
  }
}
