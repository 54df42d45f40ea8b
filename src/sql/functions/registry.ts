/**
 * The shape of a scalar function: which arguments it takes, its result type, and how it builds its
 * evaluator once at compile time. Most functions are `strict` (any NULL argument gives NULL, the
 * implementation sees only non-null values); the others (`lazy`) get their arguments' evaluators
 * and decide themselves (COALESCE, IF, CONCAT_WS).
 */
import type { CallExpr, SqlType } from '../ast.ts'
import type { Fail } from '../expr/runtime-errors.ts'
import type { CompileContext, Row } from '../expr/types.ts'
import { anyNullable } from '../expr/typing.ts'
import {
  formatType,
  isBinary,
  isInteger,
  isNumeric,
  isString,
  isTemporal,
  isTimestamp,
} from '../types/index.ts'

export type Evaluator = (row: Row) => unknown

/**
 * A strict implementation: takes the non-null argument values.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- argument types were checked by `returns`
export type Impl = (...values: any[]) => unknown

/** Marks an argument whose value is not known at compile time. */
export const NOT_CONSTANT: unique symbol = Symbol('not constant')

/** What a function sees of its call at compile time. */
export interface FunctionCall {
  readonly name: string
  readonly call: CallExpr
  readonly types: readonly SqlType[]
  /** The value of each constant argument (NULL is `null`), `NOT_CONSTANT` for the others. */
  readonly constants: readonly unknown[]
  readonly context: CompileContext
  /** Refuses the call at compile time (FRESHET_SQL_INVALID at the call's position). */
  invalid(message: string): never
  /** Fails the evaluation of one row (FRESHET_OPERATOR_FAILED at the call's position). */
  readonly fail: Fail
}

/** Argument families, as Flink's type inference names them. */
export type Family =
  'string' | 'numeric' | 'integer' | 'boolean' | 'temporal' | 'timestamp' | 'binary' | 'any'

export interface ScalarFunction {
  readonly params: readonly Family[]
  /** Families of optional trailing arguments, in order. */
  readonly optional?: readonly Family[]
  /** Family of any number of further arguments. */
  readonly variadic?: Family
  readonly returns: (call: FunctionCall) => SqlType
  readonly strict?: (call: FunctionCall, type: SqlType) => Impl
  readonly lazy?: (call: FunctionCall, type: SqlType, args: readonly Evaluator[]) => Evaluator
  /** CURRENT_TIMESTAMP, RAND, UUID: never folded into a constant. */
  readonly nondeterministic?: boolean
}

export type FunctionTable = Readonly<Record<string, ScalarFunction>>

export function matches(family: Family, type: SqlType): boolean {
  if (type.kind === 'NULL') return true
  switch (family) {
    case 'string':
      return isString(type)
    case 'numeric':
      return isNumeric(type)
    case 'integer':
      return isInteger(type)
    case 'boolean':
      return type.kind === 'BOOLEAN'
    case 'temporal':
      return isTemporal(type)
    case 'timestamp':
      return isTimestamp(type)
    case 'binary':
      return isBinary(type)
    case 'any':
      return true
  }
}

/** Checks count and families of the arguments; refuses the call with Flink-like wording. */
export function checkArguments(spec: ScalarFunction, call: FunctionCall): void {
  const { types } = call
  const optional = spec.optional ?? []
  const max = spec.variadic === undefined ? spec.params.length + optional.length : Infinity
  const ok =
    types.length >= spec.params.length &&
    types.length <= max &&
    types.every((type, i) => {
      const family = spec.params[i] ?? optional[i - spec.params.length] ?? spec.variadic
      return family !== undefined && matches(family, type)
    })
  if (!ok) {
    const got = types.map((type) => formatType(type)).join(', ')
    const wanted = [
      ...spec.params.map((f) => f.toUpperCase()),
      ...optional.map((f) => `[${f.toUpperCase()}]`),
      ...(spec.variadic === undefined ? [] : [`${spec.variadic.toUpperCase()}...`]),
    ].join(', ')
    call.invalid(`invalid arguments for function ${call.name}(${got}); expected ${call.name}(${wanted})`)
  }
}

// -- Result-type helpers ---------------------------------------------------------------------

/** A result of `kind`, nullable when an argument is (or always, with `alwaysNullable`). */
export function returns(
  kind: 'BOOLEAN' | 'INT' | 'BIGINT' | 'DOUBLE' | 'VARCHAR' | 'DATE',
  alwaysNullable = false,
): (call: FunctionCall) => SqlType {
  return (call) => ({ kind, nullable: alwaysNullable || anyNullable(call.types) })
}

/** The type of argument `index`, nullable when any argument is. */
export function sameAs(index: number): (call: FunctionCall) => SqlType {
  return (call) => {
    const type = call.types[index] as SqlType
    return { ...type, nullable: anyNullable(call.types) } as SqlType
  }
}

/** The constant value of argument `index`, refusing the call when it is not a constant. */
export function constantArgument(call: FunctionCall, index: number, what: string): unknown {
  const value = call.constants[index]
  if (value === NOT_CONSTANT) call.invalid(`${call.name} expects a constant ${what} as argument ${index + 1}`)
  return value
}
