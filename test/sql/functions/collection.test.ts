import assert from 'node:assert/strict'
import { test } from 'node:test'
import { formatType } from '../../../src/sql/types/index.ts'
import { call, col, compile, errorOf, evaluate, int, nul, str, T } from '../helpers.ts'

const types = { arr: T.array(T.int), m: T.map(T.string, T.int), s: T.string }

test('CARDINALITY of arrays and maps', () => {
  assert.equal(evaluate(call('CARDINALITY', [col('arr')]), { arr: [1, 2, 3] }, types), 3)
  assert.equal(evaluate(call('CARDINALITY', [col('m')]), { m: new Map([['a', 1]]) }, types), 1)
  assert.equal(evaluate(call('CARDINALITY', [col('arr')]), { arr: null }, types), null)
  assert.equal(errorOf(() => compile(call('CARDINALITY', [col('s')]), types)).code, 'FRESHET_SQL_INVALID')
})

test('ARRAY_CONTAINS finds values, and NULL elements for a NULL needle', () => {
  assert.equal(evaluate(call('ARRAY_CONTAINS', [col('arr'), int(2)]), { arr: [1, 2] }, types), true)
  assert.equal(evaluate(call('ARRAY_CONTAINS', [col('arr'), int(5)]), { arr: [1, 2] }, types), false)
  assert.equal(evaluate(call('ARRAY_CONTAINS', [col('arr'), nul()]), { arr: [1, null] }, types), true)
  assert.equal(evaluate(call('ARRAY_CONTAINS', [col('arr'), int(1)]), { arr: null }, types), null)
  assert.equal(
    errorOf(() => compile(call('ARRAY_CONTAINS', [col('arr'), str('x')]), types)).code,
    'FRESHET_SQL_INVALID',
  )
})

test('ELEMENT gives the only element, NULL for none, and fails for more', () => {
  assert.equal(evaluate(call('ELEMENT', [col('arr')]), { arr: [7] }, types), 7)
  assert.equal(evaluate(call('ELEMENT', [col('arr')]), { arr: [] }, types), null)
  assert.equal(
    errorOf(() => evaluate(call('ELEMENT', [col('arr')]), { arr: [1, 2] }, types)).code,
    'FRESHET_OPERATOR_FAILED',
  )
})

test('SPLIT gives an ARRAY<STRING>', () => {
  const split = compile(call('SPLIT', [col('s'), str(',')]), types)
  assert.deepEqual(split.evaluate({ s: 'a,b,,c' }), ['a', 'b', '', 'c'])
  assert.equal(formatType(split.type), 'ARRAY<STRING>')
  assert.deepEqual(evaluate(call('SPLIT', [str('abc'), str('')])), ['a', 'b', 'c'])
})
