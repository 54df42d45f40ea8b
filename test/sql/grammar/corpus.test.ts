// freshet's patched FlinkSQL parser against dt-sql-parser 4.5.1's own, over the corpus of decision
// 0009: the patch must change nothing the package already parses (same tree, same first error)
// and must parse exactly the statements the package rejected for SESSION, FILTER and the standard
// function forms, with the new contexts in the tree.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import type { ParseTree, ParserRuleContext } from 'antlr4ng'
import { INVALID, VALID } from '../../../bench/sql-parser/corpus.ts'
import { registerDtSqlParserResolution } from '../../../bench/sql-parser/resolve-hook.ts'
import {
  ExtractUnitContext,
  FilterClauseContext,
  FlinkSqlParser,
  parseFlinkSql,
  SubstringContext,
  TrimContext,
  WindowTVFNameContext,
  WindowTVFPartitionByContext,
} from '../../../src/sql/grammar/index.ts'

registerDtSqlParserResolution()
const { FlinkSQL } = await import('dt-sql-parser')
// The package's generated parser, for its rule names; its index does not export the class.
const stockModule = 'dt-sql-parser/dist/lib/flink/FlinkSqlParser.js'
const { FlinkSqlParser: StockParser } = (await import(stockModule)) as {
  FlinkSqlParser: typeof FlinkSqlParser
}
const stock = new FlinkSQL()

interface StockError {
  startLine: number
  startColumn: number
}

function parseStock(sql: string): { tree: string; errors: StockError[] } {
  const errors: StockError[] = []
  const tree = stock.parse(sql, (error: StockError) => errors.push(error))
  return { tree: tree.toStringTree(StockParser.ruleNames, null as never), errors }
}

function parseOurs(sql: string): { tree: string; root: ParserRuleContext; errors: unknown[] } {
  const { tree, errors } = parseFlinkSql(sql)
  return { tree: tree.toStringTree(FlinkSqlParser.ruleNames, null as never), root: tree, errors }
}

function count(node: ParseTree, type: abstract new (...args: never[]) => unknown): number {
  let n = node instanceof type ? 1 : 0
  for (let i = 0; i < node.getChildCount(); i++) n += count(node.getChild(i)!, type)
  return n
}

// What the package rejects, and what each of those statements must now show.
const NEWLY_PARSED: Record<string, (root: ParserRuleContext) => void> = {
  'seed-revenue': (root) => assert.equal(count(root, FilterClauseContext), 2),
  'seed-sessions': (root) => {
    assert.equal(count(root, FilterClauseContext), 2)
    assert.equal(count(root, WindowTVFPartitionByContext), 1)
  },
  'docs-session-agg': (root) => assert.equal(count(root, WindowTVFPartitionByContext), 1),
  'docs-session-no-partition': (root) => {
    assert.equal(count(root, WindowTVFPartitionByContext), 0)
    assert.equal(count(root, WindowTVFNameContext), 1)
  },
  'extra-window-aggregates': (root) => assert.equal(count(root, FilterClauseContext), 1),
  'extra-standard-function-forms': (root) => {
    assert.equal(count(root, SubstringContext), 1)
    assert.equal(count(root, TrimContext), 1)
    assert.equal(count(root, ExtractUnitContext), 1)
  },
}

test('every statement the package accepts parses to the same tree', () => {
  const compared: string[] = []
  for (const statement of VALID) {
    const theirs = parseStock(statement.sql)
    if (theirs.errors.length > 0) continue
    const ours = parseOurs(statement.sql)
    assert.deepEqual(ours.errors, [], statement.id)
    assert.equal(ours.tree, theirs.tree, statement.id)
    compared.push(statement.id)
  }
  assert.equal(compared.length, VALID.length - Object.keys(NEWLY_PARSED).length)
})

test('the statements the package rejects for SESSION, FILTER and the standard forms now parse', () => {
  const rejected = VALID.filter((s) => parseStock(s.sql).errors.length > 0).map((s) => s.id)
  assert.deepEqual(rejected.sort(), Object.keys(NEWLY_PARSED).sort())
  for (const id of rejected) {
    const ours = parseOurs(VALID.find((s) => s.id === id)!.sql)
    assert.deepEqual(ours.errors, [], id)
    NEWLY_PARSED[id]!(ours.root)
  }
})

// The package reports 1-based columns, ANTLR (and so parseFlinkSql) 0-based ones.
test('an invalid statement fails at the same line and column as with the package', () => {
  for (const statement of INVALID) {
    const theirs = parseStock(statement.sql).errors[0]
    const { errors } = parseFlinkSql(statement.sql)
    assert.ok(theirs && errors[0], statement.id)
    assert.deepEqual(
      { line: errors[0].line, column: errors[0].column + 1 },
      { line: theirs.startLine, column: theirs.startColumn },
      statement.id,
    )
  }
})

// A converter typed against the package's declarations must type-check against ours: every member
// it declares is declared here the same way (token numbers aside: KW_GAP shifts those after it).
test("every declaration of the package's dist/lib/flink is in ours, unchanged", () => {
  const members = (file: string): Map<string, Set<string>> => {
    const classes = new Map<string, Set<string>>()
    let current: Set<string> | undefined
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const start = /^export declare (?:abstract )?class (\w+)/.exec(line)
      if (start) classes.set(start[1]!, (current = new Set()))
      else if (line.startsWith('}')) current = undefined
      else if (current && !line.includes('_serializedATN'))
        current.add(line.trim().replace(/^(static readonly \w+ = )\d+;$/, '$1N;'))
    }
    return classes
  }
  const stockDir = join(import.meta.dirname, '../../../node_modules/dt-sql-parser/dist/lib/flink')
  const oursDir = join(import.meta.dirname, '../../../src/sql/grammar/generated')
  for (const name of ['FlinkSqlLexer', 'FlinkSqlParser', 'FlinkSqlParserListener', 'FlinkSqlParserVisitor']) {
    const ours = members(join(oursDir, `${name}.d.ts`))
    for (const [cls, declared] of members(join(stockDir, `${name}.d.ts`))) {
      const mine = ours.get(cls)
      assert.ok(mine, `${name}: class ${cls} missing`)
      for (const member of declared) assert.ok(mine.has(member), `${name}: ${cls} lacks or changed ${member}`)
    }
  }
})
