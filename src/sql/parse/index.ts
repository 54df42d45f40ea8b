/**
 * Flink SQL files to freshet's syntax tree (src/sql/ast.ts).
 *
 * The grammar (src/sql/grammar) takes a second or two to load, so it is loaded once with `import()`
 * when first needed: `parseSql` loads it on first use; after `loadSqlParser()` has resolved,
 * `parseSqlSync` parses without awaiting.
 *
 * The grammar is freshet's patched build of dt-sql-parser's (decision 0009): the SESSION window TVF
 * with `PARTITION BY`, an aggregate's `FILTER (WHERE ...)` and the keyword forms of SUBSTRING, TRIM
 * and EXTRACT are in the tree, the last three as the calls the expression compiler takes
 * (expressions.ts).
 *
 * Errors: FRESHET_SQL_INVALID for a syntax error (the parser's first error, 1-based line and
 * column of the file) and for what Flink rejects though the grammar takes it (`PARTITION BY` on a
 * window TVF other than SESSION); FRESHET_SQL_UNSUPPORTED for valid Flink SQL that freshet does not
 * run or that the grammar rejects (`TRY_CAST` and the others of diagnose.ts), naming the construct.
 * Every construct the grammar parses is either in the tree or refused by name. Left out, as they
 * change no result: COMMENTs of tables, views and non-physical columns, CONSTRAINT names, and the
 * options of `CREATE TABLE ... LIKE` (which the planner refuses as a whole).
 *
 * The file is parsed in one pass; positions are the file's. Statement texts are exact (see
 * script.ts). Where the grammar and Flink disagree on grouping, the tree follows Flink: `||` at the
 * level of `*` (expressions.ts), INTERSECT over UNION/EXCEPT (query.ts), `SELECT a - b` as arithmetic
 * (query.ts).
 */
import { FreshetError } from '../../errors/index.ts'
import type { SqlScript } from '../ast.ts'
import type * as Script from './script.ts'

type ScriptModule = typeof Script

let loading: Promise<ScriptModule> | undefined
let loaded: ScriptModule | undefined

/** Loads the parser (2-5 s the first time: ANTLR deserializes its tables). */
export async function loadSqlParser(): Promise<void> {
  loading ??= import('./script.ts')
  loaded = await loading
}

/** Parses a whole file; `file` is used in error messages only. */
export async function parseSql(text: string, file: string): Promise<SqlScript> {
  await loadSqlParser()
  return loaded!.parseScript(text, file)
}

/** `parseSql` without the await, once `loadSqlParser()` has resolved. */
export function parseSqlSync(text: string, file: string): SqlScript {
  if (!loaded) {
    throw new FreshetError(
      'INVALID_STATE',
      'parseSqlSync before loadSqlParser() resolved: await loadSqlParser() first',
    )
  }
  return loaded.parseScript(text, file)
}
