/**
 * Function calls: `f(a, b)`, `COUNT(*)`, `COUNT(DISTINCT x)`, keyword functions without
 * parentheses (`CURRENT_TIMESTAMP`), keyword arguments as symbols (`TIMESTAMPDIFF(SECOND, a, b)`),
 * JSON_VALUE's RETURNING / ON EMPTY / ON ERROR, and an aggregate's `FILTER (WHERE ...)`. Names are
 * upper-case.
 */
import type { CallExpr, Expr, JsonValueBehavior, SqlType } from '../ast.ts'
import { at, invalid, isEmpty, sourceText, unsupported, type Converter } from './context.ts'
import { sqlType } from './data-types.ts'
import { booleanExpr, columnPath, expr, valueExpr } from './expressions.ts'
import type { ValueExpressionContext } from './grammar.ts'
import {
  ColumnTypeContext,
  ParserRuleContext,
  TerminalNode,
  UidContext,
  type FunctionCallExpressionContext,
  type FunctionParamContext,
  type JsonValueParamsContext,
  type ParseTree,
} from './grammar.ts'
import { intervalExpr } from './interval.ts'
import { symbolLiteral, typedLiteral } from './literals.ts'
import { uidParts } from './names.ts'

export function callExpr(cv: Converter, ctx: FunctionCallExpressionContext): Expr {
  const noParams = ctx.reservedKeywordsNoParamsUsedAsFuncName()
  if (noParams) return keywordCall(noParams.getText(), ctx)
  const literal = ctx.functionNameAndParams()
  if (literal) {
    const interval = literal.timeIntervalExpression()
    if (interval) return intervalExpr(cv, interval)
    const keyword = literal.reservedKeywordsFollowParamsUsedAsFuncName()!.getText().toUpperCase()
    return typedLiteral(
      cv,
      literal,
      keyword,
      literal.STRING_LITERAL()!.getText(),
      sourceText(cv, literal),
      at(literal),
    )
  }
  return callWithParams(cv, ctx)
}

function keywordCall(text: string, ctx: ParserRuleContext): CallExpr {
  return { kind: 'call', name: text.toUpperCase(), args: [], star: false, distinct: false, at: at(ctx) }
}

function functionName(cv: Converter, ctx: FunctionCallExpressionContext): string {
  const nameCtx = ctx.functionNameWithParams()!
  const uid = nameCtx.uid()
  if (!uid) return nameCtx.getText().toUpperCase()
  const parts = uidParts(uid)
  if (parts.length !== 1 || parts[0]!.kind !== 'name') {
    throw unsupported(cv, uid, 'qualified function name', 'call the function by its plain name')
  }
  return parts[0].name.toUpperCase()
}

interface CallParts {
  args: Expr[]
  star: boolean
  returning?: SqlType
  onEmpty?: JsonValueBehavior
  onError?: JsonValueBehavior
}

function callWithParams(cv: Converter, ctx: FunctionCallExpressionContext): CallExpr {
  const name = functionName(cv, ctx)
  const parts: CallParts = { args: [], star: false }
  const params = ctx.functionParam().filter((p) => !isEmpty(p))
  for (const param of params) functionParam(cv, name, param, parts)
  if (parts.star && params.length !== 1) throw invalid(cv, ctx, `${name}(*) takes no other argument`)
  const distinct = ctx.setQuantifier()?.KW_DISTINCT() != null
  const filterClause = ctx.filterClause()
  const filter = filterClause ? booleanExpr(cv, filterClause.booleanExpression()) : undefined
  return {
    kind: 'call',
    name,
    args: parts.args,
    star: parts.star,
    distinct,
    ...(filter && { filter }),
    ...(parts.returning && { returning: parts.returning }),
    ...(parts.onEmpty && { onEmpty: parts.onEmpty }),
    ...(parts.onError && { onError: parts.onError }),
    at: at(ctx),
  }
}

function functionParam(cv: Converter, name: string, ctx: FunctionParamContext, parts: CallParts): void {
  const keyword = ctx.reservedKeywordsUsedAsFuncParam()
  if (keyword) {
    if (keyword.ASTERISK_SIGN()) parts.star = true
    else if (/^(CURRENT_|LOCALTIME)/i.test(keyword.getText()))
      parts.args.push(keywordCall(keyword.getText(), keyword))
    else throw unsupported(cv, keyword, `${keyword.getText().toUpperCase()} as an argument of ${name}`)
    return
  }
  const unit = ctx.timeIntervalUnit() ?? ctx.timePointUnit()
  if (unit) return void parts.args.push(symbolLiteral(unit.getText(), at(unit)))
  const expression = ctx.expression()
  if (expression) return void parts.args.push(expr(cv, expression))
  const json = ctx.jsonValueParams()
  if (json && name === 'JSON_VALUE') return jsonValueParams(cv, json, parts)
  const array = ctx.jsonArrayParams()
  if (array && array.valueExpression().length === 1 && !array.KW_ON()) {
    return void parts.args.push(valueExpr(cv, array.valueExpression(0)!))
  }
  throw unsupported(cv, ctx, `${name} argument ${ctx.getText()}`)
}

/**
 * `path [RETURNING type] [behavior ON EMPTY] [behavior ON ERROR]`, walked child by child: the rule
 * spells RETURNING and ERROR as plain identifiers.
 */
function jsonValueParams(cv: Converter, ctx: JsonValueParamsContext, parts: CallParts): void {
  parts.args.push(columnPath(cv, ctx.columnNamePath().uid()))
  const rest: ParseTree[] = (ctx.children ?? []).slice(1)
  let i = 0
  if (rest[i] instanceof UidContext && rest[i + 1] instanceof ColumnTypeContext) {
    expectWord(cv, rest[i] as UidContext, 'RETURNING')
    parts.returning = sqlType(cv, rest[i + 1] as ColumnTypeContext)
    i += 2
  }
  while (i < rest.length) {
    const [behavior, next] = jsonBehavior(cv, rest, i)
    const target = rest[next + 1]
    const clause =
      target instanceof ParserRuleContext ? target.getText().toUpperCase() : target?.getText().toUpperCase()
    if (clause === 'EMPTY' && !parts.onEmpty && !parts.onError) parts.onEmpty = behavior
    else if (clause === 'ERROR' && !parts.onError) parts.onError = behavior
    else throw invalid(cv, ctx, `unexpected ON ${clause ?? ''} in JSON_VALUE`)
    i = next + 2
  }
}

function jsonBehavior(cv: Converter, rest: ParseTree[], i: number): [JsonValueBehavior, number] {
  const node = rest[i]!
  const word = node.getText().toUpperCase()
  if (node instanceof TerminalNode && word === 'DEFAULT') {
    return [{ kind: 'DEFAULT', value: valueExpr(cv, rest[i + 1] as ValueExpressionContext) }, i + 2]
  }
  if (word === 'NULL') return [{ kind: 'NULL' }, i + 1]
  if (word === 'ERROR') return [{ kind: 'ERROR' }, i + 1]
  throw invalid(cv, node as ParserRuleContext, `expected NULL, ERROR or DEFAULT in JSON_VALUE, got ${word}`)
}

function expectWord(cv: Converter, ctx: UidContext, word: string): void {
  if (ctx.getText().toUpperCase() !== word) throw invalid(cv, ctx, `expected ${word}, got ${ctx.getText()}`)
}
