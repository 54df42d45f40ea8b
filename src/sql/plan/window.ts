/**
 * Window aggregation: `GROUP BY window_start, window_end, keys...` over a window TVF, as Flink runs
 * it (one final row per key and window, when the watermark passes the window's end). Without a
 * window TVF, Flink's GroupAggregate: for every row of input, the updated row of its key (an
 * updating result, for an upsert-kafka table), from an accumulator per key in a store.
 *
 *   1. WHERE filters the TVF's input rows (before windowing: it cannot read window columns yet).
 *   2. Only the columns the keys and aggregates read go on: a map to small row objects, so a
 *      repartition carries no more than it must.
 *   3. keyBy the group keys (a repartition topic, as a Flink hash exchange), then the windows, then
 *      ONE aggregate node holding every aggregate call of the query in one accumulator.
 *   4. Each result becomes a row of window_start, window_end, window_time, the keys and the
 *      aggregates; HAVING filters it and the SELECT list projects it.
 */
import type { CallExpr, ColumnExpr, Expr, SelectQuery, SqlType } from '../ast.ts'
import { sqlInvalid, sqlUnsupported } from '../errors.ts'
import { compileAggregate, isAggregateFunction } from '../expr/index.ts'
import type { CompiledAggregate, Row } from '../expr/types.ts'
import { valueStore } from '../../operators/index.ts'
import type { KeyedStream } from '../../stream/index.ts'
import {
  cumulating,
  hopping,
  session,
  tumbling,
  type CumulatingWindows,
  type SessionWindows,
  type TimeWindows,
} from '../../windows/index.ts'
import { applyWhere, compileIn, project, type QueryContext } from './query.ts'
import { WINDOW_END, WINDOW_START, WINDOW_TIME, type Relation, type WindowSpec } from './relation.ts'
import { ColumnScope, fieldReader, objectColumns, type RelationColumn } from './scope.ts'
import { exprKey, rewriteExpr, walkExpr } from './walk.ts'

const TIMESTAMP_3: SqlType = { kind: 'TIMESTAMP', precision: 3, nullable: false }

export function planWindowAggregate(query: SelectQuery, input: Relation, context: QueryContext): Relation {
  const { file } = context
  const windows = input.windows
  const windowColumns = new Set([WINDOW_START, WINDOW_END, WINDOW_TIME])
  const isWindowColumn = (e: Expr): boolean =>
    windows !== undefined &&
    e.kind === 'column' &&
    windowColumns.has(e.name) &&
    !input.columns.some((c) => c.name === e.name)

  // The GROUP BY list: window_start and window_end, then the keys.
  const keys = query.groupBy.filter((e) => !isWindowColumn(e))
  const grouped = new Set(query.groupBy.filter(isWindowColumn).map((e) => (e as ColumnExpr).name))
  if (windows === undefined) {
    // A GROUP BY without a window (Flink's GroupAggregate): every row of input updates its key's row.
    if (query.having !== undefined) {
      throw sqlUnsupported(
        file,
        query.having.at,
        'HAVING on a GROUP BY without a window (its rows would be retracted)',
        'filter the rows where they are read',
      )
    }
  } else if (!grouped.has(WINDOW_START) || !grouped.has(WINDOW_END)) {
    throw sqlUnsupported(
      file,
      query.groupBy[0]?.at ?? query.at,
      'aggregation over a window TVF without both window_start and window_end in GROUP BY',
    )
  }
  if (windows?.fn === 'SESSION') {
    // freshet's sessions are per group key; Flink's per PARTITION BY key (all rows without one).
    // They agree when the two are the same columns.
    const keyNames = keys.map((k) => (k.kind === 'column' ? k.name : undefined))
    const same =
      keyNames.length === windows.partitionBy.length && windows.partitionBy.every((p) => keyNames.includes(p))
    if (!same) {
      throw sqlUnsupported(
        file,
        windows.at,
        'a SESSION window aggregation whose GROUP BY keys are not its PARTITION BY columns',
        `partition by the grouped columns (${keyNames.filter((k) => k !== undefined).join(', ') || 'none'}) and group by them`,
      )
    }
  }
  if (query.where !== undefined) {
    for (const e of walkExpr(query.where)) {
      if (e.kind === 'column' && isWindowColumn(e)) {
        throw sqlUnsupported(file, e.at, `${e.name} in the WHERE of a window aggregation`)
      }
    }
  }

  // 1. WHERE, on the input rows.
  const filtered = applyWhere(input, query.where, context)

  // The aggregate calls of SELECT and HAVING, each once (the same call twice shares one).
  const calls = new Map<string, CallExpr>()
  const exprs = [
    ...query.items.flatMap((i) => (i.kind === 'expr' ? [i.expr] : [])),
    ...(query.having === undefined ? [] : [query.having]),
  ]
  for (const e of exprs) {
    for (const n of walkExpr(e)) {
      if (n.kind === 'call' && isAggregateFunction(n.name)) {
        if (!calls.has(exprKey(n))) calls.set(exprKey(n), n)
        for (const inner of n.args.flatMap((a) => [...walkExpr(a)])) {
          if (inner.kind === 'call' && isAggregateFunction(inner.name)) {
            throw sqlInvalid(file, inner.at, `aggregate ${inner.name} inside aggregate ${n.name}`)
          }
        }
      }
    }
  }

  // 2. Only the columns the keys and the aggregates read.
  const read = readColumns([...keys, ...[...calls.values()].flatMap(callParts)], filtered.columns)
  const narrow: Relation =
    read.length === filtered.columns.length
      ? filtered
      : {
          ...filtered,
          stream: filtered.stream.map(
            (row) => {
              const out: Record<string, unknown> = {}
              for (const c of read) out[c.name] = c.read(row)
              return out
            },
            { name: context.name('window-input') },
          ),
          columns: read.map((c) => ({ ...c, read: fieldReader(c.name) })),
        }

  // 3. keyBy, windows, one aggregate node.
  const keyExprs = keys.map((k) => compileIn(narrow, k, context))
  const keyReads = keyExprs.map((k) => k.evaluate)
  const aggregates = [...calls.values()].map((call) =>
    compileAggregate(call, {
      file,
      localTimeZone: context.localTimeZone,
      scope: new ColumnScope(file, narrow.columns),
    }),
  )
  const keyed = narrow.stream.keyBy((row) => encodeKey(keyReads.map((f) => f(row))), {
    name: context.name('group-by'),
  })
  if (windows === undefined)
    return planGroupAggregate(query, keyed, keys, keyExprs, calls, aggregates, context)
  const results = keyed
    .window(windowsOf(windows))
    .aggregate(combine(aggregates), { name: context.name('window-aggregate') })

  // 4. The result rows, then HAVING and the SELECT list over them.
  const keyNames = keys.map((k, i) => (k.kind === 'column' ? k.name : `$key${i}`))
  const aggregateNames = [...calls.keys()].map((_, i) => `$agg${i}`)
  const gapMs = windows.gapMs ?? 0
  const timeType: SqlType =
    windows.timeType.kind === 'TIMESTAMP_LTZ'
      ? { kind: 'TIMESTAMP_LTZ', precision: 3, nullable: false }
      : TIMESTAMP_3
  const rows = results.map(
    (result) => {
      const out: Record<string, unknown> = {}
      // Session windows hold [first, last] event time; Flink's session window ends one gap later.
      const endMs = result.window.endMs + gapMs
      out[WINDOW_START] = result.window.startMs
      out[WINDOW_END] = endMs
      out[WINDOW_TIME] = endMs - 1
      const values = decodeKey(result.key, keyNames.length)
      for (let i = 0; i < keyNames.length; i++) out[keyNames[i]!] = values[i]
      const aggregated = result.value as unknown[]
      for (let i = 0; i < aggregateNames.length; i++) out[aggregateNames[i]!] = aggregated[i]
      return out as Row
    },
    { name: context.name('window-rows') },
  )
  const qualifiers = input.columns[0]?.qualifiers ?? []
  const columns: RelationColumn[] = [
    ...objectColumns(
      [
        { name: WINDOW_START, type: TIMESTAMP_3 },
        { name: WINDOW_END, type: TIMESTAMP_3 },
        { name: WINDOW_TIME, type: timeType },
        ...keyNames.map((name, i) => ({ name, type: keyExprs[i]!.type })),
      ],
      qualifiers,
    ),
    ...objectColumns(
      aggregates.map((a, i) => ({ name: aggregateNames[i]!, type: a.type })),
      [],
    ),
  ]
  const rewrite = groupRewrite(file, keys, keyNames, calls, aggregateNames, columns)
  const output: Relation = { stream: rows, columns, timeColumn: WINDOW_TIME, windowed: true }
  const having = query.having === undefined ? output : applyWhere(output, rewrite(query.having), context)
  return project(
    having,
    query.items.map((item) => (item.kind === 'expr' ? { ...item, expr: rewrite(item.expr) } : item)),
    context,
  )
}

/**
 * A GROUP BY without a window: one accumulator per key in a store, and for every row of input the
 * key's row as it is now (Flink's updating result; an upsert-kafka table keeps the latest per key).
 */
function planGroupAggregate(
  query: SelectQuery,
  keyed: KeyedStream<unknown, Row>,
  keys: readonly Expr[],
  keyExprs: ReadonlyArray<{ readonly type: SqlType }>,
  calls: ReadonlyMap<string, CallExpr>,
  aggregates: readonly CompiledAggregate[],
  context: QueryContext,
): Relation {
  const { file } = context
  const aggregator = combine(aggregates)
  const keyNames = keys.map((k, i) => (k.kind === 'column' ? k.name : `$key${i}`))
  const aggregateNames = [...calls.keys()].map((_, i) => `$agg${i}`)
  const rows = keyed.process(
    (record, { stores }) => {
      const accumulator = aggregator.add(
        stores.accumulators.get(record.key) ?? aggregator.init(),
        record.value,
      )
      stores.accumulators.put(record.key, accumulator)
      const out: Record<string, unknown> = {}
      const values = decodeKey(record.key, keyNames.length)
      for (let i = 0; i < keyNames.length; i++) out[keyNames[i]!] = values[i]
      const results = aggregator.result(accumulator)
      for (let i = 0; i < aggregateNames.length; i++) out[aggregateNames[i]!] = results[i]
      return out as Row
    },
    { name: context.name('group-aggregate'), stores: { accumulators: valueStore<unknown[]>() } },
  )
  const columns: RelationColumn[] = objectColumns(
    [
      ...keyNames.map((name, i) => ({ name, type: keyExprs[i]!.type })),
      ...aggregates.map((a, i) => ({ name: aggregateNames[i]!, type: a.type })),
    ],
    [],
  )
  const rewrite = groupRewrite(file, keys, keyNames, calls, aggregateNames, columns)
  const output: Relation = { stream: rows, columns, updating: true, upsertKey: keyNames }
  return project(
    output,
    query.items.map((item) => (item.kind === 'expr' ? { ...item, expr: rewrite(item.expr) } : item)),
    context,
  )
}

/** Rewrites an expression over the input into one over the aggregate's rows: calls and keys to their columns. */
function groupRewrite(
  file: string,
  keys: readonly Expr[],
  keyNames: readonly string[],
  calls: ReadonlyMap<string, CallExpr>,
  aggregateNames: readonly string[],
  columns: readonly RelationColumn[],
): (e: Expr) => Expr {
  return (e) =>
    rewriteExpr(e, (n) => {
      const key = exprKey(n)
      const agg = [...calls.keys()].indexOf(key)
      if (agg >= 0) return { kind: 'column', name: aggregateNames[agg]!, at: n.at }
      // A key, qualified or not (`a.user_id` over a join), is the result's column of its name.
      const k = keys.findIndex((g) => exprKey(g) === key)
      if (k >= 0) return { kind: 'column', name: keyNames[k]!, at: n.at }
      if (n.kind === 'column' && !columns.some((c) => c.name === n.name)) {
        throw sqlInvalid(file, n.at, `column "${n.name}" is neither grouped nor aggregated`)
      }
      return undefined
    })
}

function callParts(call: CallExpr): Expr[] {
  return [...call.args, ...(call.filter === undefined ? [] : [call.filter])]
}

/** The columns of `columns` that `exprs` read, in the relation's order. */
function readColumns(exprs: readonly Expr[], columns: readonly RelationColumn[]): RelationColumn[] {
  const names = new Set<string>()
  for (const e of exprs) for (const n of walkExpr(e)) if (n.kind === 'column') names.add(n.name)
  return columns.filter((c) => names.has(c.name))
}

/**
 * A group key as the window store keys it: one value as itself (readable Kafka keys), several as
 * an array. A null single key, or a single array value, is wrapped so that it cannot be mistaken.
 */
export function encodeKey(values: unknown[]): unknown {
  if (values.length !== 1) return values
  const v = values[0]
  return v === null || v === undefined || Array.isArray(v) ? [v ?? null] : v
}

function decodeKey(key: unknown, count: number): unknown[] {
  if (count !== 1) return key as unknown[]
  return Array.isArray(key) ? [key[0]] : [key]
}

export function windowsOf(spec: WindowSpec): TimeWindows | CumulatingWindows | SessionWindows {
  const offsetMs = spec.offsetMs ?? 0
  if (spec.fn === 'TUMBLE') return tumbling({ sizeMs: spec.sizeMs, offsetMs, graceMs: 0 })
  if (spec.fn === 'HOP')
    return hopping({ sizeMs: spec.sizeMs, advanceMs: spec.slideMs!, offsetMs, graceMs: 0 })
  if (spec.fn === 'CUMULATE')
    return cumulating({ sizeMs: spec.sizeMs, stepMs: spec.slideMs!, offsetMs, graceMs: 0 })
  return session({ gapMs: spec.gapMs!, graceMs: 0 })
}

/** Every aggregate call of the query in one accumulator (an array, one entry per call). */
function combine(aggregates: readonly CompiledAggregate[]): {
  init: () => unknown[]
  add: (acc: unknown[], row: Row) => unknown[]
  merge: (a: unknown[], b: unknown[]) => unknown[]
  result: (acc: unknown[]) => unknown[]
  combinable: boolean
} {
  const n = aggregates.length
  return {
    combinable: aggregates.every((a) => a.combinable),
    init: () => aggregates.map((a) => a.init()),
    add: (acc, row) => {
      for (let i = 0; i < n; i++) acc[i] = aggregates[i]!.add(acc[i], row)
      return acc
    },
    merge: (a, b) => aggregates.map((agg, i) => agg.merge(a[i], b[i])),
    result: (acc) => aggregates.map((agg, i) => agg.result(acc[i])),
  }
}
