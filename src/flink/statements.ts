/**
 * Splits a .sql file into the statements the SQL Gateway takes one at a time. A semicolon ends a
 * statement only outside strings ('it''s'), quoted identifiers ("a;b", `a;b`) and comments
 * (-- to the end of the line, /* to *\/), and outside the body of a statement set
 * (EXECUTE STATEMENT SET BEGIN ...; ...; END), whose inner statements belong to it.
 */
import { FreshetError } from '../errors/index.ts'

export interface SqlStatement {
  /** The statement as written, from its first token to before its semicolon (comments inside kept). */
  text: string
  /** 1-based line and column of its first token in the file. */
  line: number
  column: number
}

const STATEMENT_SET = /^(EXECUTE\s+)?STATEMENT\s+SET\s+BEGIN\b/i
const SET_END = /\bEND\s*$/i

export function splitStatements(sql: string, file = '<sql>'): SqlStatement[] {
  const statements: SqlStatement[] = []
  let start = -1
  let startLine = 0
  let startColumn = 0
  // The statement so far without strings and comments, to recognize a statement set and its END.
  let code = ''
  let line = 1
  let lineStart = 0
  let i = 0

  const unterminated = (what: string, atLine: number): FreshetError =>
    new FreshetError('FLINK_SQL_INVALID', `${file}:${atLine}: unterminated ${what}`, {
      details: { file, line: atLine },
    })
  const begin = (): void => {
    if (start >= 0) return
    start = i
    startLine = line
    startColumn = i - lineStart + 1
  }
  const finish = (end: number): void => {
    if (start >= 0) {
      statements.push({ text: sql.slice(start, end).trimEnd(), line: startLine, column: startColumn })
    }
    start = -1
    code = ''
  }
  /** Moves past a quoted run closed by `quote` (doubled inside); counts its newlines. */
  const skipQuoted = (quote: string, what: string): void => {
    const openedAt = line
    i++
    for (;;) {
      if (i >= sql.length) throw unterminated(what, openedAt)
      if (sql[i] === quote) {
        if (sql[i + 1] === quote) i += 2
        else return void i++
      } else {
        if (sql[i] === '\n') {
          line++
          lineStart = i + 1
        }
        i++
      }
    }
  }

  while (i < sql.length) {
    const c = sql[i]!
    if (c === '\n') {
      line++
      lineStart = i + 1
      if (start >= 0) code += ' '
      i++
    } else if (c === '-' && sql[i + 1] === '-') {
      while (i < sql.length && sql[i] !== '\n') i++
    } else if (c === '/' && sql[i + 1] === '*') {
      const openedAt = line
      const close = sql.indexOf('*/', i + 2)
      if (close < 0) throw unterminated('comment', openedAt)
      for (let j = i; j < close; j++) {
        if (sql[j] === '\n') {
          line++
          lineStart = j + 1
        }
      }
      i = close + 2
      if (start >= 0) code += ' '
    } else if (c === "'" || c === '"' || c === '`') {
      begin()
      skipQuoted(c, c === "'" ? 'string' : 'quoted identifier')
      code += ' q '
    } else if (c === ';') {
      if (start >= 0 && STATEMENT_SET.test(code.trim()) && !SET_END.test(code)) {
        code += ' ; '
        i++
        continue
      }
      finish(i)
      i++
    } else {
      if (!/\s/.test(c)) begin()
      if (start >= 0) code += c
      i++
    }
  }
  finish(sql.length)
  return statements
}

/**
 * Rewrites the positions Flink's parser reports within a statement ("line 1, column 15") into
 * positions in the file the statement came from.
 */
export function toFilePositions(message: string, statement: SqlStatement): string {
  return message.replace(/\bline (\d+), column (\d+)/g, (_all, l: string, c: string) => {
    const inLine = Number(l)
    const column = inLine === 1 ? Number(c) + statement.column - 1 : Number(c)
    return `line ${statement.line + inLine - 1}, column ${column}`
  })
}
