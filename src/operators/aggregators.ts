/**
 * Aggregators: how a window folds its records into one value. `add` may return a new accumulator or
 * the one it was given, changed. `merge` combines the accumulators of two sessions that a record
 * bridged; session windows require it. `result` turns the accumulator into what is emitted.
 *
 * The built-in ones keep their accumulators as small as JSON allows (`[count, sum]` rather than an
 * object with field names), since every window of every key holds one.
 */

export interface Aggregator<T, A, R = A, K = unknown> {
  init(): A
  add(accumulator: A, value: T, key: K): A
  merge?: ((a: A, b: A) => A) | undefined
  result?: ((accumulator: A) => R) | undefined
  /**
   * `merge(a, b)` gives what adding the records of `a` and then those of `b` one by one would, for
   * any split of the records and whatever their order, without changing `a` or `b`. Then freshet
   * may fold each task's records into partial accumulators before a repartition and merge the
   * partials after it. Leave it unset when the result depends on the order of the records.
   */
  combinable?: boolean | undefined
}

export function countAggregator(): Aggregator<unknown, number, number> {
  return {
    init: () => 0,
    add: (count) => count + 1,
    merge: (a, b) => a + b,
    combinable: true,
  }
}

export function sumAggregator<T>(select: (value: T) => number): Aggregator<T, number, number> {
  return {
    init: () => 0,
    add: (sum, value) => sum + select(value),
    merge: (a, b) => a + b,
    combinable: true,
  }
}

/** Smallest (or largest) selected value; `null` only while no record has been added. */
export function extremumAggregator<T>(
  select: (value: T) => number,
  which: 'min' | 'max',
): Aggregator<T, number | null, number> {
  const better = which === 'min' ? (a: number, b: number) => a < b : (a: number, b: number) => a > b
  const pick = (a: number | null, b: number | null): number | null => {
    if (a === null) return b
    if (b === null) return a
    return better(b, a) ? b : a
  }
  return {
    init: () => null,
    add: (current, value) => pick(current, select(value)),
    merge: pick,
    combinable: true,
    // A window exists only once a record was added to it, so the accumulator is a number here.
    result: (current) => current as number,
  }
}

/** `[count, sum]`: mean of the selected values. */
export function avgAggregator<T>(select: (value: T) => number): Aggregator<T, [number, number], number> {
  return {
    init: () => [0, 0],
    add: (acc, value) => [acc[0] + 1, acc[1] + select(value)],
    merge: (a, b) => [a[0] + b[0], a[1] + b[1]],
    combinable: true,
    result: (acc) => acc[1] / acc[0],
  }
}

/**
 * Number of distinct selected values (compared by their JSON text). Exact, so the accumulator holds
 * every distinct value: it grows with the number of distinct values per window.
 */
export function distinctCountAggregator<T>(select: (value: T) => unknown): Aggregator<T, string[], number> {
  const insert = (seen: string[], id: string): string[] => {
    const at = lowerBound(seen, id)
    if (seen[at] !== id) seen.splice(at, 0, id)
    return seen
  }
  return {
    init: () => [],
    add: (seen, value) => insert(seen, JSON.stringify(select(value)) ?? 'undefined'),
    merge: (a, b) => b.reduce(insert, [...a]),
    combinable: true,
    result: (seen) => seen.length,
  }
}

export interface TopNOptions<T> {
  /** The score to rank by. */
  by: (value: T) => number
  /** Highest scores first (the default) or lowest first. */
  descending?: boolean
  /**
   * Identity of a value: a later value with the same identity replaces the earlier one instead of
   * taking a second place (for ranking results that are updated, such as counts per user).
   */
  id?: (value: T) => unknown
}

/**
 * The `n` best values by score. Equal scores are ordered by the values' JSON text, so the result
 * does not depend on the order records arrived in.
 */
export function topNAggregator<T>(n: number, options: TopNOptions<T>): Aggregator<T, T[], T[]> {
  const { by, descending = true, id } = options
  const sign = descending ? -1 : 1
  const compare = (a: T, b: T): number => {
    const diff = sign * (by(a) - by(b))
    if (diff !== 0) return diff
    const ja = JSON.stringify(a) ?? ''
    const jb = JSON.stringify(b) ?? ''
    return ja < jb ? -1 : ja > jb ? 1 : 0
  }
  const identity = id === undefined ? undefined : (value: T) => JSON.stringify(id(value))
  const insert = (ranked: T[], value: T): T[] => {
    if (identity !== undefined) {
      const wanted = identity(value)
      const at = ranked.findIndex((other) => identity(other) === wanted)
      if (at >= 0) ranked.splice(at, 1)
    }
    let at = ranked.length
    while (at > 0 && compare(value, ranked[at - 1] as T) < 0) at--
    if (at >= n) return ranked
    ranked.splice(at, 0, value)
    if (ranked.length > n) ranked.length = n
    return ranked
  }
  return {
    init: () => [],
    add: insert,
    merge: (a, b) => b.reduce(insert, [...a]),
  }
}

function lowerBound(sorted: readonly string[], id: string): number {
  let lo = 0
  let hi = sorted.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if ((sorted[mid] as string) < id) lo = mid + 1
    else hi = mid
  }
  return lo
}
