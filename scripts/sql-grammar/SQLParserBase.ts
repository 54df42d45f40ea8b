/**
 * The superclass the FlinkSQL grammar names (`superClass=SQLParserBase`), compiled by generate.ts
 * next to the generated parser. It follows dt-sql-parser's `src/lib/SQLParserBase.ts` (MIT, see
 * upstream/LICENSE): the grammar's `{this.shouldMatchEmpty()}?` predicates accept an empty column
 * only while collecting entities or completing at a caret. freshet does neither, so the predicates
 * are false and a missing column is a syntax error, exactly as in the package.
 */
import * as antlr from 'antlr4ng'

export abstract class SQLParserBase<T = antlr.ParserRuleContext> extends antlr.Parser {
  /** Token index of an editor's caret; -1 when parsing without one (always, in freshet). */
  public caretTokenIndex = -1

  /** True while the package's entity collector parses; false in freshet. */
  public entityCollecting = false

  public abstract program(): T

  public shouldMatchEmpty(): boolean {
    if (!this.entityCollecting && this.caretTokenIndex < 0) return false
    if (this.caretTokenIndex < 0) return true
    // Match where the caret sits between the previous and the next token.
    const previous = this.tokenStream.LT(-1)?.tokenIndex
    const next = this.tokenStream.LT(1)?.tokenIndex
    if (previous !== undefined && next !== undefined)
      return previous <= this.caretTokenIndex && next >= this.caretTokenIndex
    if (previous !== undefined) return previous <= this.caretTokenIndex
    if (next !== undefined) return next >= this.caretTokenIndex
    return false
  }
}
