/**
 * Plans a query onto the DSL: every SELECT becomes operators on a stream of row objects.
 *
 *   FROM      a table's source, a view's or subquery's plan, or a window TVF over one of them
 *   WHERE     filter (compiled predicate; NULL is not true, as in SQL)
 *   GROUP BY  over a window TVF: keyBy + window + one aggregate node (window.ts)
 *   SELECT    map to new row objects (compiled projections), unless it is `SELECT *`
 *
 * What the planner does not run yet is refused with FRESHET_SQL_UNSUPPORTED at its position.
 */
import type {
  Expr,
  FromItem,
  Query,
  SelectItem,
  SelectQuery,
  SqlType,
  TableRef,
  WindowTableRef,
} from '../ast.ts'
import { sqlInvalid, sqlUnsupported } from '../errors.ts'
import { compileExpression, isAggregateFunction } from '../expr/index.ts'
import type { CompiledExpression, Row } from '../expr/types.ts'
import type { SchemaRegistryClient } from '../../serde/index.ts'
import { didYouMean } from '../types/index.ts'
import { WINDOW_END, WINDOW_START, type Relation, type WindowSpec } from './relation.ts'
import { ColumnScope, objectColumns, requalify, type RelationColumn } from './scope.ts'
import { walkExpr } from './walk.ts'
import { planJoin } from './join.ts'
import { matchTopN, planTopN } from './top-n.ts'
import { planWindowAggregate } from './window.ts'

/** What planning a query needs from the statement planner around it. */
export interface QueryContext {
  readonly file: string
  /** The job's application id: internal topics of its own (a `datagen` table's) are named after it. */
  readonly applicationId: string
  readonly localTimeZone: string
  /** A table or view by name (or a WITH item in scope), planned once; undefined when unknown. */
  relation(name: string): Relation | undefined
  /** Names known, for "did you mean". */
  relationNames(): readonly string[]
  /** A unique operator name for `base` (a role: `where`, `group-by`), under the INSERT's target. */
  name(base: string): string
  /** The source node's name of a table. */
  sourceName(table: string): string
  /** The registry client for a table's `avro-confluent.url`. */
  registry(url: string): SchemaRegistryClient
}

export function planQuery(query: Query, context: QueryContext): Relation {
  const scoped = withItems(query, context)
  if (query.kind === 'set-operation') {
    if (query.op !== 'UNION ALL') throw sqlUnsupported(context.file, query.at, query.op)
    return planUnionAll(query.left, query.right, scoped, query.at)
  }
  return planSelect(query, scoped)
}

/** A context in which the query's WITH items are relations too (each planned once, on first use). */
function withItems(query: Query, context: QueryContext): QueryContext {
  if (query.with.length === 0) return context
  const planned = new Map<string, Relation>()
  const items = new Map(query.with.map((w) => [w.name, w]))
  const scoped: QueryContext = {
    ...context,
    relation(name) {
      const item = items.get(name)
      if (item === undefined) return context.relation(name)
      let relation = planned.get(name)
      if (relation === undefined) {
        relation = planQuery(item.query, scoped)
        relation = { ...relation, columns: requalify(relation.columns, [name]) }
        planned.set(name, relation)
      }
      return relation
    },
    relationNames: () => [...items.keys(), ...context.relationNames()],
  }
  return scoped
}

function planUnionAll(left: Query, right: Query, context: QueryContext, at: SelectQuery['at']): Relation {
  const a = planQuery(left, context)
  const b = planQuery(right, context)
  if (a.columns.length !== b.columns.length) {
    throw sqlInvalid(
      context.file,
      at,
      `UNION ALL: the two sides have ${a.columns.length} and ${b.columns.length} columns`,
    )
  }
  for (const side of [a, b])
    if (side.windows !== undefined) throw windowWithoutAggregation(context.file, side.windows.at)
  if (a.updating === true || b.updating === true) {
    throw sqlUnsupported(context.file, at, 'UNION ALL of an updating result (a GROUP BY without a window)')
  }
  // Rows of the right side are renamed to the left side's column names.
  const names = a.columns.map((c) => c.name)
  const renamed = b.columns.every((c, i) => c.name === names[i])
    ? b.stream
    : b.stream.map((row) => renameRow(row, b.columns, names), { name: context.name('union-rename') })
  return {
    stream: a.stream.merge(renamed, { name: context.name('union-all') }),
    columns: objectColumns(
      a.columns.map((c, i) => ({ name: c.name, type: widerNullability(c.type, b.columns[i]!.type) })),
      [],
    ),
    timeColumn: a.timeColumn !== undefined && a.timeColumn === b.timeColumn ? a.timeColumn : undefined,
    ...(a.windowed === true && b.windowed === true ? { windowed: true } : {}),
  }
}

function renameRow(row: Row, columns: readonly RelationColumn[], names: readonly string[]): Row {
  const out: Record<string, unknown> = {}
  for (let i = 0; i < columns.length; i++) out[names[i]!] = columns[i]!.read(row)
  return out
}

function widerNullability(a: SqlType, b: SqlType): SqlType {
  return a.nullable || !b.nullable ? a : ({ ...a, nullable: true } as SqlType)
}

function planSelect(query: SelectQuery, context: QueryContext): Relation {
  const { file } = context
  if (query.from === undefined) throw sqlUnsupported(file, query.at, 'SELECT without FROM')
  if (query.orderBy.length > 0) {
    throw sqlUnsupported(
      file,
      query.orderBy[0]!.at,
      'ORDER BY in a streaming query',
      'order by time only in Top-N',
    )
  }
  if (query.limit !== undefined) throw sqlUnsupported(file, query.at, 'LIMIT in a streaming query')
  if (query.distinct) throw sqlUnsupported(file, query.at, 'SELECT DISTINCT')
  const topN = matchTopN(query, file)
  if (topN !== undefined) return planTopN(query, topN, context)
  refuseOver(query, file)

  const input = planFromItem(query.from, context)
  if (isAggregation(query)) {
    if (input.updating === true) {
      throw sqlUnsupported(file, query.at, 'an aggregation over the updating result of a GROUP BY')
    }
    // Over a window TVF: one final row per window and key; else Flink's updating GROUP BY.
    return planWindowAggregate(query, input, context)
  }
  if (input.windows !== undefined) {
    // `SELECT * FROM TABLE(TUMBLE(...)) [WHERE ...]`: still the window TVF, for a window join.
    const star =
      query.items.length === 1 && query.items[0]!.kind === 'star' && query.items[0]!.qualifier === undefined
    if (!star || query.having !== undefined) throw windowWithoutAggregation(file, input.windows.at)
    return applyWhere(input, query.where, context)
  }
  if (query.having !== undefined)
    throw sqlInvalid(file, query.having.at, 'HAVING needs GROUP BY or an aggregate')
  const filtered = applyWhere(input, query.where, context)
  return project(filtered, query.items, context)
}

/** A window TVF's rows used as they are: freshet runs window TVFs in aggregations and joins. */
export function windowWithoutAggregation(file: string, at: SelectQuery['at']): Error {
  return sqlUnsupported(
    file,
    at,
    'a window TVF without window aggregation',
    'GROUP BY window_start, window_end and aggregate, or join two window TVFs',
  )
}

function refuseOver(query: SelectQuery, file: string): void {
  for (const item of query.items) {
    if (item.kind !== 'expr') continue
    for (const e of walkExpr(item.expr)) {
      if (e.kind === 'over') {
        throw sqlUnsupported(file, e.at, `${e.call.name}() OVER (Top-N, deduplication, OVER aggregation)`)
      }
    }
  }
}

export function isAggregation(query: SelectQuery): boolean {
  if (query.groupBy.length > 0) return true
  const exprs = [
    ...query.items.flatMap((i) => (i.kind === 'expr' ? [i.expr] : [])),
    ...(query.having === undefined ? [] : [query.having]),
  ]
  return exprs.some((e) => [...walkExpr(e)].some((n) => n.kind === 'call' && isAggregateFunction(n.name)))
}

/** A table or view named in FROM, its columns qualified by its alias or name. */
export function tableRelation(from: TableRef, context: QueryContext): Relation {
  const { file } = context
  if (Object.keys(from.hints).length > 0) throw sqlUnsupported(file, from.at, 'OPTIONS hints on a table')
  const relation = context.relation(from.name)
  if (relation === undefined) {
    throw sqlInvalid(
      file,
      from.at,
      `unknown table or view "${from.name}"${didYouMean(from.name, context.relationNames())}`,
    )
  }
  return { ...relation, columns: requalify(relation.columns, [from.alias ?? from.name]) }
}

export function planFromItem(from: FromItem, context: QueryContext): Relation {
  const { file } = context
  switch (from.kind) {
    case 'table': {
      if (from.forSystemTimeAsOf !== undefined) {
        throw sqlInvalid(
          file,
          from.at,
          'FOR SYSTEM_TIME AS OF is the right side of a temporal join: l JOIN r FOR SYSTEM_TIME AS OF l.ts ON ...',
        )
      }
      const relation = tableRelation(from, context)
      if (relation.versioned !== undefined) {
        throw sqlUnsupported(
          file,
          from.at,
          `reading the upsert-kafka table "${from.name}" (a changelog) other than as the versioned table of a temporal join`,
          `join it: ... JOIN ${from.name} FOR SYSTEM_TIME AS OF <the other side's time attribute> ON ...`,
        )
      }
      return relation
    }
    case 'subquery': {
      const relation = planQuery(from.query, context)
      return {
        ...relation,
        columns: requalify(relation.columns, from.alias === undefined ? [] : [from.alias]),
      }
    }
    case 'window':
      return planWindowTvf(from, context)
    case 'join':
      return planJoin(from, context)
  }
}

function planWindowTvf(tvf: WindowTableRef, context: QueryContext): Relation {
  const { file } = context
  const input = planFromItem(tvf.input, context)
  const time = input.columns.find((c) => c.name === tvf.timeColumn)
  if (time === undefined) {
    throw sqlInvalid(
      file,
      tvf.at,
      `DESCRIPTOR(${tvf.timeColumn}): no such column${didYouMean(
        tvf.timeColumn,
        input.columns.map((c) => c.name),
      )}`,
    )
  }
  if (input.timeColumn !== tvf.timeColumn) {
    throw sqlInvalid(
      file,
      tvf.at,
      `DESCRIPTOR(${tvf.timeColumn}): the window's time column must be a time attribute (a column with a WATERMARK)` +
        (input.timeColumn === undefined ? '' : `; the time attribute here is ${input.timeColumn}`),
    )
  }
  const ms = tvf.args.map((arg) => intervalMs(arg, file))
  const arity = { TUMBLE: 1, HOP: 2, CUMULATE: 2, SESSION: 1 }[tvf.fn]
  if (ms.length < arity || ms.length > arity + (tvf.fn === 'SESSION' ? 0 : 1)) {
    throw sqlInvalid(
      file,
      tvf.at,
      `${tvf.fn} takes ${arity} interval argument(s) after the descriptor${tvf.fn === 'SESSION' ? '' : ', then an optional offset'}`,
    )
  }
  // HOP(slide, size) and CUMULATE(step, size) name the size second.
  const stepped = tvf.fn === 'HOP' || tvf.fn === 'CUMULATE'
  const windows: WindowSpec = {
    fn: tvf.fn,
    sizeMs: stepped ? ms[1]! : ms[0]!,
    ...(stepped ? { slideMs: ms[0]! } : {}),
    ...((ms[arity] ?? 0) !== 0 ? { offsetMs: ms[arity]! } : {}),
    ...(tvf.fn === 'SESSION' ? { gapMs: ms[0]! } : {}),
    partitionBy: tvf.partitionBy,
    timeColumn: tvf.timeColumn,
    timeType: time.type,
    at: tvf.at,
  }
  for (const [i, value] of ms.slice(0, arity).entries()) {
    if (!(value > 0)) throw sqlInvalid(file, tvf.args[i]!.at, `${tvf.fn}: intervals must be positive`)
  }
  if (windows.slideMs !== undefined && windows.sizeMs % windows.slideMs !== 0) {
    throw sqlInvalid(
      file,
      tvf.at,
      tvf.fn === 'HOP'
        ? 'HOP: the size must be a whole multiple of the slide'
        : 'CUMULATE: the max size must be a whole multiple of the step',
    )
  }
  return {
    ...input,
    columns: requalify(
      input.columns,
      tvf.alias === undefined ? (input.columns[0]?.qualifiers ?? []) : [tvf.alias],
    ),
    windows,
  }
}

function intervalMs(arg: Expr, file: string): number {
  if (arg.kind === 'interval') return arg.ms
  throw sqlInvalid(file, arg.at, "expected an INTERVAL literal (INTERVAL '1' MINUTE)")
}

export function compileIn(
  relation: Pick<Relation, 'columns'>,
  expr: Expr,
  context: QueryContext,
): CompiledExpression {
  return compileExpression(expr, {
    file: context.file,
    localTimeZone: context.localTimeZone,
    scope: new ColumnScope(context.file, relation.columns),
  })
}

export function applyWhere(input: Relation, where: Expr | undefined, context: QueryContext): Relation {
  if (where === undefined) return input
  const predicate = compileIn(input, where, context)
  if (predicate.type.kind !== 'BOOLEAN') {
    throw sqlInvalid(context.file, where.at, `WHERE must be a BOOLEAN condition, got ${predicate.type.kind}`)
  }
  const test = predicate.evaluate
  return {
    ...input,
    stream: input.stream.filter((row) => test(row) === true, { name: context.name('where') }),
  }
}

/** The output name Flink gives a select item: its alias, its column's name, or `EXPR$<i>`. */
export function itemName(item: Extract<SelectItem, { kind: 'expr' }>, index: number): string {
  if (item.alias !== undefined) return item.alias
  if (item.expr.kind === 'column') return item.expr.name
  if (item.expr.kind === 'field') return item.expr.name
  return `EXPR$${index}`
}

/** SELECT's items over `input`: a map to new row objects, or nothing for a bare `*`. */
export function project(input: Relation, items: readonly SelectItem[], context: QueryContext): Relation {
  const { file } = context
  if (items.length === 1 && items[0]!.kind === 'star' && items[0]!.qualifier === undefined) return input
  const outputs: Array<{ name: string; type: SqlType; read: (row: Row) => unknown; time: boolean }> = []
  items.forEach((item, index) => {
    if (item.kind === 'star') {
      const columns = input.columns.filter(
        (c) => item.qualifier === undefined || c.qualifiers.includes(item.qualifier),
      )
      if (columns.length === 0)
        throw sqlInvalid(file, item.at, `${item.qualifier ?? ''}.*: no such table in FROM`)
      for (const c of columns)
        outputs.push({ name: c.name, type: c.type, read: c.read, time: c.name === input.timeColumn })
      return
    }
    const compiled = compileIn(input, item.expr, context)
    const time =
      item.expr.kind === 'column' && item.expr.name === input.timeColumn && compiled.type.kind !== 'NULL'
    outputs.push({ name: itemName(item, index), type: compiled.type, read: compiled.evaluate, time })
  })
  // Two items with one name: the later ones get a number, as Calcite names them (qty, qty0, ...).
  const seen = new Set<string>()
  for (const o of outputs) {
    if (seen.has(o.name)) {
      let n = 0
      while (seen.has(`${o.name}${n}`)) n++
      o.name = `${o.name}${n}`
    }
    seen.add(o.name)
  }
  const names = outputs.map((o) => o.name)
  const reads = outputs.map((o) => o.read)
  const stream = input.stream.map(
    (row) => {
      const out: Record<string, unknown> = {}
      for (let i = 0; i < names.length; i++) out[names[i]!] = reads[i]!(row)
      return out
    },
    { name: context.name('select') },
  )
  // Rows of a window aggregation stay so while window_start and window_end go on unchanged.
  const passed = (name: string): boolean =>
    items.some(
      (item) =>
        (item.kind === 'star' && item.qualifier === undefined) ||
        (item.kind === 'expr' &&
          item.expr.kind === 'column' &&
          item.expr.name === name &&
          (item.alias === undefined || item.alias === name)),
    )
  // An updating result stays one; its key survives when each key column goes on as a column.
  let upsertKey: string[] | undefined
  if (input.upsertKey !== undefined) {
    const renamed = input.upsertKey.map((key) => {
      const index = items.findIndex(
        (item) => item.kind === 'expr' && item.expr.kind === 'column' && item.expr.name === key,
      )
      return index < 0 ? undefined : outputs[index]?.name
    })
    if (renamed.every((name) => name !== undefined)) upsertKey = renamed as string[]
  }
  return {
    stream,
    columns: objectColumns(outputs, []),
    timeColumn: outputs.find((o) => o.time)?.name,
    ...(input.windowed === true && passed(WINDOW_START) && passed(WINDOW_END) ? { windowed: true } : {}),
    ...(input.updating === true ? { updating: true, upsertKey } : {}),
  }
}
