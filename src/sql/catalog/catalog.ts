/**
 * The tables and views a SQL file creates, by name. Names are case-sensitive, as in Flink; a name
 * may be qualified with Flink's default catalog and database (`default_catalog.default_database.t`
 * is `t`). Temporary and permanent objects live side by side, as in Flink's catalog manager: a
 * temporary one shadows a permanent one of the same name, and creating a second object of the same
 * kind and name fails unless `IF NOT EXISTS`.
 */
import type { CreateTableStatement, CreateViewStatement, Position } from '../ast.ts'
import { sqlInvalid } from '../errors.ts'
import { didYouMean } from '../types/index.ts'
import { defineTable, type DefineTableOptions } from './table.ts'
import type { CatalogObject, TableDefinition, ViewDefinition } from './types.ts'

const DEFAULT_PATH = ['default_catalog', 'default_database']

export class Catalog {
  readonly #temporary = new Map<string, CatalogObject>()
  readonly #permanent = new Map<string, CatalogObject>()
  readonly #options: DefineTableOptions

  constructor(options: DefineTableOptions = {}) {
    this.#options = options
  }

  /**
   * Validates a CREATE TABLE and adds it. Returns the existing object, unchanged, for
   * `IF NOT EXISTS` on a taken name.
   */
  defineTable(stmt: CreateTableStatement, file: string): CatalogObject {
    const name = this.#normalize(stmt.name, file, stmt.at)
    const existing = this.#taken(name, stmt.temporary, stmt.ifNotExists, file, stmt.at)
    if (existing !== undefined) return existing
    const table = defineTable({ ...stmt, name }, file, this.#options)
    this.#scope(stmt.temporary).set(name, table)
    return table
  }

  /** Adds a CREATE VIEW (its query is the planner's to check). */
  defineView(stmt: CreateViewStatement, file: string): CatalogObject {
    const name = this.#normalize(stmt.name, file, stmt.at)
    const existing = this.#taken(name, stmt.temporary, stmt.ifNotExists, file, stmt.at)
    if (existing !== undefined) return existing
    const view: ViewDefinition = {
      kind: 'view',
      name,
      temporary: stmt.temporary,
      file,
      at: stmt.at,
      columns: stmt.columns,
      query: stmt.query,
      statement: stmt,
    }
    this.#scope(stmt.temporary).set(name, view)
    return view
  }

  /** The table or view of that name (temporary first), or undefined. */
  get(name: string): CatalogObject | undefined {
    const short = stripDefaultPath(name)
    return this.#temporary.get(short) ?? this.#permanent.get(short)
  }

  /** The table or view of that name; SQL_INVALID at `at` naming the closest names when unknown. */
  lookup(name: string, file: string, at: Position): CatalogObject {
    const found = this.get(name)
    if (found !== undefined) return found
    const hint = didYouMean(stripDefaultPath(name), this.names())
    throw sqlInvalid(file, at, `Object '${name}' not found${hint}`)
  }

  /** A table (not a view) of that name, for INSERT INTO. */
  lookupTable(name: string, file: string, at: Position): TableDefinition {
    const found = this.lookup(name, file, at)
    if (found.kind !== 'table') throw sqlInvalid(file, at, `'${name}' is a view; INSERT INTO needs a table`)
    return found
  }

  /** Every name, sorted. */
  names(): string[] {
    return [...new Set([...this.#temporary.keys(), ...this.#permanent.keys()])].sort()
  }

  tables(): TableDefinition[] {
    return this.names()
      .map((n) => this.get(n)!)
      .filter((o): o is TableDefinition => o.kind === 'table')
  }

  views(): ViewDefinition[] {
    return this.names()
      .map((n) => this.get(n)!)
      .filter((o): o is ViewDefinition => o.kind === 'view')
  }

  #scope(temporary: boolean): Map<string, CatalogObject> {
    return temporary ? this.#temporary : this.#permanent
  }

  #taken(
    name: string,
    temporary: boolean,
    ifNotExists: boolean,
    file: string,
    at: Position,
  ): CatalogObject | undefined {
    const existing = this.#scope(temporary).get(name)
    if (existing === undefined) return undefined
    if (ifNotExists) return existing
    const where = `${existing.file}:${existing.at.line}:${existing.at.column}`
    throw sqlInvalid(
      file,
      at,
      temporary
        ? `Temporary table '${name}' already exists (created at ${where})`
        : `Table (or view) ${name} already exists (created at ${where})`,
    )
  }

  #normalize(name: string, file: string, at: Position): string {
    const short = stripDefaultPath(name)
    if (short.includes('.')) {
      throw sqlInvalid(
        file,
        at,
        `'${name}': freshet has one catalog and database (default_catalog.default_database); name the object without a qualifier`,
      )
    }
    return short
  }
}

function stripDefaultPath(name: string): string {
  const parts = name.split('.')
  if (parts.length === 3 && parts[0] === DEFAULT_PATH[0] && parts[1] === DEFAULT_PATH[1]) return parts[2]!
  if (parts.length === 2 && parts[0] === DEFAULT_PATH[1]) return parts[1]!
  return name
}
