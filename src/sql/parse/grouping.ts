/**
 * GROUP BY: plain items, group window functions (`SESSION(ts, INTERVAL ...)`), and at most one
 * GROUPING SETS, ROLLUP or CUBE, whose sets are kept apart from the plain items (`groupingSets` of
 * SelectQuery). ROLLUP (a, b) is the sets (a, b), (a), (); CUBE (a, b) is (a, b), (a), (b), ().
 */
import type { Expr } from '../ast.ts'
import { at, unsupported, type Converter } from './context.ts'
import { columnNameExpr, columnPath, expr } from './expressions.ts'
import type { GroupByClauseContext, GroupItemDefinitionContext } from './grammar.ts'
import { intervalExpr } from './interval.ts'

export interface Grouping {
  groupBy: Expr[]
  groupingSets?: Expr[][]
}

export function grouping(cv: Converter, ctx: GroupByClauseContext | null | undefined): Grouping {
  const result: Grouping = { groupBy: [] }
  for (const item of ctx?.groupItemDefinition() ?? []) {
    const sets = groupingSets(cv, item)
    if (!sets) result.groupBy.push(...plainItem(cv, item))
    else if (result.groupingSets)
      throw unsupported(cv, item, 'two GROUPING SETS, ROLLUP or CUBE in one GROUP BY')
    else result.groupingSets = sets
  }
  return result
}

function plainItem(cv: Converter, ctx: GroupItemDefinitionContext, inSets = false): Expr[] {
  const column = ctx.columnName()
  if (column) return [columnNameExpr(cv, column)]
  const window = ctx.groupWindowFunction()
  if (window) {
    const name = window.groupWindowFunctionName().getText().toUpperCase()
    const args = [
      columnPath(cv, window.timeAttrColumn().uid()),
      intervalExpr(cv, window.timeIntervalExpression()),
    ]
    return [{ kind: 'call', name, args, star: false, distinct: false, at: at(window) }]
  }
  const exprs = ctx.expression()
  if (exprs.length === 0 && !inSets) throw unsupported(cv, ctx, 'empty grouping set () outside GROUPING SETS')
  return exprs.map((e) => expr(cv, e))
}

function groupingSets(cv: Converter, ctx: GroupItemDefinitionContext): Expr[][] | undefined {
  if (ctx.groupingSets()) {
    return ctx.groupItemDefinition().map((inner) => {
      if (inner.groupingSets() || inner.groupingSetsNotationName()) {
        throw unsupported(cv, inner, 'nested GROUPING SETS, ROLLUP or CUBE')
      }
      return plainItem(cv, inner, true)
    })
  }
  const notation = ctx.groupingSetsNotationName()
  if (!notation) return undefined
  const items = ctx.expression().map((e) => expr(cv, e))
  return notation.getText().toUpperCase() === 'ROLLUP' ? rollup(items) : cube(items)
}

function rollup(items: readonly Expr[]): Expr[][] {
  return items.map((_, i) => items.slice(0, items.length - i)).concat([[]])
}

/** Every subset, the full set first and the empty set last. */
function cube(items: readonly Expr[]): Expr[][] {
  const sets: Expr[][] = []
  for (let mask = (1 << items.length) - 1; mask >= 0; mask--) {
    sets.push(items.filter((_, i) => (mask & (1 << (items.length - 1 - i))) !== 0))
  }
  return sets
}
