/**
 * freshet's own syntax tree for Flink SQL. The parser (src/sql/parse/) turns dt-sql-parser's ANTLR
 * tree into these plain objects, so the planner and the expression compiler never see ANTLR
 * contexts. Every node carries the position of its first token in the file (`at`), for errors of
 * the form `file:line:column`.
 *
 * Names: identifiers keep their case as written (unquoted or back-quoted: Flink resolves both
 * case-sensitively). Keywords, function names and type names are upper-case.
 */

/** 1-based line and column of a node's first token. */
export interface Position {
  readonly line: number
  readonly column: number
}

// -- Types -------------------------------------------------------------------------------------

export type SqlType =
  | { readonly kind: SimpleTypeKind; readonly nullable: boolean }
  /** CHAR(n), VARCHAR(n); STRING is VARCHAR with `length` undefined (Flink's VARCHAR(2147483647)). */
  | { readonly kind: 'CHAR' | 'VARCHAR'; readonly length?: number | undefined; readonly nullable: boolean }
  /** BINARY(n), VARBINARY(n); BYTES is VARBINARY with `length` undefined. */
  | {
      readonly kind: 'BINARY' | 'VARBINARY'
      readonly length?: number | undefined
      readonly nullable: boolean
    }
  | {
      readonly kind: 'DECIMAL'
      readonly precision: number
      readonly scale: number
      readonly nullable: boolean
    }
  /** TIMESTAMP(p) (without time zone), TIMESTAMP_LTZ(p) (WITH LOCAL TIME ZONE), TIME(p). */
  | {
      readonly kind: 'TIMESTAMP' | 'TIMESTAMP_LTZ' | 'TIME'
      readonly precision: number
      readonly nullable: boolean
    }
  | { readonly kind: 'ARRAY' | 'MULTISET'; readonly element: SqlType; readonly nullable: boolean }
  | { readonly kind: 'MAP'; readonly key: SqlType; readonly value: SqlType; readonly nullable: boolean }
  | { readonly kind: 'ROW'; readonly fields: readonly RowField[]; readonly nullable: boolean }
  /** The type of an INTERVAL literal or of a difference of timestamps (not a column type). */
  | { readonly kind: 'INTERVAL'; readonly unit: 'DAY_TIME' | 'YEAR_MONTH'; readonly nullable: boolean }
  /** The type of the NULL literal before it meets a context. */
  | { readonly kind: 'NULL'; readonly nullable: true }

export type SimpleTypeKind =
  'BOOLEAN' | 'TINYINT' | 'SMALLINT' | 'INT' | 'BIGINT' | 'FLOAT' | 'DOUBLE' | 'DATE'

export interface RowField {
  readonly name: string
  readonly type: SqlType
}

// -- Expressions -------------------------------------------------------------------------------

export type Expr =
  | LiteralExpr
  | IntervalExpr
  | ColumnExpr
  | FieldExpr
  | ItemExpr
  | CallExpr
  | BinaryExpr
  | UnaryExpr
  | IsExpr
  | BetweenExpr
  | InExpr
  | LikeExpr
  | CaseExpr
  | CastExpr
  | OverExpr

/**
 * A literal. Numbers: an integer literal that fits INT is INT, else BIGINT; a literal with a decimal
 * point is DECIMAL(p, s) (as in Flink), one with an exponent DOUBLE. `text` is the literal as written.
 * DATE/TIME/TIMESTAMP literals (`TIMESTAMP '2026-01-01 10:00:00'`) carry their string in `value`
 * and their type in `type`.
 */
export interface LiteralExpr {
  readonly kind: 'literal'
  readonly value: null | boolean | number | string
  readonly type: SqlType
  readonly text: string
  readonly at: Position
}

/** `INTERVAL '5' MINUTE`, `INTERVAL '1:30' MINUTE TO SECOND`: a day-time interval in milliseconds. */
export interface IntervalExpr {
  readonly kind: 'interval'
  readonly ms: number
  readonly text: string
  readonly at: Position
}

/** A column, optionally qualified by a table name or alias: `user_id`, `e.user_id`. */
export interface ColumnExpr {
  readonly kind: 'column'
  readonly qualifier?: string | undefined
  readonly name: string
  readonly at: Position
}

/** A field of a ROW value: `address.city` where `address` is not a table alias. */
export interface FieldExpr {
  readonly kind: 'field'
  readonly of: Expr
  readonly name: string
  readonly at: Position
}

/** `arr[1]` (1-based, as in Flink) or `map['key']`. */
export interface ItemExpr {
  readonly kind: 'item'
  readonly of: Expr
  readonly index: Expr
  readonly at: Position
}

/**
 * A function call: scalar (`UPPER(s)`), aggregate (`COUNT(*)`, `COUNT(DISTINCT x)`), window
 * function (`ROW_NUMBER()`, inside an `over`). `name` is upper-case. Flink's keyword functions come
 * here too: `CURRENT_TIMESTAMP` (no args), `TIMESTAMPDIFF(MINUTE, a, b)` (the unit as a `symbol`
 * literal string in `args[0]`), `JSON_VALUE(j, '$.a' RETURNING INT)` (`returning`).
 */
export interface CallExpr {
  readonly kind: 'call'
  readonly name: string
  readonly args: readonly Expr[]
  /** `COUNT(*)` */
  readonly star: boolean
  /** `COUNT(DISTINCT x)` */
  readonly distinct: boolean
  /** `agg(x) FILTER (WHERE cond)` */
  readonly filter?: Expr | undefined
  /** `JSON_VALUE(... RETURNING type)`. */
  readonly returning?: SqlType | undefined
  /** `JSON_VALUE(... DEFAULT 0 ON EMPTY)`: what JSON_VALUE gives for a missing value. */
  readonly onEmpty?: JsonValueBehavior | undefined
  /** `JSON_VALUE(... NULL ON ERROR)`: what JSON_VALUE gives when the value cannot be read. */
  readonly onError?: JsonValueBehavior | undefined
  readonly at: Position
}

/** `NULL`, `ERROR` or `DEFAULT expr` before `ON EMPTY` / `ON ERROR` in JSON_VALUE. */
export type JsonValueBehavior =
  { readonly kind: 'NULL' } | { readonly kind: 'ERROR' } | { readonly kind: 'DEFAULT'; readonly value: Expr }

/**
 * A time unit or other keyword argument of a function (`TIMESTAMPDIFF(SECOND, a, b)`,
 * `EXTRACT(HOUR FROM t)`), represented as a literal with `type` VARCHAR and `symbol: true`.
 */
export interface SymbolLiteral extends LiteralExpr {
  readonly symbol: true
}

export type BinaryOperator =
  | '+'
  | '-'
  | '*'
  | '/'
  | '%'
  | '||'
  | '='
  | '<>'
  | '<'
  | '<='
  | '>'
  | '>='
  | 'AND'
  | 'OR'
  | 'IS DISTINCT FROM'
  | 'IS NOT DISTINCT FROM'

export interface BinaryExpr {
  readonly kind: 'binary'
  readonly op: BinaryOperator
  readonly left: Expr
  readonly right: Expr
  readonly at: Position
}

export interface UnaryExpr {
  readonly kind: 'unary'
  readonly op: '-' | '+' | 'NOT'
  readonly operand: Expr
  readonly at: Position
}

export interface IsExpr {
  readonly kind: 'is'
  readonly operand: Expr
  readonly test: 'NULL' | 'TRUE' | 'FALSE' | 'UNKNOWN'
  readonly negated: boolean
  readonly at: Position
}

export interface BetweenExpr {
  readonly kind: 'between'
  readonly operand: Expr
  readonly low: Expr
  readonly high: Expr
  readonly negated: boolean
  readonly at: Position
}

export interface InExpr {
  readonly kind: 'in'
  readonly operand: Expr
  readonly list: readonly Expr[]
  readonly negated: boolean
  readonly at: Position
}

/** `LIKE` (and `SIMILAR TO` is unsupported): `%` and `_` wildcards, optional ESCAPE. */
export interface LikeExpr {
  readonly kind: 'like'
  readonly operand: Expr
  readonly pattern: Expr
  readonly escape?: string | undefined
  readonly negated: boolean
  readonly at: Position
}

/** `CASE [operand] WHEN .. THEN .. [ELSE ..] END`. */
export interface CaseExpr {
  readonly kind: 'case'
  readonly operand?: Expr | undefined
  readonly whens: ReadonlyArray<{ readonly when: Expr; readonly then: Expr }>
  readonly else?: Expr | undefined
  readonly at: Position
}

/** `CAST(x AS type)`, `TRY_CAST(x AS type)`. */
export interface CastExpr {
  readonly kind: 'cast'
  readonly operand: Expr
  readonly type: SqlType
  readonly try: boolean
  readonly at: Position
}

export interface OrderItem {
  readonly expr: Expr
  readonly descending: boolean
  readonly nullsFirst?: boolean | undefined
  readonly at: Position
}

/** `ROW_NUMBER() OVER (PARTITION BY a ORDER BY b DESC)`, and OVER aggregates (unsupported for now). */
export interface OverExpr {
  readonly kind: 'over'
  readonly call: CallExpr
  readonly partitionBy: readonly Expr[]
  readonly orderBy: readonly OrderItem[]
  /** A frame clause (`ROWS BETWEEN ...`, `RANGE ...`) as written, when there is one. */
  readonly frame?: string | undefined
  readonly at: Position
}

// -- Queries -----------------------------------------------------------------------------------

export type Query = SelectQuery | SetOperationQuery

/** `WITH a AS (...), b AS (...)`: named queries usable as tables in the query they precede. */
export interface WithItem {
  readonly name: string
  readonly query: Query
  readonly at: Position
}

export interface SelectQuery {
  readonly kind: 'select'
  readonly with: readonly WithItem[]
  readonly distinct: boolean
  readonly items: readonly SelectItem[]
  /** Absent for `SELECT 1` (unsupported in streaming jobs, but parsed). */
  readonly from?: FromItem | undefined
  readonly where?: Expr | undefined
  readonly groupBy: readonly Expr[]
  /**
   * `GROUP BY a, GROUPING SETS ((b), ())`, `ROLLUP (b, c)`, `CUBE (b, c)`: the sets, each grouped
   * by together with `groupBy` (here `[[b], []]`: by a and b, then by a alone). ROLLUP and CUBE are
   * given as their sets. Absent for a plain GROUP BY.
   */
  readonly groupingSets?: ReadonlyArray<readonly Expr[]> | undefined
  readonly having?: Expr | undefined
  readonly orderBy: readonly OrderItem[]
  readonly limit?: number | undefined
  readonly at: Position
}

/** `UNION ALL` (other set operations are parsed and refused by the planner). */
export interface SetOperationQuery {
  readonly kind: 'set-operation'
  readonly op: 'UNION' | 'UNION ALL' | 'INTERSECT' | 'EXCEPT'
  readonly with: readonly WithItem[]
  readonly left: Query
  readonly right: Query
  readonly at: Position
}

export type SelectItem =
  | { readonly kind: 'expr'; readonly expr: Expr; readonly alias?: string | undefined; readonly at: Position }
  /** `*` or `t.*` */
  | { readonly kind: 'star'; readonly qualifier?: string | undefined; readonly at: Position }

export type FromItem = TableRef | SubqueryRef | WindowTableRef | JoinRef

/** Table options given by a `/*+ OPTIONS('k' = 'v') *\/` hint. */
export type Hints = Readonly<Record<string, string>>

export interface TableRef {
  readonly kind: 'table'
  /** The name as written, dotted parts joined with `.` (`db.t` stays `db.t`). */
  readonly name: string
  readonly alias?: string | undefined
  readonly hints: Hints
  /** `FOR SYSTEM_TIME AS OF o.order_time` (a temporal join's right side). */
  readonly forSystemTimeAsOf?: Expr | undefined
  readonly at: Position
}

export interface SubqueryRef {
  readonly kind: 'subquery'
  readonly query: Query
  readonly alias?: string | undefined
  readonly at: Position
}

/**
 * `TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), INTERVAL '1' MINUTE))` and its HOP, CUMULATE and SESSION
 * siblings. `args` are the interval arguments in the order written after the descriptor (HOP:
 * slide, size; CUMULATE: step, max size; TUMBLE: size; SESSION: gap), plus an optional offset.
 * Named arguments (`SIZE => INTERVAL ...`) are put in that positional order.
 */
export interface WindowTableRef {
  readonly kind: 'window'
  readonly fn: 'TUMBLE' | 'HOP' | 'CUMULATE' | 'SESSION'
  /** The `TABLE t` argument: a table or view name, or a subquery. */
  readonly input: TableRef | SubqueryRef
  /** The column in `DESCRIPTOR(col)`. */
  readonly timeColumn: string
  readonly args: readonly Expr[]
  /** SESSION's `PARTITION BY` columns. */
  readonly partitionBy: readonly string[]
  readonly alias?: string | undefined
  readonly at: Position
}

export interface JoinRef {
  readonly kind: 'join'
  /** `CROSS` also for `FROM a, b`. */
  readonly type: 'INNER' | 'LEFT' | 'RIGHT' | 'FULL' | 'CROSS'
  readonly left: FromItem
  readonly right: FromItem
  readonly on?: Expr | undefined
  /** `USING (a, b)` */
  readonly using?: readonly string[] | undefined
  readonly at: Position
}

// -- Statements --------------------------------------------------------------------------------

export type Statement =
  | SetStatement
  | ResetStatement
  | CreateTableStatement
  | CreateViewStatement
  | InsertStatement
  | StatementSet
  | QueryStatement
  | ExplainStatement

/** `SET 'key' = 'value'`; `SET` alone lists the properties. */
export interface SetStatement {
  readonly kind: 'set'
  readonly key?: string | undefined
  readonly value?: string | undefined
  readonly at: Position
}

export interface ResetStatement {
  readonly kind: 'reset'
  readonly key?: string | undefined
  readonly at: Position
}

export type ColumnDefinition =
  | {
      readonly kind: 'physical'
      readonly name: string
      readonly type: SqlType
      readonly comment?: string | undefined
      readonly at: Position
    }
  /** `ts TIMESTAMP_LTZ(3) METADATA FROM 'timestamp' VIRTUAL` */
  | {
      readonly kind: 'metadata'
      readonly name: string
      readonly type: SqlType
      /** The metadata key; the column name when there is no FROM. */
      readonly key: string
      readonly virtual: boolean
      readonly at: Position
    }
  /** `ts AS TO_TIMESTAMP_LTZ(epoch_ms, 3)` */
  | { readonly kind: 'computed'; readonly name: string; readonly expr: Expr; readonly at: Position }

export interface CreateTableStatement {
  readonly kind: 'create-table'
  readonly name: string
  readonly temporary: boolean
  readonly ifNotExists: boolean
  readonly columns: readonly ColumnDefinition[]
  /** `WATERMARK FOR column AS expr` */
  readonly watermark?: { readonly column: string; readonly expr: Expr; readonly at: Position } | undefined
  /** `PRIMARY KEY (a, b) NOT ENFORCED` (column-level or table-level) */
  readonly primaryKey?: readonly string[] | undefined
  readonly partitionedBy: readonly string[]
  /** `WITH ('k' = 'v', ...)`, keys as written. */
  readonly options: Readonly<Record<string, string>>
  /** `LIKE other (...)`, `AS SELECT ...`: parsed and refused by the planner. */
  readonly like?: string | undefined
  readonly asQuery?: Query | undefined
  readonly at: Position
}

export interface CreateViewStatement {
  readonly kind: 'create-view'
  readonly name: string
  readonly temporary: boolean
  readonly ifNotExists: boolean
  readonly columns?: readonly string[] | undefined
  readonly query: Query
  readonly at: Position
}

export interface InsertStatement {
  readonly kind: 'insert'
  readonly table: string
  readonly overwrite: boolean
  readonly columns?: readonly string[] | undefined
  readonly hints: Hints
  readonly query: Query
  readonly at: Position
}

/** `EXECUTE STATEMENT SET BEGIN INSERT ...; INSERT ...; END` (`EXECUTE` optional). */
export interface StatementSet {
  readonly kind: 'statement-set'
  readonly inserts: readonly InsertStatement[]
  readonly at: Position
}

/** A bare query (`SELECT ...`): run in the interactive client, refused in a job file. */
export interface QueryStatement {
  readonly kind: 'query'
  readonly query: Query
  readonly at: Position
}

export interface ExplainStatement {
  readonly kind: 'explain'
  readonly statement: InsertStatement | QueryStatement | StatementSet
  readonly at: Position
}

/** A parsed file: its statements in order, each with its text as written. */
export interface SqlScript {
  readonly file: string
  readonly statements: ReadonlyArray<{ readonly statement: Statement; readonly text: string }>
}
