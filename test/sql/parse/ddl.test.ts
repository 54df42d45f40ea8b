/** CREATE TABLE (columns of every kind, Flink types, watermark, keys, options) and CREATE VIEW. */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { VALID } from '../../../bench/sql-parser/corpus.ts'
import { assertRefused, bin, call, col, int, parseOne, shape } from './helpers.ts'

const sql = (id: string) => VALID.find((v) => v.id === id)!.sql
const t = (kind: string, extra: Record<string, unknown> = {}) => ({ kind, ...extra, nullable: true })
const string = t('VARCHAR')

test('the seed user_events table: physical, computed and metadata columns, watermark, options', async () => {
  const statement = await parseOne(sql('seed-user-events-table'))
  const physical = (name: string, type: unknown) => ({ kind: 'physical', name, type })
  const metadata = (name: string, type: unknown, key: string) => ({
    kind: 'metadata',
    name,
    type,
    key,
    virtual: true,
  })
  assert.deepEqual(shape(statement), {
    kind: 'create-table',
    name: 'user_events',
    temporary: false,
    ifNotExists: false,
    columns: [
      physical('timestamp', t('BIGINT')),
      physical('event_type', string),
      physical('user_id', string),
      physical('version', string),
      physical(
        'data',
        t('ROW', {
          fields: [
            { name: 'page', type: string },
            { name: 'product_id', type: string },
            { name: 'amount', type: t('DOUBLE') },
            { name: 'currency', type: string },
          ],
        }),
      ),
      { kind: 'computed', name: 'event_time', expr: call('TO_TIMESTAMP_LTZ', [col('timestamp'), int(3)]) },
      metadata('kafka_ts', t('TIMESTAMP_LTZ', { precision: 3 }), 'timestamp'),
      metadata('kafka_partition', t('INT'), 'partition'),
      metadata('kafka_offset', t('BIGINT'), 'offset'),
    ],
    watermark: {
      column: 'event_time',
      expr: bin('-', col('event_time'), { kind: 'interval', ms: 5000, text: "INTERVAL '5' SECOND" }),
    },
    partitionedBy: [],
    options: {
      connector: 'kafka',
      topic: 'user-events',
      'properties.bootstrap.servers': 'localhost:9092',
      'properties.group.id': 'analytics',
      'scan.startup.mode': 'earliest-offset',
      format: 'avro-confluent',
      'avro-confluent.url': 'http://localhost:8081',
    },
  })
})

test('every Flink type of the corpus, with Flink defaults', async () => {
  const statement = await parseOne(sql('extra-types'))
  assert.equal(statement.kind, 'create-table')
  const types = Object.fromEntries(
    statement.columns.map((c) => [c.name, c.kind === 'computed' ? null : c.type]),
  )
  assert.deepEqual(types, {
    b: t('BOOLEAN'),
    t: t('TINYINT'),
    s: t('SMALLINT'),
    i: t('INT'),
    l: t('BIGINT'),
    f: t('FLOAT'),
    d: t('DOUBLE'),
    dec_v: t('DECIMAL', { precision: 38, scale: 18 }),
    c: t('CHAR', { length: 3 }),
    vc: t('VARCHAR', { length: 255 }),
    bin: t('VARBINARY'),
    dt: t('DATE'),
    tm: t('TIME', { precision: 3 }),
    ts: t('TIMESTAMP', { precision: 3 }),
    ts9: t('TIMESTAMP', { precision: 9 }),
    ltz: t('TIMESTAMP_LTZ', { precision: 3 }),
    ltz2: t('TIMESTAMP_LTZ', { precision: 3 }),
    arr: t('ARRAY', { element: string }),
    m: t('MAP', { key: string, value: t('INT') }),
    r: t('ROW', {
      fields: [
        { name: 'a', type: t('INT') },
        {
          name: 'b',
          type: t('ROW', {
            fields: [
              { name: 'c', type: string },
              { name: 'd', type: t('ARRAY', { element: t('BIGINT') }) },
            ],
          }),
        },
      ],
    }),
    ms: t('MULTISET', { element: string }),
  })
})

test('defaults, ROW(...), NOT NULL, INTEGER', async () => {
  const statement = await parseOne(
    "CREATE TABLE x (a VARCHAR, b DECIMAL, c TIMESTAMP, d TIME, e ROW(f INT), g INTEGER NOT NULL, h BINARY) WITH ('connector' = 'datagen')",
  )
  assert.equal(statement.kind, 'create-table')
  assert.deepEqual(
    statement.columns.map((c) => (c.kind === 'physical' ? c.type : null)),
    [
      t('VARCHAR', { length: 1 }),
      t('DECIMAL', { precision: 10, scale: 0 }),
      t('TIMESTAMP', { precision: 6 }),
      t('TIME', { precision: 0 }),
      t('ROW', { fields: [{ name: 'f', type: t('INT') }] }),
      { kind: 'INT', nullable: false },
      t('BINARY', { length: 1 }),
    ],
  )
})

test('primary keys at column and table level, PARTITIONED BY, TEMPORARY, IF NOT EXISTS, LIKE', async () => {
  const column = await parseOne(
    "CREATE TEMPORARY TABLE IF NOT EXISTS db.x (id STRING PRIMARY KEY NOT ENFORCED, p INT) PARTITIONED BY (p) WITH ('a' = '1')",
  )
  assert.equal(column.kind, 'create-table')
  assert.deepEqual(
    [column.name, column.temporary, column.ifNotExists, column.primaryKey, column.partitionedBy],
    ['db.x', true, true, ['id'], ['p']],
  )
  const table = await parseOne(sql('seed-analytics-sink'))
  assert.equal(table.kind, 'create-table')
  assert.deepEqual(table.primaryKey, ['job', 'window_start', 'key'])
  const like = await parseOne("CREATE TABLE y (a INT) WITH ('connector' = 'kafka') LIKE x")
  assert.equal(like.kind === 'create-table' && like.like, 'x')
})

test('refused DDL: ENFORCED keys, two keys, repeated options, options without a value', async () => {
  await assertRefused("CREATE TABLE x (a INT PRIMARY KEY) WITH ('c' = 'd')", {
    code: 'FRESHET_SQL_UNSUPPORTED',
    line: 1,
    column: 23,
    construct: 'ENFORCED PRIMARY KEY',
  })
  await assertRefused(
    "CREATE TABLE x (a INT PRIMARY KEY NOT ENFORCED, b INT, PRIMARY KEY (b) NOT ENFORCED) WITH ('c' = 'd')",
    {
      code: 'FRESHET_SQL_INVALID',
      line: 1,
      column: 56,
    },
  )
  await assertRefused("CREATE TABLE x (a INT) WITH ('c' = 'd', 'c' = 'e')", {
    code: 'FRESHET_SQL_INVALID',
    line: 1,
    column: 41,
  })
  await assertRefused("CREATE TABLE x (a INT) WITH ('c')", {
    code: 'FRESHET_SQL_INVALID',
    line: 1,
    column: 30,
  })
})

test('refused types: precision over 9 for TIMESTAMP, over 38 for DECIMAL, TIMESTAMP WITH TIME ZONE', async () => {
  const invalid = { code: 'FRESHET_SQL_INVALID' as const, line: 1, column: 19 }
  await assertRefused("CREATE TABLE x (a TIMESTAMP(12)) WITH ('c' = 'd')", invalid)
  await assertRefused("CREATE TABLE x (a DECIMAL(40, 2)) WITH ('c' = 'd')", invalid)
  await assertRefused("CREATE TABLE x (a TIMESTAMP(3) WITH TIME ZONE) WITH ('c' = 'd')", {
    ...invalid,
    code: 'FRESHET_SQL_UNSUPPORTED',
    construct: 'TIMESTAMP WITH TIME ZONE',
  })
})

test('CREATE VIEW with a column list; the view query is a full query', async () => {
  const view = await parseOne('CREATE TEMPORARY VIEW IF NOT EXISTS v (a, b) AS SELECT x, y FROM t')
  assert.deepEqual(shape(view), {
    kind: 'create-view',
    name: 'v',
    temporary: true,
    ifNotExists: true,
    columns: ['a', 'b'],
    query: {
      kind: 'select',
      with: [],
      distinct: false,
      items: [
        { kind: 'expr', expr: col('x') },
        { kind: 'expr', expr: col('y') },
      ],
      from: { kind: 'table', name: 't', hints: {} },
      groupBy: [],
      orderBy: [],
    },
  })
})
