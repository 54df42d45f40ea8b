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
 * Any other partition (no window columns) is Flink's updating Top-N (`planUpdatingTopN`): per
 * partition the rows so far in order, each row of input writing the ranks it changed, as updates
 * keyed by the partition and the rank; ORDER BY the time attribute DESC with `rn = 1` keeps the
 * last row (Flink's keep-last deduplication).
 *
 *   1. Recognize the shape; anything else with ROW_NUMBER() OVER is refused by the caller.
 *   2. Plan the inner FROM and WHERE; check PARTITION BY has window_start and window_end, or that
 *      it is a deduplication; otherwise plan an updating Top-N.
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
  if (!windowed && !deduplicate) return planUpdatingTopN(query, shape, input, context)

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
  return selectOverRanked(query, shape, input, numbered, context)
}

/**
 * Step 4's end: the inner list over the numbered rows (its `*` stands for the input's columns,
 * not the rank, its ROW_NUMBER() for the rank), then the outer list.
 */
function selectOverRanked(
  query: SelectQuery,
  shape: TopNShape,
  input: Relation,
  numbered: Relation,
  context: QueryContext,
): Relation {
  const { inner, over, rank } = shape
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

/**
 * Top-N without windows (Flink's updating Rank): per partition key the rows in ORDER BY order, and
 * for every row of input the ranks 1..N whose row changed, as updates keyed by the partition
 * columns and the rank (an upsert-kafka table's PRIMARY KEY). An insert-only input keeps the first
 * N rows of each partition (a row past N never comes back); an updating input (a GROUP BY's)
 * keeps every row, each replacing the earlier row of its key. Rows that tie keep their order of
 * arrival, but for `ORDER BY <time attribute> DESC ... rn = 1` (keep the last row), where a later
 * row of the same time wins, as Flink's deduplication keeps it.
 */
function planUpdatingTopN(
  query: SelectQuery,
  shape: TopNShape,
  input: Relation,
  context: QueryContext,
): Relation {
  const { file } = context
  const { over, rank, limit } = shape
  if (input.updating === true && input.upsertKey === undefined) {
    throw sqlUnsupported(file, over.at, 'Top-N over an updating result whose key was projected away')
  }
  const materialized = { columns: objectColumns(input.columns, input.columns[0]?.qualifiers ?? []) }
  const keys = over.partitionBy.map((e) => compileIn(materialized, e, context).evaluate)
  const compare = comparator(over.orderBy, materialized, context)
  const keepLast =
    limit === 1 &&
    over.orderBy.length === 1 &&
    over.orderBy[0]!.descending === true &&
    over.orderBy[0]!.expr.kind === 'column' &&
    over.orderBy[0]!.expr.name === input.timeColumn
  // An updating input's row replaces the earlier row of its key.
  const keyNames = input.updating === true ? input.upsertKey! : undefined
  const rowKey =
    keyNames === undefined
      ? undefined
      : (row: Row): string => JSON.stringify(keyNames.map((n) => (row as Record<string, unknown>)[n]))
  // Store names are the pipeline's: one per Top-N.
  const store = context.name('top-n-rows')
  const ranked = input.stream
    .map(rowObject(input.columns), { name: context.name('top-n-input') })
    .keyBy((row) => encodeKey(keys.map((k) => k(row))), { name: context.name('top-n-partition') })
    .process(
      (record, { stores }) => {
        const rows = stores[store]!
        const before = rows.get(record.key) ?? []
        let after = before
        if (rowKey !== undefined) {
          const id = rowKey(record.value)
          after = before.filter((row) => rowKey(row) !== id)
        } else after = [...before]
        let i = after.length
        while (
          i > 0 &&
          (keepLast ? compare(after[i - 1], record.value) >= 0 : compare(after[i - 1], record.value) > 0)
        )
          i--
        after.splice(i, 0, record.value)
        if (rowKey === undefined && after.length > limit) after.length = limit
        rows.put(record.key, after)
        const out: Row[] = []
        for (let r = 0; r < Math.min(limit, after.length); r++) {
          if (before[r] !== undefined && JSON.stringify(before[r]) === JSON.stringify(after[r])) continue
          out.push({ ...(after[r] as Record<string, unknown>), [rank]: r + 1 })
        }
        return out
      },
      { name: context.name('top-n'), stores: { [store]: valueStore<Row[]>() }, expand: true },
    )
  const partitionColumns = over.partitionBy.flatMap((e) => (e.kind === 'column' ? [e.name] : []))
  const numbered: Relation = {
    stream: ranked,
    columns: objectColumns(
      [...input.columns, { name: rank, type: BIGINT_NOT_NULL }],
      input.columns[0]?.qualifiers ?? [],
    ),
    updating: true,
    ...(partitionColumns.length === over.partitionBy.length
      ? // Rows are identified by partition and rank; with N = 1 by the partition alone.
        { upsertKey: limit === 1 ? partitionColumns : [...partitionColumns, rank] }
      : {}),
  }
  return selectOverRanked(query, shape, input, numbered, context)
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

/**
 * ORDER BY as a comparator. NULL is the lowest value, as in Flink (Calcite's NullCollation.LOW):
 * first for ASC, last for DESC, unless NULLS FIRST / NULLS LAST says otherwise.
 */
function comparator(
  orderBy: readonly OrderItem[],
  input: Pick<Relation, 'columns'>,
  context: QueryContext,
): (a: Row, b: Row) => number {
  const keys = orderBy.map((o) => {
    const read = compileIn(input, o.expr, context).evaluate
    const sign = o.descending ? -1 : 1
    const nullsFirst = o.nullsFirst ?? !o.descending
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
