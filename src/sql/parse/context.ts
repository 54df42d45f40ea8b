/**
 * What every converter function shares: the file name for errors, the input for exact texts, the
 * token stream for hints (hidden channel), and small accessors over ANTLR contexts.
 */
import type { FreshetError } from '../../errors/index.ts'
import type { Position } from '../ast.ts'
import { sqlInvalid, sqlUnsupported } from '../errors.ts'
import {
  ParserRuleContext,
  TerminalNode,
  type CharStream,
  type CommonTokenStream,
  type ParseTree,
  type Token,
} from './grammar.ts'

export interface Converter {
  readonly file: string
  readonly input: CharStream
  readonly tokens: CommonTokenStream
  /** Token indexes of the `/*+ ... *\/` hints attached so far; any other hint is refused. */
  readonly usedHints: Set<number>
}

/** Anything with a first token: a rule context, a terminal, or a token. */
export type Located = ParserRuleContext | TerminalNode | Token

function firstToken(node: Located): Token {
  if (node instanceof ParserRuleContext) return node.start!
  if (node instanceof TerminalNode) return node.symbol
  return node
}

/** 1-based line and column of a node's first token. */
export function at(node: Located): Position {
  const token = firstToken(node)
  return { line: token.line, column: token.column + 1 }
}

export function invalid(cv: Converter, node: Located, message: string): FreshetError {
  return sqlInvalid(cv.file, at(node), message)
}

export function unsupported(cv: Converter, node: Located, construct: string, hint?: string): FreshetError {
  return sqlUnsupported(cv.file, at(node), construct, hint)
}

/** The source text a context spans, exactly as written (comments and spacing included). */
export function sourceText(cv: Converter, ctx: ParserRuleContext): string {
  const start = ctx.start!.start
  const stop = ctx.stop!.stop
  return stop < start ? '' : cv.input.getText(start, stop)
}

/** The direct children of a context. */
export function children(ctx: ParserRuleContext): readonly ParseTree[] {
  return ctx.children ?? []
}

/** A context that spans no token (the grammar matched an empty alternative). */
export function isEmpty(ctx: ParserRuleContext): boolean {
  return ctx.start === null || ctx.stop === null || ctx.stop.tokenIndex < ctx.start.tokenIndex
}

/** Upper-cased text of a terminal or a keyword-only context. */
export function keyword(node: ParserRuleContext | TerminalNode): string {
  return node.getText().toUpperCase()
}
