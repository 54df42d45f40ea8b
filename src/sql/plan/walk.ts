/** Generic traversals of the expression tree: rewriting, collecting, structural equality. */
import type { CallExpr, Expr } from '../ast.ts'

/** Rebuilds `expr` top-down: `f` may replace a node (the replacement is not descended into). */
export function rewriteExpr(expr: Expr, f: (e: Expr) => Expr | undefined): Expr {
  const replaced = f(expr)
  if (replaced !== undefined) return replaced
  const r = (e: Expr): Expr => rewriteExpr(e, f)
  switch (expr.kind) {
    case 'literal':
    case 'interval':
    case 'column':
      return expr
    case 'field':
      return { ...expr, of: r(expr.of) }
    case 'item':
      return { ...expr, of: r(expr.of), index: r(expr.index) }
    case 'call':
      return {
        ...expr,
        args: expr.args.map(r),
        ...(expr.filter === undefined ? {} : { filter: r(expr.filter) }),
      }
    case 'binary':
      return { ...expr, left: r(expr.left), right: r(expr.right) }
    case 'unary':
    case 'is':
    case 'cast':
      return { ...expr, operand: r(expr.operand) }
    case 'between':
      return { ...expr, operand: r(expr.operand), low: r(expr.low), high: r(expr.high) }
    case 'in':
      return { ...expr, operand: r(expr.operand), list: expr.list.map(r) }
    case 'like':
      return { ...expr, operand: r(expr.operand), pattern: r(expr.pattern) }
    case 'case':
      return {
        ...expr,
        ...(expr.operand === undefined ? {} : { operand: r(expr.operand) }),
        whens: expr.whens.map((w) => ({ when: r(w.when), then: r(w.then) })),
        ...(expr.else === undefined ? {} : { else: r(expr.else) }),
      }
    case 'over':
      return {
        ...expr,
        call: r(expr.call) as CallExpr,
        partitionBy: expr.partitionBy.map(r),
        orderBy: expr.orderBy.map((o) => ({ ...o, expr: r(o.expr) })),
      }
  }
}

/** Every node of `expr`, parents first. */
export function* walkExpr(expr: Expr): Generator<Expr> {
  const found: Expr[] = []
  rewriteExpr(expr, (e) => {
    found.push(e)
    return undefined
  })
  yield* found
}

/** Same expression, wherever written: compares the trees without their positions. */
export function sameExpr(a: Expr, b: Expr): boolean {
  return exprKey(a) === exprKey(b)
}

export function exprKey(expr: Expr): string {
  return JSON.stringify(expr, (key, value: unknown) => (key === 'at' || key === 'text' ? undefined : value))
}
