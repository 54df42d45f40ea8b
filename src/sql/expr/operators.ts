/**
 * Evaluator builders for operators, specialised at compile time by result type and operator so
 * that the row path is one closure call per operand and no type dispatch. NULL in, NULL out.
 */
import type { SqlType } from '../ast.ts'
import type { Evaluator } from '../functions/registry.ts'
import { fitsDecimal, roundHalfUp, wrapper } from './numeric.ts'
import type { Fail } from './runtime-errors.ts'
import { type ArithmeticOperator } from './typing.ts'
import { isBinary, isInteger } from '../types/index.ts'

/** Numeric `a op b` with the semantics of the result type (see typing.ts for the types). */
export function arithmetic(
  op: ArithmeticOperator,
  type: SqlType,
  l: Evaluator,
  r: Evaluator,
  fail: Fail,
): Evaluator {
  const apply = numericOperation(op, type, fail)
  return (row) => {
    const a = l(row)
    if (a === null) return null
    const b = r(row)
    if (b === null) return null
    return apply(a as number, b as number)
  }
}

export function numericOperation(
  op: ArithmeticOperator,
  type: SqlType,
  fail: Fail,
): (a: number, b: number) => number | null {
  if (isInteger(type)) {
    const wrap = wrapper(type.kind)
    const int = type.kind !== 'BIGINT'
    switch (op) {
      case '+':
        return (a, b) => wrap(a + b)
      case '-':
        return (a, b) => wrap(a - b)
      case '*':
        return int ? (a, b) => wrap(Math.imul(a, b)) : (a, b) => a * b
      case '/':
        return (a, b) => (b === 0 ? fail('/ by zero') : wrap(Math.trunc(a / b)) + 0)
      case '%':
        return (a, b) => (b === 0 ? fail('/ by zero') : wrap(a % b) + 0)
    }
  }
  if (type.kind === 'DECIMAL') {
    const { precision, scale } = type
    const fit = (value: number): number | null => {
      const rounded = roundHalfUp(value, scale)
      return fitsDecimal(rounded, precision, scale) ? rounded : null
    }
    switch (op) {
      case '+':
        return (a, b) => fit(a + b)
      case '-':
        return (a, b) => fit(a - b)
      case '*':
        return (a, b) => fit(a * b)
      case '/':
        return (a, b) => (b === 0 ? fail('Division by zero') : fit(a / b))
      case '%':
        return (a, b) => (b === 0 ? fail('Division by zero') : fit(a % b))
    }
  }
  const round = type.kind === 'FLOAT' ? Math.fround : undefined
  switch (op) {
    case '+':
      return round ? (a, b) => round(a + b) : (a, b) => a + b
    case '-':
      return round ? (a, b) => round(a - b) : (a, b) => a - b
    case '*':
      return round ? (a, b) => round(a * b) : (a, b) => a * b
    case '/':
      return round ? (a, b) => round(a / b) : (a, b) => a / b
    case '%':
      return round ? (a, b) => round(a % b) : (a, b) => a % b
  }
}

export type ComparisonOperator = '=' | '<>' | '<' | '<=' | '>' | '>='

/** Equality of two non-null values of comparable types (arrays, maps, rows, bytes by content). */
export function equality(type: SqlType): (a: unknown, b: unknown) => boolean {
  if (
    isBinary(type) ||
    type.kind === 'ARRAY' ||
    type.kind === 'MULTISET' ||
    type.kind === 'MAP' ||
    type.kind === 'ROW'
  ) {
    return deepEqual
  }
  return (a, b) => a === b
}

/** Order of two non-null values: numbers, strings (UTF-16 order), booleans, dates; bytes unsigned. */
export function ordering(type: SqlType): (a: unknown, b: unknown) => number {
  if (isBinary(type)) return (a, b) => Buffer.compare(a as Buffer, b as Buffer)
  return (a, b) => ((a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0)
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false
  if (Buffer.isBuffer(a)) return Buffer.isBuffer(b) && a.equals(b)
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((item, i) => deepEqual(item, b[i]))
  }
  if (a instanceof Map) {
    if (!(b instanceof Map) || a.size !== b.size) return false
    for (const [key, value] of a) if (!b.has(key) || !deepEqual(value, b.get(key))) return false
    return true
  }
  const ka = Object.keys(a)
  const kb = Object.keys(b)
  return (
    ka.length === kb.length &&
    ka.every((key) => deepEqual((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]))
  )
}

/** `a op b` with NULL propagation; `type` is the operands' common type. */
export function comparison(op: ComparisonOperator, type: SqlType, l: Evaluator, r: Evaluator): Evaluator {
  const plain = !isBinary(type) && equality(type) !== deepEqual
  if (plain) {
    // The common case, written out per operator so the row path has no dispatch.
    switch (op) {
      case '=':
        return (row) => {
          const a = l(row)
          if (a === null) return null
          const b = r(row)
          return b === null ? null : a === b
        }
      case '<>':
        return (row) => {
          const a = l(row)
          if (a === null) return null
          const b = r(row)
          return b === null ? null : a !== b
        }
      case '<':
        return (row) => {
          const a = l(row) as number | null
          if (a === null) return null
          const b = r(row) as number | null
          return b === null ? null : a < b
        }
      case '<=':
        return (row) => {
          const a = l(row) as number | null
          if (a === null) return null
          const b = r(row) as number | null
          return b === null ? null : a <= b
        }
      case '>':
        return (row) => {
          const a = l(row) as number | null
          if (a === null) return null
          const b = r(row) as number | null
          return b === null ? null : a > b
        }
      case '>=':
        return (row) => {
          const a = l(row) as number | null
          if (a === null) return null
          const b = r(row) as number | null
          return b === null ? null : a >= b
        }
    }
  }
  const eq = equality(type)
  const cmp = ordering(type)
  const test: (a: unknown, b: unknown) => boolean =
    op === '='
      ? eq
      : op === '<>'
        ? (a, b) => !eq(a, b)
        : op === '<'
          ? (a, b) => cmp(a, b) < 0
          : op === '<='
            ? (a, b) => cmp(a, b) <= 0
            : op === '>'
              ? (a, b) => cmp(a, b) > 0
              : (a, b) => cmp(a, b) >= 0
  return (row) => {
    const a = l(row)
    if (a === null) return null
    const b = r(row)
    return b === null ? null : test(a, b)
  }
}

/** SQL AND: FALSE wins over NULL, NULL over TRUE. The right side is not evaluated after FALSE. */
export function and(l: Evaluator, r: Evaluator): Evaluator {
  return (row) => {
    const a = l(row)
    if (a === false) return false
    const b = r(row)
    if (b === false) return false
    return a === null || b === null ? null : true
  }
}

/** SQL OR: TRUE wins over NULL, NULL over FALSE. */
export function or(l: Evaluator, r: Evaluator): Evaluator {
  return (row) => {
    const a = l(row)
    if (a === true) return true
    const b = r(row)
    if (b === true) return true
    return a === null || b === null ? null : false
  }
}

export function not(operand: Evaluator): Evaluator {
  return (row) => {
    const a = operand(row)
    return a === null ? null : !a
  }
}
