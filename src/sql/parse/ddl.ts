/** CREATE TABLE and CREATE VIEW. */
import type { ColumnDefinition, CreateTableStatement, CreateViewStatement, Expr, Position } from '../ast.ts'
import { at, invalid, unsupported, type Converter } from './context.ts'
import { sqlType } from './data-types.ts'
import { expr } from './expressions.ts'
import {
  IdentityTransformContext,
  type ColumnNameCreateContext,
  type ColumnOptionDefinitionContext,
  type CreateTableAsSelectContext,
  type CreateTableContext,
  type CreateViewContext,
  type PartitionDefinitionContext,
  type PhysicalColumnDefinitionContext,
  type SimpleCreateTableContext,
  type TablePropertyContext,
  type TablePropertyKeyContext,
  type WithOptionContext,
} from './grammar.ts'
import { pathName, simpleColumnName, stringValue, uidName, unquoteBackquoted } from './names.ts'
import { queryExpr } from './query.ts'

export function createTable(cv: Converter, ctx: CreateTableContext): CreateTableStatement {
  const simple = ctx.simpleCreateTable()
  return simple ? simpleCreateTable(cv, simple) : createTableAsSelect(cv, ctx.createTableAsSelect()!)
}

interface Key {
  columns: string[]
  at: Position
}

function simpleCreateTable(cv: Converter, ctx: SimpleCreateTableContext): CreateTableStatement {
  if (ctx.selfDefinitionClause()) throw unsupported(cv, ctx.selfDefinitionClause()!, 'PERIOD FOR SYSTEM_TIME')
  const keys: Key[] = []
  const columns = ctx.columnOptionDefinition().map((column) => columnDefinition(cv, column, keys))
  const constraint = ctx.tableConstraint()
  if (constraint) {
    keys.push({
      columns: constraint
        .columnNameList()
        .columnName()
        .map((c) => simpleColumnName(cv, c)),
      at: at(constraint),
    })
  }
  if (keys.length > 1) throw invalid(cv, constraint ?? ctx, 'a table has one PRIMARY KEY')
  const watermark = ctx.watermarkDefinition()
  const like = ctx.likeDefinition()
  return {
    kind: 'create-table',
    name: pathName(cv, ctx.tablePathCreate()),
    temporary: ctx.KW_TEMPORARY() !== null,
    ifNotExists: ctx.ifNotExists() !== null,
    columns,
    ...(watermark && {
      watermark: {
        column: simpleColumnName(cv, watermark.columnName()),
        expr: expr(cv, watermark.expression()),
        at: at(watermark),
      },
    }),
    ...(keys[0] && { primaryKey: keys[0].columns }),
    partitionedBy: partitionedBy(cv, ctx.partitionDefinition()),
    options: withOptions(cv, ctx.withOption()),
    ...(like && { like: pathName(cv, like.tablePath()) }),
    at: at(ctx),
  }
}

function createTableAsSelect(cv: Converter, ctx: CreateTableAsSelectContext): CreateTableStatement {
  const query = ctx.queryStatement()
  return {
    kind: 'create-table',
    name: pathName(cv, ctx.tablePathCreate()),
    temporary: false,
    ifNotExists: ctx.ifNotExists() !== null,
    columns: [],
    partitionedBy: [],
    options: withOptions(cv, ctx.withOption()),
    ...(query && { asQuery: queryExpr(cv, query) }),
    at: at(ctx),
  }
}

function columnName(cv: Converter, ctx: ColumnNameCreateContext): string {
  const uid = ctx.uid()
  if (!uid || uid.identifier().length !== 1)
    throw invalid(cv, ctx, `expected a column name, got ${ctx.getText()}`)
  return uidName(cv, uid)
}

function columnDefinition(cv: Converter, ctx: ColumnOptionDefinitionContext, keys: Key[]): ColumnDefinition {
  const physical = ctx.physicalColumnDefinition()
  if (physical) return physicalColumn(cv, physical, keys)
  const metadata = ctx.metadataColumnDefinition()
  if (metadata) {
    const name = columnName(cv, metadata.columnNameCreate())
    const keyCtx = metadata.metadataKey()
    return {
      kind: 'metadata',
      name,
      type: sqlType(cv, metadata.columnType()),
      key: keyCtx ? stringValue(cv, keyCtx, keyCtx.getText()) : name,
      virtual: metadata.KW_VIRTUAL() !== null,
      at: at(metadata),
    }
  }
  const computed = ctx.computedColumnDefinition()!
  const value: Expr = expr(cv, computed.computedColumnExpression().expression())
  return {
    kind: 'computed',
    name: columnName(cv, computed.columnNameCreate()),
    expr: value,
    at: at(computed),
  }
}

function physicalColumn(cv: Converter, ctx: PhysicalColumnDefinitionContext, keys: Key[]): ColumnDefinition {
  const name = columnName(cv, ctx.columnNameCreate())
  const constraint = ctx.columnConstraint()
  let nullable = true
  if (constraint?.KW_PRIMARY()) {
    if (!constraint.KW_ENFORCED()) {
      throw unsupported(
        cv,
        constraint,
        'ENFORCED PRIMARY KEY',
        'Flink and freshet take PRIMARY KEY ... NOT ENFORCED only',
      )
    }
    keys.push({ columns: [name], at: at(constraint) })
  } else if (constraint) nullable = constraint.KW_NOT() === null
  const comment = ctx._comment?.text ?? undefined
  return {
    kind: 'physical',
    name,
    type: sqlType(cv, ctx.columnType(), nullable),
    ...(comment !== undefined && { comment: stringValue(cv, ctx, comment) }),
    at: at(ctx),
  }
}

function partitionedBy(cv: Converter, ctx: PartitionDefinitionContext | null): string[] {
  if (!ctx) return []
  return ctx
    .transformList()
    .transform()
    .map((transform) => {
      if (!(transform instanceof IdentityTransformContext))
        throw unsupported(cv, transform, 'PARTITIONED BY a transform')
      return simpleColumnName(cv, transform.columnName())
    })
}

/** `WITH ('k' = 'v', ...)`: keys and string values unquoted, keys kept as written. */
export function withOptions(cv: Converter, ctx: WithOptionContext): Record<string, string> {
  const options: Record<string, string> = {}
  for (const property of ctx.tablePropertyList().tableProperty()) {
    const [key, value] = propertyPair(cv, property)
    if (value === undefined) throw invalid(cv, property, `option '${key}' has no value`)
    if (Object.hasOwn(options, key)) throw invalid(cv, property, `option '${key}' is given twice`)
    options[key] = value
  }
  return options
}

export function propertyPair(cv: Converter, ctx: TablePropertyContext): [string, string | undefined] {
  const key = propertyKey(cv, ctx.tablePropertyKey())
  const valueCtx = ctx.tablePropertyValue()
  if (!valueCtx) return [key, undefined]
  const text = valueCtx.getText()
  return [key, valueCtx.STRING_LITERAL() ? stringValue(cv, valueCtx, text) : text]
}

export function propertyKey(cv: Converter, ctx: TablePropertyKeyContext): string {
  const text = ctx.getText()
  if (text.startsWith("'") || text.startsWith('"')) return stringValue(cv, ctx, text)
  if (text.startsWith('`')) return unquoteBackquoted(text)
  const deref = ctx.dereferenceDefinition()
  return deref ? uidName(cv, deref.uid()) : text
}

export function createView(cv: Converter, ctx: CreateViewContext): CreateViewStatement {
  const list = ctx.columnNameList()
  return {
    kind: 'create-view',
    name: pathName(cv, ctx.viewPathCreate()),
    temporary: ctx.KW_TEMPORARY() !== null,
    ifNotExists: ctx.ifNotExists() !== null,
    ...(list && { columns: list.columnName().map((c) => simpleColumnName(cv, c)) }),
    query: queryExpr(cv, ctx.queryStatement()),
    at: at(ctx),
  }
}
