// The client cuts typed lines into statements at a `;` outside quotes and comments, across lines,
// several per line, and a statement set only at the `;` after its END.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { StatementSplitter } from '../../../src/sql/client/statements.ts'

test('a statement ends at its semicolon, across lines and several on one line', () => {
  const s = new StatementSplitter()
  assert.deepEqual(s.push('SELECT a'), [])
  assert.equal(s.pending, true)
  assert.deepEqual(s.push("FROM t;  SET 'k' = 'v'; SHOW"), ['SELECT a\nFROM t', "SET 'k' = 'v'"])
  assert.equal(s.pending, true)
  assert.deepEqual(s.push('TABLES;'), ['SHOW\nTABLES'])
  assert.equal(s.pending, false)
})

test('semicolons in strings, quoted names and comments do not end a statement', () => {
  const s = new StatementSplitter()
  assert.deepEqual(s.push("SELECT 'a;b', 'it''s;', `x;y` -- c;"), [])
  assert.deepEqual(s.push('/* d; */ FROM t;'), ["SELECT 'a;b', 'it''s;', `x;y` -- c;\n/* d; */ FROM t"])
  assert.deepEqual(s.push("SELECT 'one"), [])
  assert.deepEqual(s.push("two;';"), ["SELECT 'one\ntwo;'"])
})

test('blank statements and lone comments are dropped; clear forgets a started statement', () => {
  const s = new StatementSplitter()
  assert.deepEqual(s.push(' ;; -- nothing'), [])
  assert.equal(s.pending, false)
  s.push('SELECT')
  s.clear()
  assert.equal(s.pending, false)
  assert.deepEqual(s.push('SHOW TABLES;'), ['SHOW TABLES'])
})

test('a statement set ends at the semicolon after END, not at its INSERTs', () => {
  const s = new StatementSplitter()
  assert.deepEqual(s.push('EXECUTE STATEMENT SET BEGIN'), [])
  assert.deepEqual(s.push('INSERT INTO a SELECT * FROM t;'), [])
  assert.deepEqual(s.push('INSERT INTO b SELECT * FROM t;'), [])
  assert.deepEqual(s.push('END; SHOW TABLES;'), [
    'EXECUTE STATEMENT SET BEGIN\nINSERT INTO a SELECT * FROM t;\nINSERT INTO b SELECT * FROM t;\nEND',
    'SHOW TABLES',
  ])
})
