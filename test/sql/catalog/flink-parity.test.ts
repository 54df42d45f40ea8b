/**
 * Parity with Flink 2.2: each table below was created on a Flink 2.2 TableEnvironment (Flink 2.2.0,
 * flink-sql-connector-kafka 5.0.0-2.2, flink-sql-avro-confluent-registry 2.2.0) and read
 * (`EXPLAIN SELECT * FROM t`) or written (`EXPLAIN INSERT INTO t SELECT * FROM s`, `s` a datagen
 * table of t's writable columns). `flink` is
 * Flink's verdict: OK, or the text of its error that freshet's error must hold too (where
 * freshet words the same error differently, the part both name).
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { checkSink, checkSource, defineTable } from '../../../src/sql/catalog/index.ts'
import { createTable, FILE } from './statements.ts'

interface Case {
  readonly columns: string
  /** Over a kafka table's `connector`, `topic` and `properties.bootstrap.servers`; null removes. */
  readonly options: Readonly<Record<string, string | null>>
  readonly use: 'source' | 'sink'
  /** Adds `'scan.startup.mode' = 'earliest-offset'`. */
  readonly earliest: boolean
  readonly flink: string
}

const CASES: readonly Case[] = [
  {
    columns: 'a INT',
    options: { format: 'json' },
    use: 'source',
    earliest: false,
    flink: 'Property group.id is required when using committed offset for offsets initializer',
  },
  {
    columns: 'a INT',
    options: { format: 'json', 'properties.group.id': 'g' },
    use: 'source',
    earliest: false,
    flink: 'OK',
  },
  {
    columns: 'a INT',
    options: { format: 'json', 'scan.startup.mode': 'earliest-offset' },
    use: 'source',
    earliest: false,
    flink: 'OK',
  },
  {
    columns: 'a INT',
    options: { format: 'json', 'scan.startup.mode': 'latest-offset', 'scan.bounded.mode': 'latest-offset' },
    use: 'source',
    earliest: false,
    flink: 'OK',
  },
  {
    columns: 'a INT',
    options: { format: 'json', 'scan.startup.mode': 'earliest-offset', 'scan.bounded.mode': 'group-offsets' },
    use: 'source',
    earliest: false,
    flink: 'Property group.id is required when using committed offset for offsets initializer',
  },
  {
    columns: 'a INT',
    options: { format: 'json', 'scan.startup.mode': 'specific-offsets' },
    use: 'source',
    earliest: false,
    flink: "'scan.startup.specific-offsets' is required in 'specific-offsets' startup mode but missing.",
  },
  {
    columns: 'a INT',
    options: {
      format: 'json',
      'scan.startup.mode': 'specific-offsets',
      'scan.startup.specific-offsets': 'partition:0,offset:1',
    },
    use: 'source',
    earliest: false,
    flink: 'OK',
  },
  {
    columns: 'a INT',
    options: {
      format: 'json',
      'scan.startup.mode': 'specific-offsets',
      'scan.startup.specific-offsets': 'p0',
    },
    use: 'source',
    earliest: false,
    flink:
      "Invalid properties 'scan.startup.specific-offsets' should follow the format 'partition:0,offset:42;partition:1,offset:300', but is 'p0'.",
  },
  {
    columns: 'a INT',
    options: { format: 'json', 'scan.startup.mode': 'timestamp', 'scan.startup.timestamp-millis': 'abc' },
    use: 'source',
    earliest: false,
    flink: "Invalid value for option 'scan.startup.timestamp-millis'",
  },
  {
    columns: 'a INT',
    options: {
      format: 'json',
      'scan.startup.mode': 'earliest-offset',
      topic: 'a;b',
      'scan.bounded.mode': 'specific-offsets',
      'scan.bounded.specific-offsets': 'partition:0,offset:1',
    },
    use: 'source',
    earliest: false,
    flink: 'Currently Kafka source only supports specific offset for single topic.',
  },
  { columns: 'a INT', options: { format: 'json' }, use: 'sink', earliest: false, flink: 'OK' },
  {
    columns: 'a INT',
    options: { format: 'json', 'sink.partitioner': 'fixed' },
    use: 'sink',
    earliest: false,
    flink: 'OK',
  },
  {
    columns: 'a INT',
    options: { format: 'json', 'sink.partitioner': '' },
    use: 'sink',
    earliest: false,
    flink: "Option 'sink.partitioner' should be a non-empty string.",
  },
  {
    columns: 'a INT',
    options: { format: 'json', 'sink.semantic': 'exactly-once' },
    use: 'sink',
    earliest: false,
    flink: 'sink.transactional-id-prefix must be specified',
  },
  {
    columns: 'a INT',
    options: { format: 'json', 'sink.delivery-guarantee': 'none' },
    use: 'sink',
    earliest: false,
    flink: 'OK',
  },
  {
    columns: 'a INT',
    options: { format: 'json', 'sink.transaction-naming-strategy': 'pooling' },
    use: 'sink',
    earliest: false,
    flink: 'OK',
  },
  {
    columns: 'a INT',
    options: { format: 'json', 'sink.transaction-naming-strategy': 'other' },
    use: 'sink',
    earliest: false,
    flink: "Invalid value for option 'sink.transaction-naming-strategy'",
  },
  {
    columns: 'a INT',
    options: { format: 'json', 'scan.watermark.emit.strategy': 'on-event' },
    use: 'sink',
    earliest: false,
    flink: 'OK',
  },
  {
    columns: 'a INT',
    options: { format: 'json', 'scan.watermark.emit.strategy': 'never' },
    use: 'sink',
    earliest: false,
    flink: "Invalid value for option 'scan.watermark.emit.strategy'",
  },
  {
    columns: 'a INT',
    options: { format: 'json', 'scan.watermark.idle-timeout': '5 s' },
    use: 'sink',
    earliest: false,
    flink: 'OK',
  },
  {
    columns: 'a INT',
    options: { format: 'json', 'json.map-null-key.mode': 'drop' },
    use: 'sink',
    earliest: false,
    flink: 'OK',
  },
  {
    columns: 'a INT',
    options: { format: 'json', 'json.map-null-key.mode': 'nope' },
    use: 'sink',
    earliest: false,
    flink:
      "Unsupported value 'nope' for option map-null-key.mode. Supported values are [LITERAL, FAIL, DROP].",
  },
  {
    columns: 'a INT',
    options: { format: 'json', 'json.encode.decimal-as-plain-number': '1' },
    use: 'sink',
    earliest: false,
    flink: "Invalid value for option 'json.encode.decimal-as-plain-number'",
  },
  {
    columns: 'a INT',
    options: { format: 'json', 'properties.acks': 'all', 'properties.anything': 'x' },
    use: 'sink',
    earliest: false,
    flink: 'OK',
  },
  {
    columns: 'a INT',
    options: {
      format: 'avro-confluent',
      'avro-confluent.url': 'http://r',
      'avro-confluent.properties.x': '1',
    },
    use: 'sink',
    earliest: false,
    flink: 'OK',
  },
  {
    columns: 'a INT',
    options: { format: 'avro-confluent', 'avro-confluent.schema-registry.url': 'http://r' },
    use: 'sink',
    earliest: false,
    flink: 'OK',
  },
  {
    columns: 'a INT',
    options: {
      format: 'avro-confluent',
      'avro-confluent.url': 'http://r',
      'avro-confluent.schema': '{"type":"record","name":"R","fields":[{"name":"a","type":["null","int"]}]}',
    },
    use: 'sink',
    earliest: false,
    flink: 'OK',
  },
  {
    columns: 'a INT NOT NULL',
    options: {
      format: 'avro-confluent',
      'avro-confluent.url': 'http://r',
      'avro-confluent.schema': '{"type":"record","name":"R","fields":[{"name":"a","type":["null","int"]}]}',
    },
    use: 'sink',
    earliest: false,
    flink: "Schema provided for 'avro-confluent' format does not match the table schema",
  },
  {
    columns: 'a INT',
    options: { format: 'avro-confluent', 'avro-confluent.url': 'http://r', topic: 'a;b' },
    use: 'sink',
    earliest: false,
    flink: 'Option avro-confluent.subject is required for serialization',
  },
  { columns: 'a INT', options: { format: 'raw' }, use: 'sink', earliest: false, flink: 'OK' },
  {
    columns: 'a ARRAY<INT>',
    options: { format: 'raw' },
    use: 'sink',
    earliest: false,
    flink: "The 'raw' format doesn't supports 'ARRAY<INT>' as column type.",
  },
  {
    columns: 'a STRING',
    options: { format: 'raw', 'raw.charset': 'ISO-8859-1' },
    use: 'source',
    earliest: true,
    flink: 'OK',
  },
  {
    columns: 'a INT, b STRING',
    options: {
      'key.format': 'json',
      'key.fields': 'a',
      'value.format': 'json',
      'value.fields-include': 'EXCEPT_KEY',
    },
    use: 'sink',
    earliest: false,
    flink: 'OK',
  },
  {
    columns: 'a INT, b STRING',
    options: { 'key.format': 'raw', 'key.fields': 'a;b', 'value.format': 'json' },
    use: 'sink',
    earliest: false,
    flink:
      "The 'raw' format only supports single physical column. However the defined schema contains multiple physical columns: [`a` INT, `b` STRING]",
  },
  {
    columns: "a INT, ts TIMESTAMP_LTZ(3) METADATA FROM 'timestamp'",
    options: { format: 'json' },
    use: 'sink',
    earliest: false,
    flink: 'OK',
  },
  {
    columns: "a INT, p INT METADATA FROM 'partition'",
    options: { format: 'json' },
    use: 'sink',
    earliest: false,
    flink: "Invalid metadata key 'partition' in column 'p' of table 't'",
  },
  {
    columns: "a INT, p INT METADATA FROM 'partition' VIRTUAL",
    options: { format: 'json' },
    use: 'sink',
    earliest: false,
    flink: 'OK',
  },
  {
    columns: "a INT, h MAP<STRING, BYTES> METADATA FROM 'headers'",
    options: { format: 'json' },
    use: 'source',
    earliest: true,
    flink: 'OK',
  },
  {
    columns: "a INT, o INT METADATA FROM 'offset' VIRTUAL",
    options: { format: 'json' },
    use: 'source',
    earliest: true,
    flink: 'OK',
  },
  {
    columns: "a INT, o STRING METADATA FROM 'offset' VIRTUAL",
    options: { format: 'json' },
    use: 'source',
    earliest: true,
    flink: 'OK',
  },
  {
    columns: 'a INT, PRIMARY KEY (a) NOT ENFORCED',
    options: { connector: 'upsert-kafka', 'key.format': 'json', 'value.format': 'json', format: null },
    use: 'sink',
    earliest: false,
    flink: 'OK',
  },
  {
    columns: 'a INT, PRIMARY KEY (a) NOT ENFORCED',
    options: {
      connector: 'upsert-kafka',
      'key.format': 'json',
      'value.format': 'json',
      format: null,
      'sink.buffer-flush.max-rows': '10',
    },
    use: 'sink',
    earliest: false,
    flink:
      "'sink.buffer-flush.max-rows' and 'sink.buffer-flush.interval' must be set to be greater than zero together to enable sink buffer flushing.",
  },
  {
    columns: 'a INT, PRIMARY KEY (a) NOT ENFORCED',
    options: {
      connector: 'upsert-kafka',
      'key.format': 'json',
      'value.format': 'json',
      format: null,
      'scan.startup.mode': 'earliest-offset',
    },
    use: 'source',
    earliest: false,
    flink: "Unsupported options found for 'upsert-kafka'.",
  },
  {
    columns: 'a INT, b INT, PRIMARY KEY (a) NOT ENFORCED',
    options: {
      connector: 'upsert-kafka',
      'key.format': 'raw',
      'value.format': 'json',
      format: null,
      'value.fields-include': 'EXCEPT_KEY',
    },
    use: 'source',
    earliest: false,
    flink: 'OK',
  },
  {
    columns: 'a INT, PRIMARY KEY (a) NOT ENFORCED',
    options: {
      connector: 'upsert-kafka',
      'key.format': 'json',
      'value.format': 'json',
      format: null,
      topic: null,
    },
    use: 'sink',
    earliest: false,
    flink: "Either 'topic' or 'topic-pattern' must be set.",
  },
  {
    columns: 'a INT',
    options: {
      connector: 'datagen',
      format: null,
      topic: null,
      'properties.bootstrap.servers': null,
      'number-of-rows': '10',
      'fields.a.min': '1',
      'fields.a.max': '5',
    },
    use: 'source',
    earliest: false,
    flink: 'OK',
  },
  {
    columns: 'a INT',
    options: {
      connector: 'datagen',
      format: null,
      topic: null,
      'properties.bootstrap.servers': null,
      'scan.watermark.emit.strategy': 'on-event',
    },
    use: 'source',
    earliest: false,
    flink: "Unsupported options found for 'datagen'.",
  },
  {
    columns: 'a STRING',
    options: {
      connector: 'datagen',
      format: null,
      topic: null,
      'properties.bootstrap.servers': null,
      'fields.a.kind': 'sequence',
      'fields.a.start': '1',
      'fields.a.end': '3',
    },
    use: 'source',
    earliest: false,
    flink: 'OK',
  },
  {
    columns: 'a BOOLEAN',
    options: {
      connector: 'datagen',
      format: null,
      topic: null,
      'properties.bootstrap.servers': null,
      'fields.a.kind': 'sequence',
      'fields.a.start': '1',
      'fields.a.end': '3',
    },
    use: 'source',
    earliest: false,
    flink: "Unsupported options found for 'datagen'.",
  },
  {
    columns: 'a INT',
    options: { connector: 'datagen', format: null, topic: null, 'properties.bootstrap.servers': null },
    use: 'sink',
    earliest: false,
    flink: "Connector 'datagen' can only be used as a source. It cannot be used as a sink.",
  },
  {
    columns: 'a INT',
    options: { connector: 'print', format: null, topic: null, 'properties.bootstrap.servers': null },
    use: 'source',
    earliest: false,
    flink: "Connector 'print' can only be used as a sink. It cannot be used as a source.",
  },
  {
    columns: 'a INT',
    options: {
      connector: 'print',
      format: null,
      topic: null,
      'properties.bootstrap.servers': null,
      'sink.parallelism': '2',
    },
    use: 'sink',
    earliest: false,
    flink: 'OK',
  },
  {
    columns: 'a INT',
    options: {
      connector: 'blackhole',
      format: null,
      topic: null,
      'properties.bootstrap.servers': null,
      'scan.watermark.emit.strategy': 'on-event',
    },
    use: 'sink',
    earliest: false,
    flink: 'OK',
  },
  {
    columns: 'a INT',
    options: { format: 'json', 'json.fail-on-missing-field': 'true', 'json.ignore-parse-errors': 'true' },
    use: 'source',
    earliest: true,
    flink: "fail-on-missing-field and ignore-parse-errors shouldn't both be true.",
  },
  {
    columns: 'a INT',
    options: { format: 'json', 'json.fail-on-missing-field': 'true', 'json.ignore-parse-errors': 'true' },
    use: 'sink',
    earliest: true,
    flink: 'OK',
  },
  {
    columns: 'a INT',
    options: { format: 'json', 'json.map-null-key.mode': 'nope' },
    use: 'source',
    earliest: true,
    flink: 'OK',
  },
]

const BASE = { connector: 'kafka', topic: 'x', 'properties.bootstrap.servers': 'b:9092' }

function verdict(c: Case): string {
  const merged: Record<string, string | null> = {
    ...BASE,
    ...(c.earliest ? { 'scan.startup.mode': 'earliest-offset' } : {}),
    ...c.options,
  }
  const options = Object.fromEntries(Object.entries(merged).filter(([, v]) => v !== null)) as Record<
    string,
    string
  >
  const parts = c.columns.split(/,\s*(?![^<]*>)/)
  const key = parts.find((p) => p.startsWith('PRIMARY KEY'))
  const columns = parts.filter((p) => !p.startsWith('PRIMARY KEY'))
  const at = { line: 30, column: 1 }
  try {
    const primaryKey = key === undefined ? {} : { primaryKey: [/\((\w+)\)/.exec(key)![1]!] }
    const table = defineTable(createTable(columns, options, primaryKey), FILE)
    if (c.use === 'source') checkSource(table, FILE, at)
    else checkSink(table, FILE, at)
    return 'OK'
  } catch (error) {
    assert.match((error as { code?: string }).code ?? '', /^FRESHET_SQL_(INVALID|UNSUPPORTED)$/)
    return (error as Error).message
  }
}

describe('parity with Flink 2.2', () => {
  CASES.forEach((c, i) => {
    test(`${i + 1}: ${c.use} (${c.columns}) ${JSON.stringify(c.options)}`, () => {
      const got = verdict(c)
      if (c.flink === 'OK') assert.equal(got, 'OK')
      else assert.ok(got.includes(c.flink), `Flink: ${c.flink}\nfreshet: ${got}`)
    })
  })
})
