/**
 * Flink data types. Defaults are Flink's: CHAR, VARCHAR, BINARY, VARBINARY without a length have
 * length 1; STRING and BYTES have none (the maximum); DECIMAL is DECIMAL(10, 0); TIME is TIME(0);
 * TIMESTAMP and TIMESTAMP_LTZ have precision 6. Types are nullable unless `NOT NULL` follows them:
 * a column's type, or a type inside ROW, ARRAY or MAP (freshet's grammar patch adds those; the
 * grammar has no `NOT NULL` inside CAST).
 */
import type { RowField, SqlType } from '../ast.ts'
import { MAX_DECIMAL_PRECISION } from '../types/index.ts'
import { invalid, unsupported, type Converter } from './context.ts'
import { TypeNullabilityContext, type ColumnTypeContext, type ParserRuleContext } from './grammar.ts'
import { simpleColumnName } from './names.ts'

const SIMPLE = {
  BOOLEAN: 'BOOLEAN',
  TINYINT: 'TINYINT',
  SMALLINT: 'SMALLINT',
  INT: 'INT',
  INTEGER: 'INT',
  BIGINT: 'BIGINT',
  FLOAT: 'FLOAT',
  DOUBLE: 'DOUBLE',
  DATE: 'DATE',
} as const

export function sqlType(cv: Converter, ctx: ColumnTypeContext, nullable = true): SqlType {
  const name = (ctx._colType?.text ?? '').toUpperCase()
  if (name in SIMPLE) {
    checkNoDimension(cv, ctx, name)
    return { kind: SIMPLE[name as keyof typeof SIMPLE], nullable }
  }
  switch (name) {
    case 'NULL':
      return { kind: 'NULL', nullable: true }
    case 'CHAR':
    case 'VARCHAR':
    case 'BINARY':
    case 'VARBINARY':
      return { kind: name, length: lengthOf(ctx) ?? 1, nullable }
    case 'STRING':
    case 'BYTES':
      checkNoDimension(cv, ctx, name)
      return { kind: name === 'STRING' ? 'VARCHAR' : 'VARBINARY', nullable }
    case 'DECIMAL':
    case 'DEC':
    case 'NUMERIC':
      return decimalType(cv, ctx, nullable)
    case 'TIME':
      return { kind: 'TIME', precision: timePrecision(cv, ctx, 0), nullable }
    case 'TIMESTAMP_LTZ':
      return { kind: 'TIMESTAMP_LTZ', precision: timePrecision(cv, ctx, 6), nullable }
    case 'TIMESTAMP':
      return timestampType(cv, ctx, nullable)
    default:
      return nestedType(cv, ctx, name, nullable)
  }
}

function lengthOf(ctx: ColumnTypeContext): number | undefined {
  const dimension = ctx.lengthOneDimension()
  return dimension ? Number(dimension.decimalLiteral().getText()) : undefined
}

/** FLOAT(p), INT(n) and the like: the grammar allows a dimension that Flink does not. */
function checkNoDimension(cv: Converter, ctx: ColumnTypeContext, name: string): void {
  if (ctx.lengthOneDimension() || ctx.lengthTwoOptionalDimension()) {
    throw invalid(cv, ctx, `${name} takes no length or precision`)
  }
}

function decimalType(cv: Converter, ctx: ColumnTypeContext, nullable: boolean): SqlType {
  const dims = ctx.lengthTwoOptionalDimension()?.decimalLiteral() ?? []
  const precision = dims[0] ? Number(dims[0].getText()) : 10
  const scale = dims[1] ? Number(dims[1].getText()) : 0
  if (precision < 1 || precision > MAX_DECIMAL_PRECISION || scale > precision) {
    throw invalid(
      cv,
      ctx,
      `DECIMAL(${precision}, ${scale}): precision is 1 to 38 and scale at most the precision`,
    )
  }
  return { kind: 'DECIMAL', precision, scale, nullable }
}

/** Fractional-second precision, 0 to 9 as in Flink. */
function timePrecision(cv: Converter, ctx: ColumnTypeContext, defaultPrecision: number): number {
  const precision = lengthOf(ctx) ?? defaultPrecision
  if (precision > 9) throw invalid(cv, ctx, `precision ${precision} of ${ctx.getText()} is over 9`)
  return precision
}

function timestampType(cv: Converter, ctx: ColumnTypeContext, nullable: boolean): SqlType {
  const precision = timePrecision(cv, ctx, 6)
  if (!ctx.KW_ZONE() || ctx.KW_WITHOUT()) {
    if (ctx.KW_LOCAL()) throw invalid(cv, ctx, 'TIMESTAMP WITHOUT LOCAL TIME ZONE is not a type')
    return { kind: 'TIMESTAMP', precision, nullable }
  }
  if (!ctx.KW_LOCAL()) {
    throw unsupported(
      cv,
      ctx,
      'TIMESTAMP WITH TIME ZONE',
      'use TIMESTAMP_LTZ (TIMESTAMP WITH LOCAL TIME ZONE)',
    )
  }
  return { kind: 'TIMESTAMP_LTZ', precision, nullable }
}

/**
 * A type inside ARRAY, MAP or ROW, nullable unless the `typeNullability` child right after it in
 * its dimension (freshet's grammar patch) says `NOT NULL`.
 */
function innerType(cv: Converter, type: ColumnTypeContext, dimension: ParserRuleContext): SqlType {
  const children = dimension.children ?? []
  const next = children[children.indexOf(type) + 1]
  const notNull = next instanceof TypeNullabilityContext && next.KW_NOT() !== null
  return sqlType(cv, type, !notNull)
}

function nestedType(cv: Converter, ctx: ColumnTypeContext, name: string, nullable: boolean): SqlType {
  if (name === 'ARRAY' || name === 'MULTISET') {
    const dimension = ctx.lengthOneTypeDimension()
    const element = dimension?.columnType()
    if (!dimension || !element) throw invalid(cv, ctx, `${name} needs an element type: ${name}<type>`)
    return { kind: name, element: innerType(cv, element, dimension), nullable }
  }
  if (name === 'MAP') {
    const dimension = ctx.mapTypeDimension()
    const types = dimension?.columnType() ?? []
    if (!dimension || types.length !== 2) {
      throw invalid(cv, ctx, 'MAP needs a key and a value type: MAP<key, value>')
    }
    return {
      kind: 'MAP',
      key: innerType(cv, types[0]!, dimension),
      value: innerType(cv, types[1]!, dimension),
      nullable,
    }
  }
  if (name === 'ROW') return { kind: 'ROW', fields: rowFields(cv, ctx), nullable }
  throw unsupported(cv, ctx, `${name} type`)
}

function rowFields(cv: Converter, ctx: ColumnTypeContext): RowField[] {
  const dimension = ctx.rowTypeDimension()
  if (!dimension) throw invalid(cv, ctx, 'ROW needs its fields: ROW<name type, ...>')
  const names = dimension.columnName()
  const types = dimension.columnType()
  return names.map((nameCtx, i) => ({
    name: simpleColumnName(cv, nameCtx),
    type: innerType(cv, types[i]!, dimension),
  }))
}
