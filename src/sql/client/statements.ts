/**
 * Cuts what a user types into statements, as Flink's SQL client does: a statement ends at a `;`
 * outside quotes and comments, whatever the lines. A statement set
 * (`EXECUTE STATEMENT SET BEGIN ...; ...; END;`) ends only at the `;` after its END.
 */

const STATEMENT_SET = /^(?:EXECUTE\s+)?STATEMENT\s+SET\s+BEGIN\b/i
const ENDS_WITH_END = /\bEND\s*$/i

export class StatementSplitter {
  #buffer = ''

  /** Adds a line; returns the statements it completes, trimmed, without their `;`. */
  push(line: string): string[] {
    this.#buffer += this.#buffer === '' ? line : `\n${line}`
    const statements: string[] = []
    let start = 0
    for (const end of semicolons(this.#buffer)) {
      const text = this.#buffer.slice(start, end)
      const code = withoutComments(text).trim()
      if (STATEMENT_SET.test(code) && !ENDS_WITH_END.test(code)) continue
      if (code !== '') statements.push(text.trim())
      start = end + 1
    }
    this.#buffer = this.#buffer.slice(start)
    if (withoutComments(this.#buffer).trim() === '') this.#buffer = ''
    return statements
  }

  /** Whether a statement has begun and not ended (the prompt shows a continuation). */
  get pending(): boolean {
    return this.#buffer !== ''
  }

  clear(): void {
    this.#buffer = ''
  }
}

type State = 'code' | 'quote' | 'backtick' | 'double' | 'line-comment' | 'block-comment'

/** The offsets of the `;` outside quotes and comments. */
function* semicolons(text: string): Generator<number> {
  let state: State = 'code'
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    const next = text[i + 1]
    switch (state) {
      case 'code':
        if (c === ';') yield i
        else if (c === "'") state = 'quote'
        else if (c === '`') state = 'backtick'
        else if (c === '"') state = 'double'
        else if (c === '-' && next === '-') state = 'line-comment'
        else if (c === '/' && next === '*') {
          state = 'block-comment'
          i++
        }
        break
      case 'quote':
        // '' inside a string is a quote, and reads as leaving and entering the string again.
        if (c === "'") state = 'code'
        break
      case 'backtick':
        if (c === '`') state = 'code'
        break
      case 'double':
        if (c === '"') state = 'code'
        break
      case 'line-comment':
        if (c === '\n') state = 'code'
        break
      case 'block-comment':
        if (c === '*' && next === '/') {
          state = 'code'
          i++
        }
        break
    }
  }
}

/** The text with its comments blanked out (quotes kept), to look at the statement's words. */
function withoutComments(text: string): string {
  return text.replace(/'(?:[^']|'')*'|`[^`]*`|"[^"]*"|--[^\n]*|\/\*[\s\S]*?\*\//g, (m) =>
    m.startsWith('--') || m.startsWith('/*') ? ' ' : m,
  )
}
