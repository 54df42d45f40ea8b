/**
 * Window Top-N, Flink's shape of it:
 *
 *   SELECT ... FROM (
 *     SELECT *, ROW_NUMBER() OVER (PARTITION BY window_start, window_end [, k...]
 *                                  ORDER BY c [DESC] [, ...]) AS rn
 *     FROM <a window aggregation>
 *   ) WHERE rn <= N
 *
 * The rows of one window and partition meet under one key (a repartition topic), in a window of
 * one millisecond at their event time (window_time: every row of a window has it), and the node
 * keeps the N first in the ORDER BY order; when the window closes, they go on numbered 1..N. The
 * watermark closes it only once every upstream task has sent its rows of that window.
 *
 * Deduplication is the same shape over rows with a time attribute, ordered by it ascending and
 * `WHERE rn = 1` (Flink's "keep first row" on rowtime, insert-only in Flink 2.2): each partition's
 * earliest row, emitted once the watermark passes it. Its rows keep their time attribute.
 *
 *   1. Recognize the shape; anything else with ROW_NUMBER() OVER is refused by the caller.
 *   2. Plan the inner FROM and WHERE; check PARTITION BY has window_start and window_end, or that
 *      it is a deduplication.
 *   3. keyBy the partition, 1 ms windows, one aggregate keeping the N first rows (as plain objects).
 *      A deduplication keeps the first row of each millisecond and then, in a store per partition
 *      key, only the first millisecond's: the windows of one key close in time order.
 *   4. Number them (the rn column), then the inner SELECT list and the outer query over them.
 */
import type { Expr, OrderItem, OverExpr, SelectItem, SelectQuery, SqlType } from '../ast.ts'
import { sqlInvalid, sqlUnsupported } from '../errors.ts'
import type { Row } from '../expr/types.ts'
import { valueStore } from '../../operators/index.ts'
import { tumbling } from '../../windows/index.ts'
import { applyWhere, compileIn, planFromItem, project, type QueryContext } from './query.ts'
import { WINDOW_END, WINDOW_START, type Relation } from './relation.ts'
import { objectColumns, rowObject } from './scope.ts'
import { encodeKey } from './window.ts'

const BIGINT_NOT_NULL: SqlType = { kind: 'BIGINT', nullable: false }

/** The parts of a Top-N query, when the outer query has its shape. */
export interface TopNShape {
  readonly inner: SelectQuery
  readonly over: OverExpr
  /** The alias of ROW_NUMBER() in the inner query. */
  readonly rank: string
  readonly limit: number
}

/** Step 1: `SELECT ... FROM (SELECT ..., ROW_NUMBER() OVER (...) AS rn FROM ...) WHERE rn <= N`. */
export function matchTopN(query: SelectQuery, file: string): TopNShape | undefined {
  const from = query.from
  if (from?.kind !== 'subquery' || from.query.kind !== 'select') return undefined
  const inner = from.query
  const overs = inner.items.flatMap((item) =>
    item.kind === 'expr' && item.expr.kind === 'over' ? [{ item, over: item.expr }] : [],
  )
  if (overs.length !== 1) return undefined
  const { item, over } = overs[0]!
  if (over.call.name !== 'ROW_NUMBER') {
    throw sqlUnsupported(file, over.at, `${over.call.name}() OVER (an OVER aggregation)`)
  }
  const rank = item.kind === 'expr' ? item.alias : undefined
  if (rank === undefined) throw sqlInvalid(file, over.at, 'ROW_NUMBER() OVER (...) needs an alias (AS rn)')
  const limit = query.where === undefined ? undefined : rankLimit(query.where, rank)
  if (limit === undefined) {
    throw sqlUnsupported(
      file,
      query.where?.at ?? query.at,
      'ROW_NUMBER() OVER without an outer `WHERE rn <= N` (or `rn < N`, `rn = 1`) alone',
    )
  }
  return { inner, over, rank, limit }
}

/** N of `rn <= N`, `rn < N + 1`, `rn = 1` (and the same with the sides swapped). */
function rankLimit(where: Expr, rank: string): number | undefined {
  if (where.kind !== 'binary') return undefined
  const { op, left, right } = where
  const isRank = (e: Expr): boolean => e.kind === 'column' && e.name === rank && e.qualifier === undefined
  const int = (e: Expr): number | undefined =>
    e.kind === 'literal' && typeof e.value === 'number' && Number.isInteger(e.value) ? e.value : undefined
  let n: number | undefined
  if (isRank(left) && int(right) !== undefined) {
    const v = int(right)!
    n = op === '<=' ? v : op === '<' ? v - 1 : op === '=' && v === 1 ? 1 : undefined
  } else if (isRank(right) && int(left) !== undefined) {
    const v = int(left)!
    n = op === '>=' ? v : op === '>' ? v - 1 : op === '=' && v === 1 ? 1 : undefined
  }
  return n !== undefined && n >= 1 ? n : undefined
}

export function planTopN(query: SelectQuery, shape: TopNShape, context: QueryContext): Relation {
  const { file } = context
  const { inner, over, rank, limit } = shape
  // Step 2
  if (inner.from === undefined) throw sqlUnsupported(file, inner.at, 'SELECT without FROM')
  if (inner.groupBy.length > 0 || inner.having !== undefined) {
    throw sqlUnsupported(
      file,
      inner.at,
      'ROW_NUMBER() OVER in an aggregating query',
      'aggregate in a subquery below it',
    )
  }
  const input = applyWhere(planFromItem(inner.from, context), inner.where, context)
  if (input.windows !== undefined) {
    throw sqlUnsupported(
      file,
      over.at,
      'Top-N straight over a window TVF',
      'rank the rows of a window aggregation',
    )
  }
  const partition = over.partitionBy
  const named = new Set(partition.flatMap((e) => (e.kind === 'column' ? [e.name] : [])))
  if (over.orderBy.length === 0) throw sqlInvalid(file, over.at, 'ROW_NUMBER() OVER (...) needs an ORDER BY')
  if (over.frame !== undefined) throw sqlUnsupported(file, over.at, 'a frame clause on ROW_NUMBER()')
  const windowed = named.has(WINDOW_START) && named.has(WINDOW_END) && input.windowed === true
  const byTime =
    over.orderBy.length === 1 &&
    over.orderBy[0]!.expr.kind === 'column' &&
    over.orderBy[0]!.expr.name === input.timeColumn
  const deduplicate = !windowed && limit === 1 && byTime && over.orderBy[0]!.descending !== true
  if (!windowed && limit === 1 && byTime) {
    if (!deduplicate) {
      throw sqlUnsupported(
        file,
        over.at,
        'deduplication keeping the last row (ORDER BY the time attribute DESC: its result updates)',
        'keep the first row: ORDER BY the time attribute ASC',
      )
    }
  } else if (!windowed) {
    throw sqlUnsupported(
      file,
      over.at,
      'Top-N without window_start and window_end in PARTITION BY (an updating Top-N)',
      'rank within windows (PARTITION BY window_start, window_end, ...), or deduplicate (ORDER BY the time attribute ASC, rn = 1)',
    )
  }

  // Step 3: the rows become plain objects of the input's columns (they are kept in state as JSON);
  // the keys and the order read those.
  const materialized = { columns: objectColumns(input.columns, input.columns[0]?.qualifiers ?? []) }
  const keys = partition.map((e) => compileIn(materialized, e, context).evaluate)
  const compare = comparator(over.orderBy, materialized, context)
  const partitioned = input.stream
    .map(rowObject(input.columns), { name: context.name(deduplicate ? 'deduplicate-input' : 'top-n-input') })
    .keyBy((row) => encodeKey(keys.map((k) => k(row))), {
      name: context.name(deduplicate ? 'deduplicate-partition' : 'top-n-partition'),
    })
    .window(tumbling({ sizeMs: 1, graceMs: 0 }))
  // Store names are the pipeline's: one per deduplication.
  const seenStore = context.name('deduplicate-seen')
  const ranked = deduplicate
    ? partitioned
        .aggregate(
          {
            init: (): Row | null => null,
            add: (first: Row | null, row: Row) => first ?? row,
            merge: (a: Row | null, b: Row | null) => a ?? b,
          },
          { name: context.name('deduplicate-first') },
        )
        .process(
          (record, { stores }) => {
            const seen = stores[seenStore]!
            if (seen.get(record.key) === true) return undefined
            seen.put(record.key, true)
            return { ...(record.value.value as Record<string, unknown>), [rank]: 1 } as Row
          },
          { name: context.name('deduplicate'), stores: { [seenStore]: valueStore<boolean>() } },
        )
    : partitioned
        .aggregate(
          {
            init: (): Row[] => [],
            add: (top: Row[], row: Row) => keepFirst(top, row, limit, compare),
            merge: (a: Row[], b: Row[]) =>
              b.reduce((top: Row[], row) => keepFirst(top, row, limit, compare), a),
          },
          { name: context.name('top-n') },
        )
        // Step 4
        .flatMap(
          (result) =>
            (result.value as Array<Record<string, unknown>>).map((row, i): Row => ({
              ...row,
              [rank]: i + 1,
            })),
          {
            name: context.name('top-n-rows'),
          },
        )
  const numbered: Relation = {
    stream: ranked,
    columns: objectColumns(
      [...input.columns, { name: rank, type: BIGINT_NOT_NULL }],
      input.columns[0]?.qualifiers ?? [],
    ),
    timeColumn: input.timeColumn,
    ...(deduplicate ? {} : { windowed: true }),
  }
  // The inner list over the numbered rows: its `*` stands for the input's columns (not the rank),
  // its ROW_NUMBER() for the rank.
  const innerItems: SelectItem[] = inner.items.flatMap((item): SelectItem[] => {
    if (item.kind === 'star') {
      return input.columns
        .filter((c) => item.qualifier === undefined || c.qualifiers.includes(item.qualifier))
        .map((c) => ({ kind: 'expr', expr: { kind: 'column', name: c.name, at: item.at }, at: item.at }))
    }
    return [item.expr === over ? { ...item, expr: { kind: 'column', name: rank, at: over.at } } : item]
  })
  const selected = project(numbered, innerItems, context)
  return project(selected, query.items, context)
}

/** Inserts `row` into `top` (sorted, at most `n`), after the rows it ties with. */
function keepFirst(top: Row[], row: Row, n: number, compare: (a: Row, b: Row) => number): Row[] {
  let i = top.length
  while (i > 0 && compare(top[i - 1], row) > 0) i--
  if (i >= n) return top
  top.splice(i, 0, row)
  if (top.length > n) top.length = n
  return top
}

/** ORDER BY as a comparator; NULLs last for ASC and first for DESC, as Flink orders them. */
function comparator(
  orderBy: readonly OrderItem[],
  input: Pick<Relation, 'columns'>,
  context: QueryContext,
): (a: Row, b: Row) => number {
  const keys = orderBy.map((o) => {
    const read = compileIn(input, o.expr, context).evaluate
    const sign = o.descending ? -1 : 1
    const nullsFirst = o.nullsFirst ?? o.descending
    return { read, sign, nullsFirst }
  })
  return (a, b) => {
    for (const { read, sign, nullsFirst } of keys) {
      const x = read(a)
      const y = read(b)
      if (x === y) continue
      if (x === null) return nullsFirst ? -1 : 1
      if (y === null) return nullsFirst ? 1 : -1
      return (x as number | string) < (y as number | string) ? -sign : sign
    }
    return 0
  }
}
