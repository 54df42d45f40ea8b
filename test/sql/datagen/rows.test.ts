import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { datagenRows } from '../../../src/sql/datagen/index.ts'
import type { TableDefinition } from '../../../src/sql/catalog/index.ts'
import { define, FILE } from '../catalog/statements.ts'

function rowsOf(columns: readonly string[], options: Record<string, string>) {
  const table = define(columns, { connector: 'datagen', ...options })
  if (table.connector.kind !== 'datagen') throw new Error('not datagen')
  return datagenRows(table, table.connector, FILE)
}

function refusal(columns: readonly string[], options: Record<string, string>, message: RegExp): void {
  const table: TableDefinition = define(columns, { connector: 'datagen', ...options })
  if (table.connector.kind !== 'datagen') throw new Error('not datagen')
  const connector = table.connector
  assert.throws(() => datagenRows(table, connector, FILE), message)
}

describe('datagen rows', () => {
  test('sequences count from start by the row index, as text for strings; the shortest ends the table', () => {
    const rows = rowsOf(['id INT', 'label VARCHAR(10)', 'big BIGINT'], {
      'fields.id.kind': 'sequence',
      'fields.id.start': '5',
      'fields.id.end': '14',
      'fields.label.kind': 'sequence',
      'fields.label.start': '100',
      'fields.label.end': '105',
      'fields.big.kind': 'sequence',
      'fields.big.start': '-3',
      'fields.big.end': '1000',
    })
    assert.equal(rows.rows, 6)
    assert.deepEqual(rows.row(0), { id: 5, label: '100', big: -3 })
    assert.deepEqual(rows.row(5), { id: 10, label: '105', big: 2 })
  })

  test('number-of-rows bounds the table, also below a sequence; without either it is unbounded', () => {
    const seq = { 'fields.id.kind': 'sequence', 'fields.id.start': '1', 'fields.id.end': '100' }
    assert.equal(rowsOf(['id INT'], { ...seq, 'number-of-rows': '7' }).rows, 7)
    assert.equal(rowsOf(['id INT'], { 'number-of-rows': '7' }).rows, 7)
    assert.equal(rowsOf(['id INT'], {}).rows, undefined)
  })

  test('random numbers stay within min and max (inclusive), DECIMAL at its scale', () => {
    const rows = rowsOf(['a TINYINT', 'b INT', 'c DOUBLE', 'd DECIMAL(5, 2)', 'e BIGINT'], {
      'fields.b.min': '-2',
      'fields.b.max': '2',
      'fields.c.min': '0.5',
      'fields.c.max': '0.75',
    })
    const seen = new Set<number>()
    for (let i = 0; i < 2_000; i++) {
      const row = rows.row(i) as { a: number; b: number; c: number; d: number; e: number }
      assert.ok(Number.isInteger(row.a) && row.a >= -128 && row.a <= 127)
      assert.ok(Number.isInteger(row.b) && row.b >= -2 && row.b <= 2)
      seen.add(row.b)
      assert.ok(row.c >= 0.5 && row.c <= 0.75)
      assert.ok(row.d >= 0 && row.d <= 999.99 && Math.round(row.d * 100) / 100 === row.d)
      assert.ok(Number.isSafeInteger(row.e))
    }
    assert.deepEqual([...seen].sort(), [-1, -2, 0, 1, 2])
  })

  test('strings are lowercase hex of length (at most the declared one), var-len from 1; bytes of length', () => {
    const rows = rowsOf(['s VARCHAR(30)', 'v STRING', 'w STRING', 'c CHAR(4)', 'b BYTES'], {
      'fields.v.length': '8',
      'fields.w.length': '5',
      'fields.w.var-len': 'true',
      'fields.b.length': '3',
    })
    const lengths = new Set<number>()
    for (let i = 0; i < 500; i++) {
      const row = rows.row(i) as { s: string; v: string; w: string; c: string; b: Buffer }
      assert.match(row.s, /^[0-9a-f]{30}$/)
      assert.match(row.v, /^[0-9a-f]{8}$/)
      assert.match(row.w, /^[0-9a-f]{1,5}$/)
      lengths.add(row.w.length)
      assert.match(row.c, /^[0-9a-f]{4}$/)
      assert.equal(row.b.length, 3)
    }
    assert.deepEqual([...lengths].sort(), [1, 2, 3, 4, 5])
  })

  test('null-rate 1 gives nulls only, 0 none; timestamps are now less up to max-past', () => {
    const rows = rowsOf(['a INT', 'b INT', 'ts TIMESTAMP(3)'], {
      'fields.a.null-rate': '1',
      'fields.ts.max-past': '10 s',
    })
    const before = Date.now()
    for (let i = 0; i < 200; i++) {
      const row = rows.row(i) as { a: number | null; b: number | null; ts: number }
      assert.equal(row.a, null)
      assert.notEqual(row.b, null)
      assert.ok(row.ts >= before - 10_000 && row.ts <= Date.now())
    }
  })

  test('refused: a sequence that ends before it starts, bounds out of the type, nested types', () => {
    refusal(
      ['id INT'],
      { 'fields.id.kind': 'sequence', 'fields.id.start': '9', 'fields.id.end': '3' },
      /the sequence of id starts \(9\) after its end \(3\)/,
    )
    refusal(['a TINYINT'], { 'fields.a.max': '300' }, /max 300 is out of the range -128 to 127/)
    refusal(['a INT'], { 'fields.a.min': '5', 'fields.a.max': '1' }, /min \(5\) is greater than max \(1\)/)
    refusal(['a ARRAY<INT>'], {}, /generating the column a ARRAY<INT> with 'datagen'/)
  })
})
