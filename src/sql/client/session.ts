/**
 * The state of an interactive SQL session, as in Flink's SQL client: the tables and views created
 * so far (the registry's tables first, then the user's), the session properties, and what each
 * statement typed means.
 *
 *   1. Client commands: HELP, QUIT/EXIT, CLEAR, SHOW TABLES, SHOW VIEWS, DESCRIBE, DROP TABLE/VIEW.
 *   2. SET / RESET: kept, in order (`SET;` lists the properties).
 *   3. CREATE TABLE / CREATE VIEW: checked now (a view is planned), then kept.
 *   4. SELECT: planned after everything kept, with its rows collected (a push query: the caller
 *      runs the plan, src/sql/client/push-query.ts).
 *   5. INSERT and statement sets: refused with the command that runs them as a job.
 */
import type { SqlType, Statement } from '../ast.ts'
import { Catalog } from '../catalog/index.ts'
import { sqlInvalid, sqlUnsupported } from '../errors.ts'
import { parseSql } from '../parse/index.ts'
import { applyProperty, planScript, type PlannedScript } from '../plan/planner.ts'
import type { CollectedRow } from '../plan/sink.ts'
import { formatType, withNullable } from '../types/index.ts'
import type { SchemaRegistryClient } from '../../serde/index.ts'
import { formatTable } from './tableau.ts'

/** Where the statements typed into the client come from, in errors. */
export const CLIENT_FILE = '<sql-client>'

export type ClientResult =
  | { readonly kind: 'ok'; readonly message: string }
  | { readonly kind: 'table'; readonly text: string }
  | { readonly kind: 'query'; readonly planned: PlannedScript }
  | { readonly kind: 'quit' }
  | { readonly kind: 'clear' }

export interface SqlSessionOptions {
  /** The application id of each query's worker (a new one per query, so queries share nothing). */
  readonly queryApplicationId: () => string
  /** The rows of the running query. */
  readonly collect: (row: CollectedRow) => void
  /** The registry client for a table's `avro-confluent.url` (tests give an in-memory one). */
  readonly registry?: ((url: string) => SchemaRegistryClient) | undefined
}

interface Kept {
  readonly statement: Statement
  readonly text: string
  /** The table or view it creates. */
  readonly creates?: string | undefined
}

export const CLIENT_HELP = `Statements end with ';' and may span lines.
  CREATE TABLE ... / CREATE VIEW ...   define a table or view for this session
  SELECT ...                           run a query and show its rows as they come (Ctrl-C stops it)
  SET 'key' = 'value'; SET; RESET;     session properties (table.local-time-zone, ...)
  SHOW TABLES; SHOW VIEWS;             what the session knows
  DESCRIBE name;                       a table's or view's columns
  DROP [TEMPORARY] TABLE|VIEW name;    forget one
  CLEAR;  HELP;  QUIT;
INSERT INTO runs as a job: put it in a file and run \`freshet sql run FILE.sql\`.`

const SHOW = /^SHOW\s+(TABLES|VIEWS)$/i
const DESCRIBE = /^(?:DESCRIBE|DESC)\s+(\S+)$/i
const DROP = /^DROP\s+(TEMPORARY\s+)?(TABLE|VIEW)\s+(IF\s+EXISTS\s+)?(\S+)$/i

export class SqlSession {
  readonly #options: SqlSessionOptions
  #kept: Kept[] = []

  constructor(options: SqlSessionOptions) {
    this.#options = options
  }

  /**
   * Adds CREATE TABLE statements the session starts with (the registry's catalog), each checked;
   * returns the errors of those it could not take.
   */
  async addTables(ddl: readonly string[], file: string): Promise<Error[]> {
    const errors: Error[] = []
    for (const text of ddl) {
      try {
        const script = await parseSql(text, file)
        for (const entry of script.statements) await this.#keep(entry.statement, entry.text, file)
      } catch (error) {
        errors.push(error as Error)
      }
    }
    return errors
  }

  /** One statement, as the splitter cut it (without its `;`). */
  async execute(text: string): Promise<ClientResult> {
    const words = text.replace(/\s+/g, ' ').trim()
    // 1. Client commands.
    switch (words.toUpperCase()) {
      case 'QUIT':
      case 'EXIT':
        return { kind: 'quit' }
      case 'HELP':
        return { kind: 'ok', message: CLIENT_HELP }
      case 'CLEAR':
        return { kind: 'clear' }
    }
    const show = SHOW.exec(words)
    if (show !== null) return this.#show(show[1]!.toUpperCase() === 'VIEWS')
    const describe = DESCRIBE.exec(words)
    if (describe !== null) return await this.#describe(unquote(describe[1]!))
    const drop = DROP.exec(words)
    if (drop !== null)
      return this.#drop(drop[2]!.toUpperCase() as 'TABLE' | 'VIEW', unquote(drop[4]!), !!drop[3])

    const script = await parseSql(text, CLIENT_FILE)
    if (script.statements.length !== 1) {
      throw sqlInvalid(CLIENT_FILE, { line: 1, column: 1 }, 'one statement at a time')
    }
    const { statement } = script.statements[0]!
    switch (statement.kind) {
      // 2.
      case 'set':
        if (statement.key === undefined) return this.#properties()
        await this.#keep(statement, text, CLIENT_FILE)
        return { kind: 'ok', message: '[INFO] Execute statement succeeded.' }
      case 'reset':
        await this.#keep(statement, text, CLIENT_FILE)
        return { kind: 'ok', message: '[INFO] Execute statement succeeded.' }
      // 3.
      case 'create-table':
      case 'create-view':
        await this.#keep(statement, text, CLIENT_FILE)
        return { kind: 'ok', message: `[INFO] Execute statement succeeded.` }
      // 4.
      case 'query':
        return {
          kind: 'query',
          planned: this.#plan([...this.#kept, { statement, text }], this.#options.queryApplicationId()),
        }
      // 5.
      case 'insert':
      case 'statement-set':
        throw sqlUnsupported(
          CLIENT_FILE,
          statement.at,
          'INSERT INTO in the interactive client',
          'an INSERT is a job: put it with its tables in a file and run `freshet sql run FILE.sql`',
        )
      case 'explain':
        throw sqlUnsupported(
          CLIENT_FILE,
          statement.at,
          'EXPLAIN in the interactive client',
          'use `freshet sql explain FILE.sql`',
        )
    }
  }

  /** Checks a statement against those kept (a view is planned), then keeps it. */
  async #keep(statement: Statement, text: string, file: string): Promise<void> {
    const creates =
      statement.kind === 'create-table' || statement.kind === 'create-view' ? statement.name : undefined
    const entry: Kept = { statement, text, creates }
    if (creates !== undefined) {
      // The catalog checks every definition, as Flink does when a table is created.
      const catalog = new Catalog()
      for (const k of [...this.#kept, entry]) {
        if (k.statement.kind === 'create-table') catalog.defineTable(k.statement, file)
        if (k.statement.kind === 'create-view') catalog.defineView(k.statement, file)
      }
      // A view's query is planned too.
      if (statement.kind === 'create-view') await this.#selectAll([...this.#kept, entry], creates)
    }
    this.#kept.push(entry)
  }

  #plan(statements: readonly Kept[], applicationId: string): PlannedScript {
    return planScript(
      { file: CLIENT_FILE, statements: statements.map(({ statement, text }) => ({ statement, text })) },
      {
        defaultApplicationId: applicationId,
        applicationId,
        collect: this.#options.collect,
        registry: this.#options.registry,
      },
    )
  }

  /** The plan of `SELECT * FROM name` after the statements given: what a view or table gives. */
  async #selectAll(kept: readonly Kept[], name: string): Promise<PlannedScript> {
    const text = `SELECT * FROM \`${name.replace(/`/g, '``')}\``
    const parsed = await parseSql(text, CLIENT_FILE)
    return this.#plan([...kept, { statement: parsed.statements[0]!.statement, text }], 'describe')
  }

  #names(kind: 'create-table' | 'create-view' | undefined): string[] {
    return this.#kept
      .filter((k) => k.creates !== undefined && (kind === undefined || k.statement.kind === kind))
      .map((k) => k.creates!)
      .sort()
  }

  #show(views: boolean): ClientResult {
    const names = this.#names(views ? 'create-view' : undefined)
    return {
      kind: 'table',
      text: formatTable(
        [views ? 'view name' : 'table name'],
        names.map((n) => [n]),
      ),
    }
  }

  async #describe(name: string): Promise<ClientResult> {
    const entry = this.#kept.find((k) => k.creates === name)
    if (entry === undefined) {
      throw sqlInvalid(CLIENT_FILE, { line: 1, column: 1 }, `Object '${name}' not found`)
    }
    const create = entry.statement
    // The columns as a query reads them (computed columns typed); a table that cannot be read
    // (print, blackhole) shows its declared columns.
    let planned: PlannedScript | undefined
    try {
      planned = await this.#selectAll(this.#kept, name)
    } catch (error) {
      if (create.kind === 'create-view') throw error
    }
    const table = create.kind === 'create-table' ? create : undefined
    const columns: ReadonlyArray<{ name: string; type: SqlType | undefined }> =
      planned?.result?.columns ??
      (table?.columns ?? []).map((c) => ({ name: c.name, type: c.kind === 'computed' ? undefined : c.type }))
    const primaryKey = table?.primaryKey ?? []
    const source = planned?.sources.find((s) => s.table.name === name)
    const rows = columns.map(({ name: column, type }) => {
      const definition = table?.columns.find((c) => c.name === column)
      const extras =
        definition?.kind === 'computed'
          ? 'computed'
          : definition?.kind === 'metadata'
            ? `METADATA FROM '${definition.key}'${definition.virtual ? ' VIRTUAL' : ''}`
            : ''
      const watermark =
        table?.watermark?.column === column
          ? source?.watermarkDelayMs === undefined
            ? 'yes'
            : `\`${column}\` - ${source.watermarkDelayMs} ms`
          : ''
      return [
        column,
        type === undefined ? '?' : formatType(withNullable(type, true)),
        type === undefined || type.nullable ? 'TRUE' : 'FALSE',
        primaryKey.includes(column) ? `PRI(${primaryKey.join(', ')})` : '',
        extras,
        watermark,
      ]
    })
    return { kind: 'table', text: formatTable(['name', 'type', 'null', 'key', 'extras', 'watermark'], rows) }
  }

  #drop(kind: 'TABLE' | 'VIEW', name: string, ifExists: boolean): ClientResult {
    const wanted = kind === 'TABLE' ? 'create-table' : 'create-view'
    const index = this.#kept.findIndex((k) => k.creates === name && k.statement.kind === wanted)
    if (index < 0) {
      if (ifExists) return { kind: 'ok', message: '[INFO] Execute statement succeeded.' }
      throw sqlInvalid(
        CLIENT_FILE,
        { line: 1, column: 1 },
        `${kind === 'TABLE' ? 'Table' : 'View'} '${name}' not found`,
      )
    }
    const rest = this.#kept.filter((_, i) => i !== index)
    // What uses it fails to plan now; Flink lets a view outlive its table, and fails when it is read.
    this.#kept = rest
    return { kind: 'ok', message: '[INFO] Execute statement succeeded.' }
  }

  #properties(): ClientResult {
    const properties: Record<string, string> = {}
    for (const { statement } of this.#kept) {
      if (statement.kind === 'set' || statement.kind === 'reset') applyProperty(properties, statement)
    }
    const rows = Object.entries(properties)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => [k, v])
    return { kind: 'table', text: formatTable(['key', 'value'], rows) }
  }
}

function unquote(name: string): string {
  return name.startsWith('`') && name.endsWith('`') ? name.slice(1, -1) : name
}
