/** FROM: tables (with hints and FOR SYSTEM_TIME AS OF), subqueries, joins, window TVFs. */
import type { Expr, FromItem, JoinRef, SubqueryRef, TableRef } from '../ast.ts'
import { at, invalid, unsupported, type Converter } from './context.ts'
import { booleanExpr, columnPath, expr } from './expressions.ts'
import type {
  JoinConditionContext,
  TableExpressionContext,
  TablePrimaryContext,
  TableReferenceContext,
} from './grammar.ts'
import { hintsAfter } from './hints.ts'
import { identifierName, pathName, simpleColumnName } from './names.ts'
import { queryExpr } from './query.ts'
import { windowTableRef } from './window-tvf.ts'

export function fromItem(cv: Converter, ctx: TableExpressionContext): FromItem {
  if (ctx.KW_JOIN()) return joinRef(cv, ctx)
  const window = ctx.windowTVFClause()
  if (window) return windowTableRef(cv, window)
  if (ctx.inlineDataValueClause()) throw unsupported(cv, ctx, 'VALUES in FROM')
  const refs: FromItem[] = ctx.tableReference().map((ref) => tableReference(cv, ref))
  return refs.reduce((left, right): FromItem => ({ kind: 'join', type: 'CROSS', left, right, at: left.at }))
}

function joinRef(cv: Converter, ctx: TableExpressionContext): JoinRef {
  if (ctx.KW_NATURAL())
    throw unsupported(cv, ctx.KW_NATURAL()!, 'NATURAL JOIN', 'write the join condition with ON')
  const left = fromItem(cv, ctx.tableExpression(0)!)
  const right = fromItem(cv, ctx.tableExpression(1)!)
  if (ctx.KW_CROSS()) return { kind: 'join', type: 'CROSS', left, right, at: left.at }
  const type = ctx.KW_LEFT() ? 'LEFT' : ctx.KW_RIGHT() ? 'RIGHT' : ctx.KW_FULL() ? 'FULL' : 'INNER'
  const condition = ctx.joinCondition()
  if (!condition) throw invalid(cv, ctx.KW_JOIN()!, `${type} JOIN needs ON or USING`)
  return { kind: 'join', type, left, right, ...joinCondition(cv, condition), at: left.at }
}

function joinCondition(cv: Converter, ctx: JoinConditionContext): { on: Expr } | { using: string[] } {
  const list = ctx.columnNameList()
  if (list) return { using: list.columnName().map((c) => simpleColumnName(cv, c)) }
  const condition = ctx.booleanExpression()
  if (condition) return { on: booleanExpr(cv, condition) }
  const [left, right] = ctx.columnNamePathAllowEmpty().map((c) => columnPath(cv, c.uidAllowEmpty()!))
  if (!right) return { on: left! }
  return { on: { kind: 'binary', op: '=', left: left!, right, at: left!.at } }
}

function tableReference(cv: Converter, ctx: TableReferenceContext): TableRef | SubqueryRef {
  const aliasCtx = ctx.tableAlias()
  if (aliasCtx?.identifierList()) throw unsupported(cv, aliasCtx, 'column aliases after a table alias')
  const alias = aliasCtx ? identifierName(cv, aliasCtx._alias!) : undefined
  return tablePrimary(cv, ctx.tablePrimary(), alias)
}

function tablePrimary(
  cv: Converter,
  ctx: TablePrimaryContext,
  alias: string | undefined,
): TableRef | SubqueryRef {
  const path = ctx.tablePath() ?? ctx.viewPath()
  if (path) {
    const period = ctx.systemTimePeriod()
    return {
      kind: 'table',
      name: pathName(cv, path),
      ...(alias !== undefined && { alias }),
      hints: hintsAfter(cv, path.stop!.tokenIndex),
      ...(period && { forSystemTimeAsOf: expr(cv, period.dateTimeExpression().expression()) }),
      at: at(ctx),
    }
  }
  if (ctx.atomFunctionTable()) throw unsupported(cv, ctx, 'LATERAL TABLE function')
  const atom = ctx.atomExpressionTable()!
  if (atom.KW_UNNEST()) throw unsupported(cv, atom, 'UNNEST')
  if (atom.KW_LATERAL()) throw unsupported(cv, atom, 'LATERAL subquery')
  return {
    kind: 'subquery',
    query: queryExpr(cv, atom.queryStatement()!),
    ...(alias !== undefined && { alias }),
    at: at(ctx),
  }
}
