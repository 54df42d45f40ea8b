/** A file of several statements: order, exact texts, positions in the file, separators. */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseSql } from '../../../src/sql/parse/index.ts'
import { assertRefused } from './helpers.ts'

const FILE = `-- analytics job
SET 'pipeline.name' = 'analytics';

CREATE TEMPORARY VIEW purchases AS
  SELECT user_id FROM user_events WHERE event_type = 'purchase';
;
/* the sink */ INSERT INTO sink /*+ OPTIONS('sink.parallelism'='2') */
SELECT user_id, COUNT(*) FROM purchases GROUP BY user_id;
EXECUTE STATEMENT SET
BEGIN
  INSERT INTO a SELECT * FROM x;
  INSERT INTO b SELECT * FROM y;
END;
RESET 'pipeline.name'`

test('statements in order, each with its text as written and its position in the file', async () => {
  const script = await parseSql(FILE, 'jobs/analytics.sql')
  assert.equal(script.file, 'jobs/analytics.sql')
  assert.deepEqual(
    script.statements.map((s) => [s.statement.kind, s.statement.at.line, s.statement.at.column]),
    [
      ['set', 2, 1],
      ['create-view', 4, 1],
      ['insert', 7, 16],
      ['statement-set', 9, 1],
      ['reset', 14, 1],
    ],
  )
  assert.deepEqual(
    script.statements.map((s) => s.text),
    [
      "SET 'pipeline.name' = 'analytics'",
      "CREATE TEMPORARY VIEW purchases AS\n  SELECT user_id FROM user_events WHERE event_type = 'purchase'",
      "INSERT INTO sink /*+ OPTIONS('sink.parallelism'='2') */\nSELECT user_id, COUNT(*) FROM purchases GROUP BY user_id",
      'EXECUTE STATEMENT SET\nBEGIN\n  INSERT INTO a SELECT * FROM x;\n  INSERT INTO b SELECT * FROM y;\nEND',
      "RESET 'pipeline.name'",
    ],
  )
})

test('statement contents: SET and RESET keys unquoted, the INSERT hint, both inserts of the set', async () => {
  const [set, , insert, statementSet, reset] = (await parseSql(FILE, 'a.sql')).statements.map(
    (s) => s.statement,
  )
  assert.deepEqual(set, { kind: 'set', key: 'pipeline.name', value: 'analytics', at: { line: 2, column: 1 } })
  assert.deepEqual(reset, { kind: 'reset', key: 'pipeline.name', at: { line: 14, column: 1 } })
  assert.equal(insert!.kind, 'insert')
  assert.deepEqual(insert.hints, { 'sink.parallelism': '2' })
  assert.equal(statementSet!.kind, 'statement-set')
  assert.deepEqual(
    statementSet.inserts.map((i) => [i.table, i.at.line, i.at.column]),
    [
      ['a', 11, 3],
      ['b', 12, 3],
    ],
  )
})

test("positions of nested nodes are the file's, not the statement's", async () => {
  const script = await parseSql("SET 'a' = 'b';\n\nSELECT\n  x + 1 AS y FROM t", 'a.sql')
  const statement = script.statements[1]!.statement
  assert.equal(statement.kind, 'query')
  assert.equal(statement.query.kind, 'select')
  const [first] = statement.query.items
  assert.equal(first!.kind, 'expr')
  assert.deepEqual(first.at, { line: 4, column: 3 })
  assert.equal(first.expr.kind, 'binary')
  assert.deepEqual(first.expr.right.at, { line: 4, column: 7 })
})

test('an error in a later statement is reported at its line and column in the file', async () => {
  await assertRefused("SET 'a' = 'b';\nSELECT x FROM t;\nSELECT x FROM t WHERE x = = 1;", {
    code: 'FRESHET_SQL_INVALID',
    line: 3,
    column: 27,
  })
})

test('two statements without a semicolon between them are refused', async () => {
  await assertRefused('SELECT a FROM t\nSELECT b FROM u', { code: 'FRESHET_SQL_INVALID', line: 2, column: 1 })
})

test('an empty file and a file of comments have no statements', async () => {
  assert.deepEqual((await parseSql('', 'a.sql')).statements, [])
  assert.deepEqual((await parseSql('-- nothing\n/* here */ ;', 'a.sql')).statements, [])
})

test('statements freshet has no tree for are refused by name', async () => {
  await assertRefused('DROP TABLE t', {
    code: 'FRESHET_SQL_UNSUPPORTED',
    line: 1,
    column: 1,
    construct: 'DROP TABLE statement',
  })
  await assertRefused('DESCRIBE t', {
    code: 'FRESHET_SQL_UNSUPPORTED',
    line: 1,
    column: 1,
    construct: 'DESCRIBE statement',
  })
  await assertRefused('SHOW TABLES', {
    code: 'FRESHET_SQL_UNSUPPORTED',
    line: 1,
    column: 1,
    construct: 'SHOW TABLES statement',
  })
})

test('EXPLAIN wraps a query, an INSERT or a statement set', async () => {
  const script = await parseSql(
    'EXPLAIN SELECT a FROM t;\nEXPLAIN PLAN FOR INSERT INTO s SELECT a FROM t',
    'a.sql',
  )
  const kinds = script.statements.map((s) =>
    s.statement.kind === 'explain' ? s.statement.statement.kind : 'no',
  )
  assert.deepEqual(kinds, ['query', 'insert'])
  await assertRefused('EXPLAIN CHANGELOG_MODE SELECT a FROM t', {
    code: 'FRESHET_SQL_UNSUPPORTED',
    line: 1,
    column: 9,
    construct: 'EXPLAIN CHANGELOG_MODE',
  })
})

test('a byte order mark is skipped; keywords in any case', async () => {
  const script = await parseSql("\uFEFFset 'a' = 'b';\r\nselect Count(*) from T", 'a.sql')
  assert.deepEqual(
    script.statements.map((s) => [s.statement.kind, s.statement.at, s.text]),
    [
      ['set', { line: 1, column: 1 }, "set 'a' = 'b'"],
      ['query', { line: 2, column: 1 }, 'select Count(*) from T'],
    ],
  )
})
