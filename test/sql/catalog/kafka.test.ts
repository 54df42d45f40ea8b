import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { KafkaConnector } from '../../../src/sql/catalog/index.ts'
import { formatType } from '../../../src/sql/types/index.ts'
import { define, kafka, refuses } from './statements.ts'

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
