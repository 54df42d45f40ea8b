/**
 * Table hints `/*+ OPTIONS('k' = 'v', ...) *\/`. The lexer keeps them as comments on the hidden
 * channel (decision 0009, point 3); a hint belongs to the table name (or INSERT target) right
 * before it. The body is a fixed syntax, parsed here: `NAME(args) [, NAME(args)]`, where only
 * OPTIONS with `'key' = 'value'` pairs has a meaning in freshet.
 */
import type { Hints, Position } from '../ast.ts'
import { sqlInvalid, sqlUnsupported } from '../errors.ts'
import type { Converter } from './context.ts'
import { FlinkSqlLexer, type Token } from './grammar.ts'

/** The hints right after the token at `tokenIndex` (only comments and spaces in between). */
export function hintsAfter(cv: Converter, tokenIndex: number): Hints {
  const hidden = cv.tokens.getHiddenTokensToRight(tokenIndex, FlinkSqlLexer.HIDDEN) ?? []
  const options: Record<string, string> = {}
  for (const token of hidden) {
    if (!isHint(token)) continue
    cv.usedHints.add(token.tokenIndex)
    Object.assign(options, parseHint(cv, token))
  }
  return options
}

export function isHint(token: Token): boolean {
  return token.type === FlinkSqlLexer.BRACKETED_COMMENT && (token.text ?? '').startsWith('/*+')
}

function tokenAt(token: Token): Position {
  return { line: token.line, column: token.column + 1 }
}

/** A refusal for a hint nowhere freshet reads one (after SELECT, on a join, ...). */
export function misplacedHint(cv: Converter, token: Token): Error {
  return sqlUnsupported(
    cv.file,
    tokenAt(token),
    'hint in this position',
    'put OPTIONS hints right after a table name',
  )
}

const HINT_TOKEN = /\s*(?:('(?:[^']|'')*')|([A-Za-z_][A-Za-z_0-9]*)|([(),=]))/y

function lexHint(cv: Converter, token: Token, body: string): string[] {
  const parts: string[] = []
  HINT_TOKEN.lastIndex = 0
  while (HINT_TOKEN.lastIndex < body.length) {
    if (/^\s*$/.test(body.slice(HINT_TOKEN.lastIndex))) break
    const match = HINT_TOKEN.exec(body)
    if (!match) throw sqlInvalid(cv.file, tokenAt(token), `malformed hint ${token.text}`)
    parts.push(match[0].trim())
  }
  return parts
}

function parseHint(cv: Converter, token: Token): Record<string, string> {
  const text = token.text ?? ''
  const parts = lexHint(cv, token, text.slice(3, -2))
  const options: Record<string, string> = {}
  const bad = (): Error => sqlInvalid(cv.file, tokenAt(token), `malformed hint ${text}`)
  let i = 0
  while (i < parts.length) {
    const name = parts[i++]!.toUpperCase()
    if (!/^[A-Z_]/.test(name) || parts[i++] !== '(') throw bad()
    if (name !== 'OPTIONS') throw sqlUnsupported(cv.file, tokenAt(token), `${name} hint`)
    while (parts[i] !== ')') {
      const [key, eq, value] = [parts[i], parts[i + 1], parts[i + 2]]
      if (!key?.startsWith("'") || eq !== '=' || !value?.startsWith("'")) throw bad()
      options[unquote(key)] = unquote(value)
      i += 3
      if (parts[i] === ',') i++
      else if (parts[i] !== ')') throw bad()
    }
    i++
    if (i < parts.length && parts[i++] !== ',') throw bad()
  }
  return options
}

function unquote(text: string): string {
  return text.slice(1, -1).replaceAll("''", "'")
}
