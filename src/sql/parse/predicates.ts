/** What follows a value in a predicate: BETWEEN, IN, LIKE, IS ..., IS [NOT] DISTINCT FROM. */
import type { Expr } from '../ast.ts'
import { invalid, unsupported, type Converter } from './context.ts'
import { expr, valueExpr } from './expressions.ts'
import type { LikePredicateContext, PredicateContext } from './grammar.ts'
import { stringValue } from './names.ts'

export function predicateExpr(cv: Converter, operand: Expr, ctx: PredicateContext): Expr {
  const like = ctx.likePredicate()
  if (like) return likeExpr(cv, operand, like)
  const negated = ctx.KW_NOT() !== null
  const kind = (ctx._kind?.text ?? '').toUpperCase()
  const position = operand.at
  switch (kind) {
    case 'BETWEEN':
      if (ctx.KW_SYMMETRIC()) throw unsupported(cv, ctx, 'BETWEEN SYMMETRIC')
      return {
        kind: 'between',
        operand,
        low: valueExpr(cv, ctx._lower!),
        high: valueExpr(cv, ctx._upper!),
        negated,
        at: position,
      }
    case 'IN':
      if (ctx.queryStatement()) throw unsupported(cv, ctx, 'IN subquery')
      return { kind: 'in', operand, list: ctx.expression().map((e) => expr(cv, e)), negated, at: position }
    case 'TRUE':
    case 'FALSE':
    case 'UNKNOWN':
    case 'NULL':
      return { kind: 'is', operand, test: kind, negated, at: position }
    case 'DISTINCT': {
      const op = negated ? 'IS NOT DISTINCT FROM' : 'IS DISTINCT FROM'
      return { kind: 'binary', op, left: operand, right: valueExpr(cv, ctx._right!), at: position }
    }
    case 'SIMILAR':
      throw unsupported(cv, ctx, 'SIMILAR TO', 'use LIKE or REGEXP')
    case 'RLIKE':
      throw unsupported(cv, ctx, 'RLIKE', 'use REGEXP(s, pattern)')
    case 'EXISTS':
      throw unsupported(cv, ctx, 'EXISTS subquery')
    default:
      if (ctx.KW_JSON()) throw unsupported(cv, ctx, 'IS JSON')
      throw invalid(cv, ctx, `unexpected predicate ${ctx.getText()}`)
  }
}

function likeExpr(cv: Converter, operand: Expr, ctx: LikePredicateContext): Expr {
  if (ctx._quantifier) throw unsupported(cv, ctx, `LIKE ${ctx._quantifier.text?.toUpperCase()}`)
  const escapeCtx = ctx.stringLiteral()
  const escape = escapeCtx ? stringValue(cv, escapeCtx, escapeCtx.getText()) : undefined
  if (escape !== undefined && escape.length !== 1) {
    throw invalid(cv, escapeCtx!, `the ESCAPE of LIKE is one character, got '${escape}'`)
  }
  const pattern = valueExpr(cv, ctx._pattern!)
  return { kind: 'like', operand, pattern, escape, negated: ctx.KW_NOT() !== null, at: operand.at }
}
