/**
 * The one module the converter reads the generated Flink SQL grammar through: freshet's patched
 * build of dt-sql-parser's grammar (src/sql/grammar, docs/decisions/0009-sql-parser.md), with the
 * same rule and context names as the package's. It is loaded with `import()` on first use (index.ts):
 * the parser's tables take a second or two to load.
 */
import type { Token } from 'antlr4ng'
import {
  BaseErrorListener,
  CharStreams,
  type CharStream,
  CommonTokenStream,
  PredictionMode,
  type ATNSimulator,
  type Recognizer,
} from 'antlr4ng'
import {
  FlinkSqlLexer,
  FlinkSqlParser,
  type ExpressionContext,
  type ProgramContext,
} from '../grammar/index.ts'

export * from '../grammar/generated/FlinkSqlParser.js'
export { FlinkSqlLexer } from '../grammar/index.ts'
export {
  ParserRuleContext,
  TerminalNode,
  Token,
  type CharStream,
  type CommonTokenStream,
  type ParseTree,
} from 'antlr4ng'

/** A syntax error of the lexer or the parser, 1-based line and column. */
export interface SyntaxError {
  readonly line: number
  readonly column: number
  readonly message: string
  /** The offending token, when the parser reported it (a lexer error has none). */
  readonly token?: Token | undefined
}

export interface ParsedProgram {
  readonly tree: ProgramContext
  readonly tokens: CommonTokenStream
  readonly input: CharStream
  readonly errors: readonly SyntaxError[]
}

class CollectingListener extends BaseErrorListener {
  readonly errors: SyntaxError[] = []

  override syntaxError<S extends Token, T extends ATNSimulator>(
    _recognizer: Recognizer<T>,
    offendingSymbol: S | null,
    line: number,
    charPositionInLine: number,
    message: string,
  ): void {
    this.errors.push({ line, column: charPositionInLine + 1, message, token: offendingSymbol ?? undefined })
  }
}

/**
 * Parses a whole file with the `program` rule, in SLL prediction mode only: mixing full-LL parses
 * into the same process changes later SLL results (the prediction cache is shared; decision 0009,
 * point 6).
 */
export function parseProgram(text: string): ParsedProgram {
  const input = CharStreams.fromString(text)
  const listener = new CollectingListener()
  const lexer = new FlinkSqlLexer(input)
  lexer.removeErrorListeners()
  lexer.addErrorListener(listener)
  const tokens = new CommonTokenStream(lexer)
  const parser = new FlinkSqlParser(tokens)
  parser.interpreter.predictionMode = PredictionMode.SLL
  parser.removeErrorListeners()
  parser.addErrorListener(listener)
  const tree = parser.program()
  tokens.fill()
  return { tree, tokens, input, errors: listener.errors }
}

/**
 * Parses the tokens `start..stop` of an already parsed file again, as one `expression`; undefined
 * when they are not exactly one expression. For the few places where the grammar is ambiguous and
 * ANTLR's choice is not SQL's (see query.ts, select items).
 */
export function reparseExpression(
  tokens: CommonTokenStream,
  start: number,
  stop: number,
): ExpressionContext | undefined {
  const listener = new CollectingListener()
  const parser = new FlinkSqlParser(tokens)
  parser.interpreter.predictionMode = PredictionMode.SLL
  parser.removeErrorListeners()
  parser.addErrorListener(listener)
  tokens.seek(start)
  const ctx = parser.expression()
  if (listener.errors.length > 0 || ctx.stop?.tokenIndex !== stop) return undefined
  return ctx
}
