/**
 * The columns of a relation while a query is planned: each with its name, type, the table alias it
 * can be qualified by, and how it is read from the row objects flowing through the stream.
 */
import type { ColumnExpr, SqlType } from '../ast.ts'
import { sqlInvalid } from '../errors.ts'
import type { ColumnBinding, Row, Scope } from '../expr/types.ts'

export interface RelationColumn {
  readonly name: string
  readonly type: SqlType
  /** Aliases that qualify it (`e` in `e.user_id`, the table name when there is no alias). */
  readonly qualifiers: readonly string[]
  readonly read: (row: Row) => unknown
}

/** Reads `name` from a row object: the planner's rows are plain objects keyed by column name. */
export function fieldReader(name: string): (row: Row) => unknown {
  return (row) => {
    const value = (row as Record<string, unknown>)[name]
    return value === undefined ? null : value
  }
}

export function objectColumns(
  columns: ReadonlyArray<{ readonly name: string; readonly type: SqlType }>,
  qualifiers: readonly string[],
): RelationColumn[] {
  return columns.map((c) => ({ name: c.name, type: c.type, qualifiers, read: fieldReader(c.name) }))
}

/** A function making a row into a plain object of `columns`, by name: what crosses a repartition. */
export function rowObject(columns: readonly RelationColumn[]): (row: Row) => Record<string, unknown> {
  const names = columns.map((c) => c.name)
  const reads = columns.map((c) => c.read)
  return (row) => {
    const out: Record<string, unknown> = {}
    for (let i = 0; i < names.length; i++) out[names[i]!] = reads[i]!(row)
    return out
  }
}

export function requalify(
  columns: readonly RelationColumn[],
  qualifiers: readonly string[],
): RelationColumn[] {
  return columns.map((c) => ({ ...c, qualifiers }))
}

export class ColumnScope implements Scope {
  readonly #file: string
  readonly columns: readonly RelationColumn[]

  constructor(file: string, columns: readonly RelationColumn[]) {
    this.#file = file
    this.columns = columns
  }

  column(ref: ColumnExpr): ColumnBinding | undefined {
    const found = this.columns.filter(
      (c) => c.name === ref.name && (ref.qualifier === undefined || c.qualifiers.includes(ref.qualifier)),
    )
    if (found.length > 1) {
      throw sqlInvalid(
        this.#file,
        ref.at,
        `column "${ref.name}" is ambiguous: qualify it with one of ${found.map((c) => c.qualifiers[0] ?? '?').join(', ')}`,
      )
    }
    const column = found[0]
    if (column !== undefined) return { type: column.type, read: column.read }
    return ref.qualifier === undefined ? undefined : this.#rowField(ref.qualifier, ref.name)
  }

  /** `a.b` where `a` is no table in scope but a ROW column: its field `b`. */
  #rowField(columnName: string, field: string): ColumnBinding | undefined {
    const row = this.columns.filter((c) => c.name === columnName)
    if (row.length !== 1 || row[0]!.type.kind !== 'ROW') return undefined
    const type = row[0]!.type.fields.find((f) => f.name === field)?.type
    if (type === undefined) return undefined
    const read = row[0]!.read
    const nullableRow = row[0]!.type.nullable
    return {
      type: nullableRow && !type.nullable ? ({ ...type, nullable: true } as SqlType) : type,
      read: (r) => {
        const value = read(r) as Record<string, unknown> | null
        if (value === null) return null
        const v = value[field]
        return v === undefined ? null : v
      },
    }
  }

  names(): readonly string[] {
    return this.columns.map((c) => c.name)
  }
}
