import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { test } from 'node:test'
import { Token, type ParseTree } from 'antlr4ng'
import {
  ExtractContext,
  ExtractUnitContext,
  FlinkSqlParser,
  FlinkSqlParserVisitor,
  FunctionCallExpressionContext,
  parseFlinkSql,
  SubstringContext,
  TrimContext,
  WindowTVFExpressionContext,
  type FilterClauseContext,
  type ProgramContext,
  type WindowTVFParamContext,
} from '../../../src/sql/grammar/index.ts'

function parsed(sql: string): ProgramContext {
  const { tree, errors } = parseFlinkSql(sql)
  assert.deepEqual(errors, [], sql)
  return tree
}

function all<T>(node: ParseTree, type: abstract new (...args: never[]) => T): T[] {
  const found: T[] = node instanceof type ? [node] : []
  for (let i = 0; i < node.getChildCount(); i++) found.push(...all(node.getChild(i)!, type))
  return found
}

function tvf(sql: string): { name: string; params: WindowTVFParamContext[] } {
  const [expression] = all(parsed(sql), WindowTVFExpressionContext)
  assert.ok(expression)
  return { name: expression.windowTVFName().getText(), params: expression.windowTVFParam() }
}

test('SESSION with PARTITION BY: the keys hang off the TABLE argument', () => {
  const { name, params } = tvf(
    "SELECT * FROM TABLE(SESSION(TABLE user_events PARTITION BY user_id, DESCRIPTOR(ts), INTERVAL '30' MINUTE))",
  )
  assert.equal(name, 'SESSION')
  assert.equal(params.length, 3)
  assert.equal(params[0]!.timeAttrColumn()!.getText(), 'user_events')
  assert.equal(params[0]!.windowTVFPartitionBy()!.columnName()!.getText(), 'user_id')
  assert.equal(params[1]!.columnDescriptor()!.columnName().getText(), 'ts')
  assert.equal(params[2]!.timeIntervalExpression()!.getText(), "INTERVAL'30'MINUTE")
})

test('SESSION partitioned by a parenthesized list, and without PARTITION BY', () => {
  const keys = tvf(
    "SELECT * FROM TABLE(SESSION(TABLE t PARTITION BY (a, b), DESCRIPTOR(ts), INTERVAL '5' MINUTES))",
  )
    .params[0]!.windowTVFPartitionBy()!
    .columnNameList()!
    .columnName()
  assert.deepEqual(
    keys.map((k) => k.getText()),
    ['a', 'b'],
  )
  const plain = tvf("SELECT * FROM TABLE(SESSION(TABLE t, DESCRIPTOR(ts), INTERVAL '5' MINUTES))")
  assert.equal(plain.params[0]!.windowTVFPartitionBy(), null)
})

test('SESSION with named arguments: DATA => TABLE t PARTITION BY k, TIMECOL =>, GAP =>', () => {
  const { params } = tvf(
    "SELECT * FROM TABLE(SESSION(DATA => TABLE t PARTITION BY k, TIMECOL => DESCRIPTOR(ts), GAP => INTERVAL '10' MINUTE))",
  )
  assert.ok(params[0]!.KW_DATA())
  assert.equal(params[0]!.windowTVFPartitionBy()!.columnName()!.getText(), 'k')
  assert.ok(params[1]!.KW_TIMECOL())
  assert.ok(params[2]!.timeIntervalParamName()!.KW_GAP())
})

test('a column named gap is still an identifier', () => {
  parsed('SELECT gap, SUM(gap) AS total FROM t GROUP BY gap')
})

test('FILTER (WHERE ...) is a filterClause of the function call', () => {
  const tree = parsed(
    "SELECT COUNT(*) FILTER (WHERE status = 'done') AS done, SUM(amount) FILTER (WHERE amount > 0), MAX(x) FROM t",
  )
  const calls = all(tree, FunctionCallExpressionContext)
  assert.deepEqual(
    calls.map((c) => c.filterClause()?.booleanExpression().getText() ?? null),
    ["status='done'", 'amount>0', null],
  )
})

test('the standard SUBSTRING, TRIM and EXTRACT forms have their own contexts', () => {
  const tree = parsed(
    "SELECT SUBSTRING(s FROM 2 FOR 3), SUBSTRING(s FROM 2), TRIM(BOTH ' ' FROM s), TRIM(LEADING FROM s), TRIM(FROM s), EXTRACT(HOUR FROM ts), EXTRACT(DOW FROM ts) FROM t",
  )
  const substrings = all(tree, SubstringContext)
  assert.deepEqual(
    substrings.map((c) => [c._str!.getText(), c._pos!.getText(), c._len?.getText() ?? null]),
    [
      ['s', '2', '3'],
      ['s', '2', null],
    ],
  )
  const trims = all(tree, TrimContext)
  assert.deepEqual(
    trims.map((c) => [c._trimOption?.text ?? null, c._trimStr?.getText() ?? null, c._srcStr!.getText()]),
    [
      ['BOTH', "' '", 's'],
      ['LEADING', null, 's'],
      [null, null, 's'],
    ],
  )
  assert.deepEqual(
    all(tree, ExtractUnitContext).map((c) => c._unit!.getText()),
    ['HOUR'],
  )
  // A unit that is not a keyword stays the package's `# extract`, with an identifier.
  assert.deepEqual(
    all(tree, ExtractContext).map((c) => c._field!.getText()),
    ['DOW'],
  )
})

test('the comma forms still parse as plain function calls', () => {
  const tree = parsed("SELECT SUBSTRING(s, 1, 4), TRIM(s), POSITION('_' IN s) FROM t")
  assert.equal(all(tree, SubstringContext).length, 0)
  assert.equal(all(tree, TrimContext).length, 0)
})

test('a visitor reaches the new contexts through their visit methods', () => {
  const seen: string[] = []
  class Visitor extends FlinkSqlParserVisitor<void> {
    override visitFilterClause = (ctx: FilterClauseContext): void => {
      seen.push(`filter ${ctx.booleanExpression().getText()}`)
    }
    override visitSubstring = (ctx: SubstringContext): void => {
      seen.push(`substring ${ctx._str!.getText()}`)
    }
  }
  new Visitor().visit(parsed('SELECT COUNT(*) FILTER (WHERE a > 1), SUBSTRING(s FROM 1) FROM t'))
  assert.deepEqual(seen, ['filter a>1', 'substring s'])
})

test('SESSION is a keyword token of the parser, GAP a non-reserved one', () => {
  assert.equal(FlinkSqlParser.symbolicNames[FlinkSqlParser.KW_GAP], 'KW_GAP')
  assert.equal(FlinkSqlParser.symbolicNames[FlinkSqlParser.KW_SESSION], 'KW_SESSION')
})

test('a hint stays one token on the hidden channel, as in the package', () => {
  const { tokens } = parseFlinkSql(
    "SELECT * FROM orders /*+ OPTIONS('scan.startup.mode'='earliest-offset') */",
  )
  const hidden = tokens
    .getTokens()
    .filter((t) => t.channel === Token.HIDDEN_CHANNEL && t.text!.startsWith('/*+'))
  assert.deepEqual(
    hidden.map((t) => t.text),
    ["/*+ OPTIONS('scan.startup.mode'='earliest-offset') */"],
  )
})

test('loads in plain Node, without a resolve hook', () => {
  const url = new URL('../../../src/sql/grammar/index.ts', import.meta.url).href
  const script = `const { parseFlinkSql } = await import(${JSON.stringify(url)})
const { errors } = parseFlinkSql("SELECT COUNT(*) FILTER (WHERE a = 1) FROM t")
process.stdout.write(String(errors.length))`
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })
  assert.equal(child.stderr, '')
  assert.equal(child.stdout, '0')
})
