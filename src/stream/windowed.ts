/**
 * A keyed stream grouped into windows, waiting for an aggregation. Every aggregation gives a keyed
 * stream of `WindowResult`s, emitted as the window's definition says (`final` or `updates`), with the
 * records that came too late on `late()`.
 */
import { FreshetError } from '../errors/index.ts'
import {
  avgAggregator,
  countAggregator,
  distinctCountAggregator,
  extremumAggregator,
  jsonSerde,
  LATE_OUTPUT,
  MAIN_OUTPUT,
  sumAggregator,
  topNAggregator,
  WindowAggregateOperator,
  type Aggregator,
  type Operator,
  type TopNOptions,
  type ValueSerde,
  type WindowResult,
  WindowCombineOperator,
} from '../operators/index.ts'
import type { CumulatingWindows, SessionWindows, TimeWindows } from '../windows/index.ts'
import type { StreamHandle } from './builder.ts'
import {
  requireFunction,
  resolveAggregateOptions,
  resolveName,
  resolveTopNOptions,
  type AggregateOptions,
  type NameOption,
} from './options.ts'
import { LateAwareStream } from './stream.ts'

/** Session windows combine the accumulators of the sessions a record bridges, so they need `merge`. */
export type AggregatorFor<W, T, A, R, K> = W extends SessionWindows
  ? Aggregator<T, A, R, K> & { merge: (a: A, b: A) => A }
  : Aggregator<T, A, R, K>

/** Results of a windowed aggregation: per key and window, with the late records on `late()`. */
export type WindowedResults<K, T, R> = LateAwareStream<K, WindowResult<K, R>, T>

export class WindowedStream<K, T, W extends TimeWindows | CumulatingWindows | SessionWindows> {
  readonly windows: W
  readonly #from: StreamHandle

  /** Made by `KeyedStream.window(...)`. */
  constructor(from: StreamHandle, windows: W) {
    this.#from = from
    this.windows = windows
  }

  /**
   * Folds the records of each key and window: `init()` starts an accumulator, `add` adds a record,
   * `merge` combines two (required for sessions), `result` turns it into the emitted value.
   */
  aggregate<A, R = A>(
    aggregator: AggregatorFor<W, T, A, R, K>,
    options: AggregateOptions<A> = {},
  ): WindowedResults<K, T, R> {
    const { name, serde } = resolveAggregateOptions<A>('aggregate', options)
    const spec = aggregator as Aggregator<T, A, R, K>
    if (spec === null || typeof spec !== 'object') {
      throw new FreshetError('INVALID_OPTION', 'aggregate: expected { init, add, merge?, result? }')
    }
    requireFunction('aggregate', 'init', spec.init)
    requireFunction('aggregate', 'add', spec.add)
    if (spec.merge !== undefined) requireFunction('aggregate', 'merge', spec.merge)
    if (spec.result !== undefined) requireFunction('aggregate', 'result', spec.result)
    if (spec.combinable !== undefined && typeof spec.combinable !== 'boolean') {
      throw new FreshetError('INVALID_OPTION', 'aggregate: combinable must be a boolean', {
        details: { option: 'combinable' },
      })
    }
    if (spec.combinable === true && spec.merge === undefined) {
      throw new FreshetError('INVALID_OPTION', 'aggregate: combinable needs merge(a, b)', {
        details: { option: 'merge' },
      })
    }
    if (this.windows.kind === 'session' && spec.merge === undefined) {
      throw new FreshetError(
        'INVALID_OPTION',
        'aggregate: session windows need merge(a, b), to combine the sessions that a record bridges',
        { details: { option: 'merge' } },
      )
    }
    return this.#add('aggregate', name, spec, serde ?? jsonSerde<A>())
  }

  /** Records per key and window. */
  count(options: NameOption = {}): WindowedResults<K, T, number> {
    const { name } = resolveName('count', options)
    return this.#add('count', name, countAggregator() as Aggregator<T, number, number, K>, jsonSerde())
  }

  sum(select: (value: T) => number, options: NameOption = {}): WindowedResults<K, T, number> {
    const { name } = resolveName('sum', options)
    requireFunction('sum', 'select', select)
    return this.#add('sum', name, sumAggregator(select) as Aggregator<T, number, number, K>, jsonSerde())
  }

  min(select: (value: T) => number, options: NameOption = {}): WindowedResults<K, T, number> {
    const { name } = resolveName('min', options)
    requireFunction('min', 'select', select)
    return this.#add(
      'min',
      name,
      extremumAggregator(select, 'min') as Aggregator<T, number | null, number, K>,
      jsonSerde(),
    )
  }

  max(select: (value: T) => number, options: NameOption = {}): WindowedResults<K, T, number> {
    const { name } = resolveName('max', options)
    requireFunction('max', 'select', select)
    return this.#add(
      'max',
      name,
      extremumAggregator(select, 'max') as Aggregator<T, number | null, number, K>,
      jsonSerde(),
    )
  }

  /** Mean of the selected values (state `[count, sum]`). */
  avg(select: (value: T) => number, options: NameOption = {}): WindowedResults<K, T, number> {
    const { name } = resolveName('avg', options)
    requireFunction('avg', 'select', select)
    return this.#add(
      'avg',
      name,
      avgAggregator(select) as Aggregator<T, [number, number], number, K>,
      jsonSerde(),
    )
  }

  /** Number of distinct selected values (exact: the state holds each distinct value). */
  distinctCount(select: (value: T) => unknown, options: NameOption = {}): WindowedResults<K, T, number> {
    const { name } = resolveName('distinctCount', options)
    requireFunction('distinctCount', 'select', select)
    return this.#add(
      'distinct-count',
      name,
      distinctCountAggregator(select) as Aggregator<T, string[], number, K>,
      jsonSerde(),
    )
  }

  /** The `n` records with the highest (or, with `descending: false`, lowest) `by` per key and window. */
  topN(n: number, options: TopNOptions<T> & NameOption): WindowedResults<K, T, T[]> {
    if (!Number.isSafeInteger(n) || n < 1) {
      throw new FreshetError('INVALID_OPTION', `topN: n must be an integer >= 1, got ${String(n)}`, {
        details: { option: 'n', expected: 'an integer >= 1' },
      })
    }
    const { name, ...rest } = resolveTopNOptions<T>(options)
    return this.#add('top-n', name, topNAggregator(n, rest) as Aggregator<T, T[], T[], K>, jsonSerde())
  }

  #add<A, R>(
    kind: string,
    name: string | undefined,
    aggregator: Aggregator<T, A, R, K>,
    serde: ValueSerde<A>,
  ): WindowedResults<K, T, R> {
    const from = this.#from
    const builder = from.builder
    const windows = this.windows
    const nodeName = builder.nameFor(kind, name)
    const store = `${nodeName}-store`
    builder.add({
      name: nodeName,
      kind: 'window-aggregate',
      role: 'processor',
      inputs: [{ node: from.node, output: from.output }],
      outputs: [MAIN_OUTPUT, LATE_OUTPUT],
      ownedStores: [
        { name: store, kind: windows.kind === 'session' ? 'session' : 'window', format: serde.format },
      ],
      usedStores: [],
      details: describeWindows(windows),
      create: () =>
        new WindowAggregateOperator<T, K, A, R>({ windows, aggregator, store, serde }) as Operator<
          unknown,
          unknown
        >,
      combiner:
        windows.kind !== 'session' && windows.emit === 'final' && aggregator.combinable === true
          ? () =>
              new WindowCombineOperator<T, K, A>({ windows, aggregator, serde }) as Operator<unknown, unknown>
          : undefined,
    })
    return new LateAwareStream({
      builder,
      node: nodeName,
      output: MAIN_OUTPUT,
      late: [{ node: nodeName, output: LATE_OUTPUT }],
    })
  }
}

function describeWindows(windows: TimeWindows | CumulatingWindows | SessionWindows): string {
  const tail = `graceMs: ${windows.graceMs}, emit: ${windows.emit}`
  if (windows.kind === 'session') return `session gapMs: ${windows.gapMs}, ${tail}`
  if (windows.kind === 'cumulating')
    return `cumulating sizeMs: ${windows.sizeMs}, stepMs: ${windows.stepMs}, ${tail}`
  if (windows.kind === 'tumbling') return `tumbling sizeMs: ${windows.sizeMs}, ${tail}`
  return `hopping sizeMs: ${windows.sizeMs}, advanceMs: ${windows.advanceMs}, ${tail}`
}
