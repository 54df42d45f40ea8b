/**
 * A syntax error, turned into freshet's error. Some constructs are valid Flink SQL that the
 * grammar rejects (decision 0009, point 8: TRY_CAST, a window function without an alias or inside
 * an expression, an alias after a window TVF, OVERLAY, ARRAY[...] and MAP[...]);
 * when the tokens around the error show one of them, the error is FRESHET_SQL_UNSUPPORTED naming
 * it, with the form that works today, at the construct's first token. Anything else is
 * FRESHET_SQL_INVALID at the parser's first error.
 */
import type { FreshetError } from '../../errors/index.ts'
import { sqlInvalid, sqlUnsupported } from '../errors.ts'
import { Token, type SyntaxError } from './grammar.ts'

interface Rejected {
  readonly construct: string
  readonly hint: string
  readonly token: Token
}

export const HINTS = {
  tryCast: 'use CAST(x AS type) (which fails on a bad value instead of giving NULL)',
  overAlias: 'name the column: ROW_NUMBER() OVER (...) AS rn',
  overItem: 'select f() OVER (...) AS name on its own, and compute with it in an outer query',
  overlay: 'use SUBSTRING and ||',
  constructor: 'read the values from columns of that type',
  tvfAlias: 'wrap the window TVF in a subquery: (SELECT * FROM TABLE(...)) AS w',
} as const

/**
 * The parser's first report; a lexer error before it wins (the lexer runs ahead of the parser, so
 * its reports are not in file order with the parser's). Later parser reports can point earlier in
 * the file than the first one (recovery re-reads a decision), so they are not compared.
 */
export function firstError(errors: readonly SyntaxError[]): SyntaxError {
  const parser = errors.find((e) => e.token !== undefined)
  const lexer = errors.filter((e) => e.token === undefined)
  const candidates = parser ? [parser, ...lexer] : lexer
  return candidates.reduce((a, b) => (b.line < a.line || (b.line === a.line && b.column < a.column) ? b : a))
}

export function syntaxFailure(
  file: string,
  errors: readonly SyntaxError[],
  tokens: readonly Token[],
): FreshetError {
  const error = firstError(errors)
  const onDefault = tokens.filter((t) => t.channel === Token.DEFAULT_CHANNEL)
  const index = error.token ? onDefault.findIndex((t) => t.tokenIndex === error.token!.tokenIndex) : -1
  const rejected = index >= 0 ? rejectedConstruct(onDefault, index) : undefined
  if (rejected) {
    const { line, column } = rejected.token
    return sqlUnsupported(file, { line, column: column + 1 }, rejected.construct, rejected.hint)
  }
  return sqlInvalid(file, { line: error.line, column: error.column }, shorten(error.message))
}

/**
 * ANTLR lists every token it expected, and quotes all the input since its decision began; past a
 * few tokens or one line, both say less than their length.
 */
function shorten(message: string): string {
  return message
    .replace(/expecting \{([^}]*)\}/, (whole, list: string) => {
      const items = list.split(', ')
      return items.length <= 8
        ? whole
        : `expecting one of ${items.length} tokens (${items.slice(0, 6).join(', ')}, ...)`
    })
    .replace(/at input '([\s\S]*)'$/, (whole, input: string) => {
      // ANTLR writes a newline of the input as `\n`.
      const lastLine = input.split(/\n|\\n/).at(-1) ?? ''
      return lastLine.length === input.length && input.length <= 40
        ? whole
        : `at input '...${lastLine.slice(-40)}'`
    })
}

function text(token: Token | undefined): string {
  return (token?.text ?? '').toUpperCase()
}

function rejectedConstruct(tokens: readonly Token[], errorIndex: number): Rejected | undefined {
  return (
    afterParenthesis(tokens, errorIndex) ??
    valueConstructor(tokens, errorIndex) ??
    enclosingCall(tokens, errorIndex)
  )
}

/** The index of the `(` that the `)` at `close` closes, or -1. */
function openingParen(tokens: readonly Token[], close: number): number {
  let depth = 0
  for (let i = close; i >= 0; i--) {
    if (text(tokens[i]) === ')') depth++
    else if (text(tokens[i]) === '(' && --depth === 0) return i
  }
  return -1
}

const WINDOW_TVFS = new Set(['TUMBLE', 'HOP', 'CUMULATE', 'SESSION'])

/**
 * Right after a `)`: `f() OVER (...)` without `AS name` (the grammar wants the alias, Flink does
 * not), or `TABLE(TUMBLE(...))` with an alias (the grammar has none for a window TVF).
 */
function afterParenthesis(tokens: readonly Token[], errorIndex: number): Rejected | undefined {
  if (text(tokens[errorIndex - 1]) !== ')') return undefined
  const open = openingParen(tokens, errorIndex - 1)
  const before = tokens[open - 1]
  const next = text(tokens[errorIndex])
  if (text(before) === 'OVER' && next !== 'AS') {
    // Flink takes `f() OVER (...)` anywhere in a select item; the grammar only as a whole item.
    if (next === ',' || next === 'FROM' || next === ';' || next === '<EOF>') {
      return { construct: 'window function without an alias', hint: HINTS.overAlias, token: before! }
    }
    return { construct: 'window function inside an expression', hint: HINTS.overItem, token: before! }
  }
  if (text(before) === 'TABLE' && WINDOW_TVFS.has(text(tokens[open + 1]))) {
    return { construct: 'alias of a window TVF', hint: HINTS.tvfAlias, token: tokens[errorIndex]! }
  }
  return undefined
}

/** The calls open at the error (the token before each unclosed `(`), innermost last. */
function openCalls(tokens: readonly Token[], errorIndex: number): number[] {
  const open: number[] = []
  for (let i = 0; i <= errorIndex; i++) {
    if (text(tokens[i]) === '(') open.push(i - 1)
    else if (text(tokens[i]) === ')') open.pop()
  }
  return open
}

function enclosingCall(tokens: readonly Token[], errorIndex: number): Rejected | undefined {
  const calls = openCalls(tokens, errorIndex)
  const callee = calls.length > 0 ? tokens[calls[calls.length - 1]!] : undefined
  switch (text(callee)) {
    case 'TRY_CAST':
      return { construct: 'TRY_CAST(x AS type)', hint: HINTS.tryCast, token: callee! }
    case 'OVERLAY':
      return { construct: 'OVERLAY(s PLACING r FROM i)', hint: HINTS.overlay, token: callee! }
    default:
      return undefined
  }
}

/** `ARRAY[1, 2]`, `MAP['k', 1]`: value constructors, which the grammar does not have. */
function valueConstructor(tokens: readonly Token[], errorIndex: number): Rejected | undefined {
  // `MAP` is also a name, so `MAP['k', 1]` fails at the comma, inside the brackets.
  let depth = 0
  for (let i = errorIndex; i >= 1; i--) {
    const token = text(tokens[i])
    if (token === ']' && i < errorIndex) depth++
    else if (token === '[' && depth-- === 0) {
      const name = text(tokens[i - 1])
      if (name !== 'ARRAY' && name !== 'MAP') return undefined
      return { construct: `${name}[...] value constructor`, hint: HINTS.constructor, token: tokens[i - 1]! }
    }
  }
  return undefined
}
