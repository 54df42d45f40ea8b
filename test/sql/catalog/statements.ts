/** CREATE TABLE / CREATE VIEW syntax trees for catalog tests, as the parser would build them. */
import type {
  ColumnDefinition,
  CreateTableStatement,
  CreateViewStatement,
  Expr,
  Position,
} from '../../../src/sql/ast.ts'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { defineTable, type TableDefinition } from '../../../src/sql/catalog/index.ts'
import { parseType } from '../../../src/sql/types/index.ts'

export const FILE = 'jobs.sql'
export const AT: Position = { line: 3, column: 1 }

/** `name TYPE` -> physical column; `name AS <anything>` -> computed; `name TYPE METADATA [FROM 'k'] [VIRTUAL]`. */
export function column(text: string, line = 4): ColumnDefinition {
  const at = { line, column: 3 }
  const computed = /^(\S+) AS (.+)$/.exec(text)
  if (computed !== null) return { kind: 'computed', name: computed[1]!, expr: call(computed[2]!, at), at }
  const metadata = /^(\S+) (.+?) METADATA(?: FROM '([^']+)')?( VIRTUAL)?$/.exec(text)
  if (metadata !== null) {
    return {
      kind: 'metadata',
      name: metadata[1]!,
      type: parseType(metadata[2]!),
      key: metadata[3] ?? metadata[1]!,
      virtual: metadata[4] !== undefined,
      at,
    }
  }
  const space = text.indexOf(' ')
  return { kind: 'physical', name: text.slice(0, space), type: parseType(text.slice(space + 1)), at }
}

function call(text: string, at: Position): Expr {
  return { kind: 'call', name: text, args: [], star: false, distinct: false, at }
}

export function createTable(
  columns: readonly string[],
  options: Readonly<Record<string, string>>,
  extra: Partial<CreateTableStatement> = {},
): CreateTableStatement {
  return {
    kind: 'create-table',
    name: 't',
    temporary: false,
    ifNotExists: false,
    columns: columns.map((c, i) => column(c, AT.line + 1 + i)),
    partitionedBy: [],
    options,
    at: AT,
    ...extra,
  }
}

export function watermarkOn(name: string): CreateTableStatement['watermark'] {
  return {
    column: name,
    expr: { kind: 'column', name, at: { line: 9, column: 20 } },
    at: { line: 9, column: 3 },
  }
}

export function createView(name: string, extra: Partial<CreateViewStatement> = {}): CreateViewStatement {
  return {
    kind: 'create-view',
    name,
    temporary: false,
    ifNotExists: false,
    query: {
      kind: 'select',
      with: [],
      distinct: false,
      items: [{ kind: 'star', at: AT }],
      from: { kind: 'table', name: 't', hints: {}, at: AT },
      groupBy: [],
      orderBy: [],
      at: AT,
    },
    at: AT,
    ...extra,
  }
}

/** A kafka table's required options plus `extra`. */
export function kafka(extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  return {
    connector: 'kafka',
    topic: 'events',
    'properties.bootstrap.servers': '127.0.0.1:9092',
    format: 'json',
    ...extra,
  }
}

export const define = (
  columns: readonly string[],
  options: Record<string, string>,
  extra = {},
): TableDefinition => defineTable(createTable(columns, options, extra), FILE)

/** Asserts that defining the table fails with SQL_INVALID at the statement, matching `message`. */
export function refuses(
  columns: readonly string[],
  options: Record<string, string>,
  message: RegExp,
  extra = {},
): void {
  assert.throws(
    () => define(columns, options, extra),
    (error: Error & { code?: string }) => {
      assert.equal(error.code, 'FRESHET_SQL_INVALID')
      assert.match(error.message, /^jobs\.sql:\d+:\d+: table 't': /)
      assert.match(error.message, message)
      return true
    },
  )
}

export const USER_EVENT = JSON.stringify(
  JSON.parse(readFileSync(new URL('../../../schemas/user_event.avsc', import.meta.url), 'utf8')),
)
export const USER_EVENT_COLUMNS = [
  '`timestamp` TIMESTAMP(3) NOT NULL',
  'event_type STRING NOT NULL',
  'user_id STRING NOT NULL',
  'version STRING NOT NULL',
  'data ROW<product_id STRING, amount DOUBLE, currency STRING, session_id STRING NOT NULL, device STRING NOT NULL, browser STRING NOT NULL, search_query STRING, transaction_id STRING> NOT NULL',
].map((c) => c.replace(/^`timestamp`/, 'timestamp'))
