/**
 * Window table-valued functions: `TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), INTERVAL '1' MINUTE))` and
 * HOP, CUMULATE, SESSION, with positional or named arguments. Named interval arguments are put in
 * the positional order of `WindowTableRef.args`. The released grammar has no SESSION and no
 * `PARTITION BY`; a regenerated one that adds them (same rule names, PARTITION BY inside the
 * `TABLE t` argument) is read by the same code.
 */
import type { Expr, TableRef, WindowTableRef } from '../ast.ts'
import { at, invalid, keyword, optionalRule, unsupported, type Converter } from './context.ts'
import {
  IdentifierContext,
  ParserRuleContext,
  TerminalNode,
  type ColumnDescriptorContext,
  type ParseTree,
  type WindowTVFClauseContext,
  type WindowTVFParamContext,
} from './grammar.ts'
import { hintsAfter } from './hints.ts'
import { identifierName, simpleColumnName, uidName } from './names.ts'
import { intervalExpr } from './interval.ts'

type WindowFn = WindowTableRef['fn']

/** The interval parameters of each function, in positional order; the first `required` must be given. */
const PARAMS: Record<WindowFn, { names: readonly string[]; required: number }> = {
  TUMBLE: { names: ['SIZE', 'OFFSET'], required: 1 },
  HOP: { names: ['SLIDE', 'SIZE', 'OFFSET'], required: 2 },
  CUMULATE: { names: ['STEP', 'MAX_SIZE', 'OFFSET'], required: 2 },
  SESSION: { names: ['GAP'], required: 1 },
}

interface Collected {
  input?: TableRef
  partitionBy: string[]
  timeColumn?: string
  positional: Expr[]
  named: Map<string, Expr>
}

export function windowTableRef(cv: Converter, ctx: WindowTVFClauseContext): WindowTableRef {
  const call = ctx.windowTVFExpression()
  const fn = keyword(call.windowTVFName()) as WindowFn
  if (!(fn in PARAMS)) throw unsupported(cv, call, `${fn} window function`)
  const collected: Collected = { partitionBy: [], positional: [], named: new Map() }
  for (const param of call.windowTVFParam()) windowParam(cv, param, collected)
  if (!collected.input) throw invalid(cv, call, `${fn} needs its input: TABLE name`)
  if (collected.timeColumn === undefined)
    throw invalid(cv, call, `${fn} needs its time column: DESCRIPTOR(column)`)
  if (collected.partitionBy.length > 0 && fn !== 'SESSION')
    throw invalid(cv, call, `PARTITION BY is for SESSION windows only`)
  // The released grammar has no alias here; a regenerated one may.
  const aliasCtx = optionalRule(ctx, 'tableAlias')
  return {
    kind: 'window',
    fn,
    input: collected.input,
    timeColumn: collected.timeColumn,
    args: windowArgs(cv, call, fn, collected),
    partitionBy: collected.partitionBy,
    ...(aliasCtx && { alias: aliasName(cv, aliasCtx) }),
    at: at(ctx),
  }
}

function aliasName(cv: Converter, ctx: ParserRuleContext): string {
  const identifier = (ctx.children ?? []).find((c) => c instanceof IdentifierContext)
  if (!identifier) throw invalid(cv, ctx, `expected an alias, got ${ctx.getText()}`)
  return identifierName(cv, identifier)
}

function windowParam(cv: Converter, ctx: WindowTVFParamContext, out: Collected): void {
  const children: readonly ParseTree[] = ctx.children ?? []
  const named = ctx.DOUBLE_RIGHT_ARROW() !== null
  const name = named ? children[0]!.getText().toUpperCase() : undefined
  const table = ctx.timeAttrColumn()
  if (table) {
    if (named && name !== 'DATA') throw invalid(cv, ctx, `${name} takes an interval, not a table`)
    if (out.input) throw invalid(cv, ctx, 'the window function has two TABLE arguments')
    const uid = table.uid()
    out.input = {
      kind: 'table',
      name: uidName(cv, uid),
      hints: hintsAfter(cv, uid.stop!.tokenIndex),
      at: at(table),
    }
    out.partitionBy.push(...partitionColumns(cv, children))
    return
  }
  const descriptor = ctx.columnDescriptor()
  if (descriptor) {
    if (named && name !== 'TIMECOL') throw invalid(cv, ctx, `${name} takes an interval, not a DESCRIPTOR`)
    if (out.timeColumn !== undefined)
      throw invalid(cv, ctx, 'the window function has two DESCRIPTOR arguments')
    out.timeColumn = descriptorColumn(cv, descriptor)
    return
  }
  const interval = ctx.timeIntervalExpression()
  if (!interval) {
    // A regenerated grammar may give PARTITION BY a parameter of its own.
    const partition = partitionColumns(cv, children)
    if (partition.length === 0) throw invalid(cv, ctx, `unexpected window function argument ${ctx.getText()}`)
    out.partitionBy.push(...partition)
    return
  }
  const value = intervalExpr(cv, interval)
  if (name === undefined) out.positional.push(value)
  else if (out.named.has(name)) throw invalid(cv, ctx, `${name} is given twice`)
  else out.named.set(name, value)
  out.partitionBy.push(...partitionColumns(cv, children))
}

function descriptorColumn(cv: Converter, ctx: ColumnDescriptorContext): string {
  return simpleColumnName(cv, ctx.columnName())
}

/** Names after `PARTITION BY` among a parameter's children (only in a regenerated grammar). */
function partitionColumns(cv: Converter, children: readonly ParseTree[]): string[] {
  const by = children.findIndex((c) => c instanceof TerminalNode && c.getText().toUpperCase() === 'BY')
  if (by < 0 || children[by - 1]?.getText().toUpperCase() !== 'PARTITION') return []
  return children.slice(by + 1).flatMap((c) => (c instanceof ParserRuleContext ? namesIn(cv, c) : []))
}

function namesIn(cv: Converter, ctx: ParserRuleContext): string[] {
  if (ctx instanceof IdentifierContext) return [identifierName(cv, ctx)]
  const parts = (ctx as unknown as { identifier?: () => unknown }).identifier?.()
  if (Array.isArray(parts) && parts.length > 0 && parts.every((p) => p instanceof IdentifierContext)) {
    return [parts.map((p: IdentifierContext) => identifierName(cv, p)).join('.')]
  }
  return (ctx.children ?? []).flatMap((c) => (c instanceof ParserRuleContext ? namesIn(cv, c) : []))
}

function windowArgs(cv: Converter, call: ParserRuleContext, fn: WindowFn, collected: Collected): Expr[] {
  const { names, required } = PARAMS[fn]
  const { positional, named } = collected
  if (positional.length > 0 && named.size > 0) {
    throw invalid(cv, call, `${fn}: do not mix named and positional arguments`)
  }
  const args = named.size === 0 ? positional : names.filter((n) => named.has(n)).map((n) => named.get(n)!)
  for (const key of named.keys()) {
    if (!names.includes(key))
      throw invalid(cv, call, `${fn} has no parameter ${key}; its parameters: ${names.join(', ')}`)
  }
  const missing = named.size > 0 ? names.slice(0, required).filter((n) => !named.has(n)) : []
  if (missing.length > 0 || args.length < required || args.length > names.length) {
    throw invalid(cv, call, `${fn} takes ${describe(names, required)} after the table and the descriptor`)
  }
  return args
}

function describe(names: readonly string[], required: number): string {
  const optional = names.slice(required)
  const tail = optional.length > 0 ? ` [, ${optional.join(', ')}]` : ''
  return `${names.slice(0, required).join(', ')}${tail}`
}
