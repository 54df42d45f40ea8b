// Flink's json format on freshet's values: what Flink 2.2 writes for each type (timestamps as
// SQL text with the fraction digits they need), what it reads back, and records that do not fit.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { RowField } from '../../../src/sql/ast.ts'
import type { JsonFormat } from '../../../src/sql/catalog/index.ts'
import {
  FLINK_JSON_DEFAULTS,
  FlinkJsonDeserializer,
  FlinkJsonSerializer,
} from '../../../src/sql/formats/json.ts'
import { parseType } from '../../../src/sql/types/index.ts'

const FORMAT: JsonFormat = FLINK_JSON_DEFAULTS

function fields(spec: Record<string, string>): RowField[] {
  return Object.entries(spec).map(([name, type]) => ({ name, type: parseType(type) }))
}

const COLUMNS = fields({
  id: 'BIGINT',
  ok: 'BOOLEAN',
  price: 'DECIMAL(10, 2)',
  ts: 'TIMESTAMP(3)',
  at: 'TIMESTAMP_LTZ(3)',
  day: 'DATE',
  tags: 'ARRAY<STRING>',
  attrs: 'MAP<STRING, INT>',
  nested: 'ROW<a STRING, b TIMESTAMP(3)>',
  note: 'STRING',
})

const TS = Date.UTC(2026, 0, 1, 10, 0, 0, 500)

test('writes rows as Flink does: SQL timestamps with the fraction they need, nulls kept', () => {
  const text = new FlinkJsonSerializer(COLUMNS, FORMAT)
    .serialize({
      id: 7,
      ok: true,
      price: 12.5,
      ts: TS,
      at: Date.UTC(2026, 0, 1, 10),
      day: 20_454,
      tags: ['a', null],
      attrs: new Map([['x', 1]]),
      nested: { a: 'n', b: Date.UTC(2026, 0, 1, 10, 0, 0, 120) },
      note: null,
    })
    .toString()
  assert.deepEqual(JSON.parse(text), {
    id: 7,
    ok: true,
    price: 12.5,
    ts: '2026-01-01 10:00:00.5',
    at: '2026-01-01 10:00:00Z',
    day: '2026-01-01',
    tags: ['a', null],
    attrs: { x: 1 },
    nested: { a: 'n', b: '2026-01-01 10:00:00.12' },
    note: null,
  })
  const iso = new FlinkJsonSerializer(fields({ ts: 'TIMESTAMP(3)' }), {
    ...FORMAT,
    timestampFormat: 'ISO-8601',
    encodeIgnoreNullFields: true,
  })
  assert.equal(iso.serialize({ ts: TS }).toString(), '{"ts":"2026-01-01T10:00:00.5"}')
  assert.equal(iso.serialize({ ts: null }).toString(), '{}')
})

test('reads what it writes, and what Flink accepts besides', () => {
  const deserializer = new FlinkJsonDeserializer(COLUMNS, FORMAT)
  const row = deserializer.deserializeSync(
    Buffer.from(
      JSON.stringify({
        id: '7',
        ok: 'TRUE',
        price: 12.345,
        ts: '2026-01-01 10:00:00.5',
        at: '2026-01-01 10:00:00Z',
        day: '2026-01-01',
        tags: ['a'],
        attrs: { x: 1 },
        nested: { a: 'n', b: '2026-01-01 10:00:00' },
        note: { any: 'json' },
        extra: 'ignored',
      }),
    ),
  )
  assert.deepEqual(row, {
    id: 7,
    ok: true,
    price: 12.35,
    ts: TS,
    at: Date.UTC(2026, 0, 1, 10),
    day: 20_454,
    tags: ['a'],
    attrs: new Map([['x', 1]]),
    nested: { a: 'n', b: Date.UTC(2026, 0, 1, 10) },
    note: '{"any":"json"}',
  })
  const missing = deserializer.deserializeSync(Buffer.from('{"id": 1}')) as Record<string, unknown>
  assert.equal(missing.ts, null, 'a missing field is null')
})

test('a value that does not fit its column is FRESHET_SERDE_SCHEMA_MISMATCH naming the type', () => {
  const deserializer = new FlinkJsonDeserializer(fields({ ts: 'TIMESTAMP(3)', n: 'INT' }), FORMAT)
  for (const [text, why] of [
    ['{"ts": 1767261600000}', /1767261600000 is not a TIMESTAMP/],
    ['{"ts": "2026-01-01T10:00:00"}', /is not a TIMESTAMP/],
    ['{"n": "many"}', /"many" is not a INT/],
    ['[1, 2]', /not a JSON object/],
    ['not json', /json format/],
  ] as const) {
    assert.throws(
      () => deserializer.deserializeSync(Buffer.from(text)),
      (error: Error & { code?: string }) =>
        error.code === 'FRESHET_SERDE_SCHEMA_MISMATCH' && why.test(error.message),
      text,
    )
  }
  const strict = new FlinkJsonDeserializer(fields({ n: 'INT' }), { ...FORMAT, failOnMissingField: true })
  assert.throws(() => strict.deserializeSync(Buffer.from('{}')), /field "n" is missing/)
})
