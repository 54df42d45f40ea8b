import assert from 'node:assert/strict'
import { test } from 'node:test'
import { FreshetError } from '../../src/errors/index.ts'
import { splitStatements, statementError, toFilePositions } from '../../src/flink/index.ts'

test('semicolons end statements only outside strings, quoted identifiers and comments', () => {
  const sql = [
    '-- leading comment; not a statement',
    "CREATE TABLE t (`a;b` STRING, \"c;d\" INT) WITH ('k' = 'it''s; fine');",
    '/* a block;',
    '   comment */ SELECT',
    "  'x;y' FROM t; -- trailing; comment",
    '',
    'SHOW TABLES',
  ].join('\n')
  assert.deepEqual(splitStatements(sql), [
    {
      text: "CREATE TABLE t (`a;b` STRING, \"c;d\" INT) WITH ('k' = 'it''s; fine')",
      line: 2,
      column: 1,
    },
    { text: "SELECT\n  'x;y' FROM t", line: 4, column: 15 },
    { text: 'SHOW TABLES', line: 7, column: 1 },
  ])
})

test('a statement set keeps its inner statements up to END', () => {
  const sql = [
    'EXECUTE STATEMENT SET',
    'BEGIN',
    '  INSERT INTO a SELECT * FROM s;',
    '  INSERT INTO b SELECT * FROM s;',
    'END;',
    'SELECT 1;',
  ].join('\n')
  const statements = splitStatements(sql)
  assert.deepEqual(
    statements.map((s) => [s.line, s.text.split('\n').length]),
    [
      [1, 5],
      [6, 1],
    ],
  )
  assert.match(statements[0]!.text, /END$/)
})

test('only comments and blank statements give nothing', () => {
  assert.deepEqual(splitStatements('-- nothing\n ; ;\n/* at all */\n'), [])
})

test('an unterminated string or comment fails with the line it opens on', () => {
  for (const [sql, what, line] of [
    ["SELECT 1;\nSELECT 'abc;\n", 'string', 2],
    ['SELECT 1;\n\n/* open', 'comment', 3],
    ['SELECT `a\n', 'quoted identifier', 1],
  ] as const) {
    assert.throws(
      () => splitStatements(sql, 'x.sql'),
      (error: unknown) =>
        error instanceof FreshetError &&
        error.code === 'FRESHET_FLINK_SQL_INVALID' &&
        error.message === `x.sql:${line}: unterminated ${what}`,
    )
  }
})

test('parser positions within a statement become positions in the file', () => {
  const [statement] = splitStatements('\n\n  SELECT *\nFROM nope;')
  assert.equal(
    toFilePositions('From line 2, column 6 to line 2, column 9: Object', statement!),
    'From line 4, column 6 to line 4, column 9: Object',
  )
  assert.equal(toFilePositions('at line 1, column 8.', statement!), 'at line 3, column 10.')
})

test('a gateway stack trace gives its first cause that is not a wrapper, without frames', () => {
  const trace = [
    '<Exception on server side:',
    'org.apache.flink.table.gateway.api.utils.SqlGatewayException: Failed to fetchResults.',
    '\tat org.apache.flink.table.gateway.rest.handler.statement.FetchResultsHandler.handleRequest(FetchResultsHandler.java:91)',
    'Caused by: org.apache.flink.table.gateway.service.utils.SqlExecutionException: Failed to execute the operation 8312.',
    '\tat org.apache.flink.table.gateway.service.operation.OperationManager$Operation.processThrowable(OperationManager.java:414)',
    "Caused by: org.apache.flink.table.api.ValidationException: SQL validation failed. From line 1, column 15 to line 1, column 18: Object 'nope' not found",
    '\tat org.apache.flink.table.planner.calcite.FlinkPlannerImpl.validate(FlinkPlannerImpl.scala:200)',
    "Caused by: org.apache.calcite.sql.validate.SqlValidatorException: Object 'nope' not found",
    '\t... 30 more',
    '',
    'End of exception on server side>',
  ].join('\n')
  assert.equal(
    statementError(trace),
    "ValidationException: SQL validation failed. From line 1, column 15 to line 1, column 18: Object 'nope' not found",
  )
})
