// A client session without a broker: what it keeps (tables, views, properties), what it shows
// (SHOW, DESCRIBE, SET), what a SELECT plans into (a collected result, updating for a GROUP BY),
// and the statements it refuses with their code and position.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { SqlSession, type ClientResult } from '../../../src/sql/client/session.ts'

const CLICKS = `CREATE TABLE clicks (
  user_id STRING NOT NULL,
  qty INT,
  ts TIMESTAMP(3),
  doubled AS qty * 2,
  part INT METADATA FROM 'partition' VIRTUAL,
  WATERMARK FOR ts AS ts - INTERVAL '2' SECOND
) WITH ('connector' = 'kafka', 'topic' = 'clicks', 'properties.bootstrap.servers' = '127.0.0.1:9092',
  'format' = 'json', 'scan.startup.mode' = 'earliest-offset')`

function session(): SqlSession {
  let n = 0
  return new SqlSession({ queryApplicationId: () => `query-${++n}`, collect: () => {} })
}

function text(result: ClientResult): string {
  assert.equal(result.kind, 'table')
  return (result as { text: string }).text
}

test('CREATE TABLE is kept and shown by SHOW TABLES and DESCRIBE, with types, key, extras and watermark', async () => {
  const s = session()
  assert.deepEqual(await s.execute(CLICKS), { kind: 'ok', message: '[INFO] Execute statement succeeded.' })
  assert.match(text(await s.execute('SHOW TABLES')), /\|\s+clicks \|\n\+-+\+\n1 row in set$/)
  const rows = text(await s.execute('DESCRIBE clicks'))
    .split('\n')
    .filter((l) => l.startsWith('|'))
    .map((l) =>
      l
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim()),
    )
  assert.deepEqual(rows, [
    ['name', 'type', 'null', 'key', 'extras', 'watermark'],
    ['user_id', 'STRING', 'FALSE', '', '', ''],
    ['qty', 'INT', 'TRUE', '', '', ''],
    ['ts', 'TIMESTAMP(3)', 'TRUE', '', '', '`ts` - 2000 ms'],
    ['doubled', 'INT', 'TRUE', '', 'computed', ''],
    ['part', 'INT', 'TRUE', '', "METADATA FROM 'partition' VIRTUAL", ''],
  ])
  await s.execute(`CREATE TABLE totals (user_id STRING, n BIGINT, PRIMARY KEY (user_id) NOT ENFORCED)
    WITH ('connector' = 'upsert-kafka', 'topic' = 'totals', 'properties.bootstrap.servers' = '127.0.0.1:9092',
      'key.format' = 'json', 'value.format' = 'json')`)
  assert.match(
    text(await s.execute('DESCRIBE totals')),
    /\|\s+user_id \|\s+STRING \|\s+\w+ \|\s+PRI\(user_id\) \|/,
  )
})

test('a SELECT plans into a collected result under a new application id per query; a GROUP BY updates by key', async () => {
  const s = session()
  await s.execute(CLICKS)
  const first = await s.execute('SELECT user_id, qty FROM clicks WHERE qty > 1')
  assert.equal(first.kind, 'query')
  const planned = (first as Extract<ClientResult, { kind: 'query' }>).planned
  assert.equal(planned.applicationId, 'query-1')
  assert.deepEqual(
    planned.result?.columns.map((c) => c.name),
    ['user_id', 'qty'],
  )
  assert.equal(planned.result?.updating, false)
  const second = (await s.execute('SELECT qty, COUNT(*) AS n FROM clicks GROUP BY qty')) as Extract<
    ClientResult,
    { kind: 'query' }
  >
  assert.equal(second.planned.applicationId, 'query-2')
  assert.equal(second.planned.result?.updating, true)
  assert.deepEqual(second.planned.result?.keyIndexes, [0])
})

test('a view is checked when created: a wrong one is refused at its position and not kept', async () => {
  const s = session()
  await s.execute(CLICKS)
  await assert.rejects(
    s.execute('CREATE VIEW v AS SELECT nope FROM clicks'),
    (e: Error & { code?: string }) => {
      assert.equal(e.code, 'FRESHET_SQL_INVALID')
      assert.match(e.message, /<sql-client>:1:\d+/)
      return true
    },
  )
  assert.match(text(await s.execute('SHOW VIEWS')), /Empty set/)
  await s.execute('CREATE VIEW big AS SELECT user_id FROM clicks WHERE qty > 10')
  assert.match(text(await s.execute('SHOW VIEWS')), /\|\s+big \|/)
  assert.match(text(await s.execute('DESC big')), /\|\s+user_id \|\s+STRING \|\s+FALSE \|/)
})

test('a second table of one name is refused; DROP forgets one, IF EXISTS forgives a missing one', async () => {
  const s = session()
  await s.execute(CLICKS)
  await assert.rejects(s.execute(CLICKS), /already exists/)
  await s.execute('DROP TABLE clicks')
  assert.match(text(await s.execute('SHOW TABLES')), /Empty set/)
  await assert.rejects(s.execute('DROP TABLE clicks'), /Table 'clicks' not found/)
  assert.equal((await s.execute('DROP TABLE IF EXISTS clicks')).kind, 'ok')
})

test('SET keeps properties, SET; lists them, RESET clears them', async () => {
  const s = session()
  await s.execute("SET 'table.local-time-zone' = 'Europe/Paris'")
  await s.execute("SET 'pipeline.name' = 'x'")
  const listed = text(await s.execute('SET'))
  assert.match(listed, /\|\s+pipeline.name \|\s+x \|/)
  assert.match(listed, /\| table.local-time-zone \|\s+Europe\/Paris \|/)
  await s.execute('RESET')
  assert.match(text(await s.execute('SET')), /Empty set/)
})

test('INSERT is refused with the command that runs it; client commands answer without the parser', async () => {
  const s = session()
  await s.execute(CLICKS)
  await assert.rejects(
    s.execute('INSERT INTO clicks SELECT * FROM clicks'),
    (e: Error & { code?: string }) => {
      assert.equal(e.code, 'FRESHET_SQL_UNSUPPORTED')
      assert.match(e.message, /freshet sql run FILE\.sql/)
      return true
    },
  )
  assert.deepEqual(await s.execute('quit'), { kind: 'quit' })
  assert.deepEqual(await s.execute('EXIT'), { kind: 'quit' })
  assert.equal((await s.execute('help')).kind, 'ok')
})
