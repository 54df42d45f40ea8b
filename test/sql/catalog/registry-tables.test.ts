import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { after, before, describe, test } from 'node:test'
import { RegistryClient } from '../../../src/registry/client.ts'
import { MemoryLog } from '../../../src/registry/memory-log.ts'
import { serveRegistry, type ListeningRegistry } from '../../../src/registry/server.ts'
import { RegistryStore } from '../../../src/registry/store.ts'
import { ddlForTopic, defineTable, registryTables } from '../../../src/sql/catalog/index.ts'
import type { CreateTableStatement } from '../../../src/sql/ast.ts'
import { AT, FILE } from './statements.ts'

const read = (name: string): string =>
  readFileSync(new URL(`../../../schemas/${name}`, import.meta.url), 'utf8')
const OPTIONS = { bootstrapServers: '127.0.0.1:9092', registryUrl: 'http://127.0.0.1:8081' }

// The statement Flink 2.2 accepts for freshet's user-events topic (checked against a Flink 2.2
// TableEnvironment: it plans a TUMBLE window over `timestamp` on it).
const USER_EVENTS_DDL = `CREATE TABLE user_events (
  \`timestamp\` TIMESTAMP(3) NOT NULL,
  event_type STRING NOT NULL,
  user_id STRING NOT NULL,
  version STRING NOT NULL,
  data ROW<product_id STRING, amount DOUBLE, currency STRING, session_id STRING NOT NULL, device STRING NOT NULL, browser STRING NOT NULL, search_query STRING, transaction_id STRING> NOT NULL,
  WATERMARK FOR \`timestamp\` AS \`timestamp\` - INTERVAL '5' SECOND
) WITH (
  'connector' = 'kafka',
  'topic' = 'user-events',
  'properties.bootstrap.servers' = '127.0.0.1:9092',
  'scan.startup.mode' = 'earliest-offset',
  'format' = 'avro-confluent',
  'avro-confluent.url' = 'http://127.0.0.1:8081',
  'avro-confluent.schema' = '${JSON.stringify(JSON.parse(read('user_event.avsc')))}'
);`

describe('ddlForTopic', () => {
  test("prints freshet's user-events table exactly", () => {
    assert.equal(ddlForTopic('user-events', read('user_event.avsc'), OPTIONS), USER_EVENTS_DDL)
  })

  test('an epoch-millisecond long gets a computed event time; reserved words are quoted', () => {
    const schema = JSON.stringify({
      type: 'record',
      name: 'Click',
      fields: [
        { name: 'user', type: 'string' },
        { name: 'value', type: ['null', 'long'], default: null },
        { name: 'ts', type: 'long' },
        { name: 'note', type: 'string', doc: "it's" },
      ],
    })
    const ddl = ddlForTopic('clicks.v1', schema, { ...OPTIONS, watermarkDelaySeconds: 10 })
    assert.equal(
      ddl.split('\n) WITH (')[0],
      [
        'CREATE TABLE clicks_v1 (',
        '  `user` STRING NOT NULL,',
        '  `value` BIGINT,',
        '  ts BIGINT NOT NULL,',
        '  note STRING NOT NULL,',
        '  event_time AS TO_TIMESTAMP_LTZ(ts, 3),',
        "  WATERMARK FOR event_time AS event_time - INTERVAL '10' SECOND",
      ].join('\n'),
    )
    assert.match(ddl, /"doc":"it''s"/)
  })

  test('no timestamp, no watermark', () => {
    const schema = JSON.stringify({ type: 'record', name: 'R', fields: [{ name: 'n', type: 'long' }] })
    assert.doesNotMatch(ddlForTopic('r', schema, OPTIONS), /WATERMARK/)
  })
})

describe('registryTables', () => {
  let store: RegistryStore
  let registry: ListeningRegistry
  let client: RegistryClient

  before(async () => {
    store = new RegistryStore(new MemoryLog().connect(), { writeTimeoutMs: 2_000 })
    await store.start()
    registry = await serveRegistry(store, { host: '127.0.0.1', port: 0 })
    client = new RegistryClient({ url: registry.url })
    await client.register('user-events-value', read('user_event.avsc'))
    await client.register('transactions-value', read('transaction_event.avsc'))
    await client.register('user-events-key', '"string"')
    await client.register('names-value', '"string"')
  })

  after(async () => {
    await registry.close()
    await store.close()
  })

  test('one table per <topic>-value subject holding a record, from its latest version', async () => {
    const catalog = await registryTables(client, OPTIONS)
    assert.deepEqual(
      catalog.tables.map((t) => [t.topic, t.table, t.subject, t.version, t.eventTime?.column]),
      [
        ['transactions', 'transactions', 'transactions-value', 1, 'timestamp'],
        ['user-events', 'user_events', 'user-events-value', 1, 'timestamp'],
      ],
    )
    // The schema option holds the registry's text of the schema (its key order), the same schema.
    const registered = (await client.getLatest('user-events-value')).schema
    assert.deepEqual(JSON.parse(registered), JSON.parse(read('user_event.avsc')))
    assert.equal(
      catalog.tables[1]!.ddl,
      USER_EVENTS_DDL.replace(
        /'avro-confluent\.schema' = '.*'/,
        () => `'avro-confluent.schema' = '${registered}'`,
      ),
    )
    assert.deepEqual(catalog.skipped, [
      { subject: 'names-value', reason: 'the schema is a STRING NOT NULL, not a record' },
    ])
  })

  test('the tables it prints pass the catalog, schema check included', async () => {
    const catalog = await registryTables(client, OPTIONS)
    for (const table of catalog.tables) {
      const options = Object.fromEntries(
        [...table.ddl.matchAll(/^ {2}'([^']+)' = '((?:[^']|'')*)'/gm)].map((m) => [
          m[1]!,
          m[2]!.replaceAll("''", "'"),
        ]),
      )
      const stmt: CreateTableStatement = {
        kind: 'create-table',
        name: table.table,
        temporary: false,
        ifNotExists: false,
        columns: table.columns.map((c) => ({ kind: 'physical', name: c.name, type: c.type, at: AT })),
        watermark: { column: table.eventTime!.column, expr: { kind: 'column', name: 'x', at: AT }, at: AT },
        partitionedBy: [],
        options,
        at: AT,
      }
      const defined = defineTable(stmt, FILE)
      assert.equal(defined.connector.kind, 'kafka')
      assert.equal(defined.watermark?.column, 'timestamp')
    }
  })
})
