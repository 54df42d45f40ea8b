/**
 * Queries: WITH, SELECT, set operations, ORDER BY, LIMIT. The grammar nests a chain of UNION,
 * INTERSECT and EXCEPT to the right, all at one precedence; SQL (and Flink) binds INTERSECT
 * tighter and groups the others left to right, so a chain without parentheses is flattened and
 * regrouped here.
 */
import type {
  Expr,
  OrderItem,
  OverExpr,
  Query,
  SelectItem,
  SelectQuery,
  SetOperationQuery,
  WithItem,
} from '../ast.ts'
import { at, invalid, sourceText, unsupported, type Converter } from './context.ts'
import { booleanExpr, columnNameExpr, columnPath, expr, primaryExpr, valueExpr } from './expressions.ts'
import { fromItem } from './from.ts'
import { grouping } from './grouping.ts'
import {
  ColumnNameContext,
  PrimaryExpressionContext,
  reparseExpression,
  type ColumnProjectItemContext,
  type LimitClauseContext,
  type OrderByClauseContext,
  type OrderItemDefinitionContext,
  type OverWindowItemContext,
  type PartitionByClauseContext,
  type QueryStatementContext,
  type SelectClauseContext,
  type SelectStatementContext,
  type WhereClauseContext,
  type WithItemContext,
} from './grammar.ts'
import { identifierName } from './names.ts'

export function queryExpr(cv: Converter, ctx: QueryStatementContext): Query {
  if (ctx.valuesClause()) throw unsupported(cv, ctx, 'VALUES')
  const withClause = ctx.withClause()
  if (withClause) {
    const items = withClause.withItem().map((item) => withItem(cv, item))
    const query = queryExpr(cv, ctx.queryStatement(0)!)
    return { ...query, with: [...items, ...query.with], at: at(ctx) }
  }
  if (ctx._operator) return setOperation(cv, ctx)
  const select = ctx.selectStatement()
  const selectClause = select?.selectClause() ?? ctx.selectClause()
  if (selectClause) return selectQuery(cv, ctx, selectClause, select ?? undefined)
  return queryExpr(cv, ctx.queryStatement(0)!)
}

function withItem(cv: Converter, ctx: WithItemContext): WithItem {
  if (ctx.columnName().length > 0) throw unsupported(cv, ctx, 'column list of a WITH query')
  const name = identifierName(cv, ctx.withItemName().identifier())
  return { name, query: queryExpr(cv, ctx.queryStatement()), at: at(ctx) }
}

// -- Set operations ------------------------------------------------------------------------------

type SetOp = SetOperationQuery['op']

function setOperation(cv: Converter, ctx: QueryStatementContext): Query {
  const operands: Query[] = []
  const ops: SetOp[] = []
  flattenSetOperation(cv, ctx, operands, ops)
  // INTERSECT first, then UNION and EXCEPT left to right.
  const terms: Query[] = [operands[0]!]
  const termOps: SetOp[] = []
  ops.forEach((op, i) => {
    const right = operands[i + 1]!
    if (op === 'INTERSECT') terms.push(setNode(op, terms.pop()!, right))
    else {
      termOps.push(op)
      terms.push(right)
    }
  })
  return termOps.reduce((left, op, i) => setNode(op, left, terms[i + 1]!), terms[0]!)
}

function setNode(op: SetOp, left: Query, right: Query): SetOperationQuery {
  return { kind: 'set-operation', op, with: [], left, right, at: left.at }
}

function flattenSetOperation(
  cv: Converter,
  ctx: QueryStatementContext,
  operands: Query[],
  ops: SetOp[],
): void {
  if (ctx.orderByClause() || ctx.limitClause()) {
    throw unsupported(cv, ctx, 'ORDER BY or LIMIT on a set operation', 'wrap the set operation in a subquery')
  }
  const left = ctx._left!
  if (left._operator) flattenSetOperation(cv, left, operands, ops)
  else operands.push(queryExpr(cv, left))
  ops.push(setOperator(cv, ctx))
  const right = ctx._right!
  if (right._operator) return flattenSetOperation(cv, right, operands, ops)
  if (!right.LR_BRACKET() && (right.orderByClause() || right.limitClause())) {
    throw unsupported(
      cv,
      right,
      'ORDER BY or LIMIT on a set operation',
      'wrap the set operation in a subquery',
    )
  }
  operands.push(queryExpr(cv, right))
}

function setOperator(cv: Converter, ctx: QueryStatementContext): SetOp {
  const op = (ctx._operator!.text ?? '').toUpperCase()
  const all = ctx.KW_ALL() !== null
  if (op === 'UNION') return all ? 'UNION ALL' : 'UNION'
  if (all) throw unsupported(cv, ctx._operator!, `${op} ALL`)
  return op as 'INTERSECT' | 'EXCEPT'
}

// -- SELECT --------------------------------------------------------------------------------------

function selectQuery(
  cv: Converter,
  ctx: QueryStatementContext,
  clause: SelectClauseContext,
  select: SelectStatementContext | undefined,
): SelectQuery {
  if (select?.matchRecognizeClause()) throw unsupported(cv, select.matchRecognizeClause()!, 'MATCH_RECOGNIZE')
  if (select?.windowClause())
    throw unsupported(cv, select.windowClause()!, 'WINDOW clause', 'write the window in OVER (...)')
  const fromClause = select?.fromClause()
  const where = select?.whereClause()
  const having = select?.havingClause()
  const limit = ctx.limitClause()
  return {
    kind: 'select',
    with: [],
    distinct: clause.setQuantifier()?.KW_DISTINCT() != null,
    items: clause
      .selectList()
      .columnProjectItem()
      .map((item) => selectItem(cv, item)),
    from: fromClause ? fromItem(cv, fromClause.tableExpression()) : undefined,
    where: where ? whereExpr(cv, where) : undefined,
    ...grouping(cv, select?.groupByClause()),
    having: having ? booleanExpr(cv, having.booleanExpression()) : undefined,
    orderBy: orderBy(cv, ctx.orderByClause()),
    limit: limit ? limitValue(cv, limit) : undefined,
    at: at(ctx),
  }
}

function selectItem(cv: Converter, ctx: ColumnProjectItemContext): SelectItem {
  const position = at(ctx)
  const window = ctx.selectWindowItemColumnName()
  if (window) {
    const item = window.overWindowItem()
    return { kind: 'expr', expr: overExpr(cv, item), alias: identifierName(cv, item._alias!), at: position }
  }
  const star = ctx.tableAllColumns()
  if (star) {
    if (ctx.columnAlias()) throw invalid(cv, ctx, `${star.getText()} cannot have an alias`)
    const qualifier = star.identifier().map((part) => identifierName(cv, part))
    return { kind: 'star', ...(qualifier.length > 0 && { qualifier: qualifier.join('.') }), at: position }
  }
  const literal = ctx.selectLiteralColumnName()
  if (literal && ctx.expression() && !ctx.KW_AS())
    return { kind: 'expr', expr: reparsedItem(cv, ctx), at: position }
  const value = literal
    ? columnNameExpr(cv, literal.columnName())
    : expr(cv, ctx.selectExpressionColumnName()!.expression())
  return { kind: 'expr', expr: value, alias: itemAlias(cv, ctx, literal !== null), at: position }
}

/**
 * `SELECT a - b, c`: the grammar allows `column [AS] expression` as an item, and where both fit,
 * ANTLR takes it (`a` aliased `-b`). SQL means the arithmetic, so the item is parsed again as one
 * expression.
 */
function reparsedItem(cv: Converter, ctx: ColumnProjectItemContext): Expr {
  const reparsed = reparseExpression(cv.tokens, ctx.start!.tokenIndex, ctx.stop!.tokenIndex)
  if (!reparsed) throw invalid(cv, ctx, `expected an expression and an alias, got ${sourceText(cv, ctx)}`)
  return expr(cv, reparsed)
}

/** `AS alias`, `alias`; the grammar also lets an expression or a column name stand there. */
function itemAlias(cv: Converter, ctx: ColumnProjectItemContext, literal: boolean): string | undefined {
  const alias = ctx.columnAlias()
  if (alias) return identifierName(cv, alias._alias!)
  const other = literal ? ctx.expression() : ctx.columnName()
  if (!other) return undefined
  const asExpr = other instanceof ColumnNameContext ? columnNameExpr(cv, other) : expr(cv, other)
  if (asExpr.kind === 'column' && asExpr.qualifier === undefined) return asExpr.name
  throw invalid(cv, other, `expected an alias, got ${other.getText()}`)
}

function overExpr(cv: Converter, ctx: OverWindowItemContext): OverExpr {
  const call = primaryExpr(cv, ctx.primaryExpression())
  if (call.kind !== 'call') throw invalid(cv, ctx, 'OVER needs a function call before it')
  const spec = ctx.windowSpec()
  if (!spec || spec._name) throw unsupported(cv, ctx, 'named window', 'write the window in OVER (...)')
  const frame = spec.windowFrame()
  return {
    kind: 'over',
    call,
    partitionBy: partitionBy(cv, spec.partitionByClause()),
    orderBy: orderBy(cv, spec.orderByClause()),
    ...(frame && { frame: sourceText(cv, frame) }),
    at: at(ctx),
  }
}

function partitionBy(cv: Converter, ctx: PartitionByClauseContext | null): Expr[] {
  if (!ctx) return []
  const result: Expr[] = []
  for (const child of ctx.children ?? []) {
    if (child instanceof ColumnNameContext) result.push(columnNameExpr(cv, child))
    else if (child instanceof PrimaryExpressionContext) result.push(primaryExpr(cv, child))
  }
  return result
}

export function orderBy(cv: Converter, ctx: OrderByClauseContext | null): OrderItem[] {
  return ctx ? ctx.orderItemDefinition().map((item) => orderItem(cv, item)) : []
}

function orderItem(cv: Converter, ctx: OrderItemDefinitionContext): OrderItem {
  const column = ctx.columnName()
  const value = column ? columnNameExpr(cv, column) : valueExpr(cv, ctx.valueExpression()!)
  const nulls = ctx._nullOrder?.text?.toUpperCase()
  return {
    expr: value,
    descending: ctx._ordering?.text?.toUpperCase() === 'DESC',
    ...(nulls !== undefined && { nullsFirst: nulls === 'FIRST' }),
    at: at(ctx),
  }
}

function limitValue(cv: Converter, ctx: LimitClauseContext): number | undefined {
  if (ctx.KW_ALL()) return undefined
  const value = expr(cv, ctx._limit!)
  if (
    value.kind === 'literal' &&
    typeof value.value === 'number' &&
    Number.isInteger(value.value) &&
    value.value >= 0
  ) {
    return value.value
  }
  throw unsupported(cv, ctx, 'LIMIT other than a non-negative integer')
}

function whereExpr(cv: Converter, ctx: WhereClauseContext): Expr {
  const condition = ctx.booleanExpression()
  if (condition) return booleanExpr(cv, condition)
  return columnPath(cv, ctx.columnNamePathAllowEmpty()!.uidAllowEmpty()!)
}
