/**
 * Conditional functions (Flink's "Conditional Functions"): COALESCE, IF, IFNULL, NULLIF, GREATEST,
 * LEAST, IS_ALPHA, IS_DECIMAL, IS_DIGIT. Branches meet in their least common type.
 */
import type { SqlType } from '../ast.ts'
import { comparable, comparisonType, orderable } from '../expr/typing.ts'
import { formatType, leastCommonType, withNullable } from '../types/index.ts'
import { equality, ordering } from '../expr/operators.ts'
import { widening } from '../expr/cast.ts'
import type { Evaluator, FunctionCall, FunctionTable, ScalarFunction } from './registry.ts'

function common(call: FunctionCall, types: readonly SqlType[]): SqlType {
  const type = leastCommonType(types)
  if (type === undefined) {
    return call.invalid(
      `${call.name} arguments have no common type: ${types.map((t) => formatType(t)).join(', ')}`,
    )
  }
  return type
}

/** Converts an argument to the common type where the representation differs (see `widening`). */
function widen(call: FunctionCall, from: SqlType, to: SqlType, read: Evaluator): Evaluator {
  const convert = widening(from, to, call.context.localTimeZone)
  if (convert === undefined) return read
  return (row) => {
    const value = read(row)
    return value === null ? null : convert(value)
  }
}

function extreme(sign: 1 | -1): ScalarFunction {
  return {
    params: ['any', 'any'],
    variadic: 'any',
    returns: (call) => {
      const type = common(call, call.types)
      if (!orderable(type)) call.invalid(`${call.name} cannot order ${formatType(type)}`)
      return type
    },
    lazy: (call, type, args) => {
      const cmp = ordering(type)
      const reads = args.map((arg, i) => widen(call, call.types[i]!, type, arg))
      return (row) => {
        let best: unknown = null
        for (const read of reads) {
          const value = read(row)
          if (value === null) return null
          if (best === null || cmp(value, best) * sign > 0) best = value
        }
        return best
      }
    },
  }
}

function characterTest(test: RegExp): ScalarFunction {
  return {
    params: ['string'],
    returns: () => ({ kind: 'BOOLEAN', nullable: false }),
    lazy:
      (_call, _type, [arg]) =>
      (row) => {
        const s = arg!(row)
        return s !== null && test.test(s as string)
      },
  }
}

export const CONDITIONAL_FUNCTIONS: FunctionTable = {
  COALESCE: {
    params: ['any'],
    variadic: 'any',
    returns: (call) => {
      const type = common(call, call.types)
      return withNullable(
        type,
        call.types.every((t) => t.nullable),
      )
    },
    lazy: (call, type, args) => {
      const reads = args.map((arg, i) => widen(call, call.types[i]!, type, arg))
      return (row) => {
        for (const read of reads) {
          const value = read(row)
          if (value !== null) return value
        }
        return null
      }
    },
  },
  IFNULL: {
    params: ['any', 'any'],
    returns: (call) => withNullable(common(call, call.types), call.types[1]!.nullable),
    lazy: (call, type, [a, b]) => {
      const first = widen(call, call.types[0]!, type, a!)
      const second = widen(call, call.types[1]!, type, b!)
      return (row) => {
        const value = first(row)
        return value === null ? second(row) : value
      }
    },
  },
  IF: {
    params: ['boolean', 'any', 'any'],
    returns: (call) => common(call, call.types.slice(1)),
    lazy: (call, type, [condition, a, b]) => {
      const then = widen(call, call.types[1]!, type, a!)
      const otherwise = widen(call, call.types[2]!, type, b!)
      return (row) => (condition!(row) === true ? then(row) : otherwise(row))
    },
  },
  NULLIF: {
    params: ['any', 'any'],
    returns: (call) => {
      const [a, b] = call.types as [SqlType, SqlType]
      if (!comparable(a, b)) call.invalid(`NULLIF cannot compare ${formatType(a)} with ${formatType(b)}`)
      return withNullable(a, true)
    },
    lazy: (call, _type, [a, b]) => {
      const compared = comparisonType(call.types) ?? call.types[0]!
      const eq = equality(compared)
      const first = widen(call, call.types[0]!, compared, a!)
      const second = widen(call, call.types[1]!, compared, b!)
      const read = a!
      return (row) => {
        const x = first(row)
        if (x === null) return null
        const y = second(row)
        return y !== null && eq(x, y) ? null : read(row)
      }
    },
  },
  GREATEST: extreme(1),
  LEAST: extreme(-1),
  IS_ALPHA: characterTest(/^\p{L}+$/u),
  IS_DIGIT: characterTest(/^\p{Nd}+$/u),
  IS_DECIMAL: characterTest(/^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/),
}
