import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { checkSink, checkSource } from '../../../src/sql/catalog/index.ts'
import type { KafkaConnector } from '../../../src/sql/catalog/index.ts'
import {
  AT,
  define,
  FILE,
  kafka,
  refuses,
  USER_EVENT,
  USER_EVENT_COLUMNS,
  watermarkOn,
} from './statements.ts'

describe('formats', () => {
  test("json: Flink's defaults and checks", () => {
    const format = (define(['a INT'], kafka()).connector as KafkaConnector).value.format
    assert.deepEqual(format, {
      kind: 'json',
      failOnMissingField: false,
      ignoreParseErrors: false,
      timestampFormat: 'SQL',
      mapNullKeyMode: 'FAIL',
      mapNullKeyLiteral: 'null',
      encodeDecimalAsPlainNumber: false,
      encodeIgnoreNullFields: false,
      decodeJsonParserEnabled: true,
    })
    // Flink compares timestamp-format.standard case-sensitively.
    refuses(
      ['a INT'],
      kafka({ 'json.timestamp-format.standard': 'iso-8601' }),
      /Unsupported value 'iso-8601' for timestamp-format\.standard\. Supported values are \[SQL, ISO-8601\]\./,
    )
    // Flink checks these when the table is read, or written, only.
    const both = define(
      ['a INT'],
      kafka({
        'json.fail-on-missing-field': 'true',
        'json.ignore-parse-errors': 'true',
        'properties.group.id': 'g',
      }),
    )
    assert.throws(
      () => checkSource(both, FILE, AT),
      /fail-on-missing-field and ignore-parse-errors shouldn't both be true\./,
    )
    checkSink(both, FILE, AT)
    const nullKey = define(['a INT'], kafka({ 'json.map-null-key.mode': 'nope', 'properties.group.id': 'g' }))
    assert.throws(
      () => checkSink(nullKey, FILE, AT),
      /Unsupported value 'nope' for option map-null-key\.mode\. Supported values are \[LITERAL, FAIL, DROP\]\./,
    )
    checkSource(nullKey, FILE, AT)
  })

  test('raw takes a single physical column', () => {
    refuses(
      ['a INT', 'b INT'],
      kafka({ format: 'raw' }),
      /The 'raw' format only supports single physical column\. However the defined schema contains multiple physical columns: \[`a` INT, `b` INT\]/,
    )
    refuses(
      ['a STRING'],
      kafka({ format: 'raw', 'raw.endianness': 'middle' }),
      /Unsupported endianness name: middle\. Valid values of 'raw\.endianness' option are 'big-endian' and 'little-endian'\./,
    )
    refuses(
      ['a STRING'],
      kafka({ format: 'raw', 'raw.charset': 'nope' }),
      /Unsupported 'raw\.charset' name: nope\./,
    )
    const format = (
      define(['a STRING', "ts TIMESTAMP_LTZ(3) METADATA FROM 'timestamp'"], kafka({ format: 'raw' }))
        .connector as KafkaConnector
    ).value.format
    assert.deepEqual(format, { kind: 'raw', charset: 'UTF-8', encoding: 'utf8', endianness: 'big-endian' })
  })

  test('avro-confluent requires the registry url and fills in the subject from the topic', () => {
    refuses(
      ['a INT'],
      kafka({ format: 'avro-confluent' }),
      /One or more required options are missing\.\n\nMissing required options are:\n\nurl/,
    )
    const options = kafka({
      format: 'avro-confluent',
      'avro-confluent.url': 'http://127.0.0.1:8081',
      'avro-confluent.basic-auth.user-info': 'u:p',
    })
    const format = (define(['a INT'], options).connector as KafkaConnector).value.format
    assert.deepEqual(format, {
      kind: 'avro-confluent',
      url: 'http://127.0.0.1:8081',
      subject: 'events-value',
      schema: undefined,
      registryProperties: { 'basic.auth.user.info': 'u:p' },
    })
    const { format: _, ...valueFormat } = kafka({
      'value.format': 'avro-confluent',
      'value.avro-confluent.url': 'http://r',
      'value.avro-confluent.subject': 's',
    })
    const prefixed = (define(['a INT'], valueFormat).connector as KafkaConnector).value.format
    assert.equal(prefixed.kind === 'avro-confluent' && prefixed.subject, 's')
  })

  test("avro-confluent's schema must give exactly the declared columns", () => {
    const options = kafka({
      topic: 'user-events',
      format: 'avro-confluent',
      'avro-confluent.url': 'http://127.0.0.1:8081',
      'avro-confluent.schema': USER_EVENT,
    })
    const table = define(USER_EVENT_COLUMNS, options, { watermark: watermarkOn('timestamp') })
    assert.equal(table.watermark?.column, 'timestamp')
    // The pitfall of docs/flink.md: nullable columns where the schema has no null.
    const nullable = USER_EVENT_COLUMNS.map((c) => (c.startsWith('event_type') ? 'event_type STRING' : c))
    refuses(
      nullable,
      options,
      /Schema provided for 'avro-confluent' format does not match the table schema: column `event_type` is STRING, the schema gives STRING NOT NULL\./,
    )
    refuses(USER_EVENT_COLUMNS.slice(0, 4), options, /column `data` ROW<.*> NOT NULL is missing/)
    refuses([...USER_EVENT_COLUMNS, 'extra INT'], options, /column `extra` is not in the schema/)
  })

  test('avro-confluent without a schema needs columns Flink can write as Avro', () => {
    const options = kafka({ format: 'avro-confluent', 'avro-confluent.url': 'http://r' })
    refuses(['ts TIMESTAMP_LTZ(3)'], options, /Unsupported to derive Schema for type: TIMESTAMP_LTZ\(3\)/)
  })
})
