import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, test } from 'node:test'
import type { RowField } from '../../../src/sql/ast.ts'
import { avroToSqlType, formatType, parseType, sqlRowToAvroSchema } from '../../../src/sql/types/index.ts'

const schema = (name: string): string =>
  readFileSync(new URL(`../../../schemas/${name}`, import.meta.url), 'utf8')

/**
 * What Flink 2.2 derives (`AvroSchemaConverter.convertToDataType(schema).getLogicalType()
 * .asSerializableString()`), printed by flink-sql-avro-confluent-registry-2.2.0.jar.
 */
const FLINK_DERIVED: Readonly<Record<string, string>> = {
  'user_event.avsc':
    'ROW<`timestamp` TIMESTAMP(3) NOT NULL, `event_type` VARCHAR(2147483647) NOT NULL, `user_id` VARCHAR(2147483647) NOT NULL, `version` VARCHAR(2147483647) NOT NULL, `data` ROW<`product_id` VARCHAR(2147483647), `amount` DOUBLE, `currency` VARCHAR(2147483647), `session_id` VARCHAR(2147483647) NOT NULL, `device` VARCHAR(2147483647) NOT NULL, `browser` VARCHAR(2147483647) NOT NULL, `search_query` VARCHAR(2147483647), `transaction_id` VARCHAR(2147483647)> NOT NULL> NOT NULL',
  'transaction_event.avsc':
    'ROW<`transaction_id` VARCHAR(2147483647) NOT NULL, `user_id` VARCHAR(2147483647) NOT NULL, `session_id` VARCHAR(2147483647) NOT NULL, `timestamp` TIMESTAMP(3) NOT NULL, `amount` DOUBLE NOT NULL, `currency` VARCHAR(2147483647) NOT NULL, `status` VARCHAR(2147483647) NOT NULL, `payment_method` VARCHAR(2147483647) NOT NULL, `items` ARRAY<ROW<`product_id` VARCHAR(2147483647) NOT NULL, `quantity` INT NOT NULL, `unit_price` DOUBLE NOT NULL> NOT NULL> NOT NULL> NOT NULL',
  'analytics_result.avsc':
    'ROW<`job` VARCHAR(2147483647) NOT NULL, `window_start` TIMESTAMP(3) NOT NULL, `window_end` TIMESTAMP(3) NOT NULL, `key` VARCHAR(2147483647) NOT NULL, `events` BIGINT, `page_views` BIGINT, `purchases` BIGINT, `revenue` DOUBLE, `average_amount` DOUBLE, `currency` VARCHAR(2147483647), `duration_ms` BIGINT, `rank` INT> NOT NULL',
}

describe('avroToSqlType', () => {
  for (const [file, flink] of Object.entries(FLINK_DERIVED)) {
    test(`derives the columns Flink derives from schemas/${file}`, () => {
      assert.equal(formatType(avroToSqlType(schema(file))), formatType(parseType(flink)))
    })
  }

  test('maps logical types as the legacy timestamp mapping does', () => {
    // Flink 2.2's answer for this record, field by field.
    const record = {
      type: 'record',
      name: 'R',
      fields: [
        { name: 'a', type: { type: 'long', logicalType: 'timestamp-micros' } },
        { name: 'b', type: { type: 'long', logicalType: 'local-timestamp-millis' } },
        { name: 'c', type: { type: 'long', logicalType: 'local-timestamp-micros' } },
        { name: 'd', type: { type: 'int', logicalType: 'date' } },
        { name: 'e', type: { type: 'int', logicalType: 'time-millis' } },
        { name: 'f', type: { type: 'long', logicalType: 'time-micros' } },
        { name: 'g', type: { type: 'bytes', logicalType: 'decimal', precision: 10, scale: 2 } },
        {
          name: 'h',
          type: { type: 'fixed', name: 'F', size: 8, logicalType: 'decimal', precision: 12, scale: 3 },
        },
        { name: 'i', type: { type: 'fixed', name: 'G', size: 16 } },
        { name: 'j', type: 'bytes' },
        { name: 'k', type: { type: 'map', values: ['null', 'int'] } },
        { name: 'l', type: ['int', 'null'] },
        { name: 'm', type: 'float' },
        { name: 'n', type: 'boolean' },
        { name: 'o', type: 'null' },
        { name: 'p', type: { type: 'string', logicalType: 'uuid' } },
        { name: 'q', type: { type: 'enum', name: 'E', symbols: ['x'] } },
        { name: 'r', type: { type: 'int', logicalType: 'timestamp-millis' } },
      ],
    }
    const flink =
      'ROW<`a` TIMESTAMP(6) NOT NULL, `b` BIGINT NOT NULL, `c` BIGINT NOT NULL, `d` DATE NOT NULL, `e` TIME(3) NOT NULL, `f` TIME(6) NOT NULL, `g` DECIMAL(10, 2) NOT NULL, `h` DECIMAL(12, 3) NOT NULL, `i` VARBINARY(16) NOT NULL, `j` VARBINARY(2147483647) NOT NULL, `k` MAP<VARCHAR(2147483647) NOT NULL, INT> NOT NULL, `l` INT, `m` FLOAT NOT NULL, `n` BOOLEAN NOT NULL, `o` NULL, `p` VARCHAR(2147483647) NOT NULL, `q` VARCHAR(2147483647) NOT NULL, `r` INT NOT NULL> NOT NULL'
    assert.equal(formatType(avroToSqlType(record)), formatType(parseType(flink)))
  })

  test('a named type used twice reads the same both times', () => {
    const record = {
      type: 'record',
      name: 'Pair',
      namespace: 'n',
      fields: [
        { name: 'a', type: { type: 'record', name: 'P', fields: [{ name: 'x', type: 'int' }] } },
        { name: 'b', type: ['null', 'P'] },
        { name: 'c', type: 'n.P' },
      ],
    }
    assert.equal(
      formatType(avroToSqlType(record)),
      'ROW<`a` ROW<`x` INT NOT NULL> NOT NULL, `b` ROW<`x` INT NOT NULL>, `c` ROW<`x` INT NOT NULL> NOT NULL> NOT NULL',
    )
  })

  test('refuses a union of several non-null types, which Flink turns into a RAW type', () => {
    const record = { type: 'record', name: 'R', fields: [{ name: 'a', type: ['null', 'int', 'string'] }] }
    assert.throws(() => avroToSqlType(record), {
      code: 'FRESHET_SQL_UNSUPPORTED',
      message: /^a: a union of several/,
    })
  })

  test('refuses a recursive record', () => {
    const record = { type: 'record', name: 'Node', fields: [{ name: 'next', type: ['null', 'Node'] }] }
    assert.throws(() => avroToSqlType(record), /recursive/)
  })
})

describe('sqlRowToAvroSchema', () => {
  const columns = (row: string): readonly RowField[] => {
    const type = parseType(row)
    assert.equal(type.kind, 'ROW')
    return type.kind === 'ROW' ? type.fields : []
  }

  test('is byte for byte the schema Flink registers for a sink table', () => {
    // `AvroSchemaConverter.convertToSchema(<this row> NOT NULL).toString()`, as Flink 2.2's
    // avro-confluent format registers it: record `record` in org.apache.flink.avro.generated,
    // nested records `record_<field>` (`record_<field>_<field>` deeper), nullable fields
    // ["null", T] with default null, TINYINT/SMALLINT as int, BINARY as bytes.
    const expected = {
      type: 'record',
      name: 'record',
      namespace: 'org.apache.flink.avro.generated',
      fields: [
        { name: 'window_start', type: { type: 'long', logicalType: 'timestamp-millis' } },
        { name: 'event_type', type: 'string' },
        { name: 'events', type: 'long' },
        { name: 'n', type: ['null', 'int'], default: null },
        {
          name: 'd',
          type: [
            'null',
            {
              type: 'record',
              name: 'record_d',
              fields: [
                { name: 'x', type: ['null', 'string'], default: null },
                {
                  name: 'y',
                  type: [
                    'null',
                    { type: 'record', name: 'record_d_y', fields: [{ name: 'z', type: 'int' }] },
                  ],
                  default: null,
                },
              ],
            },
          ],
          default: null,
        },
        {
          name: 'arr',
          type: [
            'null',
            {
              type: 'array',
              items: [
                'null',
                {
                  type: 'record',
                  name: 'record_arr',
                  fields: [{ name: 'q', type: ['null', 'int'], default: null }],
                },
              ],
            },
          ],
          default: null,
        },
        { name: 'm', type: ['null', { type: 'map', values: ['null', 'long'] }], default: null },
        { name: 'dt', type: ['null', { type: 'int', logicalType: 'date' }], default: null },
        { name: 'tm', type: ['null', { type: 'int', logicalType: 'time-millis' }], default: null },
        { name: 'dec', type: { type: 'bytes', logicalType: 'decimal', precision: 10, scale: 2 } },
        { name: 'b', type: ['null', 'bytes'], default: null },
        { name: 'bin', type: ['null', 'bytes'], default: null },
        { name: 'c', type: ['null', 'string'], default: null },
        { name: 'vc', type: ['null', 'string'], default: null },
        { name: 'ti', type: ['null', 'int'], default: null },
        { name: 'si', type: ['null', 'int'], default: null },
        { name: 'f', type: ['null', 'float'], default: null },
        { name: 'bo', type: ['null', 'boolean'], default: null },
        {
          name: 'd2',
          type: {
            type: 'record',
            name: 'record_d2',
            fields: [{ name: 'x', type: ['null', 'int'], default: null }],
          },
        },
        { name: 'a2', type: { type: 'array', items: 'int' } },
        { name: 't1', type: { type: 'long', logicalType: 'timestamp-millis' } },
        { name: 'db', type: ['null', 'double'], default: null },
      ],
    }
    const row =
      'ROW<`window_start` TIMESTAMP(3) NOT NULL, `event_type` STRING NOT NULL, `events` BIGINT NOT NULL, `n` INT, `d` ROW<`x` STRING, `y` ROW<`z` INT NOT NULL>>, `arr` ARRAY<ROW<`q` INT>>, `m` MAP<STRING, BIGINT>, `dt` DATE, `tm` TIME(3), `dec` DECIMAL(10, 2) NOT NULL, `b` BYTES, `bin` BINARY(4), `c` CHAR(3), `vc` VARCHAR(10), `ti` TINYINT, `si` SMALLINT, `f` FLOAT, `bo` BOOLEAN, `d2` ROW<`x` INT> NOT NULL, `a2` ARRAY<INT NOT NULL> NOT NULL, `t1` TIMESTAMP(1) NOT NULL, `db` DOUBLE>'
    assert.equal(JSON.stringify(sqlRowToAvroSchema(columns(row))), JSON.stringify(expected))
  })

  test('names maps and nested arrays of rows after the field, as Flink does', () => {
    const flink =
      '{"type":"record","name":"record","namespace":"org.apache.flink.avro.generated","fields":[{"name":"m","type":["null",{"type":"map","values":["null",{"type":"record","name":"record_m","fields":[{"name":"x","type":["null","int"],"default":null}]}]}],"default":null},{"name":"aa","type":["null",{"type":"array","items":["null",{"type":"array","items":["null",{"type":"record","name":"record_aa","fields":[{"name":"y","type":["null","int"],"default":null}]}]}]}],"default":null}]}'
    const row = 'ROW<`m` MAP<STRING, ROW<`x` INT>>, `aa` ARRAY<ARRAY<ROW<`y` INT>>>>'
    assert.equal(JSON.stringify(sqlRowToAvroSchema(columns(row))), flink)
  })

  test('takes a record name', () => {
    const schema = sqlRowToAvroSchema(columns('ROW<`a` INT NOT NULL>'), 'dev.freshet.Count')
    assert.deepEqual(schema, {
      type: 'record',
      name: 'Count',
      namespace: 'dev.freshet',
      fields: [{ name: 'a', type: 'int' }],
    })
  })

  test('refuses what Flink cannot write, with its message', () => {
    const cases: Array<[string, RegExp]> = [
      ['ROW<`t` TIMESTAMP(6)>', /Avro does not support TIMESTAMP type with precision: 6/],
      ['ROW<`t` TIME(6)>', /Avro does not support TIME type with precision: 6/],
      ['ROW<`t` TIMESTAMP_LTZ(3)>', /Unsupported to derive Schema for type: TIMESTAMP_LTZ\(3\)/],
      ['ROW<`m` MAP<INT, STRING>>', /non-string as key type of map. The key type is: INT/],
    ]
    for (const [row, message] of cases) {
      assert.throws(() => sqlRowToAvroSchema(columns(row)), { code: 'FRESHET_SQL_INVALID', message })
    }
  })

  test('reads back as the columns it came from', () => {
    const row =
      'ROW<`a` INT NOT NULL, `b` STRING, `c` ROW<`d` TIMESTAMP(3) NOT NULL> NOT NULL, `e` ARRAY<DOUBLE>>'
    assert.equal(formatType(avroToSqlType(sqlRowToAvroSchema(columns(row)))), `${row} NOT NULL`)
  })
})
