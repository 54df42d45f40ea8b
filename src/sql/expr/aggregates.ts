/**
 * Aggregate calls compiled against the scope of their input rows, with Flink's result types and
 * NULL rules: COUNT is BIGINT NOT NULL and 0 over nothing; SUM, AVG, MIN, MAX, FIRST_VALUE,
 * LAST_VALUE and LISTAGG ignore NULL inputs and give NULL when none was seen; SUM keeps its
 * argument's type (INT wraps on overflow, DECIMAL(p, s) becomes DECIMAL(38, s)); AVG of an integer
 * type is that type, the quotient truncated toward zero; AVG of DECIMAL(p, s) is
 * DECIMAL(38, max(s, 6)).
 *
 * Accumulators are JSON values (numbers, strings, arrays, plain objects; never Map, Set or BigInt).
 * `init()` gives a value that is never mutated (it may be shared); `add` may update in place only
 * an object that an earlier `add` of the same aggregate created; `merge` never mutates its
 * arguments and treats `a` as the earlier of the two (FIRST_VALUE keeps a's, LAST_VALUE b's).
 */
import type { CallExpr, Expr, SqlType } from '../ast.ts'
import { sqlInvalid, sqlUnsupported } from '../errors.ts'
import type { Evaluator } from '../functions/registry.ts'
import { compileExpression } from './compile.ts'
import { fitsDecimal, roundHalfUp, wrapper } from './numeric.ts'
import { ordering } from './operators.ts'
import type { CompileContext, CompiledAggregate, Row } from './types.ts'
import { orderable, simple } from './typing.ts'
import {
  formatType,
  isBinary,
  isInteger,
  isNumeric,
  isString,
  MAX_DECIMAL_PRECISION,
  withNullable,
} from '../types/index.ts'

/** The part of an aggregate that DISTINCT and FILTER wrap: values in, result out. */
interface Kernel {
  readonly type: SqlType
  readonly init: unknown
  /** Folds one non-null value (COUNT(*) gets `true`). */
  add(accumulator: unknown, value: unknown): unknown
  merge(a: unknown, b: unknown): unknown
  result(accumulator: unknown): unknown
  /** The result does not depend on the order of the values (FIRST_VALUE's and LISTAGG's do). */
  readonly combinable: boolean
}

export function compileAggregate(call: CallExpr, context: CompileContext): CompiledAggregate {
  const invalid = (message: string): never => {
    throw sqlInvalid(context.file, call.at, message)
  }
  const name = call.name.toUpperCase()
  const star = call.star
  if (star && name !== 'COUNT') invalid(`${name}(*) is not valid; only COUNT(*) is`)
  const args = call.args.map((arg) => compileExpression(arg, context))
  const filter = call.filter === undefined ? undefined : compileFilter(call.filter, context)
  const arity = (min: number, max: number): void => {
    if (args.length < min || args.length > max) {
      invalid(`invalid number of arguments to function ${name}: ${args.length}`)
    }
  }
  let kernel: Kernel
  switch (name) {
    case 'COUNT':
      if (!star) arity(1, 1)
      kernel = COUNT
      break
    case 'SUM':
    case 'SUM0':
      arity(1, 1)
      kernel = sum(numericArgument(name, args[0]!.type, invalid), name === 'SUM0')
      break
    case 'AVG':
      arity(1, 1)
      kernel = avg(numericArgument(name, args[0]!.type, invalid))
      break
    case 'MIN':
    case 'MAX': {
      arity(1, 1)
      const type = args[0]!.type
      if (!orderable(type) || isBinary(type)) {
        throw sqlUnsupported(context.file, call.at, `${name} over ${formatType(type)}`)
      }
      kernel = extreme(type, name === 'MAX' ? 1 : -1)
      break
    }
    case 'FIRST_VALUE':
    case 'LAST_VALUE':
      arity(1, 1)
      kernel = firstOrLast(args[0]!.type, name === 'FIRST_VALUE')
      break
    case 'LISTAGG': {
      arity(1, 2)
      if (!isString(args[0]!.type)) invalid(`LISTAGG takes a string, not ${formatType(args[0]!.type)}`)
      const separator = args[1]
      if (separator !== undefined && (!separator.constant || !isString(separator.type))) {
        invalid('the separator of LISTAGG must be a constant string')
      }
      kernel = listagg(separator === undefined ? ',' : ((separator.evaluate(null) as string | null) ?? ','))
      break
    }
    default:
      throw sqlUnsupported(context.file, call.at, `aggregate function ${name}`)
  }
  if (call.distinct) kernel = distinct(kernel)
  const read: Evaluator = star ? () => true : args[0]!.evaluate
  return assemble(kernel, read, filter)
}

function compileFilter(expr: Expr, context: CompileContext): Evaluator {
  const compiled = compileExpression(expr, context)
  if (compiled.type.kind !== 'BOOLEAN' && compiled.type.kind !== 'NULL') {
    throw sqlInvalid(
      context.file,
      expr.at,
      `FILTER takes a BOOLEAN condition, not ${formatType(compiled.type)}`,
    )
  }
  return compiled.evaluate
}

function numericArgument(name: string, type: SqlType, invalid: (message: string) => never): SqlType {
  return isNumeric(type) ? type : invalid(`${name} takes a number, not ${formatType(type)}`)
}

function assemble(kernel: Kernel, read: Evaluator, filter: Evaluator | undefined): CompiledAggregate {
  const { init } = kernel
  const add = filter
    ? (accumulator: unknown, row: Row) => {
        if (filter(row) !== true) return accumulator
        const value = read(row)
        return value === null || value === undefined ? accumulator : kernel.add(accumulator, value)
      }
    : (accumulator: unknown, row: Row) => {
        const value = read(row)
        return value === null || value === undefined ? accumulator : kernel.add(accumulator, value)
      }
  return {
    type: kernel.type,
    init: () => init,
    add,
    merge: (a, b) => kernel.merge(a, b),
    result: (accumulator) => kernel.result(accumulator),
    combinable: kernel.combinable,
  }
}

// -- Kernels -----------------------------------------------------------------------------------

const COUNT: Kernel = {
  type: simple('BIGINT', false),
  init: 0,
  add: (n) => (n as number) + 1,
  merge: (a, b) => (a as number) + (b as number),
  result: (n) => n,
  combinable: true,
}

/** The addition of SUM's type: wraps INT as Java, rounds DECIMAL to its scale. */
function adder(type: SqlType): (a: number, b: number) => number {
  if (isInteger(type)) {
    const wrap = wrapper(type.kind)
    return (a, b) => wrap(a + b)
  }
  if (type.kind === 'DECIMAL') {
    const scale = type.scale
    return (a, b) => roundHalfUp(a + b, scale)
  }
  if (type.kind === 'FLOAT') return (a, b) => Math.fround(a + b)
  return (a, b) => a + b
}

function sum(argument: SqlType, zero: boolean): Kernel {
  const type =
    argument.kind === 'DECIMAL'
      ? ({
          kind: 'DECIMAL',
          precision: MAX_DECIMAL_PRECISION,
          scale: argument.scale,
          nullable: !zero,
        } as SqlType)
      : withNullable(argument, !zero)
  const plus = adder(type)
  const precision = type.kind === 'DECIMAL' ? type.precision : 0
  const scale = type.kind === 'DECIMAL' ? type.scale : 0
  const decimal = type.kind === 'DECIMAL'
  return {
    type,
    // NULL until a value arrives: SUM over nothing is NULL (SUM0's is 0).
    init: null,
    add: (s, value) => (s === null ? plus(0, value as number) : plus(s as number, value as number)),
    merge: (a, b) => (a === null ? b : b === null ? a : plus(a as number, b as number)),
    result: (s) => {
      if (s === null) return zero ? 0 : null
      return decimal && !fitsDecimal(s as number, precision, scale) ? null : s
    },
    combinable: true,
  }
}

function avg(argument: SqlType): Kernel {
  const type =
    argument.kind === 'DECIMAL'
      ? ({
          kind: 'DECIMAL',
          precision: MAX_DECIMAL_PRECISION,
          scale: Math.max(argument.scale, 6),
          nullable: true,
        } as SqlType)
      : withNullable(argument, true)
  // The sum is kept as BIGINT for integer inputs (Flink's AVG accumulator), as DOUBLE otherwise.
  const integer = isInteger(argument)
  const finish =
    type.kind === 'DECIMAL'
      ? (q: number) => roundHalfUp(q, (type as { scale: number }).scale)
      : type.kind === 'FLOAT'
        ? Math.fround
        : integer
          ? (q: number) => Math.trunc(q) + 0
          : (q: number) => q
  return {
    type,
    init: null,
    add: (acc, value) => {
      const [s, n] = (acc ?? [0, 0]) as [number, number]
      return [s + (value as number), n + 1]
    },
    merge: (a, b) => {
      if (a === null) return b
      if (b === null) return a
      const [sa, na] = a as [number, number]
      const [sb, nb] = b as [number, number]
      return [sa + sb, na + nb]
    },
    result: (acc) => {
      if (acc === null) return null
      const [s, n] = acc as [number, number]
      return n === 0 ? null : finish(s / n)
    },
    combinable: true,
  }
}

function extreme(argument: SqlType, sign: 1 | -1): Kernel {
  const cmp = ordering(argument)
  const pick = (a: unknown, b: unknown): unknown => (cmp(b, a) * sign > 0 ? b : a)
  return {
    type: withNullable(argument, true),
    init: null,
    add: (acc, value) => (acc === null ? value : pick(acc, value)),
    merge: (a, b) => (a === null ? b : b === null ? a : pick(a, b)),
    result: (acc) => acc,
    combinable: true,
  }
}

/** FIRST_VALUE / LAST_VALUE by arrival order, skipping NULLs (as Flink's FirstValueAggFunction). */
function firstOrLast(argument: SqlType, first: boolean): Kernel {
  return {
    type: withNullable(argument, true),
    init: null,
    add: first ? (acc, value) => (acc === null ? value : acc) : (_acc, value) => value,
    merge: first ? (a, b) => (a === null ? b : a) : (a, b) => (b === null ? a : b),
    result: (acc) => acc,
    combinable: false,
  }
}

function listagg(separator: string): Kernel {
  return {
    type: { kind: 'VARCHAR', nullable: true },
    init: null,
    add: (acc, value) =>
      acc === null ? (value as string) : `${acc as string}${separator}${value as string}`,
    merge: (a, b) => (a === null ? b : b === null ? a : `${a as string}${separator}${b as string}`),
    result: (acc) => acc,
    combinable: false,
  }
}

/** `{ seen: { key: value }, inner }`: the inner kernel gets each distinct value once. */
interface DistinctAccumulator {
  seen: Record<string, unknown>
  inner: unknown
}

/** A value's key in `seen`: its JSON text (so 1 and '1' stay apart; DATEs and numbers are numbers). */
function keyOf(value: unknown): string {
  return Buffer.isBuffer(value) ? `b:${value.toString('base64')}` : JSON.stringify(value)
}

function distinct(kernel: Kernel): Kernel {
  return {
    type: kernel.type,
    init: null,
    add: (acc, value) => {
      const key = keyOf(value)
      const state = (acc ?? { seen: {}, inner: kernel.init }) as DistinctAccumulator
      if (Object.hasOwn(state.seen, key)) return state
      state.seen[key] = value
      state.inner = kernel.add(state.inner, value)
      return state
    },
    merge: (a, b) => {
      if (a === null) return b === null ? null : copy(b as DistinctAccumulator)
      const merged = copy(a as DistinctAccumulator)
      if (b === null) return merged
      for (const [key, value] of Object.entries((b as DistinctAccumulator).seen)) {
        if (Object.hasOwn(merged.seen, key)) continue
        merged.seen[key] = value
        merged.inner = kernel.add(merged.inner, value)
      }
      return merged
    },
    result: (acc) => kernel.result(acc === null ? kernel.init : (acc as DistinctAccumulator).inner),
    combinable: kernel.combinable,
  }
}

/** A copy that later in-place adds cannot reach back from (inner values are immutable here). */
function copy(state: DistinctAccumulator): DistinctAccumulator {
  return { seen: { ...state.seen }, inner: state.inner }
}
