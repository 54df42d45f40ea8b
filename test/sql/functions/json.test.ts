import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { SqlType } from '../../../src/sql/ast.ts'
import { formatType } from '../../../src/sql/types/index.ts'
import { call, col, compile, errorOf, evaluate, str, T } from '../helpers.ts'

const doc = '{"a": {"b": [10, 20.5, "x"], "ok": true, "n": null}, "s": "hi"}'
const value = (path: string, returning?: SqlType) =>
  evaluate(
    call('JSON_VALUE', [col('j'), str(path)], returning === undefined ? {} : { returning }),
    { j: doc },
    { j: T.string },
  )

test('JSON_VALUE returns STRING by default and NULL on empty or error', () => {
  assert.equal(value('$.s'), 'hi')
  assert.equal(value('$.a.b[0]'), '10')
  assert.equal(value('$.a.b[1]'), '20.5')
  assert.equal(value('$.a.ok'), 'true')
  assert.equal(value('$.a.missing'), null)
  assert.equal(value('$.a.n'), null)
  assert.equal(value('$.a'), null, 'an object is an error: NULL ON ERROR')
  assert.equal(value("$['s']"), 'hi')
  assert.equal(value('lax $.a.b[2]'), 'x')
  assert.equal(evaluate(call('JSON_VALUE', [str('not json'), str('$.a')])), null)
  assert.equal(
    formatType(compile(call('JSON_VALUE', [col('j'), str('$.s')]), { j: T.string }).type),
    'STRING',
  )
})

test('JSON_VALUE ... RETURNING a type converts the scalar, NULL when it does not convert', () => {
  assert.equal(value('$.a.b[0]', { kind: 'INT', nullable: true }), 10)
  assert.equal(value('$.a.b[1]', { kind: 'DOUBLE', nullable: true }), 20.5)
  assert.equal(value('$.a.ok', { kind: 'BOOLEAN', nullable: true }), true)
  assert.equal(value('$.s', { kind: 'INT', nullable: true }), null)
  assert.equal(
    formatType(
      compile(call('JSON_VALUE', [col('j'), str('$.s')], { returning: T.intNN }), { j: T.string }).type,
    ),
    'INT',
  )
})

test('JSON_EXISTS and JSON_QUERY', () => {
  const exists = (path: string) =>
    evaluate(call('JSON_EXISTS', [col('j'), str(path)]), { j: doc }, { j: T.string })
  assert.equal(exists('$.a.b'), true)
  assert.equal(exists('$.a.n'), true)
  assert.equal(exists('$.zzz'), false)
  assert.equal(evaluate(call('JSON_EXISTS', [str('{'), str('$')])), false)
  const query = (path: string) =>
    evaluate(call('JSON_QUERY', [col('j'), str(path)]), { j: doc }, { j: T.string })
  assert.equal(query('$.a.b'), '[10,20.5,"x"]')
  assert.equal(query('$.s'), null)
})

test('a JSON path must be a valid constant', () => {
  assert.equal(
    errorOf(() => compile(call('JSON_VALUE', [str('{}'), str('a.b')]))).code,
    'FRESHET_SQL_INVALID',
  )
  assert.equal(
    errorOf(() => compile(call('JSON_VALUE', [str('{}'), col('p')]), { p: T.string })).code,
    'FRESHET_SQL_INVALID',
  )
})
