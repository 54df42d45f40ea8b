import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { isFreshetError } from '../../src/errors/index.ts'
import { canonicalOrRaw, parseSchema } from '../../src/registry/schema.ts'

function rejects42201(text: string, pattern: RegExp): void {
  assert.throws(
    () => parseSchema(text),
    (error: unknown) =>
      isFreshetError(error, 'FRESHET_SCHEMA_INVALID') &&
      error.details?.errorCode === 42201 &&
      pattern.test(error.message),
  )
}

describe('parseSchema', () => {
  test('whitespace, key order and spelled-out primitives give one canonical form', () => {
    const a = parseSchema('{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}')
    const b = parseSchema(`{
      "fields": [ { "type": {"type": "int"}, "name": "a" } ],
      "name": "R",
      "type": "record"
    }`)
    assert.equal(a.canonical, b.canonical)
    assert.equal(a.canonical, '{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}')
  })

  test('docs, defaults, logical types and custom attributes are kept', () => {
    const parsed = parseSchema(
      JSON.stringify({
        type: 'record',
        name: 'R',
        namespace: 'n',
        doc: 'a record',
        'connect.name': 'n.R',
        fields: [
          { name: 'ts', type: { type: 'long', logicalType: 'timestamp-millis' }, doc: 'when', default: 0 },
          { name: 'tags', type: { type: 'map', values: 'string' }, default: { b: 'x', a: 'y' } },
        ],
      }),
    )
    assert.deepEqual(JSON.parse(parsed.canonical), {
      type: 'record',
      name: 'R',
      namespace: 'n',
      doc: 'a record',
      fields: [
        { name: 'ts', type: { type: 'long', logicalType: 'timestamp-millis' }, doc: 'when', default: 0 },
        { name: 'tags', type: { type: 'map', values: 'string' }, default: { b: 'x', a: 'y' } },
      ],
      'connect.name': 'n.R',
    })
  })

  test('a schema differing in a doc is a different schema', () => {
    const a = parseSchema('{"type":"enum","name":"E","symbols":["A"]}')
    const b = parseSchema('{"type":"enum","name":"E","symbols":["A"],"doc":"x"}')
    assert.notEqual(a.canonical, b.canonical)
  })

  test('a primitive schema given as a JSON string parses', () => {
    assert.equal(parseSchema('"string"').canonical, '"string"')
    assert.equal(parseSchema('{"type":"string"}').canonical, '"string"')
  })

  test('invalid schemas are SCHEMA_INVALID with Confluent code 42201', () => {
    rejects42201('not json', /not JSON/)
    rejects42201('', /empty/)
    rejects42201('{"type":"recordz","name":"R"}', /unknown type/)
    rejects42201('{"type":"record","name":"R","fields":[{"name":"a","type":"int","default":"x"}]}', /default/)
    rejects42201('{"type":"record","name":"R","fields":[{"name":"a","type":"Missing"}]}', /Missing/)
    rejects42201('{"type":"enum","name":"E","symbols":["A","A"]}', /duplicate/)
  })

  test('canonicalOrRaw leaves text that is not JSON as it is', () => {
    assert.equal(canonicalOrRaw('syntax = "proto3";'), 'syntax = "proto3";')
    assert.equal(canonicalOrRaw('{ "type" : "int" }'), '"int"')
  })
})
