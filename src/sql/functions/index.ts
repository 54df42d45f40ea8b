/**
 * The scalar function library: one registry from upper-case name to its definition, grouped as
 * Flink's documentation groups them. See docs/sql-functions.md for the list and every difference
 * from Flink.
 */
import { randomUUID } from 'node:crypto'
import { COLLECTION_FUNCTIONS } from './collection.ts'
import { CONDITIONAL_FUNCTIONS } from './conditional.ts'
import { JSON_FUNCTIONS } from './json.ts'
import { MATH_FUNCTIONS } from './math.ts'
import type { FunctionTable, ScalarFunction } from './registry.ts'
import { STRING_FUNCTIONS } from './string.ts'
import { TEMPORAL_FUNCTIONS } from './temporal.ts'

const MISC_FUNCTIONS: FunctionTable = {
  UUID: {
    params: [],
    returns: () => ({ kind: 'CHAR', length: 36, nullable: false }),
    nondeterministic: true,
    strict: () => () => randomUUID(),
  },
}

const REGISTRY = new Map<string, ScalarFunction>(
  [
    STRING_FUNCTIONS,
    MATH_FUNCTIONS,
    CONDITIONAL_FUNCTIONS,
    TEMPORAL_FUNCTIONS,
    JSON_FUNCTIONS,
    COLLECTION_FUNCTIONS,
    MISC_FUNCTIONS,
  ].flatMap((table) => Object.entries(table)),
)

/** The definition of a scalar function by name (any case), or undefined. */
export function lookupFunction(name: string): ScalarFunction | undefined {
  return REGISTRY.get(name.toUpperCase())
}

/** Every supported scalar function name, sorted. */
export function functionNames(): string[] {
  return [...REGISTRY.keys()].sort()
}

export type { Evaluator, Family, FunctionCall, ScalarFunction } from './registry.ts'
