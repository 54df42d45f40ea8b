/**
 * Window table-valued functions: `TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), INTERVAL '1' MINUTE))` and
 * HOP, CUMULATE, SESSION, with positional or named arguments. Named interval arguments are put in
 * the positional order of `WindowTableRef.args`. SESSION's `PARTITION BY k` / `PARTITION BY (k1, k2)`
 * follows its `TABLE t` argument; the grammar takes it after any function's table, and, as Flink
 * does, only SESSION's is accepted.
 */
import type { Expr, TableRef, WindowTableRef } from '../ast.ts'
import { at, invalid, keyword, unsupported, type Converter } from './context.ts'
import type {
  ColumnDescriptorContext,
  ParserRuleContext,
  WindowTVFClauseContext,
  WindowTVFParamContext,
  WindowTVFPartitionByContext,
} from './grammar.ts'
import { hintsAfter } from './hints.ts'
import { simpleColumnName, uidName } from './names.ts'
import { intervalExpr } from './interval.ts'

type WindowFn = WindowTableRef['fn']

/** The interval parameters of each function, in positional order; the first `required` must be given. */
const PARAMS: Record<WindowFn, { names: readonly string[]; required: number }> = {
  TUMBLE: { names: ['SIZE', 'OFFSET'], required: 1 },
  HOP: { names: ['SLIDE', 'SIZE', 'OFFSET'], required: 2 },
  CUMULATE: { names: ['STEP', 'SIZE', 'OFFSET'], required: 2 },
  SESSION: { names: ['GAP'], required: 1 },
}

interface Collected {
  input?: TableRef
  partitionBy?: WindowTVFPartitionByContext
  timeColumn?: string
  positional: Expr[]
  named: Map<string, Expr>
}

export function windowTableRef(cv: Converter, ctx: WindowTVFClauseContext): WindowTableRef {
  const call = ctx.windowTVFExpression()
  const fn = keyword(call.windowTVFName()) as WindowFn
  if (!(fn in PARAMS)) throw unsupported(cv, call, `${fn} window function`)
  const collected: Collected = { positional: [], named: new Map() }
  for (const param of call.windowTVFParam()) windowParam(cv, param, collected)
  if (!collected.input) throw invalid(cv, call, `${fn} needs its input: TABLE name`)
  if (collected.timeColumn === undefined)
    throw invalid(cv, call, `${fn} needs its time column: DESCRIPTOR(column)`)
  if (collected.partitionBy && fn !== 'SESSION')
    throw invalid(
      cv,
      collected.partitionBy,
      `${fn} takes no PARTITION BY: only SESSION windows are partitioned`,
    )
  return {
    kind: 'window',
    fn,
    input: collected.input,
    timeColumn: collected.timeColumn,
    args: windowArgs(cv, call, fn, collected),
    partitionBy: collected.partitionBy ? partitionColumns(cv, collected.partitionBy) : [],
    at: at(ctx),
  }
}

function windowParam(cv: Converter, ctx: WindowTVFParamContext, out: Collected): void {
  const name = ctx.DOUBLE_RIGHT_ARROW() !== null ? ctx.getChild(0)!.getText().toUpperCase() : undefined
  const table = ctx.timeAttrColumn()
  if (table) {
    if (out.input) throw invalid(cv, ctx, 'the window function has two TABLE arguments')
    const uid = table.uid()
    out.input = {
      kind: 'table',
      name: uidName(cv, uid),
      hints: hintsAfter(cv, uid.stop!.tokenIndex),
      at: at(table),
    }
    const partitionBy = ctx.windowTVFPartitionBy()
    if (partitionBy) out.partitionBy = partitionBy
    return
  }
  const descriptor = ctx.columnDescriptor()
  if (descriptor) {
    if (out.timeColumn !== undefined)
      throw invalid(cv, ctx, 'the window function has two DESCRIPTOR arguments')
    out.timeColumn = descriptorColumn(cv, descriptor)
    return
  }
  const interval = ctx.timeIntervalExpression()
  if (!interval) throw invalid(cv, ctx, `unexpected window function argument ${ctx.getText()}`)
  if (name === 'DATA' || name === 'TIMECOL')
    throw invalid(
      cv,
      ctx,
      `${name} takes ${name === 'DATA' ? 'TABLE name' : 'DESCRIPTOR(column)'}, not an interval`,
    )
  const value = intervalExpr(cv, interval)
  if (name === undefined) out.positional.push(value)
  else if (out.named.has(name)) throw invalid(cv, ctx, `${name} is given twice`)
  else out.named.set(name, value)
}

function descriptorColumn(cv: Converter, ctx: ColumnDescriptorContext): string {
  return simpleColumnName(cv, ctx.columnName())
}

/** `PARTITION BY k` or `PARTITION BY (k1, k2)`: plain column names of the input. */
function partitionColumns(cv: Converter, ctx: WindowTVFPartitionByContext): string[] {
  const columns = ctx.columnNameList()?.columnName() ?? [ctx.columnName()!]
  return columns.map((column) => simpleColumnName(cv, column))
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
