/** One statement of a file: SET, RESET, CREATE TABLE / VIEW, INSERT, statement sets, queries, EXPLAIN. */
import type { ExplainStatement, InsertStatement, QueryStatement, Statement, StatementSet } from '../ast.ts'
import { at, invalid, keyword, unsupported, type Converter } from './context.ts'
import { createTable, createView, propertyKey, propertyPair } from './ddl.ts'
import {
  ParserRuleContext,
  TerminalNode,
  type DdlStatementContext,
  type DmlStatementContext,
  type ExplainStatementContext,
  type InsertMulStatementCompatibilityContext,
  type InsertMulStatementContext,
  type InsertSimpleStatementContext,
  type InsertStatementContext,
  type SetStatementContext,
  type SqlStatementContext,
} from './grammar.ts'
import { hintsAfter } from './hints.ts'
import { pathName, simpleColumnName } from './names.ts'
import { queryExpr } from './query.ts'

export function statement(cv: Converter, ctx: SqlStatementContext): Statement {
  const ddl = ctx.ddlStatement()
  if (ddl) return ddlStatement(cv, ddl)
  const dml = ctx.dmlStatement()
  if (dml) return dmlStatement(cv, dml)
  const set = ctx.setStatement()
  if (set) return setStatement(cv, set)
  const reset = ctx.resetStatement()
  if (reset) {
    const key = reset.tablePropertyKey()
    return { kind: 'reset', ...(key && { key: propertyKey(cv, key) }), at: at(reset) }
  }
  const explain = ctx.explainStatement()
  if (explain) return explainStatement(cv, explain)
  throw unsupported(cv, ctx, `${leadingWords(ctx)} statement`)
}

/** `DROP TABLE`, `USE CATALOG`, ...: the keywords the statement starts with, for the error. */
function leadingWords(ctx: ParserRuleContext): string {
  const first = ctx.getChild(0)
  const children = first instanceof ParserRuleContext ? (first.children ?? []) : []
  const end = children.findIndex((c) => !(c instanceof TerminalNode))
  const words = children.slice(0, end < 0 ? children.length : end).map((c) => c.getText().toUpperCase())
  return words.join(' ')
}

function ddlStatement(cv: Converter, ctx: DdlStatementContext): Statement {
  const table = ctx.createTable()
  if (table) return createTable(cv, table)
  const view = ctx.createView()
  if (view) return createView(cv, view)
  throw unsupported(cv, ctx, `${leadingWords(ctx)} statement`)
}

function dmlStatement(
  cv: Converter,
  ctx: DmlStatementContext,
): QueryStatement | InsertStatement | StatementSet {
  const query = ctx.queryStatement()
  if (query) return { kind: 'query', query: queryExpr(cv, query), at: at(ctx) }
  return insertStatement(cv, ctx.insertStatement()!)
}

function insertStatement(cv: Converter, ctx: InsertStatementContext): InsertStatement | StatementSet {
  const simple = ctx.insertSimpleStatement()
  if (simple) return insertSimple(cv, simple)
  return statementSet(cv, (ctx.insertMulStatement() ?? ctx.insertMulStatementCompatibility())!, ctx)
}

function statementSet(
  cv: Converter,
  ctx: InsertMulStatementContext | InsertMulStatementCompatibilityContext,
  start: ParserRuleContext,
): StatementSet {
  return {
    kind: 'statement-set',
    inserts: ctx.insertSimpleStatement().map((i) => insertSimple(cv, i)),
    at: at(start),
  }
}

function insertSimple(cv: Converter, ctx: InsertSimpleStatementContext): InsertStatement {
  if (ctx.valuesDefinition())
    throw unsupported(cv, ctx.valuesDefinition()!, 'INSERT ... VALUES', 'insert a SELECT')
  if (ctx.insertPartitionDefinition())
    throw unsupported(cv, ctx.insertPartitionDefinition()!, 'INSERT ... PARTITION')
  const path = ctx.tablePath()
  const list = ctx.columnNameList()
  return {
    kind: 'insert',
    table: pathName(cv, path),
    overwrite: ctx.KW_OVERWRITE() !== null,
    ...(list && { columns: list.columnName().map((c) => simpleColumnName(cv, c)) }),
    hints: hintsAfter(cv, path.stop!.tokenIndex),
    query: queryExpr(cv, ctx.queryStatement()!),
    at: at(ctx),
  }
}

function setStatement(cv: Converter, ctx: SetStatementContext): Statement {
  const property = ctx.tableProperty()
  if (!property) return { kind: 'set', at: at(ctx) }
  const [key, value] = propertyPair(cv, property)
  if (value === undefined) throw invalid(cv, property, `SET '${key}' needs a value: SET 'key' = 'value'`)
  return { kind: 'set', key, value, at: at(ctx) }
}

function explainStatement(cv: Converter, ctx: ExplainStatementContext): ExplainStatement {
  const details = ctx.explainDetails()
  if (details) throw unsupported(cv, details, `EXPLAIN ${keyword(details)}`)
  const dml = ctx.dmlStatement()
  const simple = ctx.insertSimpleStatement()
  const set = ctx.insertMulStatement()
  let inner: ExplainStatement['statement']
  if (dml) inner = dmlStatement(cv, dml)
  else if (simple) inner = insertSimple(cv, simple)
  else inner = statementSet(cv, set!, set!)
  return { kind: 'explain', statement: inner, at: at(ctx) }
}
