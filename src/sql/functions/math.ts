/**
 * Arithmetic functions (Flink's "Arithmetic Functions"). Results keep Flink's types: ABS, SIGN,
 * ROUND and TRUNCATE keep the argument's type (a DECIMAL's scale follows the rounding), CEIL and
 * FLOOR give DECIMAL(p - s + 1, 0) for DECIMAL(p, s), the transcendental functions DOUBLE.
 * ROUND is HALF_UP on the decimal the value prints as (Java's BigDecimal.valueOf).
 */
import type { SqlType } from '../ast.ts'
import { roundHalfUp, truncateTo, wrapper } from '../expr/numeric.ts'
import { arithmetic } from '../expr/operators.ts'
import { anyNullable, arithmeticType, boundedDecimal } from '../expr/typing.ts'
import { isInteger, MAX_DECIMAL_PRECISION, withNullable } from '../types/index.ts'
import {
  constantArgument,
  returns,
  sameAs,
  type FunctionCall,
  type FunctionTable,
  type Impl,
} from './registry.ts'
import { temporalCeil, temporalFloor } from './temporal.ts'

const DOUBLE = returns('DOUBLE')

function unary(fn: (x: number) => number): {
  params: ['numeric']
  returns: typeof DOUBLE
  strict: () => Impl
} {
  return { params: ['numeric'], returns: DOUBLE, strict: () => fn }
}

/** Flink's findRoundDecimalType: the type of ROUND/TRUNCATE(DECIMAL(p, s), r). */
function roundedType(call: FunctionCall): SqlType {
  const type = call.types[0] as SqlType
  const nullable = anyNullable(call.types)
  if (type.kind !== 'DECIMAL') return withNullable(type, nullable)
  const r =
    call.types.length > 1 ? ((constantArgument(call, 1, 'number of digits') as number | null) ?? 0) : 0
  if (r >= type.scale) return withNullable(type, nullable)
  if (r < 0)
    return boundedDecimal(Math.min(MAX_DECIMAL_PRECISION, 1 + type.precision - type.scale), 0, nullable)
  return boundedDecimal(1 + type.precision - type.scale + r, r, nullable)
}

function rounding(fn: (x: number, digits: number) => number): (call: FunctionCall, type: SqlType) => Impl {
  return (_call, type) => {
    const wrap = isInteger(type) ? wrapper(type.kind) : undefined
    const round = type.kind === 'FLOAT' ? Math.fround : (x: number) => x
    return (x: number, digits = 0) => {
      const value = fn(x, digits)
      return wrap === undefined ? round(value) : wrap(value)
    }
  }
}

function ceilOrFloor(numeric: (x: number) => number, temporal: typeof temporalFloor): FunctionTable[string] {
  return {
    params: ['any'],
    optional: ['string'],
    returns: (call) => {
      const type = call.types[0] as SqlType
      const nullable = type.nullable
      if (type.kind === 'DECIMAL') return boundedDecimal(type.precision - type.scale + 1, 0, nullable)
      if (call.types.length === 2) return withNullable(type, nullable)
      if (!isInteger(type) && type.kind !== 'FLOAT' && type.kind !== 'DOUBLE' && type.kind !== 'NULL') {
        call.invalid(`invalid arguments for function ${call.name}: expected a number, or a time TO a unit`)
      }
      return type
    },
    strict: (call) => (call.types.length === 2 ? temporal(call) : numeric),
  }
}

function logarithm(call: FunctionCall): Impl {
  if (call.types.length === 1) {
    return (x: number) => (x <= 0 ? call.fail(`x of 'log(x)' must be > 0, but x = ${x}`) : Math.log(x))
  }
  return (base: number, x: number) => {
    if (base <= 0 || base === 1) call.fail(`base of 'log(base, x)' must be > 0 and != 1, but base = ${base}`)
    if (x <= 0) call.fail(`x of 'log(base, x)' must be > 0, but x = ${x}`)
    return Math.log(x) / Math.log(base)
  }
}

/** java.util.Random, so that RAND(seed) gives Java's sequence. */
function javaRandom(seed: number): { nextDouble(): number; nextInt(bound: number): number } {
  const mask = (1n << 48n) - 1n
  let state = (BigInt(Math.trunc(seed)) ^ 0x5deece66dn) & mask
  const next = (bits: number): number => {
    state = (state * 0x5deece66dn + 0xbn) & mask
    return Number(BigInt.asIntN(32, state >> BigInt(48 - bits)))
  }
  return {
    nextDouble: () => (next(26) * 2 ** 27 + next(27)) * 2 ** -53,
    nextInt(bound) {
      if ((bound & -bound) === bound) return Number((BigInt(bound) * BigInt(next(31))) >> 31n)
      let bits: number
      let value: number
      do {
        bits = next(31)
        value = bits % bound
      } while (bits - value + (bound - 1) > 2147483647)
      return value
    },
  }
}

export const MATH_FUNCTIONS: FunctionTable = {
  ABS: {
    params: ['numeric'],
    returns: sameAs(0),
    strict: (_call, type) => {
      const wrap = isInteger(type) ? wrapper(type.kind) : undefined
      return wrap === undefined ? Math.abs : (x: number) => wrap(Math.abs(x))
    },
  },
  MOD: {
    params: ['numeric', 'numeric'],
    returns: (call) => {
      const type = arithmeticType('%', call.types[0]!, call.types[1]!)
      return type ?? call.invalid('MOD takes two numbers')
    },
    lazy: (call, type, [a, b]) => arithmetic('%', type, a!, b!, call.fail),
  },
  POWER: { params: ['numeric', 'numeric'], returns: DOUBLE, strict: () => Math.pow },
  POW: { params: ['numeric', 'numeric'], returns: DOUBLE, strict: () => Math.pow },
  SQRT: unary(Math.sqrt),
  EXP: unary(Math.exp),
  LN: unary(Math.log),
  LOG10: unary(Math.log10),
  LOG2: {
    params: ['numeric'],
    returns: DOUBLE,
    strict: (call) => (x: number) =>
      x <= 0 ? call.fail(`x of 'log2(x)' must be > 0, but x = ${x}`) : Math.log2(x),
  },
  LOG: { params: ['numeric'], optional: ['numeric'], returns: DOUBLE, strict: logarithm },
  SIN: unary(Math.sin),
  COS: unary(Math.cos),
  TAN: unary(Math.tan),
  COT: unary((x) => 1 / Math.tan(x)),
  ASIN: unary(Math.asin),
  ACOS: unary(Math.acos),
  ATAN: unary(Math.atan),
  ATAN2: { params: ['numeric', 'numeric'], returns: DOUBLE, strict: () => Math.atan2 },
  SINH: unary(Math.sinh),
  COSH: unary(Math.cosh),
  TANH: unary(Math.tanh),
  DEGREES: unary((x) => (x * 180) / Math.PI),
  RADIANS: unary((x) => (x / 180) * Math.PI),
  PI: { params: [], returns: () => ({ kind: 'DOUBLE', nullable: false }), strict: () => () => Math.PI },
  E: { params: [], returns: () => ({ kind: 'DOUBLE', nullable: false }), strict: () => () => Math.E },
  CEIL: ceilOrFloor(Math.ceil, temporalCeil),
  CEILING: ceilOrFloor(Math.ceil, temporalCeil),
  FLOOR: ceilOrFloor(Math.floor, temporalFloor),
  ROUND: { params: ['numeric'], optional: ['integer'], returns: roundedType, strict: rounding(roundHalfUp) },
  TRUNCATE: {
    params: ['numeric'],
    optional: ['integer'],
    returns: roundedType,
    strict: rounding(truncateTo),
  },
  SIGN: { params: ['numeric'], returns: sameAs(0), strict: () => Math.sign },
  RAND: {
    params: [],
    optional: ['integer'],
    returns: () => ({ kind: 'DOUBLE', nullable: false }),
    nondeterministic: true,
    lazy: (call, _type, [seed]) => {
      if (seed === undefined) return () => Math.random()
      const random = javaRandom((constantArgument(call, 0, 'seed') as number | null) ?? 0)
      return () => random.nextDouble()
    },
  },
  RAND_INTEGER: {
    params: ['integer'],
    optional: ['integer'],
    returns: returns('INT'),
    nondeterministic: true,
    lazy: (call, _type, args) => {
      if (args.length === 1) {
        const bound = args[0]!
        return (row) => {
          const n = bound(row) as number | null
          return n === null ? null : Math.floor(Math.random() * n)
        }
      }
      const random = javaRandom((constantArgument(call, 0, 'seed') as number | null) ?? 0)
      const bound = args[1]!
      return (row) => {
        const n = bound(row) as number | null
        return n === null ? null : random.nextInt(n)
      }
    },
  },
  BIN: {
    params: ['integer'],
    returns: returns('VARCHAR'),
    strict: () => (n: number) => (n < 0 ? BigInt.asUintN(64, BigInt(n)) : BigInt(n)).toString(2),
  },
  HEX: {
    params: ['any'],
    returns: returns('VARCHAR'),
    strict: (call) => {
      const type = call.types[0] as SqlType
      if (isInteger(type))
        return (n: number) => (n < 0 ? BigInt.asUintN(64, BigInt(n)) : BigInt(n)).toString(16).toUpperCase()
      if (type.kind === 'CHAR' || type.kind === 'VARCHAR')
        return (s: string) => Buffer.from(s, 'utf8').toString('hex').toUpperCase()
      return call.invalid('HEX takes an integer or a string')
    },
  },
}
