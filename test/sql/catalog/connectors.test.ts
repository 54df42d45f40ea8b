import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { define, refuses } from './statements.ts'

describe('datagen, print, blackhole', () => {
  test("datagen: Flink's defaults, per-column options by type and kind", () => {
    const table = define(['id BIGINT', 'name STRING', 'ts TIMESTAMP(3)'], {
      connector: 'datagen',
      'number-of-rows': '100',
      'fields.id.kind': 'sequence',
      'fields.id.start': '1',
      'fields.id.end': '100',
      'fields.name.length': '5',
      'fields.ts.max-past': '5 s',
    })
    assert.equal(table.connector.kind, 'datagen')
    if (table.connector.kind !== 'datagen') return
    assert.equal(table.connector.rowsPerSecond, 10_000)
    assert.equal(table.connector.numberOfRows, 100)
    assert.deepEqual(table.connector.fields.id, { kind: 'sequence', start: '1', end: '100', nullRate: 0 })
    assert.equal(table.connector.fields.name?.kind === 'random' && table.connector.fields.name.length, 5)
    assert.equal(table.connector.fields.ts?.kind === 'random' && table.connector.fields.ts.maxPastMs, 5000)
  })

  test("datagen declares Flink 2.2's per-column options for every type", () => {
    // Flink 2.2's "Supported options" for this table, its fields.* lines.
    const flink =
      'fields.a.element.null-rate fields.a.element.y.length fields.a.element.y.null-rate fields.a.element.y.var-len fields.a.kind fields.a.length fields.a.null-rate fields.b.kind fields.b.length fields.b.var-len fields.bi.kind fields.c.kind fields.c.null-rate fields.d.kind fields.dc.kind fields.dc.max fields.dc.min fields.dc.null-rate fields.m.key.length fields.m.key.null-rate fields.m.key.var-len fields.m.kind fields.m.length fields.m.null-rate fields.m.value.max fields.m.value.min fields.m.value.null-rate fields.o.kind fields.o.null-rate fields.r.kind fields.r.null-rate fields.r.x.max fields.r.x.min fields.r.x.null-rate fields.r.z.null-rate fields.r.z.w.length fields.r.z.w.null-rate fields.r.z.w.var-len fields.t.kind fields.t.max-past fields.t.null-rate fields.tm.kind'
    const columns = [
      'a ARRAY<ROW<y STRING>>',
      'b BYTES',
      'bi BINARY(3)',
      'c CHAR(3)',
      'd DATE',
      'dc DECIMAL(5, 2)',
      'm MAP<STRING, INT>',
      'o BOOLEAN',
      'r ROW<x INT, z ROW<w STRING>>',
      't TIMESTAMP(3)',
      'tm TIME(3)',
    ]
    assert.throws(
      () => define(columns, { connector: 'datagen', foo: '1' }),
      (error: Error) => {
        const declared = error.message.split('\n').filter((line) => line.startsWith('fields.'))
        assert.equal(declared.join(' '), flink)
        return true
      },
    )
  })

  test('datagen refuses what Flink refuses', () => {
    refuses(
      ['a INT'],
      { connector: 'datagen', 'fields.a.kind': 'sequence' },
      /Could not find required property 'fields\.a\.start' for sequence generator\./,
    )
    refuses(
      ['a INT'],
      { connector: 'datagen', 'fields.b.kind': 'random' },
      /Unsupported options found for 'datagen'\.\n\nUnsupported options:\n\nfields\.b\.kind\n\nSupported options:\n\nconnector\nfields\.a\.kind\nfields\.a\.max\nfields\.a\.min\nfields\.a\.null-rate\nnumber-of-rows/,
    )
    refuses(
      ['a INT'],
      {
        connector: 'datagen',
        'fields.a.kind': 'sequence',
        'fields.a.start': '1',
        'fields.a.end': '5',
        'fields.a.min': '1',
      },
      /Unsupported options:\n\nfields\.a\.min\n/,
    )
    refuses(
      ['a INT'],
      { connector: 'datagen', 'fields.a.kind': 'other' },
      /Unsupported generator kind: other/,
    )
    refuses(
      ['a INT'],
      { connector: 'datagen', 'rows-per-second': 'x' },
      /Invalid value for option 'rows-per-second'/,
    )
  })

  test("print's options, and blackhole's none", () => {
    const table = define(['a INT'], {
      connector: 'print',
      'print-identifier': 'out',
      'standard-error': 'true',
    })
    assert.deepEqual(table.connector, {
      kind: 'print',
      printIdentifier: 'out',
      standardError: true,
      sinkParallelism: undefined,
    })
    refuses(
      ['a INT'],
      { connector: 'print', 'standard-error': 'maybe' },
      /Invalid value for option 'standard-error'/,
    )
    refuses(
      ['a INT'],
      { connector: 'blackhole', x: '1' },
      /Unsupported options found for 'blackhole'\.\n\nUnsupported options:\n\nx\n\nSupported options:\n\nconnector\nproperty-version\nscan\.watermark\.alignment\.group/,
    )
    assert.deepEqual(define(['a INT'], { connector: 'blackhole' }).connector, { kind: 'blackhole' })
  })

  test('refuses an unknown connector, and one freshet does not run', () => {
    refuses(['a INT'], { connector: 'nope' }, /Cannot discover a connector using option: 'connector'='nope'/)
    refuses(['a INT'], {}, /Table options do not contain an option key 'connector'/)
    assert.throws(() => define(['a INT'], { connector: 'filesystem' }), { code: 'FRESHET_SQL_UNSUPPORTED' })
  })
})
