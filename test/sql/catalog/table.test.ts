import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { defineTable } from '../../../src/sql/catalog/index.ts'
import { formatType } from '../../../src/sql/types/index.ts'
import { AT, createTable, define, FILE, kafka, refuses, watermarkOn } from './statements.ts'

describe('columns, watermark, metadata', () => {
  test('the watermark column is TIMESTAMP(p) or TIMESTAMP_LTZ(p) with p up to 3', () => {
    const message =
      /Invalid data type of time field for watermark definition\. The field must be of type TIMESTAMP\(p\) or TIMESTAMP_LTZ\(p\), the supported precision 'p' is from 0 to 3, but the time field type is TIMESTAMP\(6\)/
    refuses(['ts TIMESTAMP(6)'], kafka(), message, { watermark: watermarkOn('ts') })
    refuses(['ts BIGINT'], kafka(), /but the time field type is BIGINT/, { watermark: watermarkOn('ts') })
    refuses(['ts BIGINT'], kafka(), /The rowtime attribute field 'nope' is not defined in the table schema/, {
      watermark: watermarkOn('nope'),
    })
    for (const type of ['TIMESTAMP(3)', 'TIMESTAMP(0)', 'TIMESTAMP_LTZ(3)']) {
      assert.equal(define([`ts ${type}`], kafka(), { watermark: watermarkOn('ts') }).watermark?.column, 'ts')
    }
    // A computed column's type is the expression compiler's to tell; with it the check applies.
    const computed = defineTable(
      createTable(['ms BIGINT', 'ts AS TO_TIMESTAMP_LTZ'], kafka(), { watermark: watermarkOn('ts') }),
      FILE,
      {
        inferType: () => ({ kind: 'TIMESTAMP_LTZ', precision: 3, nullable: true }),
      },
    )
    assert.equal(
      computed.columns[1]?.kind === 'computed' && formatType(computed.columns[1].type!),
      'TIMESTAMP_LTZ(3)',
    )
  })

  test('metadata columns name a key the connector offers, with a castable type', () => {
    const table = define(
      ['a INT', "ts TIMESTAMP_LTZ(3) METADATA FROM 'timestamp' VIRTUAL", 'partition INT METADATA VIRTUAL'],
      kafka(),
    )
    assert.deepEqual(
      table.columns.map((c) => [c.kind, c.name, c.kind === 'metadata' ? c.key : '']),
      [
        ['physical', 'a', ''],
        ['metadata', 'ts', 'timestamp'],
        ['metadata', 'partition', 'partition'],
      ],
    )
    assert.deepEqual(
      table.physicalColumns.map((c) => c.name),
      ['a'],
    )
    refuses(['a INT', "x STRING METADATA FROM 'nope'"], kafka(), /Invalid metadata key 'nope' in column 'x'/)
    refuses(
      ['a INT', "x BYTES METADATA FROM 'offset'"],
      kafka(),
      /Invalid data type for metadata column 'x' with metadata key 'offset'/,
    )
    refuses(
      ['a INT', 'x INT METADATA'],
      { connector: 'blackhole' },
      /the 'blackhole' connector offers no metadata/,
    )
  })

  test('a column named twice, and primary keys on missing or non-physical columns', () => {
    refuses(['a INT', 'a STRING'], kafka(), /A regular Column named 'a' already exists in the table/)
    refuses(['a INT'], { connector: 'blackhole' }, /Primary key column 'b' is not defined in the schema\./, {
      primaryKey: ['b'],
    })
  })

  test('errors point at the statement', () => {
    assert.throws(
      () => define(['a INT'], kafka({ foo: '1' })),
      (error: Error & { details?: Record<string, unknown> }) => {
        assert.deepEqual(error.details, { file: FILE, line: AT.line, column: AT.column })
        return true
      },
    )
  })
})
