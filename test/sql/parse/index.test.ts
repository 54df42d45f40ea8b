/**
 * parseSql over the whole corpus of bench/sql-parser/corpus.ts: every valid statement parses (the
 * patched grammar takes the six the released one rejects: SESSION, FILTER, the standard function
 * forms), and every invalid statement fails at its exact line and column.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { INVALID, VALID } from '../../../bench/sql-parser/corpus.ts'
import { isFreshetError } from '../../../src/errors/index.ts'
import { loadSqlParser, parseSql, parseSqlSync } from '../../../src/sql/parse/index.ts'
import { assertRefused } from './helpers.ts'

for (const statement of VALID) {
  test(`valid: ${statement.id}`, async () => {
    const script = await parseSql(statement.sql, 'corpus.sql')
    assert.equal(script.file, 'corpus.sql')
    assert.equal(script.statements.length, 1)
    assert.equal(script.statements[0]!.text, statement.sql)
  })
}

for (const statement of INVALID) {
  test(`invalid: ${statement.id} (${statement.fault}) at ${statement.line}:${statement.column}`, async () => {
    const error = await assertRefused(statement.sql, {
      code: 'FRESHET_SQL_INVALID',
      line: statement.line,
      column: statement.column,
    })
    assert.match(error.message, new RegExp(`^test\\.sql:${statement.line}:${statement.column}: `))
  })
}

test('parseSqlSync parses once the parser is loaded, with the same result as parseSql', async () => {
  await loadSqlParser()
  const sql = VALID.find((v) => v.id === 'seed-event-counts')!.sql
  assert.deepEqual(parseSqlSync(sql, 'a.sql'), await parseSql(sql, 'a.sql'))
})

test('a syntax error is a FreshetError with file, line and column in its details', async () => {
  await assert.rejects(parseSql('SELECT a FROM', 'jobs/x.sql'), (error: unknown) => {
    assert.ok(isFreshetError(error, 'FRESHET_SQL_INVALID'))
    assert.equal(error.retriable, false)
    assert.deepEqual(error.details, { file: 'jobs/x.sql', line: 1, column: 14 })
    return true
  })
})
