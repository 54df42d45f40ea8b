/**
 * Compiles an expression tree into one closure per node, once: columns are resolved through the
 * scope, types inferred and checked with Flink's rules, and each operator specialised to its
 * operand types, so that evaluating a row is a chain of direct calls. Subtrees without column
 * reads or non-deterministic calls are folded into their value.
 *
 * Integer arithmetic wraps as Java's does (INT, SMALLINT, TINYINT in two's complement); BIGINT is
 * a double, exact to 2^53 and not wrapped at 2^63. Integer division truncates toward zero and
 * fails the row on a zero divisor as Flink's ArithmeticException does; DOUBLE division by zero
 * gives Infinity or NaN.
 */
import type {
  BetweenExpr,
  BinaryExpr,
  CallExpr,
  CaseExpr,
  CastExpr,
  Expr,
  InExpr,
  LikeExpr,
  LiteralExpr,
  SqlType,
} from '../ast.ts'
import { sqlInvalid } from '../errors.ts'
import { lookupFunction } from '../functions/index.ts'
import {
  didYouMean,
  formatType,
  isBinary,
  isInteger,
  isNumeric,
  isString,
  isTemporal,
  leastCommonType,
  withNullable,
} from '../types/index.ts'
import { checkArguments, NOT_CONSTANT, type Evaluator, type FunctionCall } from '../functions/registry.ts'
import { caster, widening } from './cast.ts'
import { likeMatcher } from './like.ts'
import { wrapper } from './numeric.ts'
import {
  and,
  arithmetic,
  comparison,
  deepEqual,
  equality,
  not,
  or,
  ordering,
  type ComparisonOperator,
} from './operators.ts'
import { runtimeFailure } from './runtime-errors.ts'
import { floorDiv, MS_PER_DAY, parseDate, parseTime, parseTimestamp, wallToInstant } from './temporal.ts'
import type { CompileContext, CompiledExpression } from './types.ts'
import { arithmeticType, comparable, comparisonType, orderable, simple } from './typing.ts'

const AGGREGATES = new Set([
  'COUNT',
  'SUM',
  'SUM0',
  'AVG',
  'MIN',
  'MAX',
  'FIRST_VALUE',
  'LAST_VALUE',
  'LISTAGG',
  'COLLECT',
  'ARRAY_AGG',
  'STDDEV',
  'STDDEV_POP',
  'STDDEV_SAMP',
  'VARIANCE',
  'VAR_POP',
  'VAR_SAMP',
  'BOOL_AND',
  'BOOL_OR',
  'JSON_OBJECTAGG',
  'JSON_ARRAYAGG',
  'ROW_NUMBER',
  'RANK',
  'DENSE_RANK',
  'PERCENT_RANK',
  'CUME_DIST',
  'NTILE',
  'LEAD',
  'LAG',
])

/** Whether `name` (upper-case) is an aggregate or window function, which a plain expression refuses. */
export function isAggregateFunction(name: string): boolean {
  return AGGREGATES.has(name.toUpperCase())
}

interface Node {
  readonly type: SqlType
  readonly evaluate: Evaluator
  readonly constant: boolean
}

const BOOLEAN_NOT_NULL = simple('BOOLEAN', false)

export function compileExpression(expr: Expr, context: CompileContext): CompiledExpression {
  return new Compiler(context).compile(expr)
}

class Compiler {
  private readonly context: CompileContext

  constructor(context: CompileContext) {
    this.context = context
  }

  compile(expr: Expr): Node {
    const node = this.node(expr)
    if (!node.constant || expr.kind === 'literal' || expr.kind === 'interval') return node
    try {
      const value = node.evaluate(null)
      return { type: node.type, evaluate: () => value, constant: true }
    } catch {
      // A constant that fails (1 / 0) fails each row as Flink's job would; keep it unfolded.
      return node
    }
  }

  private invalid(expr: Expr, message: string): never {
    throw sqlInvalid(this.context.file, expr.at, message)
  }

  private node(expr: Expr): Node {
    switch (expr.kind) {
      case 'literal':
        return this.literal(expr)
      case 'interval': {
        const ms = expr.ms
        return {
          type: { kind: 'INTERVAL', unit: 'DAY_TIME', nullable: false },
          evaluate: () => ms,
          constant: true,
        }
      }
      case 'column':
        return this.column(expr)
      case 'field': {
        const of = this.compile(expr.of)
        if (of.type.kind !== 'ROW')
          this.invalid(expr, `cannot access field '${expr.name}' of ${formatType(of.type)}`)
        const field = of.type.fields.find((f) => f.name === expr.name)
        if (field === undefined) {
          const names = of.type.fields.map((f) => f.name)
          this.invalid(expr, `unknown field '${expr.name}'${didYouMean(expr.name, names)}`)
        }
        const name = field.name
        const read = of.evaluate
        return {
          type: withNullable(field.type, of.type.nullable || field.type.nullable),
          evaluate: (row) => {
            const value = read(row) as Record<string, unknown> | null
            return value === null ? null : (value[name] ?? null)
          },
          constant: of.constant,
        }
      }
      case 'item':
        return this.item(expr)
      case 'call':
        return this.call(expr)
      case 'binary':
        return this.binary(expr)
      case 'unary':
        return this.unary(expr)
      case 'is': {
        const operand = this.compile(expr.operand)
        if (expr.test !== 'NULL' && operand.type.kind !== 'BOOLEAN' && operand.type.kind !== 'NULL') {
          this.invalid(expr, `cannot apply 'IS ${expr.test}' to ${formatType(operand.type)}`)
        }
        const target = expr.test === 'TRUE' ? true : expr.test === 'FALSE' ? false : null
        const read = operand.evaluate
        const evaluate: Evaluator = expr.negated
          ? (row) => read(row) !== target
          : (row) => read(row) === target
        return { type: BOOLEAN_NOT_NULL, evaluate, constant: operand.constant }
      }
      case 'between':
        return this.between(expr)
      case 'in':
        return this.in(expr)
      case 'like':
        return this.like(expr)
      case 'case':
        return this.case(expr)
      case 'cast':
        return this.cast(expr)
      case 'over':
        return this.invalid(expr, `aggregate function ${expr.call.name} is not allowed here`)
    }
  }

  private literal(expr: LiteralExpr): Node {
    const { type } = expr
    let value: unknown = expr.value
    if (typeof value === 'string') {
      switch (type.kind) {
        case 'DATE':
          value = parseDate(value)
          break
        case 'TIME':
          value = parseTime(value)
          break
        case 'TIMESTAMP':
          value = parseTimestamp(value)
          break
        case 'TIMESTAMP_LTZ': {
          const wall = parseTimestamp(value)
          value = wall === undefined ? undefined : wallToInstant(wall, this.context.localTimeZone)
          break
        }
        case 'BINARY':
        case 'VARBINARY':
          value = /^([0-9a-fA-F]{2})*$/.test(value) ? Buffer.from(value, 'hex') : undefined
          break
        default:
          if (isNumeric(type)) value = Number(value)
      }
      if (value === undefined || Number.isNaN(value))
        this.invalid(expr, `illegal ${formatType(type)} literal ${expr.text}`)
    }
    const constant = value
    return { type, evaluate: () => constant, constant: true }
  }

  private column(expr: Expr & { kind: 'column' }): Node {
    const binding = this.context.scope.column(expr)
    if (binding === undefined) {
      const name = expr.qualifier === undefined ? expr.name : `${expr.qualifier}.${expr.name}`
      this.invalid(
        expr,
        `column '${name}' not found in any table${didYouMean(expr.name, this.context.scope.names())}`,
      )
    }
    const read = binding.read
    // A missing field may read as undefined; the runtime contract is null.
    return {
      type: binding.type,
      evaluate: (row) => {
        const value = read(row)
        return value === undefined ? null : value
      },
      constant: false,
    }
  }

  private item(expr: Expr & { kind: 'item' }): Node {
    const of = this.compile(expr.of)
    const index = this.compile(expr.index)
    const read = of.evaluate
    const key = index.evaluate
    const constant = of.constant && index.constant
    if (of.type.kind === 'ARRAY') {
      if (!isInteger(index.type) && index.type.kind !== 'NULL') {
        this.invalid(expr, `an array index must be an integer, not ${formatType(index.type)}`)
      }
      return {
        type: withNullable(of.type.element, true),
        evaluate: (row) => {
          const array = read(row) as unknown[] | null
          if (array === null) return null
          const i = key(row) as number | null
          // 1-based, as in Flink; out of range gives NULL.
          return i === null || i < 1 || i > array.length ? null : (array[i - 1] ?? null)
        },
        constant,
      }
    }
    if (of.type.kind === 'MAP') {
      if (!comparable(of.type.key, index.type)) {
        this.invalid(expr, `a key of ${formatType(index.type)} cannot look up ${formatType(of.type)}`)
      }
      return {
        type: withNullable(of.type.value, true),
        evaluate: (row) => {
          const map = read(row) as Map<unknown, unknown> | null
          if (map === null) return null
          const k = key(row)
          return k === null ? null : (map.get(k) ?? null)
        },
        constant,
      }
    }
    return this.invalid(expr, `cannot apply [] to ${formatType(of.type)}`)
  }

  private call(expr: CallExpr): Node {
    if (isAggregateFunction(expr.name))
      this.invalid(expr, `aggregate function ${expr.name} is not allowed here`)
    const spec = lookupFunction(expr.name)
    if (spec === undefined) this.invalid(expr, `unknown function ${expr.name}`)
    if (expr.star || expr.distinct || expr.filter !== undefined) {
      this.invalid(expr, `${expr.name} is not an aggregate function: no *, DISTINCT or FILTER`)
    }
    const args = expr.args.map((arg) => this.compile(arg))
    const file = this.context.file
    const call: FunctionCall = {
      name: expr.name,
      call: expr,
      types: args.map((arg) => arg.type),
      constants: args.map(constantValue),
      context: this.context,
      invalid: (message) => {
        throw sqlInvalid(file, expr.at, message)
      },
      fail: runtimeFailure(file, expr.at),
    }
    checkArguments(spec, call)
    const type = spec.returns(call)
    const evaluators = args.map((arg) => arg.evaluate)
    let evaluate: Evaluator
    if (spec.lazy !== undefined) evaluate = spec.lazy(call, type, evaluators)
    else if (spec.strict !== undefined) evaluate = strict(spec.strict(call, type), evaluators)
    else throw new Error(`function ${expr.name} has no implementation`)
    return { type, evaluate, constant: spec.nondeterministic !== true && args.every((arg) => arg.constant) }
  }

  private binary(expr: BinaryExpr): Node {
    const l = this.compile(expr.left)
    const r = this.compile(expr.right)
    const constant = l.constant && r.constant
    const nullable = l.type.nullable || r.type.nullable
    switch (expr.op) {
      case 'AND':
      case 'OR': {
        for (const side of [l, r]) {
          if (side.type.kind !== 'BOOLEAN' && side.type.kind !== 'NULL') this.mismatch(expr, l.type, r.type)
        }
        const evaluate = expr.op === 'AND' ? and(l.evaluate, r.evaluate) : or(l.evaluate, r.evaluate)
        return { type: simple('BOOLEAN', nullable), evaluate, constant }
      }
      case '=':
      case '<>':
      case '<':
      case '<=':
      case '>':
      case '>=': {
        const [a, b, type] = this.comparablePair(expr, l, r)
        if (expr.op !== '=' && expr.op !== '<>' && !orderable(type)) this.mismatch(expr, l.type, r.type)
        return {
          type: simple('BOOLEAN', nullable),
          evaluate: comparison(expr.op as ComparisonOperator, type, a, b),
          constant,
        }
      }
      case 'IS DISTINCT FROM':
      case 'IS NOT DISTINCT FROM': {
        const [a, b, type] = this.comparablePair(expr, l, r)
        const eq = equality(type)
        const distinct = expr.op === 'IS DISTINCT FROM'
        return {
          type: BOOLEAN_NOT_NULL,
          evaluate: (row) => {
            const x = a(row)
            const y = b(row)
            const same = x === null || y === null ? x === y : eq(x, y)
            return same !== distinct
          },
          constant,
        }
      }
      case '||': {
        const strings =
          isString(l.type) || isString(r.type) || (l.type.kind === 'NULL' && r.type.kind === 'NULL')
        const ok = strings
          ? [l.type, r.type].every((t) => isString(t) || t.kind === 'NULL')
          : isBinary(l.type) && isBinary(r.type)
        if (!ok) this.mismatch(expr, l.type, r.type)
        const la = l.evaluate
        const ra = r.evaluate
        const length =
          lengthOf(l.type) !== undefined && lengthOf(r.type) !== undefined
            ? lengthOf(l.type)! + lengthOf(r.type)!
            : undefined
        const type: SqlType = strings
          ? length === undefined
            ? { kind: 'VARCHAR', nullable }
            : {
                kind: l.type.kind === 'CHAR' && r.type.kind === 'CHAR' ? 'CHAR' : 'VARCHAR',
                length,
                nullable,
              }
          : { kind: 'VARBINARY', nullable }
        const evaluate: Evaluator = strings
          ? (row) => {
              const a = la(row)
              if (a === null) return null
              const b = ra(row)
              return b === null ? null : (a as string) + (b as string)
            }
          : (row) => {
              const a = la(row)
              if (a === null) return null
              const b = ra(row)
              return b === null ? null : Buffer.concat([a as Buffer, b as Buffer])
            }
        return { type, evaluate, constant }
      }
      default:
        return this.arithmetic(expr, expr.op, l, r)
    }
  }

  private arithmetic(expr: BinaryExpr, op: '+' | '-' | '*' | '/' | '%', l: Node, r: Node): Node {
    const constant = l.constant && r.constant
    const nullable = l.type.nullable || r.type.nullable
    const fail = runtimeFailure(this.context.file, expr.at)
    const la = l.evaluate
    const ra = r.evaluate
    const lk = l.type.kind
    const rk = r.type.kind
    // Time +/- interval.
    if ((op === '+' || op === '-') && rk === 'INTERVAL' && isTemporal(l.type)) {
      return {
        type: withNullable(l.type, nullable),
        evaluate: timeShift(lk, la, ra, op === '-' ? -1 : 1),
        constant,
      }
    }
    if (op === '+' && lk === 'INTERVAL' && isTemporal(r.type)) {
      return { type: withNullable(r.type, nullable), evaluate: timeShift(rk, ra, la, 1), constant }
    }
    if (lk === 'INTERVAL' || rk === 'INTERVAL') {
      const type: SqlType = { kind: 'INTERVAL', unit: 'DAY_TIME', nullable }
      const both = lk === 'INTERVAL' && rk === 'INTERVAL'
      if (both && (op === '+' || op === '-')) {
        return { type, evaluate: arithmetic(op, simple('BIGINT', nullable), la, ra, fail), constant }
      }
      if (
        !both &&
        (op === '*' || (op === '/' && lk === 'INTERVAL')) &&
        (isNumeric(l.type) || isNumeric(r.type))
      ) {
        const scaled = arithmetic(op, simple('DOUBLE', nullable), la, ra, fail)
        return {
          type,
          evaluate: (row) => {
            const value = scaled(row) as number | null
            return value === null ? null : Math.trunc(value)
          },
          constant,
        }
      }
      this.mismatch(expr, l.type, r.type)
    }
    const type = arithmeticType(op, l.type, r.type)
    if (type === undefined) return this.mismatch(expr, l.type, r.type)
    return { type, evaluate: arithmetic(op, type, la, ra, fail), constant }
  }

  private unary(expr: Expr & { kind: 'unary' }): Node {
    const operand = this.compile(expr.operand)
    const read = operand.evaluate
    const { type, constant } = operand
    if (expr.op === 'NOT') {
      if (type.kind !== 'BOOLEAN' && type.kind !== 'NULL')
        this.invalid(expr, `cannot apply 'NOT' to ${formatType(type)}`)
      return { type: simple('BOOLEAN', type.nullable), evaluate: not(read), constant }
    }
    if (!isNumeric(type) && type.kind !== 'INTERVAL' && type.kind !== 'NULL') {
      this.invalid(expr, `cannot apply '${expr.op}' to ${formatType(type)}`)
    }
    if (expr.op === '+') return operand
    const wrap = isInteger(type) ? wrapper(type.kind) : undefined
    const evaluate: Evaluator = wrap
      ? (row) => {
          const a = read(row) as number | null
          return a === null ? null : wrap(0 - a)
        }
      : (row) => {
          const a = read(row) as number | null
          return a === null ? null : -a
        }
    return { type, evaluate, constant }
  }

  /** Both operands as evaluators of one comparable domain (a DATE meeting a TIMESTAMP becomes one). */
  private comparablePair(expr: Expr, l: Node, r: Node): [Evaluator, Evaluator, SqlType] {
    if (!comparable(l.type, r.type)) this.mismatch(expr, l.type, r.type)
    const type = comparisonType([l.type, r.type]) ?? l.type
    return [this.coerce(l, type), this.coerce(r, type), type]
  }

  /** The node's evaluator, converted to `type` where the representation differs (see `widening`). */
  private coerce(node: Node, type: SqlType): Evaluator {
    const convert = widening(node.type, type, this.context.localTimeZone)
    if (convert === undefined) return node.evaluate
    const read = node.evaluate
    return (row) => {
      const value = read(row)
      return value === null ? null : convert(value)
    }
  }

  private mismatch(expr: Expr, a: SqlType, b: SqlType): never {
    const op = expr.kind === 'binary' ? expr.op : expr.kind.toUpperCase()
    return this.invalid(
      expr,
      `cannot apply '${op}' to arguments of type '<${formatType(a)}> ${op} <${formatType(b)}>'`,
    )
  }

  private between(expr: BetweenExpr): Node {
    const operand = this.compile(expr.operand)
    const low = this.compile(expr.low)
    const high = this.compile(expr.high)
    for (const bound of [low, high]) {
      if (!comparable(operand.type, bound.type)) this.mismatch(expr, operand.type, bound.type)
    }
    const type = comparisonType([operand.type, low.type, high.type]) ?? operand.type
    if (!orderable(type)) this.mismatch(expr, operand.type, low.type)
    const cmp = ordering(type)
    const v = this.coerce(operand, type)
    const lo = this.coerce(low, type)
    const hi = this.coerce(high, type)
    const negated = expr.negated
    return {
      type: simple('BOOLEAN', operand.type.nullable || low.type.nullable || high.type.nullable),
      evaluate: (row) => {
        const x = v(row)
        if (x === null) return null
        const a = lo(row)
        const b = hi(row)
        const above = a === null ? null : cmp(x, a) >= 0
        const below = b === null ? null : cmp(x, b) <= 0
        const inside =
          above === false || below === false ? false : above === null || below === null ? null : true
        return inside === null ? null : inside !== negated
      },
      constant: operand.constant && low.constant && high.constant,
    }
  }

  private in(expr: InExpr): Node {
    const operand = this.compile(expr.operand)
    const items = expr.list.map((item) => this.compile(item))
    for (const item of items)
      if (!comparable(operand.type, item.type)) this.mismatch(expr, operand.type, item.type)
    const type = comparisonType([operand.type, ...items.map((item) => item.type)]) ?? operand.type
    const v = this.coerce(operand, type)
    const negated = expr.negated
    const nullable = operand.type.nullable || items.some((item) => item.type.nullable)
    const constant = operand.constant && items.every((item) => item.constant)
    const eq = equality(type)
    const plain = eq !== deepEqual
    if (plain && items.every((item) => constantValue(item) !== NOT_CONSTANT)) {
      // Constant lists: one Set lookup per row.
      const values = items.map((item) => this.coerce(item, type)(null))
      const set = new Set(values.filter((value) => value !== null))
      const hasNull = values.includes(null)
      return {
        type: simple('BOOLEAN', nullable),
        evaluate: (row) => {
          const x = v(row)
          if (x === null) return null
          if (set.has(x)) return !negated
          return hasNull ? null : negated
        },
        constant,
      }
    }
    const list = items.map((item) => this.coerce(item, type))
    return {
      type: simple('BOOLEAN', nullable),
      evaluate: (row) => {
        const x = v(row)
        if (x === null) return null
        let sawNull = false
        for (const item of list) {
          const y = item(row)
          if (y === null) sawNull = true
          else if (eq(x, y)) return !negated
        }
        return sawNull ? null : negated
      },
      constant,
    }
  }

  private like(expr: LikeExpr): Node {
    const operand = this.compile(expr.operand)
    const pattern = this.compile(expr.pattern)
    for (const side of [operand, pattern]) {
      if (!isString(side.type) && side.type.kind !== 'NULL') this.mismatch(expr, operand.type, pattern.type)
    }
    const escape = expr.escape
    if (escape !== undefined && escape.length !== 1)
      this.invalid(expr, `invalid escape '${escape}': it must be one character`)
    const invalid = (message: string): never => this.invalid(expr, message)
    const fail = runtimeFailure(this.context.file, expr.at)
    const read = operand.evaluate
    const negated = expr.negated
    const type = simple('BOOLEAN', operand.type.nullable || pattern.type.nullable)
    const constant = operand.constant && pattern.constant
    if (constantValue(pattern) !== NOT_CONSTANT) {
      const text = pattern.evaluate(null) as string | null
      if (text === null) return { type, evaluate: () => null, constant: true }
      const match = likeMatcher(text, escape, invalid)
      return {
        type,
        evaluate: (row) => {
          const s = read(row) as string | null
          return s === null ? null : match(s) !== negated
        },
        constant,
      }
    }
    const readPattern = pattern.evaluate
    let lastText: string | undefined
    let lastMatch: (s: string) => boolean = () => false
    return {
      type,
      evaluate: (row) => {
        const s = read(row) as string | null
        if (s === null) return null
        const text = readPattern(row) as string | null
        if (text === null) return null
        if (text !== lastText) {
          lastMatch = likeMatcher(text, escape, fail)
          lastText = text
        }
        return lastMatch(s) !== negated
      },
      constant,
    }
  }

  private case(expr: CaseExpr): Node {
    const operand = expr.operand === undefined ? undefined : this.compile(expr.operand)
    const whens = expr.whens.map((w) => this.compile(w.when))
    const thens = expr.whens.map((w) => this.compile(w.then))
    const otherwise = expr.else === undefined ? undefined : this.compile(expr.else)
    const results = otherwise === undefined ? thens : [...thens, otherwise]
    const common = leastCommonType(results.map((node) => node.type))
    if (common === undefined) {
      this.invalid(
        expr,
        `CASE branches have no common type: ${results.map((node) => formatType(node.type)).join(', ')}`,
      )
    }
    const type = withNullable(common, common.nullable || otherwise === undefined)
    const values = thens.map((node) => this.coerce(node, type))
    const fallback = otherwise === undefined ? () => null : this.coerce(otherwise, type)
    const n = values.length
    const constant = [operand, ...whens, ...results].every((node) => node === undefined || node.constant)
    if (operand === undefined) {
      for (const [i, when] of whens.entries()) {
        if (when.type.kind !== 'BOOLEAN' && when.type.kind !== 'NULL') {
          this.invalid(expr.whens[i]!.when, `a WHEN condition must be BOOLEAN, not ${formatType(when.type)}`)
        }
      }
      const conditions = whens.map((when) => when.evaluate)
      return {
        type,
        evaluate: (row) => {
          for (let i = 0; i < n; i++) if (conditions[i]!(row) === true) return values[i]!(row)
          return fallback(row)
        },
        constant,
      }
    }
    // CASE x WHEN v1 ...: x is read once per row, then compared with each value in turn.
    for (const [i, when] of whens.entries()) {
      if (!comparable(operand.type, when.type)) this.mismatch(expr.whens[i]!.when, operand.type, when.type)
    }
    const compared = comparisonType([operand.type, ...whens.map((when) => when.type)]) ?? operand.type
    const eq = equality(compared)
    const subject = this.coerce(operand, compared)
    const candidates = whens.map((when) => this.coerce(when, compared))
    return {
      type,
      evaluate: (row) => {
        const x = subject(row)
        if (x !== null) {
          for (let i = 0; i < n; i++) {
            const y = candidates[i]!(row)
            if (y !== null && eq(x, y)) return values[i]!(row)
          }
        }
        return fallback(row)
      },
      constant,
    }
  }

  private cast(expr: CastExpr): Node {
    const operand = this.compile(expr.operand)
    const fail = runtimeFailure(this.context.file, expr.at)
    const convert = caster(operand.type, expr.type, this.context.localTimeZone, fail)
    if (convert === undefined) {
      this.invalid(
        expr,
        `cannot cast ${formatType(operand.type)} to ${formatType(withNullable(expr.type, true))}`,
      )
    }
    const read = operand.evaluate
    const type = withNullable(expr.type, expr.try || operand.type.nullable)
    const evaluate: Evaluator = expr.try
      ? (row) => {
          const value = read(row)
          if (value === null) return null
          try {
            return convert(value)
          } catch {
            return null
          }
        }
      : (row) => {
          const value = read(row)
          return value === null ? null : convert(value)
        }
    return { type, evaluate, constant: operand.constant }
  }
}

/** The value of a constant node, or NOT_CONSTANT (also for a constant that fails, like 1 / 0). */
function constantValue(node: Node): unknown {
  if (!node.constant) return NOT_CONSTANT
  try {
    return node.evaluate(null)
  } catch {
    return NOT_CONSTANT
  }
}

function lengthOf(type: SqlType): number | undefined {
  return type.kind === 'CHAR' || type.kind === 'VARCHAR' ? type.length : undefined
}

/** `time + interval * sign` for TIMESTAMP, TIMESTAMP_LTZ (ms), DATE (days) and TIME (ms of day). */
function timeShift(kind: SqlType['kind'], time: Evaluator, interval: Evaluator, sign: 1 | -1): Evaluator {
  const shift =
    kind === 'DATE'
      ? (t: number, ms: number) => floorDiv(t * MS_PER_DAY + sign * ms, MS_PER_DAY)
      : kind === 'TIME'
        ? (t: number, ms: number) => {
            const v = (t + sign * ms) % MS_PER_DAY
            return v < 0 ? v + MS_PER_DAY : v
          }
        : (t: number, ms: number) => t + sign * ms
  return (row) => {
    const t = time(row) as number | null
    if (t === null) return null
    const ms = interval(row) as number | null
    return ms === null ? null : shift(t, ms)
  }
}

/** NULL in any argument gives NULL; otherwise the implementation sees the values. */
function strict(impl: (...values: unknown[]) => unknown, args: readonly Evaluator[]): Evaluator {
  switch (args.length) {
    case 0:
      return () => impl()
    case 1: {
      const [a] = args as [Evaluator]
      return (row) => {
        const x = a(row)
        return x === null ? null : impl(x)
      }
    }
    case 2: {
      const [a, b] = args as [Evaluator, Evaluator]
      return (row) => {
        const x = a(row)
        if (x === null) return null
        const y = b(row)
        return y === null ? null : impl(x, y)
      }
    }
    case 3: {
      const [a, b, c] = args as [Evaluator, Evaluator, Evaluator]
      return (row) => {
        const x = a(row)
        if (x === null) return null
        const y = b(row)
        if (y === null) return null
        const z = c(row)
        return z === null ? null : impl(x, y, z)
      }
    }
    default:
      return (row) => {
        const values: unknown[] = []
        for (const arg of args) {
          const value = arg(row)
          if (value === null) return null
          values.push(value)
        }
        return impl(...values)
      }
  }
}
