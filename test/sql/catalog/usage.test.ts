import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { checkSink, checkSource } from '../../../src/sql/catalog/index.ts'
import { define, FILE, kafka } from './statements.ts'

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

  test('a kafka table written is not partitioned; print and blackhole take it', () => {
    const partitioned = { partitionedBy: ['a'] }
    const table = define(['a INT'], kafka({ 'properties.group.id': 'g' }), partitioned)
    checkSource(table, FILE, at)
    assert.throws(
      () => checkSink(table, FILE, at),
      /Table 't' is a partitioned table, but the underlying DynamicTableSink doesn't implement the SupportsPartitioning interface\./,
    )
    checkSink(define(['a INT'], { connector: 'print' }, partitioned), FILE, at)
    assert.throws(
      () => define(['a INT'], { connector: 'blackhole' }, { partitionedBy: ['b'] }),
      /Partition column 'b' not defined in the table schema\./,
    )
  })
})
