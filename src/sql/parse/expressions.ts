/**
 * Expressions. Precedence and associativity come from the grammar's left-recursive rules, low to
 * high: OR, AND, NOT, then `IS [NOT] TRUE|FALSE|UNKNOWN|NULL` on a boolean expression; in a value
 * expression: comparisons, `+ - ||`, `* / %`, unary `- +`. All binary operators associate left.
 * One difference from Flink (Calcite) is repaired here: `||` is at the level of `* / %` there, so
 * `a + b || c` is `a + (b || c)` and `a || b * c` is `(a || b) * c`, where the grammar reads
 * `(a + b) || c` and `a || (b * c)`.
 */
import type { BinaryOperator, CallExpr, Expr } from '../ast.ts'
import { at, invalid, sourceText, unsupported, type Converter } from './context.ts'
import { callExpr } from './functions.ts'
import type { BooleanExpressionContext } from './grammar.ts'
import {
  ArithmeticBinaryContext,
  ArithmeticUnaryContext,
  CastContext,
  ColumnReferenceContext,
  ComparisonContext,
  ConstantDefaultContext,
  DereferenceContext,
  ExistsContext,
  ExtractContext,
  ExtractUnitContext,
  FirstContext,
  FunctionCallContext,
  LastContext,
  LogicalBinaryContext,
  LogicalNestedContext,
  LogicalNotContext,
  ParenthesizedExpressionContext,
  PositionContext,
  PredicatedContext,
  SearchedCaseContext,
  SimpleCaseContext,
  StarContext,
  SubqueryExpressionContext,
  SubscriptContext,
  SubstringContext,
  FloorCeilToContext,
  TrimContext,
  ValueExpressionDefaultContext,
  type ComparisonOperatorContext,
  type ConstantContext,
  type ExpressionContext,
  type PrimaryExpressionContext,
  type UidAllowEmptyContext,
  type UidContext,
  type ColumnNameContext,
  type ValueExpressionContext,
  type WhenClauseContext,
} from './grammar.ts'
import { intervalExpr } from './interval.ts'
import {
  booleanLiteral,
  integerLiteral,
  nullLiteral,
  realLiteral,
  stringLiteral,
  symbolLiteral,
} from './literals.ts'
import { uidParts, unquoteBackquoted, type NamePart } from './names.ts'
import { predicateExpr } from './predicates.ts'
import { sqlType } from './data-types.ts'

export function expr(cv: Converter, ctx: ExpressionContext): Expr {
  return booleanExpr(cv, ctx.booleanExpression())
}

export function booleanExpr(cv: Converter, ctx: BooleanExpressionContext): Expr {
  if (ctx instanceof PredicatedContext) {
    const operand = valueExpr(cv, ctx.valueExpression())
    const predicate = ctx.predicate()
    return predicate ? predicateExpr(cv, operand, predicate) : operand
  }
  if (ctx instanceof LogicalBinaryContext) {
    const op = ctx.KW_AND() ? 'AND' : 'OR'
    return binary(op, booleanExpr(cv, ctx._left!), booleanExpr(cv, ctx._right!), ctx)
  }
  if (ctx instanceof LogicalNotContext) {
    return { kind: 'unary', op: 'NOT', operand: booleanExpr(cv, ctx.booleanExpression()), at: at(ctx) }
  }
  if (ctx instanceof LogicalNestedContext) {
    const test = (ctx._kind?.text ?? '').toUpperCase() as 'NULL' | 'TRUE' | 'FALSE' | 'UNKNOWN'
    const operand = booleanExpr(cv, ctx.booleanExpression())
    return { kind: 'is', operand, test, negated: ctx.KW_NOT() !== null, at: at(ctx) }
  }
  if (ctx instanceof ExistsContext) throw unsupported(cv, ctx, 'EXISTS subquery')
  throw invalid(cv, ctx, `unexpected expression ${sourceText(cv, ctx)}`)
}

function binary(
  op: BinaryOperator,
  left: Expr,
  right: Expr,
  ctx: BooleanExpressionContext | ValueExpressionContext,
): Expr {
  return { kind: 'binary', op, left, right, at: at(ctx) }
}

const ARITHMETIC: Readonly<Record<string, BinaryOperator>> = {
  '*': '*',
  '/': '/',
  '%': '%',
  '+': '+',
  '-': '-',
  '||': '||',
}

export function valueExpr(cv: Converter, ctx: ValueExpressionContext): Expr {
  if (ctx instanceof ValueExpressionDefaultContext) return primaryExpr(cv, ctx.primaryExpression())
  if (ctx instanceof ArithmeticBinaryContext) {
    const symbol = ctx._operator?.text ?? ''
    const op = ARITHMETIC[symbol]
    if (!op) throw unsupported(cv, ctx._operator!, `operator ${symbol.toUpperCase()}`)
    const left = valueExpr(cv, ctx._left!)
    const right = valueExpr(cv, ctx._right!)
    return op === '||' ? concat(left, right) : binary(op, left, right, ctx)
  }
  if (ctx instanceof ComparisonContext) {
    const op = comparisonOperator(cv, ctx.comparisonOperator())
    return binary(op, valueExpr(cv, ctx._left!), valueExpr(cv, ctx._right!), ctx)
  }
  if (ctx instanceof ArithmeticUnaryContext) return unaryExpr(cv, ctx)
  throw invalid(cv, ctx, `unexpected expression ${sourceText(cv, ctx)}`)
}

/** Expressions written in parentheses: their grouping is the user's, never rearranged. */
const parenthesized = new WeakSet<Expr>()

const ADDITIVE = new Set(['+', '-'])
const MULTIPLICATIVE = new Set(['*', '/', '%'])

function regroupable(e: Expr, ops: ReadonlySet<string>): e is Expr & { kind: 'binary' } {
  return e.kind === 'binary' && ops.has(e.op) && !parenthesized.has(e)
}

/**
 * `left || right` at Flink's precedence: `||` takes the last operand of an unparenthesized `+`/`-`
 * on its left, and the first operand of an unparenthesized `*`/`/`/`%` on its right, where it then
 * associates left with them.
 */
function concat(left: Expr, right: Expr): Expr {
  if (regroupable(left, ADDITIVE)) return { ...left, right: concat(left.right, right) }
  if (regroupable(right, MULTIPLICATIVE)) return { ...right, left: concat(left, right.left), at: left.at }
  return { kind: 'binary', op: '||', left, right, at: left.at }
}

function unaryExpr(cv: Converter, ctx: ArithmeticUnaryContext): Expr {
  const symbol = ctx._operator?.text ?? ''
  if (symbol !== '-' && symbol !== '+') throw unsupported(cv, ctx, `operator ${symbol}`)
  return { kind: 'unary', op: symbol, operand: valueExpr(cv, ctx.valueExpression()), at: at(ctx) }
}

function comparisonOperator(cv: Converter, ctx: ComparisonOperatorContext): BinaryOperator {
  const text = ctx.getText()
  switch (text) {
    case '=':
    case '<':
    case '>':
    case '<=':
    case '>=':
    case '<>':
      return text
    case '!=':
      return '<>'
    default:
      throw unsupported(cv, ctx, `operator ${text}`, 'use IS NOT DISTINCT FROM')
  }
}

export function primaryExpr(cv: Converter, ctx: PrimaryExpressionContext): Expr {
  if (ctx instanceof ConstantDefaultContext) return constantExpr(cv, ctx.constant())
  if (ctx instanceof ColumnReferenceContext) return columnPath(cv, ctx.columnNamePath().uid())
  if (ctx instanceof DereferenceContext) return columnPath(cv, ctx.dereferenceDefinition().uid())
  if (ctx instanceof FunctionCallContext) return callExpr(cv, ctx.functionCallExpression())
  if (ctx instanceof ParenthesizedExpressionContext) {
    const inner = expr(cv, ctx.expression())
    parenthesized.add(inner)
    return inner
  }
  if (ctx instanceof SearchedCaseContext || ctx instanceof SimpleCaseContext) return caseExpr(cv, ctx)
  if (ctx instanceof CastContext) {
    const type = sqlType(cv, ctx.columnType())
    return { kind: 'cast', operand: expr(cv, ctx.expression()), type, try: false, at: at(ctx) }
  }
  if (ctx instanceof SubscriptContext) {
    const of = primaryExpr(cv, ctx.primaryExpression())
    return { kind: 'item', of, index: valueExpr(cv, ctx.valueExpression()), at: at(ctx) }
  }
  return otherPrimary(cv, ctx)
}

function otherPrimary(cv: Converter, ctx: PrimaryExpressionContext): Expr {
  const standard = standardForm(cv, ctx)
  if (standard) return standard
  if (ctx instanceof FirstContext || ctx instanceof LastContext) {
    if (ctx.KW_IGNORE()) throw unsupported(cv, ctx, 'IGNORE NULLS')
    const name = ctx instanceof FirstContext ? 'FIRST' : 'LAST'
    return {
      kind: 'call',
      name,
      args: [expr(cv, ctx.expression())],
      star: false,
      distinct: false,
      at: at(ctx),
    }
  }
  if (ctx instanceof SubqueryExpressionContext) throw unsupported(cv, ctx, 'scalar subquery')
  if (ctx instanceof StarContext)
    throw invalid(cv, ctx, `${ctx.getText()} is only valid in a select list or COUNT(*)`)
  throw invalid(cv, ctx, `unexpected expression ${sourceText(cv, ctx)}`)
}

function call(name: string, args: Expr[], ctx: PrimaryExpressionContext): CallExpr {
  return { kind: 'call', name, args, star: false, distinct: false, at: at(ctx) }
}

/**
 * SQL's keyword forms of a few functions, as the calls the expression compiler takes:
 * `POSITION(a IN b)` is `POSITION(a, b)`; `EXTRACT(unit FROM t)` is `EXTRACT(unit, t)` with the unit
 * a symbol; `FLOOR(t TO unit)` / `CEIL(t TO unit)` is `FLOOR(t, unit)`, the unit a symbol;
 * `SUBSTRING(s FROM i [FOR n])` is `SUBSTRING(s, i [, n])`; `TRIM([flag] [chars] FROM s)`
 * is `TRIM(flag, [chars,] s)`, flag a symbol: BOTH at the TRIM keyword when not written, as the
 * compiler reads a TRIM with more than one argument only after its flag. `TRIM(s)` stays a plain call.
 */
function standardForm(cv: Converter, ctx: PrimaryExpressionContext): CallExpr | undefined {
  if (ctx instanceof PositionContext) {
    return call('POSITION', [valueExpr(cv, ctx._substr!), valueExpr(cv, ctx._str!)], ctx)
  }
  if (ctx instanceof ExtractContext || ctx instanceof ExtractUnitContext) {
    const unitCtx = ctx instanceof ExtractContext ? ctx._field! : ctx._unit!
    const unit = symbolLiteral(unitCtx.getText(), at(unitCtx))
    return call('EXTRACT', [unit, valueExpr(cv, ctx._source!)], ctx)
  }
  if (ctx instanceof FloorCeilToContext) {
    const unit = symbolLiteral(ctx._unit!.getText(), at(ctx._unit!))
    return call(ctx._fn!.text!.toUpperCase(), [valueExpr(cv, ctx._source!), unit], ctx)
  }
  if (ctx instanceof SubstringContext) {
    const args = [ctx._str!, ctx._pos!, ...(ctx._len ? [ctx._len] : [])].map((arg) => valueExpr(cv, arg))
    return call('SUBSTRING', args, ctx)
  }
  if (ctx instanceof TrimContext) {
    const option = ctx._trimOption
    const flag = option ? symbolLiteral(option.text!, at(option)) : symbolLiteral('BOTH', at(ctx))
    const chars = ctx._trimStr ? [valueExpr(cv, ctx._trimStr)] : []
    return call('TRIM', [flag, ...chars, valueExpr(cv, ctx._srcStr!)], ctx)
  }
  return undefined
}

function caseExpr(cv: Converter, ctx: SearchedCaseContext | SimpleCaseContext): Expr {
  const operand = ctx instanceof SimpleCaseContext ? expr(cv, ctx._value!) : undefined
  const whens = ctx.whenClause().map((w: WhenClauseContext) => ({
    when: expr(cv, w._condition!),
    then: expr(cv, w._result!),
  }))
  const otherwise = ctx._elseExpression ? expr(cv, ctx._elseExpression) : undefined
  return { kind: 'case', operand, whens, else: otherwise, at: at(ctx) }
}

export function constantExpr(cv: Converter, ctx: ConstantContext): Expr {
  const position = at(ctx)
  const interval = ctx.timeIntervalExpression()
  if (interval) return intervalExpr(cv, interval)
  const string = ctx.stringLiteral()
  if (string) {
    // A back-quoted name lexes as a string literal.
    const text = string.getText()
    if (text.startsWith('`')) return { kind: 'column', name: unquoteBackquoted(text), at: position }
    return stringLiteral(cv, string, text, position)
  }
  const integer = ctx.decimalLiteral()
  if (integer) return integerLiteral(cv, ctx, sourceText(cv, ctx).replace(/\s+/g, ''), position)
  const real = ctx.REAL_LITERAL()
  if (real) return realLiteral(real.getText(), position)
  const bool = ctx.booleanLiteral()
  if (bool) return booleanLiteral(bool.KW_TRUE() !== null, bool.getText(), position)
  if (ctx.KW_NULL()) {
    const literal = nullLiteral(ctx.KW_NULL()!.getText(), at(ctx.KW_NULL()!))
    return ctx.KW_NOT() ? { kind: 'unary', op: 'NOT', operand: literal, at: position } : literal
  }
  if (ctx.timePointLiteral()) throw unsupported(cv, ctx, `literal ${sourceText(cv, ctx)}`)
  throw unsupported(cv, ctx, 'bit string literal')
}

/**
 * A dotted name in an expression. One part is a column (or, because of the grammar, a string or
 * number literal in disguise); two parts are a column with its qualifier (table alias, or a ROW
 * column and its field: the planner resolves which); from three parts on, fields of that column.
 */
export function columnPath(cv: Converter, uid: UidContext | UidAllowEmptyContext): Expr {
  const parts = uidParts(uid)
  const position = at(uid)
  if (parts.length === 1) return singlePart(cv, parts[0]!)
  const names = parts.map((part) => nameOf(cv, part))
  let result: Expr = { kind: 'column', qualifier: names[0], name: names[1]!, at: position }
  for (const name of names.slice(2)) result = { kind: 'field', of: result, name, at: position }
  return result
}

function singlePart(cv: Converter, part: NamePart): Expr {
  const position = at(part.ctx)
  if (part.kind === 'string') return stringLiteral(cv, part.ctx, part.text, position)
  if (part.kind === 'number') return integerLiteral(cv, part.ctx, part.text, position)
  return { kind: 'column', name: part.name, at: position }
}

function nameOf(cv: Converter, part: NamePart): string {
  if (part.kind === 'name') return part.name
  throw invalid(cv, part.ctx, `${part.ctx.getText()} where a name is expected`)
}

/** A `columnName` of the grammar used as an expression (select items, GROUP BY, ORDER BY). */
export function columnNameExpr(cv: Converter, ctx: ColumnNameContext): Expr {
  const uid = ctx.uidAllowEmpty()
  if (!uid || uid.emptyColumn()) throw invalid(cv, ctx, 'a column name is missing')
  return columnPath(cv, uid)
}
