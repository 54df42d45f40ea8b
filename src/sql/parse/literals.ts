/**
 * Literals and their types, following Flink: an integer that fits INT is INT, else BIGINT; a
 * number with a decimal point is DECIMAL(p, s) with p the digits of its unscaled value (at least
 * s); one with an exponent is DOUBLE. A string literal is CHAR(n), n its length in UTF-16 units
 * (Flink's String.length()), CHAR(0) for ''. Literals are NOT NULL, except NULL itself.
 */
import type { LiteralExpr, Position, SqlType, SymbolLiteral } from '../ast.ts'
import { invalid, unsupported, type Converter, type Located } from './context.ts'
import { stringValue } from './names.ts'

const INT_MIN = -(2n ** 31n)
const INT_MAX = 2n ** 31n - 1n
const SAFE = BigInt(Number.MAX_SAFE_INTEGER)

function literal(value: LiteralExpr['value'], type: SqlType, text: string, at: Position): LiteralExpr {
  return { kind: 'literal', value, type, text, at }
}

export function integerLiteral(cv: Converter, node: Located, text: string, at: Position): LiteralExpr {
  const value = BigInt(text)
  if (value >= INT_MIN && value <= INT_MAX)
    return literal(Number(value), { kind: 'INT', nullable: false }, text, at)
  if (value >= -SAFE && value <= SAFE)
    return literal(Number(value), { kind: 'BIGINT', nullable: false }, text, at)
  throw unsupported(
    cv,
    node,
    'integer literal beyond 2^53',
    'freshet computes BIGINT as JavaScript numbers, exact up to 9007199254740991',
  )
}

/** `1.50` -> DECIMAL(3, 2); `.5` -> DECIMAL(1, 1); `1e3` -> DOUBLE. `text` may start with `-`. */
export function realLiteral(text: string, at: Position): LiteralExpr {
  if (/e/i.test(text)) return literal(Number(text), { kind: 'DOUBLE', nullable: false }, text, at)
  const [whole = '', fraction = ''] = text.replace(/^[-+]/, '').split('.')
  const digits = (whole + fraction).replace(/^0+/, '').length
  const scale = fraction.length
  const precision = Math.max(digits, scale, 1)
  return literal(Number(text), { kind: 'DECIMAL', precision, scale, nullable: false }, text, at)
}

export function stringLiteral(cv: Converter, node: Located, text: string, at: Position): LiteralExpr {
  const value = stringValue(cv, node, text)
  return literal(value, { kind: 'CHAR', length: value.length, nullable: false }, text, at)
}

export function booleanLiteral(value: boolean, text: string, at: Position): LiteralExpr {
  return literal(value, { kind: 'BOOLEAN', nullable: false }, text, at)
}

export function nullLiteral(text: string, at: Position): LiteralExpr {
  return literal(null, { kind: 'NULL', nullable: true }, text, at)
}

/** A keyword argument (`SECOND` in `TIMESTAMPDIFF(SECOND, a, b)`), upper-case. */
export function symbolLiteral(text: string, at: Position): SymbolLiteral {
  const value = text.toUpperCase()
  return {
    kind: 'literal',
    value,
    type: { kind: 'VARCHAR', length: value.length, nullable: false },
    text,
    at,
    symbol: true,
  }
}

const DATE = /^\d{4}-\d{1,2}-\d{1,2}$/
const TIME = /^\d{1,2}:\d{1,2}:\d{1,2}(?:\.(\d{1,9}))?$/
const TIMESTAMP = /^\d{4}-\d{1,2}-\d{1,2} \d{1,2}:\d{1,2}:\d{1,2}(?:\.(\d{1,9}))?$/

/**
 * `DATE '2026-01-01'`, `TIME '10:00:00'`, `TIMESTAMP '2026-01-01 10:00:00.123'`: the string in
 * `value`; TIME and TIMESTAMP get the precision of their fraction, as in Flink.
 */
export function typedLiteral(
  cv: Converter,
  node: Located,
  keyword: string,
  quoted: string,
  text: string,
  at: Position,
): LiteralExpr {
  const value = stringValue(cv, node, quoted).trim()
  const pattern = keyword === 'DATE' ? DATE : keyword === 'TIME' ? TIME : TIMESTAMP
  const match = pattern.exec(value)
  if (!match) throw invalid(cv, node, `malformed ${keyword} literal ${quoted}`)
  if (keyword === 'DATE') return literal(value, { kind: 'DATE', nullable: false }, text, at)
  const precision = match[1]?.length ?? 0
  const kind = keyword === 'TIME' ? 'TIME' : 'TIMESTAMP'
  return literal(value, { kind, precision, nullable: false }, text, at)
}
