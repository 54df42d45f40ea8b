/**
 * The converter reads a regenerated grammar's additions (SESSION in windowTVFName, PARTITION BY in
 * a window TVF's TABLE argument, a FILTER clause on a call) through defensive accessors. Until that
 * grammar is swapped in, these tests graft the nodes it would produce onto trees of the released
 * grammar and check that the converter maps them.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { CommonToken } from 'antlr4ng'
import { ParserRuleContext, type ParseTree, type TerminalNode } from 'antlr4ng'
import { loadSqlParser } from '../../../src/sql/parse/index.ts'
import { shape } from './helpers.ts'

await loadSqlParser()
const grammar = await import('../../../src/sql/parse/grammar.ts')
const { callExpr } = await import('../../../src/sql/parse/functions.ts')
const { windowTableRef } = await import('../../../src/sql/parse/window-tvf.ts')

function parsed(sql: string) {
  const program = grammar.parseProgram(sql)
  assert.deepEqual(program.errors, [])
  const cv = { file: 't.sql', input: program.input, tokens: program.tokens, usedHints: new Set<number>() }
  return { program, cv }
}

function find<T extends ParserRuleContext>(root: ParseTree, type: abstract new (...args: never[]) => T): T[] {
  const found: T[] = []
  const visit = (node: ParseTree): void => {
    if (node instanceof type) found.push(node)
    if (node instanceof ParserRuleContext) for (const child of node.children ?? []) visit(child)
  }
  visit(root)
  return found
}

function keywordNode(parent: ParserRuleContext, like: TerminalNode, text: string): void {
  const token = (like.symbol as CommonToken).clone()
  token.text = text
  parent.addTokenNode(token)
}

test('SESSION with PARTITION BY inside the TABLE argument becomes fn SESSION and partitionBy', () => {
  const { program, cv } = parsed(
    "SELECT * FROM TABLE(TUMBLE(TABLE Bid, DESCRIPTOR(bidtime), INTERVAL '5' MINUTES)) GROUP BY item, supplier",
  )
  const [clause] = find(program.tree, grammar.WindowTVFClauseContext)
  const name = clause!.windowTVFExpression().windowTVFName()
  name.KW_TUMBLE()!.symbol.text = 'SESSION'
  const tableParam = clause!.windowTVFExpression().windowTVFParam(0)!
  const like = tableParam.KW_TABLE()!
  keywordNode(tableParam, like, 'PARTITION')
  keywordNode(tableParam, like, 'BY')
  for (const column of find(program.tree, grammar.ColumnNameContext).slice(-2)) tableParam.addChild(column)
  const window = windowTableRef(cv, clause!)
  assert.deepEqual(shape(window), {
    kind: 'window',
    fn: 'SESSION',
    input: { kind: 'table', name: 'Bid', hints: {} },
    timeColumn: 'bidtime',
    args: [{ kind: 'interval', ms: 300_000, text: "INTERVAL '5' MINUTES" }],
    partitionBy: ['item', 'supplier'],
  })
})

test('a Filter rule after a call becomes CallExpr.filter', () => {
  const { program, cv } = parsed("SELECT COUNT(*) FROM t WHERE status = 'completed'")
  const [call] = find(program.tree, grammar.FunctionCallExpressionContext)
  // The WHERE condition (the first boolean expression is the select item around COUNT(*)).
  const condition = find(program.tree, grammar.BooleanExpressionContext).at(-1)
  class FilterClauseContext extends ParserRuleContext {}
  const filter = new FilterClauseContext(call!, 0)
  filter.addChild(condition!)
  call!.addChild(filter)
  assert.deepEqual(shape(callExpr(cv, call!)), {
    kind: 'call',
    name: 'COUNT',
    args: [],
    star: true,
    distinct: false,
    filter: {
      kind: 'binary',
      op: '=',
      left: { kind: 'column', name: 'status' },
      right: {
        kind: 'literal',
        value: 'completed',
        type: { kind: 'CHAR', length: 9, nullable: false },
        text: "'completed'",
      },
    },
  })
})
