/**
 * The parsers compared, each behind one shape: parse one statement, report its errors with 1-based
 * line and column, and say, construct by construct, whether the output shows it. "Shows it" means
 * a node a compiler could dispatch on (a typed rule context, or an AST field or type), not merely
 * that no error was raised: a parser that skips a hint as a comment accepts the statement but
 * loses the hint.
 */
import type { Construct } from './corpus.ts'

export interface ParseErrorAt {
  line: number
  column: number
  message: string
}

export interface Parsed {
  errors: ParseErrorAt[]
  /** Whether the output represents the construct; only asked when there were no errors. */
  shows(construct: Construct): boolean
}

export interface Candidate {
  name: string
  packageName: string
  /** How the candidate was called, for the record. */
  mode: string
  parse(sql: string): Parsed
}

// -- dt-sql-parser: a typed ANTLR parse tree -----------------------------------------------------

/** The part of an antlr4ng parse tree node that the checks read. */
interface TreeNode {
  children?: TreeNode[] | null
  getText(): string
}

/** Every rule context of a tree, by class name (`WatermarkDefinitionContext`, ...). */
function indexTree(root: TreeNode): Map<string, TreeNode[]> {
  const index = new Map<string, TreeNode[]>()
  const stack: TreeNode[] = [root]
  while (stack.length > 0) {
    const node = stack.pop()!
    if (!node.children) continue // a terminal (token)
    const name = node.constructor.name
    const list = index.get(name)
    if (list) list.push(node)
    else index.set(name, [node])
    for (const child of node.children) stack.push(child)
  }
  return index
}

type TreeCheck = (
  has: (rule: string, text?: RegExp) => boolean,
  count: (rule: string, text?: RegExp) => number,
) => boolean

/** Per construct, the rule contexts (and the text they span, upper-cased, without spaces) that show it. */
const TREE_CHECKS: Record<Construct, TreeCheck> = {
  'create-table': (has) => has('CreateTableContext'),
  'flink-types': (has) => has('ColumnTypeContext'),
  'computed-column': (has) => has('ComputedColumnDefinitionContext'),
  'metadata-column': (has) => has('MetadataColumnDefinitionContext'),
  watermark: (has) => has('WatermarkDefinitionContext'),
  'primary-key': (has) =>
    has('TableConstraintContext', /NOTENFORCED$/) || has('ColumnConstraintContext', /NOTENFORCED$/),
  'with-options': (has) => has('TablePropertyContext'),
  'create-view': (has) => has('CreateViewContext'),
  temporary: (has) =>
    has('CreateTableContext', /^CREATETEMPORARY/) || has('CreateViewContext', /^CREATETEMPORARY/),
  set: (has) => has('SetStatementContext'),
  'statement-set': (has, count) =>
    (has('InsertMulStatementContext') || has('InsertMulStatementCompatibilityContext')) &&
    count('InsertSimpleStatementContext') >= 2,
  insert: (has) => has('InsertSimpleStatementContext'),
  case: (has) => has('SearchedCaseContext') || has('SimpleCaseContext'),
  cast: (has) => has('CastContext'),
  arithmetic: (has) => has('ArithmeticBinaryContext'),
  'scalar-function': (has) => has('FunctionCallContext'),
  'json-value': (has) => has('JsonFunctionBranchContext') || has('FunctionCallContext', /^JSON_VALUE\(/),
  timestampdiff: (has) => has('FunctionCallContext', /^TIMESTAMPDIFF\(/),
  'interval-literal': (has) => has('TimeIntervalExpressionContext'),
  tumble: (has) => has('WindowTVFNameContext', /^TUMBLE$/),
  hop: (has) => has('WindowTVFNameContext', /^HOP$/),
  cumulate: (has) => has('WindowTVFNameContext', /^CUMULATE$/),
  session: (has) => has('WindowTVFNameContext', /^SESSION$/),
  'session-partition-by': (has) => has('WindowTVFParamContext', /PARTITIONBY/),
  'window-group-by': (has) => has('GroupByClauseContext', /WINDOW_START/),
  'count-distinct': (has) => has('FunctionCallContext', /^COUNT\(DISTINCT/),
  'agg-filter': (has) => has('FilterClauseContext') || has('AggregateFilterContext'),
  'first-last-value': (has) => has('FunctionCallContext', /^(FIRST|LAST)_VALUE\(/),
  'row-number-over': (has) => has('OverWindowItemContext', /^ROW_NUMBER\(\)OVER/),
  'interval-join': (has) => has('PredicateContext', /^BETWEEN.*INTERVAL/),
  'window-join': (has, count) => has('JoinConditionContext') && count('WindowTVFExpressionContext') >= 2,
  'temporal-join': (has) => has('SystemTimePeriodContext'),
  'union-all': (has) => has('QueryStatementContext', /UNIONALL/),
  'subquery-from': (has) => has('TablePrimaryContext', /^\(/) || has('WithClauseContext'),
  hint: (has) => has('HintContext') || has('QueryHintContext') || has('TableHintContext'),
}

interface DtFlinkSql {
  parse(
    input: string,
    listener: (error: { startLine: number; startColumn: number; message: string }) => void,
  ): TreeNode
}

export function dtSqlParser(flink: DtFlinkSql): Candidate {
  return {
    name: 'dt-sql-parser',
    packageName: 'dt-sql-parser',
    mode: 'FlinkSQL#parse with an error listener (ANTLR SLL prediction, as the package sets it)',
    parse(sql) {
      const errors: ParseErrorAt[] = []
      const tree = flink.parse(sql, (error) =>
        errors.push({ line: error.startLine, column: error.startColumn, message: error.message }),
      )
      let index: Map<string, TreeNode[]> | undefined
      const nodes = (rule: string, text?: RegExp): TreeNode[] => {
        index ??= indexTree(tree)
        const all = index.get(rule) ?? []
        return text ? all.filter((n) => text.test(n.getText().toUpperCase().replace(/\s+/g, ''))) : all
      }
      return {
        errors,
        shows: (construct) =>
          TREE_CHECKS[construct](
            (rule, text) => nodes(rule, text).length > 0,
            (rule, text) => nodes(rule, text).length,
          ),
      }
    },
  }
}

// -- JSON ASTs: node-sql-parser and sqlparser-ts ---------------------------------------------------

/**
 * Per construct, a pattern over the AST serialized to JSON (lower-cased) that a faithful AST of
 * the construct contains: a node type, a field or a keyword kept as data. A construct with no
 * pattern (`null`) has no place in that AST, whatever the parser accepts.
 */
type JsonChecks = Record<Construct, RegExp | null>

const NODE_SQL_PARSER_CHECKS: JsonChecks = {
  'create-table': /"type":"create","keyword":"table"/,
  'flink-types': /"datatype":"/,
  'computed-column': /"generated"|"computed"/,
  'metadata-column': /"metadata"/,
  watermark: /"watermark"/,
  'primary-key': /"primary key"/,
  'with-options': /"table_options"|"with"/,
  'create-view': /"keyword":"view"/,
  temporary: /"temporary":"temporary"/,
  set: /"type":"set"/,
  'statement-set': /"statement.?set"/,
  insert: /"type":"insert"/,
  case: /"type":"case"/,
  cast: /"type":"cast"/,
  arithmetic: /"operator":"[-+*/%]"/,
  'scalar-function': /"type":"function"/,
  'json-value': /"json_value"/,
  timestampdiff: /"timestampdiff"/,
  'interval-literal': /"type":"interval"/,
  tumble: /"type":"tumble"/,
  hop: /"type":"hop"/,
  cumulate: /"type":"cumulate"/,
  session: /"type":"session"/,
  'session-partition-by': /"type":"session".*"partitionby"/,
  'window-group-by': /"groupby":\{"columns":\[.*"window_start"/,
  'count-distinct': /"distinct":"distinct"/,
  'agg-filter': /"filter":\{/,
  'first-last-value': /"(first|last)_value"/,
  'row-number-over': /"row_number".*"over":\{/,
  'interval-join': /"operator":"between".*"type":"interval"/,
  'window-join': /"join":".*join".*"type":"tumble"|"type":"tumble".*"join":".*join"/,
  'temporal-join': /system_time/,
  'union-all': /"union all"/,
  'subquery-from': /"from":\[\{"expr":\{"tablelist"|"with":\[/,
  hint: /options\(|"hint/,
}

interface NodeSqlParser {
  astify(sql: string, options: { database: string }): unknown
}

export function nodeSqlParser(parser: NodeSqlParser): Candidate {
  return jsonCandidate(
    'node-sql-parser',
    'node-sql-parser',
    "Parser#astify with { database: 'flinksql' }",
    NODE_SQL_PARSER_CHECKS,
    (sql) => parser.astify(sql, { database: 'flinksql' }),
    (error) => {
      const location = (error as { location?: { start?: { line: number; column: number } } }).location
      return location?.start ? { line: location.start.line, column: location.start.column } : undefined
    },
  )
}

const SQLPARSER_RS_CHECKS: JsonChecks = {
  'create-table': /"createtable"/,
  'flink-types': /"data_type"/,
  'computed-column': /"generated"|"materialized"|"alias"/,
  'metadata-column': /"metadata"/,
  watermark: /"watermark"/,
  'primary-key': /"primarykey"|"primary_key"/,
  'with-options': /"with_options"|"table_options"/,
  'create-view': /"createview"/,
  temporary: /"temporary":true/,
  set: /"set"/,
  'statement-set': /"statement.?set"/,
  insert: /"insert"/,
  case: /"case"/,
  cast: /"cast"/,
  arithmetic: /"op":"(plus|minus|multiply|divide|modulo)"/,
  'scalar-function': /"function"/,
  'json-value': /"json_value"/,
  timestampdiff: /"timestampdiff"/,
  'interval-literal': /"interval"/,
  tumble: /"tumble"/,
  hop: /"hop"/,
  cumulate: /"cumulate"/,
  session: /"session"/,
  'session-partition-by': /"session".*"partition/,
  'window-group-by': /"group_by".*"window_start"/,
  'count-distinct': /"duplicate_treatment":"distinct"/,
  'agg-filter': /"filter":\{/,
  'first-last-value': /"(first|last)_value"/,
  'row-number-over': /"row_number".*"over":\{/,
  'interval-join': /"between".*"interval"/,
  'window-join': /"joins":\[\{.*"tumble".*"tumble"/,
  'temporal-join': /system_time|"version"/,
  'union-all': /"union".*"all"/,
  'subquery-from': /"derived"|"with":\{/,
  hint: /options\(|"hints?"/,
}

interface SqlparserRs {
  parse(sql: string, dialect: 'generic'): unknown
}

export function sqlparserTs(parser: SqlparserRs): Candidate {
  return jsonCandidate(
    'sqlparser-ts',
    '@guanmingchiu/sqlparser-ts',
    "parse(sql, 'generic') (sqlparser-rs has no Flink dialect)",
    SQLPARSER_RS_CHECKS,
    (sql) => parser.parse(sql, 'generic'),
    (error) => {
      const location = (error as { location?: { line: number; column: number } }).location
      if (location) return { line: location.line, column: location.column }
      const match = /Line: (\d+), Column: (\d+)/.exec((error as Error).message)
      return match ? { line: Number(match[1]), column: Number(match[2]) } : undefined
    },
  )
}

function jsonCandidate(
  name: string,
  packageName: string,
  mode: string,
  checks: JsonChecks,
  astify: (sql: string) => unknown,
  locate: (error: unknown) => { line: number; column: number } | undefined,
): Candidate {
  return {
    name,
    packageName,
    mode,
    parse(sql) {
      let ast: unknown
      try {
        ast = astify(sql)
      } catch (error) {
        const at = locate(error)
        const message = error instanceof Error ? error.message : String(error)
        return { errors: [{ line: at?.line ?? 0, column: at?.column ?? 0, message }], shows: () => false }
      }
      let json: string | undefined
      return {
        errors: [],
        shows(construct) {
          const pattern = checks[construct]
          if (!pattern) return false
          json ??= JSON.stringify(ast).toLowerCase()
          return pattern.test(json)
        },
      }
    },
  }
}
