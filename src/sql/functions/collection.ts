/**
 * Collection functions (Flink's "Collection Functions") over ARRAY and MAP values, which the runtime
 * holds as arrays and Maps.
 */
import type { SqlType } from '../ast.ts'
import { deepEqual } from '../expr/operators.ts'
import { comparable } from '../expr/typing.ts'
import { formatType } from '../types/index.ts'
import type { FunctionCall, FunctionTable } from './registry.ts'

function arrayArgument(call: FunctionCall): Extract<SqlType, { kind: 'ARRAY' | 'MULTISET' }> {
  const type = call.types[0] as SqlType
  if (type.kind !== 'ARRAY') return call.invalid(`${call.name} takes an ARRAY, not ${formatType(type)}`)
  return type
}

export const COLLECTION_FUNCTIONS: FunctionTable = {
  CARDINALITY: {
    params: ['any'],
    returns: (call) => {
      const type = call.types[0] as SqlType
      if (type.kind !== 'ARRAY' && type.kind !== 'MAP' && type.kind !== 'MULTISET') {
        call.invalid(`CARDINALITY takes an ARRAY or a MAP, not ${formatType(type)}`)
      }
      return { kind: 'INT', nullable: type.nullable }
    },
    strict: () => (value: unknown[] | Map<unknown, unknown>) =>
      Array.isArray(value) ? value.length : value.size,
  },
  ELEMENT: {
    params: ['any'],
    returns: (call) => ({ ...arrayArgument(call).element, nullable: true }) as SqlType,
    strict: (call) => (array: unknown[]) => {
      if (array.length > 1) call.fail('ELEMENT of an array with more than one element')
      return array[0] ?? null
    },
  },
  ARRAY_CONTAINS: {
    params: ['any', 'any'],
    returns: (call) => {
      const array = arrayArgument(call)
      if (!comparable(array.element, call.types[1]!)) {
        call.invalid(`ARRAY_CONTAINS cannot look for ${formatType(call.types[1]!)} in ${formatType(array)}`)
      }
      return { kind: 'BOOLEAN', nullable: array.nullable }
    },
    lazy:
      (_call, _type, [arrayOf, needleOf]) =>
      (row) => {
        const array = arrayOf!(row) as unknown[] | null
        if (array === null) return null
        const needle = needleOf!(row)
        // A NULL needle finds a NULL element, as Flink.
        return array.some((item) =>
          needle === null ? item === null : item !== null && deepEqual(item, needle),
        )
      },
  },
  SPLIT: {
    params: ['string', 'string'],
    returns: (call) => ({
      kind: 'ARRAY',
      element: { kind: 'VARCHAR', nullable: true },
      nullable: call.types.some((type) => type.nullable),
    }),
    strict: () => (s: string, delimiter: string) => (delimiter === '' ? Array.from(s) : s.split(delimiter)),
  },
}
