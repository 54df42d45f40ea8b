/**
 * A whole SQL file: parsed in one pass, so every position is the file's; statements are
 * separated by `;`; each keeps its exact text (from its first to its last token, without the `;`).
 */
import type { SqlScript, Statement } from '../ast.ts'
import { sqlInvalid } from '../errors.ts'
import { sourceText, type Converter } from './context.ts'
import { syntaxFailure } from './diagnose.ts'
import { parseProgram } from './grammar.ts'
import { isHint, misplacedHint } from './hints.ts'
import { statement } from './statements.ts'

export function parseScript(text: string, file: string): SqlScript {
  const program = parseProgram(text)
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
    statements.push({ statement: statement(cv, sql), text: sourceText(cv, sql) })
    previousWithoutSemicolon = single.SEMICOLON() === null
  }
  const stray = tokens.find((t) => isHint(t) && !cv.usedHints.has(t.tokenIndex))
  if (stray) throw misplacedHint(cv, stray)
  return { file, statements }
}
