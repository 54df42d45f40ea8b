// Temporal joins against an upsert-kafka table on a real broker: each left row meets the version
// of its key current at its time (versions that arrive out of order included, a version at the
// row's very millisecond included), a tombstone ends the key's versions from its own time on, and
// a LEFT JOIN pads the rows without a version. The shapes Flink refuses or freshet does not run
// are refused with their construct.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { FreshetError } from '../../../src/errors/index.ts'
import { KafkaProducer } from '../../../src/kafka/index.ts'
import { parseSql } from '../../../src/sql/parse/index.ts'
import { planScript } from '../../../src/sql/plan/planner.ts'
import { bootstrap, brokers, randomName, randomTopic, readToEnd } from '../../helpers/kafka.ts'
import { runOnFreshet } from '../corpus/harness.ts'

const T0 = Date.UTC(2026, 0, 1, 10)
const s = (seconds: number): number => T0 + seconds * 1_000
const text = (ms: number): string => new Date(ms).toISOString().replace('T', ' ').replace('Z', '')

function tables(at: {
  clicks: string
  prices: string
  inner: string
  outer: string
  bootstrap: string
}): string {
  const kafka = (topic: string, connector = 'kafka'): string =>
    `'connector' = '${connector}', 'topic' = '${topic}', 'properties.bootstrap.servers' = '${at.bootstrap}'`
  return `CREATE TABLE clicks (
  page STRING,
  ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
) WITH (${kafka(at.clicks)}, 'format' = 'json', 'scan.startup.mode' = 'earliest-offset', 'scan.bounded.mode' = 'latest-offset');
CREATE TABLE prices (
  page STRING,
  price DOUBLE,
  version_ts TIMESTAMP(3) METADATA FROM 'timestamp',
  WATERMARK FOR version_ts AS version_ts - INTERVAL '5' SECOND,
  PRIMARY KEY (page) NOT ENFORCED
) WITH (${kafka(at.prices, 'upsert-kafka')}, 'key.format' = 'json', 'value.format' = 'json', 'scan.bounded.mode' = 'latest-offset');
CREATE TABLE inner_rows (page STRING, ts TIMESTAMP(3), price DOUBLE) WITH (${kafka(at.inner)}, 'format' = 'json');
CREATE TABLE outer_rows (page STRING, ts TIMESTAMP(3), price DOUBLE) WITH (${kafka(at.outer)}, 'format' = 'json');
`
}

test('temporal join on the broker: versions by time whatever their arrival order, tombstones end a key, LEFT JOIN pads', async (t) => {
  const clicks = await randomTopic(t, 'tj-clicks', 2)
  const prices = await randomTopic(t, 'tj-prices', 2)
  const inner = await randomTopic(t, 'tj-inner', 1)
  const outer = await randomTopic(t, 'tj-outer', 1)
  const producer = new KafkaProducer({ bootstrapBrokers: brokers() })
  try {
    const version = (page: string, price: number | null, ms: number) => ({
      topic: prices,
      key: Buffer.from(JSON.stringify({ page })),
      value: price === null ? null : Buffer.from(JSON.stringify({ page, price })),
      timestampMs: ms,
    })
    await producer.send([
      version('home', 1, s(0)),
      version('home', 2, s(10)),
      version('home', null, s(20)), // deleted from 20 s on
      version('home', 3, s(30)),
      version('shop', 7, s(5)),
      version('shop', 6, s(3)), // written after the 5 s version, valid before it
    ])
    const click = (page: string, ms: number) => ({
      topic: clicks,
      key: Buffer.from(page),
      value: Buffer.from(JSON.stringify({ page, ts: text(ms) })),
    })
    await producer.send([
      click('home', s(-5)), // before any version
      click('home', s(5)),
      click('home', s(10)), // the very millisecond of a version: that version
      click('home', s(15)),
      click('home', s(25)), // after the tombstone
      click('home', s(35)),
      click('shop', s(4)),
      click('shop', s(6)),
      click('other', s(1)), // a key with no version at all
    ])
  } finally {
    await producer.close()
  }
  const sql = `SET 'pipeline.name' = '${randomName('tj')}';
${tables({ clicks, prices, inner, outer, bootstrap: bootstrap() })}
EXECUTE STATEMENT SET BEGIN
INSERT INTO inner_rows SELECT c.page, c.ts, p.price FROM clicks AS c JOIN prices FOR SYSTEM_TIME AS OF c.ts AS p ON c.page = p.page;
INSERT INTO outer_rows SELECT c.page, c.ts, p.price FROM clicks AS c LEFT JOIN prices FOR SYSTEM_TIME AS OF c.ts AS p ON c.page = p.page;
END;`
  await runOnFreshet(sql, 'temporal-join.sql')
  const rows = async (topic: string): Promise<string[]> =>
    (await readToEnd(topic)).map((r) => (r.value as Buffer).toString('utf8')).sort()
  const row = (page: string, ms: number, price: number | null): string =>
    JSON.stringify({ page, ts: text(ms).replace(/\.000$/, ''), price })
  const matched = [
    row('home', s(5), 1),
    row('home', s(10), 2),
    row('home', s(15), 2),
    row('home', s(35), 3),
    row('shop', s(4), 6),
    row('shop', s(6), 7),
  ]
  assert.deepEqual(await rows(inner), [...matched].sort())
  assert.deepEqual(
    await rows(outer),
    [...matched, row('home', s(-5), null), row('home', s(25), null), row('other', s(1), null)].sort(),
  )
})

async function refused(sql: string, code: string, message: RegExp): Promise<void> {
  const at = { clicks: 'c', prices: 'p', inner: 'i', outer: 'o', bootstrap: '127.0.0.1:9092' }
  await assert.rejects(
    async () =>
      planScript(await parseSql(`${tables(at)}${sql}`, 'test.sql'), { defaultApplicationId: 'sql-test' }),
    (error: unknown) => {
      assert.ok(error instanceof FreshetError, String(error))
      assert.equal(error.code, code)
      assert.match(error.message, message)
      return true
    },
  )
}

test('temporal joins Flink refuses, or freshet does not run, are refused with their construct', async () => {
  await refused(
    'INSERT INTO inner_rows SELECT c.page, c.ts, p.price FROM clicks AS c RIGHT JOIN prices FOR SYSTEM_TIME AS OF c.ts AS p ON c.page = p.page;',
    'FRESHET_SQL_UNSUPPORTED',
    /a RIGHT temporal join/,
  )
  await refused(
    'INSERT INTO inner_rows SELECT c.page, c.ts, p.price FROM clicks AS c JOIN prices FOR SYSTEM_TIME AS OF p.version_ts AS p ON c.page = p.page;',
    'FRESHET_SQL_UNSUPPORTED',
    /FOR SYSTEM_TIME AS OF other than the left side's time attribute \(ts\)/,
  )
  await refused(
    'INSERT INTO inner_rows SELECT c.page, c.ts, p.price FROM clicks AS c JOIN prices FOR SYSTEM_TIME AS OF c.ts AS p ON c.ts = p.version_ts;',
    'FRESHET_SQL_INVALID',
    /needs an equality on every column of the primary key of "prices" \(page\)/,
  )
  await refused(
    'INSERT INTO inner_rows SELECT c.page, c.ts, 1.0 FROM clicks AS c JOIN clicks FOR SYSTEM_TIME AS OF c.ts AS d ON c.page = d.page;',
    'FRESHET_SQL_UNSUPPORTED',
    /not an upsert-kafka table/,
  )
  await refused(
    'INSERT INTO inner_rows SELECT page, version_ts, price FROM prices;',
    'FRESHET_SQL_UNSUPPORTED',
    /reading the upsert-kafka table "prices" \(a changelog\) other than as the versioned table of a temporal join/,
  )
  await refused(
    'INSERT INTO inner_rows SELECT page, ts, 1.0 FROM clicks FOR SYSTEM_TIME AS OF ts;',
    'FRESHET_SQL_INVALID',
    /FOR SYSTEM_TIME AS OF is the right side of a temporal join/,
  )
})
