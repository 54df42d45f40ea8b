/**
 * Joins. freshet runs Flink's interval join: `a [INNER] JOIN b ON <equalities> AND <time bounds>`,
 * where the equalities compare an expression of `a` with one of `b` (the join key) and the bounds
 * compare the two sides' time attributes, give or take an interval:
 *
 *   ON a.id = b.order_id AND b.ts BETWEEN a.ts - INTERVAL '1' MINUTE AND a.ts + INTERVAL '5' MINUTE
 *   ON a.id = b.order_id AND b.ts >= a.ts AND b.ts < a.ts + INTERVAL '1' HOUR
 *
 * Each pair of rows with equal keys whose times are within the bounds gives one row, once both have
 * arrived; a row behind the watermark is late (dead-lettered, where Flink drops it). As numbered
 * steps:
 *
 *   1. Plan both sides; each needs a time attribute (a WATERMARK column).
 *   2. Split ON into its conjuncts: a left = right equality joins the key, a comparison of the two
 *      time attributes (each plus or minus a constant interval) bounds `b.ts - a.ts`, anything else
 *      filters the joined rows.
 *   3. Each side: rows with a null key are dropped (they equal nothing), the rest become plain
 *      objects of the side's columns and are keyed by the join key (a repartition topic each).
 *   4. The DSL's interval join pairs them: `{ l, r }`, read through the two sides' columns.
 *   5. The other conjuncts filter the pairs.
 *
 * Without both time bounds it is a regular join (`planRegularJoin`): every pair of rows with equal
 * keys, whenever they arrive, kept in state for ever (as Flink keeps them without a state TTL). A
 * join of two window TVFs is a window join (`planWindowJoin`); a join whose right side is read
 * `FOR SYSTEM_TIME AS OF` is a temporal join (temporal-join.ts). Outer joins other than a temporal
 * LEFT JOIN need retractions and are FRESHET_SQL_UNSUPPORTED.
 */
import type { ColumnExpr, Expr, JoinRef, SqlType } from '../ast.ts'
import { sqlInvalid, sqlUnsupported } from '../errors.ts'
import type { Row } from '../expr/types.ts'
import { applyWhere, compileIn, planFromItem, type QueryContext } from './query.ts'
import { WINDOW_END, WINDOW_START, WINDOW_TIME, type Relation } from './relation.ts'
import { fieldReader, rowObject, type RelationColumn } from './scope.ts'
import { walkExpr } from './walk.ts'
import { valueStore } from '../../operators/index.ts'
import type { Stream } from '../../stream/index.ts'
import { planTemporalJoin } from './temporal-join.ts'
import { encodeKey, windowsOf } from './window.ts'

type Side = 'left' | 'right'

/** A side's time attribute plus a constant: `a.ts - INTERVAL '5' SECOND` is `{ side: left, offsetMs: -5000 }`. */
interface TimeTerm {
  readonly side: Side
  readonly offsetMs: number
}

/** `b.ts - a.ts` lies in `[lowerMs, upperMs]`. */
interface Bounds {
  lowerMs: number
  upperMs: number
}

export function planJoin(join: JoinRef, context: QueryContext): Relation {
  const { file } = context
  if (join.right.kind === 'table' && join.right.forSystemTimeAsOf !== undefined) {
    return planTemporalJoin(join, join.right, context)
  }
  if (join.type === 'CROSS' || (join.on === undefined && join.using === undefined)) {
    throw sqlUnsupported(
      file,
      join.at,
      'a join without a join condition (FROM a, b or CROSS JOIN)',
      'write an interval join: a JOIN b ON a.k = b.k AND b.ts BETWEEN a.ts - INTERVAL ... AND a.ts + INTERVAL ...',
    )
  }
  if (join.type !== 'INNER') throw sqlUnsupported(file, join.at, `a ${join.type} OUTER JOIN`)
  if (join.using !== undefined)
    throw sqlUnsupported(file, join.at, 'JOIN ... USING', 'write the condition with ON')
  // Step 1
  const left = planFromItem(join.left, context)
  const right = planFromItem(join.right, context)
  if (left.windows !== undefined || right.windows !== undefined)
    return planWindowJoin(join, left, right, context)

  // Step 2
  const leftKeys: Expr[] = []
  const rightKeys: Expr[] = []
  const rest: Expr[] = []
  const bounds: Bounds = { lowerMs: -Infinity, upperMs: Infinity }
  const timeTerm = (expr: Expr): TimeTerm | undefined => {
    const term = (column: Expr, offsetMs: number): TimeTerm | undefined => {
      if (column.kind !== 'column') return undefined
      if (left.timeColumn === column.name && resolves(left, column) && !resolves(right, column))
        return { side: 'left', offsetMs }
      if (right.timeColumn === column.name && resolves(right, column) && !resolves(left, column))
        return { side: 'right', offsetMs }
      return undefined
    }
    if (expr.kind === 'binary' && (expr.op === '+' || expr.op === '-') && expr.right.kind === 'interval') {
      return term(expr.left, expr.op === '+' ? expr.right.ms : -expr.right.ms)
    }
    return term(expr, 0)
  }
  /** `x op y` on time terms of both sides: narrows the bounds; false when it is no such comparison. */
  const bound = (x: Expr, op: string, y: Expr): boolean => {
    let a = timeTerm(x)
    let b = timeTerm(y)
    if (a === undefined || b === undefined || a.side === b.side) return false
    let relation = op
    if (a.side === 'right') {
      ;[a, b] = [b, a]
      relation = { '<': '>', '<=': '>=', '>': '<', '>=': '<=', '=': '=' }[op] ?? op
    }
    // left.ts + a <op> right.ts + b, so d = right.ts - left.ts <op'> a - b.
    const c = a.offsetMs - b.offsetMs
    if (relation === '<=' || relation === '=') bounds.lowerMs = Math.max(bounds.lowerMs, c)
    if (relation === '<') bounds.lowerMs = Math.max(bounds.lowerMs, c + 1)
    if (relation === '>=' || relation === '=') bounds.upperMs = Math.min(bounds.upperMs, c)
    if (relation === '>') bounds.upperMs = Math.min(bounds.upperMs, c - 1)
    return true
  }
  /** The conjuncts that bound the time attributes: conditions of a regular join when unbounded. */
  const timeConditions: Expr[] = []
  for (const conjunct of conjuncts(join.on!)) {
    if (conjunct.kind === 'between' && !conjunct.negated) {
      if (bound(conjunct.operand, '>=', conjunct.low) && bound(conjunct.operand, '<=', conjunct.high)) {
        timeConditions.push(conjunct)
        continue
      }
    }
    if (conjunct.kind === 'binary' && ['<', '<=', '>', '>=', '='].includes(conjunct.op)) {
      if (bound(conjunct.left, conjunct.op, conjunct.right)) {
        timeConditions.push(conjunct)
        continue
      }
      const key = joinKey(conjunct, left, right)
      if (key !== undefined) {
        leftKeys.push(key[0])
        rightKeys.push(key[1])
        continue
      }
    }
    rest.push(conjunct)
  }
  // Without both a lower and an upper bound between the time attributes it is a regular join, the
  // time comparisons among its conditions, as in Flink.
  const interval =
    left.timeColumn !== undefined &&
    right.timeColumn !== undefined &&
    Number.isFinite(bounds.lowerMs) &&
    Number.isFinite(bounds.upperMs)
  if (leftKeys.length === 0) {
    throw sqlUnsupported(
      file,
      join.at,
      `a${interval ? 'n interval' : ' regular'} join without an equality of the two sides (a join key)`,
    )
  }
  if (!interval) {
    return planRegularJoin(join, left, right, leftKeys, rightKeys, [...timeConditions, ...rest], context)
  }
  if (bounds.lowerMs > bounds.upperMs) {
    throw sqlInvalid(file, join.at, 'the time bounds of the join admit no pair of rows')
  }
  if (bounds.lowerMs > 0 || bounds.upperMs < 0) {
    throw sqlUnsupported(
      file,
      join.at,
      "time bounds that exclude the left row's own time",
      `widen them to include ${left.timeColumn} itself`,
    )
  }

  // Step 3
  const keyed = (relation: Relation, keys: readonly Expr[], role: Side) => {
    const reads = keys.map((k) => compileIn(relation, k, context).evaluate)
    const toObject = rowObject(relation.columns)
    return relation.stream
      .filter((row) => reads.every((read) => read(row) !== null), {
        name: context.name(`join-${role}-keyed`),
      })
      .map(toObject, { name: context.name(`join-${role}-row`) })
      .keyBy((row) => encodeKey(reads.map((read) => read(row))), { name: context.name(`join-${role}`) })
  }
  // Step 4: each side's row stays an object of its own, so same-named columns stay apart.
  const joined = keyed(left, leftKeys, 'left').intervalJoin(
    keyed(right, rightKeys, 'right'),
    { name: context.name('interval-join'), beforeMs: -bounds.lowerMs, afterMs: bounds.upperMs },
    (l, r) => ({ l, r }),
  )
  const relation: Relation = {
    stream: joined.map((pair) => pair as Row, { name: context.name('join-rows') }),
    columns: [...pairColumns(left, 'l'), ...pairColumns(right, 'r')],
  }

  // Step 5
  return filterPairs(relation, rest, context)
}

/**
 * A regular inner join of two insert-only inputs: both sides tagged and keyed by the join key
 * (one repartition topic), and per key a store of each side's rows so far. A row joins every row
 * of the other side stored under its key, then is stored itself: each pair comes out once, when
 * its later row arrives. The result is insert-only and has no time attribute (Flink's neither).
 */
function planRegularJoin(
  join: JoinRef,
  left: Relation,
  right: Relation,
  leftKeys: readonly Expr[],
  rightKeys: readonly Expr[],
  conditions: readonly Expr[],
  context: QueryContext,
): Relation {
  const { file } = context
  for (const side of [left, right]) {
    if (side.updating === true || side.versioned !== undefined) {
      throw sqlUnsupported(file, join.at, 'a regular join of an updating input (it needs retractions)')
    }
  }
  // Store names are the pipeline's: two per join.
  const stores = [context.name('join-left-rows'), context.name('join-right-rows')] as const
  const pairs = taggedSide(left, leftKeys, 0, 'join', context)
    .merge(taggedSide(right, rightKeys, 1, 'join', context), { name: context.name('join-sides') })
    .keyBy((t) => t.key, { name: context.name('join') })
    .process(
      (record, context) => {
        const t = record.value
        const mine = context.stores[stores[t.side]]!
        const theirs = context.stores[stores[1 - t.side]!]!
        mine.put(record.key, [...(mine.get(record.key) ?? []), t.row])
        return (theirs.get(record.key) ?? []).map((other): Row =>
          t.side === 0 ? { l: t.row, r: other } : { l: other, r: t.row },
        )
      },
      {
        name: context.name('regular-join'),
        stores: {
          [stores[0]]: valueStore<Array<Record<string, unknown>>>(),
          [stores[1]]: valueStore<Array<Record<string, unknown>>>(),
        },
        expand: true,
      },
    )
  const relation: Relation = {
    stream: pairs,
    columns: [...pairColumns(left, 'l'), ...pairColumns(right, 'r')],
  }
  return filterPairs(relation, conditions, context)
}

/**
 * A window join (Flink's): both sides window TVFs of the same windows, joined on
 * `l.window_start = r.window_start AND l.window_end = r.window_end` and at least one key equality.
 * Each window's rows of both sides with equal keys meet in one window of the DSL (keyed by the join
 * key: one repartition topic for both sides, their rows tagged with their side); when the watermark
 * closes the window, every pair of a left and a right row is one row, with each side's
 * window_start, window_end and window_time.
 */
function planWindowJoin(join: JoinRef, left: Relation, right: Relation, context: QueryContext): Relation {
  const { file } = context
  const spec = left.windows
  const other = right.windows
  if (spec === undefined || other === undefined) {
    throw sqlUnsupported(file, join.at, 'a join of a window TVF with a table that is not one')
  }
  if (spec.fn === 'SESSION' || other.fn === 'SESSION') {
    throw sqlUnsupported(file, join.at, 'a window join of SESSION windows')
  }
  if (
    spec.fn !== other.fn ||
    spec.sizeMs !== other.sizeMs ||
    spec.slideMs !== other.slideMs ||
    (spec.offsetMs ?? 0) !== (other.offsetMs ?? 0)
  ) {
    throw sqlInvalid(file, join.at, 'a window join needs the same windows on both sides')
  }
  const leftQualifiers = left.columns[0]?.qualifiers ?? []
  const rightQualifiers = right.columns[0]?.qualifiers ?? []
  /** `l.window_start` and the like: which side's which window column. */
  const windowColumn = (e: Expr): { side: Side; name: string } | undefined => {
    if (e.kind !== 'column' || (e.name !== WINDOW_START && e.name !== WINDOW_END)) return undefined
    if (e.qualifier === undefined) return undefined
    if (leftQualifiers.includes(e.qualifier)) return { side: 'left', name: e.name }
    if (rightQualifiers.includes(e.qualifier)) return { side: 'right', name: e.name }
    return undefined
  }
  const leftKeys: Expr[] = []
  const rightKeys: Expr[] = []
  const rest: Expr[] = []
  const joinedWindows = new Set<string>()
  for (const conjunct of conjuncts(join.on!)) {
    if (conjunct.kind === 'binary' && conjunct.op === '=') {
      const a = windowColumn(conjunct.left)
      const b = windowColumn(conjunct.right)
      if (a !== undefined && b !== undefined && a.name === b.name && a.side !== b.side) {
        joinedWindows.add(a.name)
        continue
      }
      const key = joinKey(conjunct, left, right)
      if (key !== undefined) {
        leftKeys.push(key[0])
        rightKeys.push(key[1])
        continue
      }
    }
    rest.push(conjunct)
  }
  if (!joinedWindows.has(WINDOW_START) || !joinedWindows.has(WINDOW_END)) {
    throw sqlUnsupported(
      file,
      join.at,
      'a join of window TVFs without l.window_start = r.window_start AND l.window_end = r.window_end',
    )
  }
  if (leftKeys.length === 0) {
    throw sqlUnsupported(file, join.at, 'a window join without an equality of the two sides (a join key)')
  }

  type Rows = { l: Array<Record<string, unknown>>; r: Array<Record<string, unknown>> }
  // Each side's rows as plain objects, tagged with their side, keyed by the join key.
  const pairs = taggedSide(left, leftKeys, 0, 'window-join', context)
    .merge(taggedSide(right, rightKeys, 1, 'window-join', context), {
      name: context.name('window-join-sides'),
    })
    .keyBy((t) => t.key, { name: context.name('window-join') })
    .window(windowsOf(spec))
    .aggregate(
      {
        init: (): Rows => ({ l: [], r: [] }),
        add: (acc: Rows, t: Tagged) => {
          ;(t.side === 0 ? acc.l : acc.r).push(t.row)
          return acc
        },
        merge: (a: Rows, b: Rows): Rows => ({ l: [...a.l, ...b.l], r: [...a.r, ...b.r] }),
      },
      { name: context.name('window-join-rows') },
    )
    .flatMap(
      (result) => {
        const windowColumns = {
          [WINDOW_START]: result.window.startMs,
          [WINDOW_END]: result.window.endMs,
          [WINDOW_TIME]: result.window.endMs - 1,
        }
        const rows = result.value as Rows
        const out: Row[] = []
        for (const l of rows.l) {
          for (const r of rows.r) out.push({ l: { ...l, ...windowColumns }, r: { ...r, ...windowColumns } })
        }
        return out
      },
      { name: context.name('window-join-pairs') },
    )
  const TIMESTAMP_3: SqlType = { kind: 'TIMESTAMP', precision: 3, nullable: false }
  const sideColumns = (
    relation: Relation,
    part: 'l' | 'r',
    qualifiers: readonly string[],
  ): RelationColumn[] => {
    const time = (part === 'l' ? spec : other).timeType
    const windowTime: SqlType =
      time.kind === 'TIMESTAMP_LTZ' ? { kind: 'TIMESTAMP_LTZ', precision: 3, nullable: false } : TIMESTAMP_3
    const windowColumns = [
      { name: WINDOW_START, type: TIMESTAMP_3 },
      { name: WINDOW_END, type: TIMESTAMP_3 },
      { name: WINDOW_TIME, type: windowTime },
    ]
    return [...relation.columns, ...windowColumns.map((c) => ({ ...c, qualifiers }))].map((c) => {
      const read = fieldReader(c.name)
      return { ...c, read: (row: Row) => read((row as Record<string, unknown>)[part]) }
    })
  }
  const relation: Relation = {
    stream: pairs,
    columns: [...sideColumns(left, 'l', leftQualifiers), ...sideColumns(right, 'r', rightQualifiers)],
  }
  return filterPairs(relation, rest, context)
}

/** A row of one join side on its way to the other's, as it crosses the repartition topic. */
interface Tagged {
  readonly side: 0 | 1
  readonly key: unknown
  readonly row: Record<string, unknown>
}

/** A side's rows with a key (a null key equals nothing), as plain objects tagged with the side. */
function taggedSide(
  relation: Relation,
  keys: readonly Expr[],
  side: 0 | 1,
  operator: string,
  context: QueryContext,
): Stream<Tagged> {
  const role = side === 0 ? 'left' : 'right'
  const reads = keys.map((k) => compileIn(relation, k, context).evaluate)
  const toObject = rowObject(relation.columns)
  return relation.stream
    .filter((row) => reads.every((read) => read(row) !== null), {
      name: context.name(`${operator}-${role}-keyed`),
    })
    .map((row): Tagged => ({ side, key: encodeKey(reads.map((read) => read(row))), row: toObject(row) }), {
      name: context.name(`${operator}-${role}-row`),
    })
}

/** `a AND b AND ...` of conditions (at least one). */
export function conjunction(conditions: readonly Expr[]): Expr {
  return conditions.reduce((a, b): Expr => ({ kind: 'binary', op: 'AND', left: a, right: b, at: a.at }))
}

/** The join's other conditions over its pairs: a filter, or nothing without any. */
function filterPairs(relation: Relation, conditions: readonly Expr[], context: QueryContext): Relation {
  return conditions.length === 0 ? relation : applyWhere(relation, conjunction(conditions), context)
}

/** A side's columns in the rows of a join, `{ l, r }`: each side's row stays an object of its own. */
function pairColumns(relation: Relation, part: 'l' | 'r'): RelationColumn[] {
  return relation.columns.map((c) => {
    const read = fieldReader(c.name)
    return { ...c, read: (row: Row) => read((row as Record<string, unknown>)[part]) }
  })
}

/** `l = r` with each side reading one join side: the key pair, left side first. */
export function joinKey(conjunct: Expr, left: Relation, right: Relation): [Expr, Expr] | undefined {
  if (conjunct.kind !== 'binary' || conjunct.op !== '=') return undefined
  const l = sideOfIn(conjunct.left, left, right)
  const r = sideOfIn(conjunct.right, left, right)
  if (l === 'left' && r === 'right') return [conjunct.left, conjunct.right]
  if (l === 'right' && r === 'left') return [conjunct.right, conjunct.left]
  return undefined
}

/** Which side of a join an expression reads: one of them, both, or undefined (none, or ambiguous). */
function sideOfIn(expr: Expr, left: Relation, right: Relation): Side | 'both' | undefined {
  const sides = new Set<Side>()
  for (const ref of columnRefs(expr)) {
    const inLeft = resolves(left, ref)
    const inRight = resolves(right, ref)
    if (inLeft && inRight) return undefined
    if (inLeft) sides.add('left')
    else if (inRight) sides.add('right')
  }
  if (sides.size === 2) return 'both'
  return sides.size === 1 ? [...sides][0] : undefined
}

export function conjuncts(expr: Expr): Expr[] {
  return expr.kind === 'binary' && expr.op === 'AND'
    ? [...conjuncts(expr.left), ...conjuncts(expr.right)]
    : [expr]
}

function columnRefs(expr: Expr): ColumnExpr[] {
  return [...walkExpr(expr)].filter((n): n is ColumnExpr => n.kind === 'column')
}

/** Whether `ref` names a column of `relation` (by name, and by qualifier when it has one). */
export function resolves(relation: Relation, ref: ColumnExpr): boolean {
  return relation.columns.some(
    (c) => c.name === ref.name && (ref.qualifier === undefined || c.qualifiers.includes(ref.qualifier)),
  )
}
