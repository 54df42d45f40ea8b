/**
 * A whole SQL file: parsed in one pass, so every position is the file's; statements are
 * separated by `;`; each keeps its exact text: from its first token to its last, or to the end of
 * a hint that follows its last token (`... FROM t /*+ OPTIONS(...) *\/`), without the `;`.
 */
import type { SqlScript, Statement } from '../ast.ts'
import { sqlInvalid } from '../errors.ts'
import type { Converter } from './context.ts'
import { syntaxFailure } from './diagnose.ts'
import { FlinkSqlLexer, parseProgram, type SqlStatementContext } from './grammar.ts'
import { isHint, misplacedHint } from './hints.ts'
import { statement } from './statements.ts'

export function parseScript(text: string, file: string): SqlScript {
  // A byte order mark is not SQL; editors do not count it in columns either.
  const program = parseProgram(text.startsWith('\uFEFF') ? text.slice(1) : text)
  const tokens = program.tokens.getTokens()
  if (program.errors.length > 0) throw syntaxFailure(file, program.errors, tokens)
  const cv: Converter = { file, input: program.input, tokens: program.tokens, usedHints: new Set() }
  const statements: { statement: Statement; text: string }[] = []
  let previousWithoutSemicolon = false
  for (const single of program.tree.singleStatement()) {
    const sql = single.sqlStatement()
    if (!sql) continue
    if (previousWithoutSemicolon) {
      throw sqlInvalid(
        file,
        { line: sql.start!.line, column: sql.start!.column + 1 },
        "missing ';' before this statement",
      )
    }
    statements.push({ statement: statement(cv, sql), text: statementText(cv, sql) })
    previousWithoutSemicolon = single.SEMICOLON() === null
  }
  const stray = tokens.find((t) => isHint(t) && !cv.usedHints.has(t.tokenIndex))
  if (stray) throw misplacedHint(cv, stray)
  return { file, statements }
}

function statementText(cv: Converter, ctx: SqlStatementContext): string {
  const hidden = cv.tokens.getHiddenTokensToRight(ctx.stop!.tokenIndex, FlinkSqlLexer.HIDDEN) ?? []
  const hints = hidden.filter(isHint)
  const stop = hints.length > 0 ? hints[hints.length - 1]!.stop : ctx.stop!.stop
  return cv.input.getText(ctx.start!.start, stop)
}
