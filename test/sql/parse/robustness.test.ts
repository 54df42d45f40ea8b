/**
 * Cut statements: every prefix and suffix of the corpus statements, at each space, comma or
 * parenthesis, either parses or fails with a FreshetError at a position; the converter never
 * crashes on a tree shape it did not expect.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { VALID } from '../../../bench/sql-parser/corpus.ts'
import { isFreshetError } from '../../../src/errors/index.ts'
import { parseSql } from '../../../src/sql/parse/index.ts'

test('prefixes and suffixes of every corpus statement parse or fail with a FreshetError', async () => {
  let failures = 0
  for (const statement of VALID) {
    for (const match of statement.sql.matchAll(/\s+|[(),]/g)) {
      const cut = match.index
      for (const text of [
        statement.sql.slice(0, cut),
        `${statement.sql.slice(0, cut)})`,
        statement.sql.slice(cut),
      ]) {
        try {
          await parseSql(text, 'cut.sql')
        } catch (error) {
          if (!isFreshetError(error)) assert.fail(`${statement.id} cut at ${cut}: ${String(error)}`)
          failures++
        }
      }
    }
  }
  assert.ok(failures > 0, 'cut statements include syntax errors')
})
