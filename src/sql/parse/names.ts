/**
 * Identifiers. The lexer gives back-quoted names and single-quoted strings the same token type
 * (STRING_LITERAL), and plain digits are an `unquotedIdentifier` too, so a "name" in the grammar
 * can be a string or a number as written; the converter tells them apart by the token's first
 * character.
 */
import type { ColumnNameContext, IdentifierContext, UidContext } from './grammar.ts'
import { invalid, type Converter, type Located } from './context.ts'

export type NamePart =
  | { readonly kind: 'name'; readonly name: string; readonly ctx: IdentifierContext }
  /** `text` is the token as written, quotes included. */
  | { readonly kind: 'string'; readonly text: string; readonly ctx: IdentifierContext }
  | { readonly kind: 'number'; readonly text: string; readonly ctx: IdentifierContext }

/** `'it''s'` -> `it's`; backslashes stay as written (Flink strings have no backslash escapes). */
export function unquoteString(text: string): string {
  return text.slice(1, -1).replaceAll("''", "'")
}

export function unquoteBackquoted(text: string): string {
  return text.slice(1, -1).replaceAll('``', '`')
}

export function namePart(ctx: IdentifierContext): NamePart {
  const text = ctx.getText()
  if (text.startsWith('`')) return { kind: 'name', name: unquoteBackquoted(text), ctx }
  if (text.startsWith("'") || text.startsWith('"')) return { kind: 'string', text, ctx }
  if (/^[0-9]+$/.test(text)) return { kind: 'number', text, ctx }
  return { kind: 'name', name: text, ctx }
}

/** A name where only a name is valid (table, column, alias). */
export function identifierName(cv: Converter, ctx: IdentifierContext): string {
  const part = namePart(ctx)
  if (part.kind === 'name') return part.name
  const what = part.kind === 'string' ? 'a string literal' : 'a number'
  throw invalid(cv, ctx, `${what} where a name is expected: ${ctx.getText()} (quote names with \`...\`)`)
}

/** The parts of `uid` and the like (`uidAllowEmpty`). */
export function uidParts(ctx: { identifier(): IdentifierContext[] }): NamePart[] {
  return ctx.identifier().map(namePart)
}

/** A dotted name where only names are valid, parts joined with `.`. */
export function uidName(cv: Converter, ctx: UidContext): string {
  return ctx
    .identifier()
    .map((part) => identifierName(cv, part))
    .join('.')
}

/** A column name in DDL or a column list: one part. */
export function simpleColumnName(cv: Converter, ctx: ColumnNameContext | UidContext): string {
  const uid = 'uidAllowEmpty' in ctx ? ctx.uidAllowEmpty()?.identifier() : ctx.identifier()
  if (!uid || uid.length !== 1) throw invalid(cv, ctx, `expected a column name, got ${ctx.getText()}`)
  return identifierName(cv, uid[0]!)
}

/** Table and view paths: `t`, `db.t`, `catalog.db.t`, joined with `.`. */
export function pathName(cv: Converter, ctx: { identifier(): IdentifierContext[] }): string {
  return ctx
    .identifier()
    .map((part) => identifierName(cv, part))
    .join('.')
}

/**
 * The value of a single-quoted string token; double quotes are not Flink SQL strings. The lexer
 * takes `\'` as an escaped quote, Flink as a backslash and the end of the string: where they
 * disagree, the string is refused rather than read differently from Flink.
 */
export function stringValue(cv: Converter, node: Located, text: string): string {
  if (!text.startsWith("'")) {
    throw invalid(cv, node, `${text} is not a string literal: Flink SQL strings are single-quoted`)
  }
  if (flinkStringEnd(text) !== text.length - 1) {
    throw invalid(
      cv,
      node,
      `a backslash escapes nothing in Flink SQL strings, so ${text} ends early; write '' for a quote`,
    )
  }
  return unquoteString(text)
}

/** Where Flink ends a string that starts at 0: the first quote not doubled. */
function flinkStringEnd(text: string): number {
  for (let i = 1; i < text.length; i++) {
    if (text[i] !== "'") continue
    if (text[i + 1] !== "'") return i
    i++
  }
  return -1
}
