import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, test } from 'node:test'
import { checkSink, checkSource, defineTable } from '../../../src/sql/catalog/index.ts'
import type { KafkaConnector, TableDefinition } from '../../../src/sql/catalog/index.ts'
import { formatType } from '../../../src/sql/types/index.ts'
import { AT, createTable, FILE, kafka, watermarkOn } from './statements.ts'

const define = (columns: readonly string[], options: Record<string, string>, extra = {}): TableDefinition =>
  defineTable(createTable(columns, options, extra), FILE)

/** Asserts that defining the table fails with SQL_INVALID at the statement, matching `message`. */
function refuses(
  columns: readonly string[],
  options: Record<string, string>,
  message: RegExp,
  extra = {},
): void {
  assert.throws(
    () => define(columns, options, extra),
    (error: Error & { code?: string }) => {
      assert.equal(error.code, 'FRESHET_SQL_INVALID')
      assert.match(error.message, /^jobs\.sql:\d+:\d+: table 't': /)
      assert.match(error.message, message)
      return true
    },
  )
}

const USER_EVENT = JSON.stringify(
  JSON.parse(readFileSync(new URL('../../../schemas/user_event.avsc', import.meta.url), 'utf8')),
)
const USER_EVENT_COLUMNS = [
  '`timestamp` TIMESTAMP(3) NOT NULL',
  'event_type STRING NOT NULL',
  'user_id STRING NOT NULL',
  'version STRING NOT NULL',
  'data ROW<product_id STRING, amount DOUBLE, currency STRING, session_id STRING NOT NULL, device STRING NOT NULL, browser STRING NOT NULL, search_query STRING, transaction_id STRING> NOT NULL',
].map((c) => c.replace(/^`timestamp`/, 'timestamp'))

describe('kafka', () => {
  test("resolves the options into plain data with Flink's defaults", () => {
    const table = define(
      ['id BIGINT', 'name STRING'],
      kafka({ 'properties.group.id': 'g', 'properties.acks': 'all' }),
    )
    const connector = table.connector as KafkaConnector
    assert.equal(connector.kind, 'kafka')
    assert.deepEqual(connector.topics, ['events'])
    assert.equal(connector.bootstrapServers, '127.0.0.1:9092')
    assert.equal(connector.groupId, 'g')
    assert.deepEqual(connector.properties, {
      'bootstrap.servers': '127.0.0.1:9092',
      'group.id': 'g',
      acks: 'all',
    })
    assert.equal(connector.startup.mode, 'group-offsets')
    assert.equal(connector.bounded.mode, 'unbounded')
    assert.equal(connector.partitionDiscoveryIntervalMs, 300_000)
    assert.equal(connector.deliveryGuarantee, 'at-least-once')
    assert.equal(connector.transactionNamingStrategy, 'INCREMENTING')
    assert.equal(connector.partitioner, 'default')
    assert.equal(connector.key, undefined)
    assert.deepEqual(connector.value.fields, ['id', 'name'])
    assert.equal(connector.value.format.kind, 'json')
    assert.deepEqual(
      table.columns.map((c) => [c.kind, c.name, c.position]),
      [
        ['physical', 'id', 0],
        ['physical', 'name', 1],
      ],
    )
  })

  test('reads the startup and bounded companions', () => {
    const connector = define(
      ['a INT'],
      kafka({
        'scan.startup.mode': 'specific-offsets',
        'scan.startup.specific-offsets': 'partition:0,offset:42;partition:1,offset:300',
        'scan.bounded.mode': 'timestamp',
        'scan.bounded.timestamp-millis': '1767225600000',
      }),
    ).connector as KafkaConnector
    assert.deepEqual(
      [...connector.startup.specificOffsets!],
      [
        [0, 42],
        [1, 300],
      ],
    )
    assert.equal(connector.bounded.timestampMs, 1767225600000)
  })

  test('lists unknown keys as Flink does, with the keys it supports', () => {
    refuses(
      ['a INT'],
      kafka({ foo: '1', 'json.bar': '2' }),
      /Unsupported options found for 'kafka'\.\n\nUnsupported options:\n\nfoo\njson\.bar\n\nSupported options:\n\nconnector\nformat\njson\.decode\.json-parser\.enabled\n/,
    )
    refuses(
      ['a INT'],
      kafka({ 'scan.startup.mode': 'earliest-offset', 'scan.startupmode': 'x' }),
      /Unsupported options:\n\nscan\.startupmode\n/,
    )
  })

  test('requires bootstrap servers, a topic and a value format', () => {
    const { 'properties.bootstrap.servers': _, ...noServers } = kafka()
    refuses(
      ['a INT'],
      noServers,
      /One or more required options are missing\.\n\nMissing required options are:\n\nproperties\.bootstrap\.servers/,
    )
    const { format: __, ...noFormat } = kafka()
    refuses(['a INT'], noFormat, /Could not find required scan format 'value\.format'\./)
    const { topic: ___, ...noTopic } = kafka()
    refuses(['a INT'], noTopic, /Either 'topic' or 'topic-pattern' must be set\./)
    refuses(
      ['a INT'],
      kafka({ 'topic-pattern': 'e.*' }),
      /Option 'topic' and 'topic-pattern' shouldn't be set together\./,
    )
  })

  test('refuses bad enum values and names the allowed ones; matches them in any case', () => {
    refuses(
      ['a INT'],
      kafka({ 'scan.startup.mode': 'nope' }),
      /Invalid value for option 'scan\.startup\.mode': could not parse value 'nope'\. Expected one of: \[earliest-offset, latest-offset, group-offsets, timestamp, specific-offsets\]/,
    )
    refuses(['a INT'], kafka({ 'scan.startup.mode': 'earliest_offset' }), /scan\.startup\.mode/)
    refuses(
      ['a INT'],
      kafka({ 'sink.delivery-guarantee': 'EXACTLY_ONCE' }),
      /Expected one of: \[exactly-once, at-least-once, none\]/,
    )
    refuses(['a INT'], kafka({ 'scan.bounded.mode': 'forever' }), /scan\.bounded\.mode.*unbounded/)
    const connector = define(
      ['a INT'],
      kafka({ 'scan.startup.mode': 'EARLIEST-OFFSET', 'value.fields-include': 'all' }),
    ).connector as KafkaConnector
    assert.equal(connector.startup.mode, 'earliest-offset')
    assert.equal(connector.value.include, 'ALL')
  })

  test("reads durations with Flink's syntax and refuses bad ones", () => {
    const interval = (text: string): number =>
      (
        define(['a INT'], kafka({ 'scan.topic-partition-discovery.interval': text }))
          .connector as KafkaConnector
      ).partitionDiscoveryIntervalMs
    assert.equal(interval('5 s'), 5000)
    assert.equal(interval('5s'), 5000)
    assert.equal(interval('500 ms'), 500)
    assert.equal(interval('500'), 500)
    assert.equal(interval('1 min'), 60_000)
    assert.equal(interval('PT5M'), 300_000)
    assert.equal(interval('0'), 0)
    refuses(
      ['a INT'],
      kafka({ 'scan.topic-partition-discovery.interval': '5 x' }),
      /Invalid value for option 'scan\.topic-partition-discovery\.interval': Time interval unit label 'x' does not match any of the recognized units/,
    )
    refuses(
      ['a INT'],
      kafka({ 'scan.topic-partition-discovery.interval': '1.5s' }),
      /Time interval unit label '\.5s'/,
    )
    refuses(
      ['a INT'],
      kafka({ 'scan.topic-partition-discovery.interval': '-1s' }),
      /not a valid ISO-8601 duration/,
    )
  })

  test('refuses bad integers and booleans', () => {
    refuses(
      ['a INT'],
      kafka({ 'scan.parallelism': '1.0' }),
      /Invalid value for option 'scan\.parallelism': could not parse value '1\.0' as an integer/,
    )
    refuses(
      ['a INT'],
      kafka({ 'json.ignore-parse-errors': 'yes' }),
      /Invalid value for option 'json\.ignore-parse-errors': unrecognized option for boolean: yes/,
    )
    assert.equal(define(['a INT'], kafka({ 'json.ignore-parse-errors': 'TRUE' })).connector.kind, 'kafka')
  })

  test('checks the key options against each other and the columns', () => {
    refuses(
      ['a INT'],
      kafka({ 'key.format': 'json' }),
      /A key format 'key\.format' requires the declaration of one or more of key fields using 'key\.fields'\./,
    )
    refuses(
      ['a INT'],
      kafka({ 'key.fields': 'a' }),
      /The option 'key\.fields' can only be declared if a key format is defined using 'key\.format'\./,
    )
    refuses(
      ['a INT', 'b STRING'],
      kafka({ 'key.format': 'json', 'key.fields': 'c' }),
      /Could not find the field 'c' in the table schema for usage in the key format\. A key field must be a regular, physical column\. The following columns can be selected in the 'key\.fields' option:\n\[a, b\]/,
    )
    refuses(
      ['a INT', 'b STRING'],
      kafka({
        'key.format': 'json',
        'key.fields': 'a',
        'key.fields-prefix': 'k_',
        'value.fields-include': 'EXCEPT_KEY',
      }),
      /All fields in 'key\.fields' must be prefixed with 'k_'/,
    )
    refuses(
      ['k_a INT', 'b STRING'],
      kafka({ 'key.format': 'json', 'key.fields': 'k_a', 'key.fields-prefix': 'k_' }),
      /A key prefix is not allowed when option 'value\.fields-include' is set to 'ALL'/,
    )
    const connector = define(
      ['k_a INT', 'b STRING'],
      kafka({
        'key.format': 'raw',
        'key.fields': 'k_a',
        'key.fields-prefix': 'k_',
        'value.fields-include': 'EXCEPT_KEY',
      }),
    ).connector as KafkaConnector
    assert.deepEqual(connector.key?.fields, ['k_a'])
    assert.deepEqual(connector.value.fields, ['b'])
  })

  test('refuses a primary key with an insert-only format', () => {
    refuses(
      ['a INT'],
      kafka(),
      /The Kafka table 't' with 'json' format doesn't support defining PRIMARY KEY constraint on the table, because it can't guarantee the semantic of primary key\./,
      { primaryKey: ['a'] },
    )
  })

  test('refuses formats it does not know, and Flink formats freshet does not run', () => {
    refuses(['a INT'], kafka({ format: 'csvx' }), /Could not find any format factory for identifier 'csvx'/)
    assert.throws(() => define(['a INT'], kafka({ format: 'csv' })), {
      code: 'FRESHET_SQL_UNSUPPORTED',
      message: /the 'csv' format is not supported by freshet's SQL/,
    })
  })
})

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
    assert.deepEqual(format, { kind: 'raw', charset: 'UTF-8', endianness: 'big-endian' })
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

describe('upsert-kafka', () => {
  const upsert = (extra: Record<string, string> = {}): Record<string, string> => ({
    connector: 'upsert-kafka',
    topic: 'counts',
    'properties.bootstrap.servers': '127.0.0.1:9092',
    'key.format': 'json',
    'value.format': 'json',
    ...extra,
  })

  test('refuses a table without a primary key', () => {
    refuses(
      ['a INT', 'n BIGINT'],
      upsert(),
      /'upsert-kafka' tables require to define a PRIMARY KEY constraint\. The PRIMARY KEY specifies which columns should be read from or write to the Kafka message key\./,
    )
  })

  test('keys the messages by the primary key, NOT NULL as Flink makes it', () => {
    const table = define(['a INT', 'n BIGINT'], upsert(), { primaryKey: ['a'] })
    assert.equal(table.connector.kind, 'upsert-kafka')
    if (table.connector.kind !== 'upsert-kafka') return
    assert.deepEqual(table.connector.key.fields, ['a'])
    assert.deepEqual(table.connector.value.fields, ['a', 'n'])
    assert.equal(formatType(table.physicalColumns[0]!.type), 'INT NOT NULL')
  })

  test("takes no 'format' and no 'key.fields', and requires both formats", () => {
    refuses(
      ['a INT'],
      upsert({ format: 'json' }),
      /Unsupported options found for 'upsert-kafka'\.\n\nUnsupported options:\n\nformat\n/,
      { primaryKey: ['a'] },
    )
    refuses(['a INT'], upsert({ 'key.fields': 'a' }), /Unsupported options:\n\nkey\.fields\n/, {
      primaryKey: ['a'],
    })
    const { 'key.format': _, ...noKey } = upsert()
    refuses(['a INT'], noKey, /Could not find required scan format 'key\.format'\./, { primaryKey: ['a'] })
  })
})

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
    refuses(['a INT', 'a STRING'], kafka(), /A column named 'a' is defined twice/)
    refuses(
      ['a INT'],
      { connector: 'blackhole' },
      /Could not create a PRIMARY KEY 'PK_b'\. Column 'b' does not exist\./,
      { primaryKey: ['b'] },
    )
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

describe('checkSource and checkSink', () => {
  const at = { line: 20, column: 1 }
  test('a kafka source starting from group offsets needs a group id', () => {
    const table = define(['a INT'], kafka())
    assert.throws(() => checkSource(table, FILE, at), {
      code: 'FRESHET_SQL_INVALID',
      message:
        /^jobs\.sql:20:1: Unable to create a source for reading table 't': Property group\.id is required when using committed offset for offsets initializer/,
    })
    checkSink(table, FILE, at)
  })

  test('startup and bounded modes need their companions when the table is read', () => {
    const startup = define(['a INT'], kafka({ 'scan.startup.mode': 'timestamp' }))
    assert.throws(
      () => checkSource(startup, FILE, at),
      /'scan\.startup\.timestamp-millis' is required in 'timestamp' startup mode but missing\./,
    )
    checkSink(startup, FILE, at)
    const bounded = define(
      ['a INT'],
      kafka({ 'scan.startup.mode': 'earliest-offset', 'scan.bounded.mode': 'timestamp' }),
    )
    assert.throws(
      () => checkSource(bounded, FILE, at),
      /'scan\.bounded\.timestamp-millis' is required in 'timestamp' bounded mode but missing\./,
    )
  })

  test('exactly-once needs a transactional id prefix when the table is written', () => {
    const table = define(['a INT'], kafka({ 'sink.delivery-guarantee': 'exactly-once' }))
    assert.throws(
      () => checkSink(table, FILE, at),
      /sink\.transactional-id-prefix must be specified when using DeliveryGuarantee\.EXACTLY_ONCE\./,
    )
    checkSink(
      define(
        ['a INT'],
        kafka({ 'sink.delivery-guarantee': 'exactly-once', 'sink.transactional-id-prefix': 'p' }),
      ),
      FILE,
      at,
    )
  })

  test('round-robin partitioning takes no key', () => {
    const table = define(
      ['a INT'],
      kafka({ 'sink.partitioner': 'round-robin', 'key.format': 'json', 'key.fields': 'a' }),
    )
    assert.throws(
      () => checkSink(table, FILE, at),
      /Currently 'round-robin' partitioner only works when option 'key\.fields' is not specified\./,
    )
  })

  test('a partitioner class is Java, which freshet does not load', () => {
    const table = define(['a INT'], kafka({ 'sink.partitioner': 'com.example.MyPartitioner' }))
    assert.throws(() => checkSink(table, FILE, at), {
      code: 'FRESHET_SQL_UNSUPPORTED',
      message: /the partitioner class 'com\.example\.MyPartitioner'/,
    })
  })

  test('sink-only and source-only connectors', () => {
    assert.throws(
      () => checkSource(define(['a INT'], { connector: 'print' }), FILE, at),
      /Connector 'print' can only be used as a sink\./,
    )
    assert.throws(
      () => checkSink(define(['a INT'], { connector: 'datagen' }), FILE, at),
      /Connector 'datagen' can only be used as a source\./,
    )
  })

  test('an avro-confluent sink over a topic pattern needs a subject', () => {
    const { topic: _, ...options } = kafka({
      format: 'avro-confluent',
      'avro-confluent.url': 'http://r',
      'topic-pattern': 'e.*',
    })
    assert.throws(
      () => checkSink(define(['a INT'], options), FILE, at),
      /Option avro-confluent\.subject is required for serialization/,
    )
  })
})
