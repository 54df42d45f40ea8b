// The planner on the test driver: SQL text in, the DSL pipeline it plans run over piped rows. Each
// test states the rows Flink's semantics give, and the refusals name their construct and position.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { FreshetError } from '../../../src/errors/index.ts'
import { parseSql } from '../../../src/sql/parse/index.ts'
import { planScript, type PlannedScript } from '../../../src/sql/plan/planner.ts'
import { isRecordDeserializer } from '../../../src/serde/index.ts'
import { MemoryRegistry, TestDriver } from '../../../src/testing/index.ts'

const T0 = Date.UTC(2026, 0, 1, 10)

const ORDERS = `CREATE TABLE orders (
  order_id STRING NOT NULL,
  customer STRING,
  amount DOUBLE,
  quantity INT NOT NULL,
  order_time TIMESTAMP(3) NOT NULL,
  WATERMARK FOR order_time AS order_time - INTERVAL '2' SECOND
) WITH ('connector' = 'kafka', 'topic' = 'orders', 'properties.bootstrap.servers' = 'k:9092', 'scan.startup.mode' = 'earliest-offset', 'format' = 'json');
`

function sink(name: string, columns: string): string {
  return `CREATE TABLE ${name} (${columns}) WITH ('connector' = 'kafka', 'topic' = '${name}', 'properties.bootstrap.servers' = 'k:9092', 'format' = 'json');\n`
}

async function plan(sql: string): Promise<PlannedScript> {
  const registry = new MemoryRegistry()
  return planScript(await parseSql(sql, 'test.sql'), {
    defaultApplicationId: 'sql-test',
    registry: () => registry,
  })
}

interface Order {
  order_id: string
  customer: string | null
  amount: number | null
  quantity: number
  order_time: number
}

function order(id: number, customer: string | null, amount: number | null, seconds: number): Order {
  return { order_id: `o${id}`, customer, amount, quantity: id % 3, order_time: T0 + seconds * 1_000 }
}

async function run(sql: string, orders: readonly Order[], output: string): Promise<unknown[]> {
  const planned = await plan(sql)
  const driver = await TestDriver.create(planned.topology, {
    partitions: 2,
    maxOutOfOrdernessMs: planned.maxOutOfOrdernessMs ?? 0,
  })
  const input = driver.input<Order, string>('orders')
  for (const o of orders) input.pipe(o, { key: o.order_id, timestampMs: o.order_time })
  driver.advanceWatermark(Infinity)
  const values = driver.output(output).readValues()
  await driver.close()
  return values
}

const sortJson = (rows: readonly unknown[]): string[] => rows.map((r) => JSON.stringify(r)).sort()

test('WHERE and a projection with expressions: NULL is not true, columns named as Flink names them', async () => {
  const sql = `${ORDERS}${sink('big', 'order_id STRING, customer STRING, total DOUBLE, q INT')}
INSERT INTO big
SELECT order_id, UPPER(customer), amount * quantity AS total, quantity + 1
FROM orders WHERE amount > 10;`
  const rows = await run(
    sql,
    [order(1, 'ann', 20, 1), order(2, 'bob', 5, 2), order(3, null, 30, 3), order(4, 'gus', null, 4)],
    'big',
  )
  assert.deepEqual(
    sortJson(rows),
    sortJson([
      { order_id: 'o1', customer: 'ANN', total: 20, q: 2 },
      { order_id: 'o3', customer: null, total: 0, q: 1 },
    ]),
  )
})

test('HOP window aggregation with a HAVING and two aggregates of one call shared', async () => {
  const sql = `${ORDERS}${sink('per_customer', 'ws TIMESTAMP(3), we TIMESTAMP(3), customer STRING, n BIGINT, total DOUBLE')}
INSERT INTO per_customer
SELECT window_start, window_end, customer, COUNT(*), SUM(amount)
FROM TABLE(HOP(TABLE orders, DESCRIPTOR(order_time), INTERVAL '5' SECOND, INTERVAL '10' SECOND))
GROUP BY window_start, window_end, customer
HAVING SUM(amount) > 15;`
  const rows = await run(
    sql,
    [order(1, 'ann', 10, 1), order(2, 'ann', 10, 6), order(3, 'bob', 20, 7), order(4, null, 40, 12)],
    'per_customer',
  )
  const w = (s: number) => T0 + s * 1_000
  assert.deepEqual(
    sortJson(rows),
    sortJson(
      [
        { ws: w(-5), we: w(5), customer: 'ann', n: 1, total: 10 }, // HAVING drops it
        { ws: w(0), we: w(10), customer: 'ann', n: 2, total: 20 },
        { ws: w(0), we: w(10), customer: 'bob', n: 1, total: 20 },
        { ws: w(5), we: w(15), customer: 'bob', n: 1, total: 20 },
        { ws: w(10), we: w(20), customer: null, n: 1, total: 40 },
        { ws: w(5), we: w(15), customer: null, n: 1, total: 40 },
      ].filter((r) => r.total > 15),
    ),
  )
})

test('a view over a view keeps the time attribute; UNION ALL of two branches', async () => {
  const sql = `${ORDERS}${sink('counts', 'ws TIMESTAMP(3), kind STRING, n BIGINT')}
CREATE VIEW cheap AS SELECT order_time, 'cheap' AS kind FROM orders WHERE amount < 15;
CREATE VIEW dear AS SELECT order_time, 'dear' AS kind FROM orders WHERE amount >= 15;
CREATE VIEW all_kinds AS SELECT * FROM cheap UNION ALL SELECT * FROM dear;
INSERT INTO counts
SELECT window_start, kind, COUNT(*)
FROM TABLE(TUMBLE(TABLE all_kinds, DESCRIPTOR(order_time), INTERVAL '10' SECOND))
GROUP BY window_start, window_end, kind;`
  const rows = await run(
    sql,
    [order(1, 'a', 10, 1), order(2, 'b', 20, 2), order(3, 'c', 30, 3), order(4, 'd', 5, 11)],
    'counts',
  )
  assert.deepEqual(
    sortJson(rows),
    sortJson([
      { ws: T0, kind: 'cheap', n: 1 },
      { ws: T0, kind: 'dear', n: 2 },
      { ws: T0 + 10_000, kind: 'cheap', n: 1 },
    ]),
  )
})

test('the WATERMARK delay is the worker out-of-orderness; explain shows the repartition by the group key', async () => {
  const planned = await plan(`${ORDERS}${sink('s', 'c STRING, n BIGINT')}
INSERT INTO s SELECT customer, COUNT(*) FROM TABLE(TUMBLE(TABLE orders, DESCRIPTOR(order_time), INTERVAL '1' MINUTE)) GROUP BY window_start, window_end, customer;`)
  assert.equal(planned.maxOutOfOrdernessMs, 2_000)
  assert.equal(planned.applicationId, 'sql-test')
  assert.deepEqual(planned.topology.description.topics.sources, ['orders'])
  assert.deepEqual(planned.topology.description.topics.sinks, ['s'])
  assert.equal(planned.topology.description.topics.repartition.length, 1)
})

async function refused(sql: string, code: string, message: RegExp): Promise<void> {
  await assert.rejects(plan(sql), (error: unknown) => {
    assert.ok(error instanceof FreshetError)
    assert.equal(error.code, code)
    assert.match(error.message, message)
    return true
  })
}

test('refusals: each with its construct and test.sql:line:column', async () => {
  const s = sink('s', 'a STRING, n BIGINT')
  const lines = (ORDERS + s).split('\n').length
  await refused(
    `${ORDERS}${s}INSERT INTO s SELECT customer, COUNT(*) FROM orders GROUP BY customer;`,
    'FRESHET_SQL_INVALID',
    new RegExp(`test\\.sql:${lines}:\\d+: table "s" \\('kafka'\\) cannot take the updating result`),
  )
  await refused(
    `${ORDERS}${s}INSERT INTO s SELECT customer, COUNT(*) FROM TABLE(CUMULATE(TABLE orders, DESCRIPTOR(order_time), INTERVAL '2' MINUTE, INTERVAL '5' MINUTE)) GROUP BY window_start, window_end, customer;`,
    'FRESHET_SQL_INVALID',
    /CUMULATE: the max size must be a whole multiple of the step/,
  )
  await refused(
    `SET 'table.exec.state.ttl' = '1 h';\n${ORDERS}${s}INSERT INTO s SELECT customer, 1 FROM orders;`,
    'FRESHET_SQL_UNSUPPORTED',
    /test\.sql:1:1: .*SET 'table\.exec\.state\.ttl' = '1 h'.*for ever/,
  )
  await refused(
    `${ORDERS}${s}INSERT INTO s SELECT custom, 1 FROM orders;`,
    'FRESHET_SQL_INVALID',
    /custom.*did you mean 'customer'/,
  )
  await refused(
    `${ORDERS}${s}INSERT INTO s SELECT customer FROM orders;`,
    'FRESHET_SQL_INVALID',
    /gives 1 columns and the table takes 2/,
  )
  await refused(
    `${ORDERS}${s}INSERT INTO s SELECT customer, COUNT(*) FROM TABLE(TUMBLE(TABLE orders, DESCRIPTOR(amount), INTERVAL '1' MINUTE)) GROUP BY window_start, window_end, customer;`,
    'FRESHET_SQL_INVALID',
    /DESCRIPTOR\(amount\).*time attribute/,
  )
  await refused(
    `${ORDERS}${s}INSERT INTO s SELECT order_id, quantity FROM TABLE(TUMBLE(TABLE orders, DESCRIPTOR(order_time), INTERVAL '1' MINUTE)) GROUP BY window_start, window_end, customer;`,
    'FRESHET_SQL_INVALID',
    /"order_id" is neither grouped nor aggregated/,
  )
  await refused(
    `${ORDERS}${s}SELECT * FROM orders;`,
    'FRESHET_SQL_UNSUPPORTED',
    /a bare SELECT in a job file/,
  )
})

test('SESSION window TVF partitioned by a key, with FILTER aggregates: events one gap apart are one session', async () => {
  const sql = `${ORDERS}${sink('sessions', 'customer STRING, ws TIMESTAMP(3), we TIMESTAMP(3), n BIGINT, big BIGINT')}
INSERT INTO sessions
SELECT customer, window_start, window_end, COUNT(*), COUNT(*) FILTER (WHERE amount >= 20)
FROM TABLE(SESSION(TABLE orders PARTITION BY customer, DESCRIPTOR(order_time), INTERVAL '10' SECOND))
GROUP BY window_start, window_end, customer;`
  const rows = await run(
    sql,
    [
      order(1, 'ann', 10, 0),
      order(2, 'ann', 25, 10),
      order(3, 'bob', 30, 5),
      order(4, 'ann', 40, 21),
      order(5, 'bob', 1, 30),
    ],
    'sessions',
  )
  const s = (n: number) => T0 + n * 1_000
  assert.deepEqual(
    sortJson(rows),
    sortJson([
      // ann at 0 and 10 (exactly one gap apart): one session; 21 is 11 s after 10: a new one.
      { customer: 'ann', ws: s(0), we: s(20), n: 2, big: 1 },
      { customer: 'ann', ws: s(21), we: s(31), n: 1, big: 1 },
      { customer: 'bob', ws: s(5), we: s(15), n: 1, big: 1 },
      { customer: 'bob', ws: s(30), we: s(40), n: 1, big: 0 },
    ]),
  )
})

test('a SESSION aggregation grouped by other columns than it is partitioned by is refused, not run per group', async () => {
  const s = sink('s', 'c STRING, n BIGINT')
  await refused(
    `${ORDERS}${s}INSERT INTO s SELECT customer, COUNT(*) FROM TABLE(SESSION(TABLE orders, DESCRIPTOR(order_time), INTERVAL '10' SECOND)) GROUP BY window_start, window_end, customer;`,
    'FRESHET_SQL_UNSUPPORTED',
    /GROUP BY keys are not its PARTITION BY columns/,
  )
})

test('window Top-N: the first N rows per window in the ORDER BY order, numbered; the other shapes refused', async () => {
  const counts = `CREATE VIEW counts AS SELECT window_start, window_end, window_time, customer, SUM(amount) AS total
FROM TABLE(TUMBLE(TABLE orders, DESCRIPTOR(order_time), INTERVAL '10' SECOND))
GROUP BY window_start, window_end, window_time, customer;
`
  const sql = `${ORDERS}${sink('top', 'ws TIMESTAMP(3), customer STRING, total DOUBLE, r BIGINT')}${counts}
INSERT INTO top SELECT window_start, customer, total, r FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY window_start, window_end ORDER BY total DESC, customer) AS r FROM counts
) WHERE r <= 2;`
  const rows = await run(
    sql,
    [
      order(1, 'ann', 10, 1),
      order(2, 'bob', 30, 2),
      order(3, 'gus', 20, 3),
      order(4, 'ann', 15, 4),
      order(5, 'eve', 5, 12),
    ],
    'top',
  )
  assert.deepEqual(
    sortJson(rows),
    sortJson([
      { ws: T0, customer: 'bob', total: 30, r: 1 },
      { ws: T0, customer: 'ann', total: 25, r: 2 },
      { ws: T0 + 10_000, customer: 'eve', total: 5, r: 1 },
    ]),
  )
  const s = sink('s', 'c STRING, r BIGINT')
  await refused(
    `${ORDERS}${s}${counts}INSERT INTO s SELECT customer, r FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY customer ORDER BY total DESC) AS r FROM counts) WHERE r <= 2;`,
    'FRESHET_SQL_INVALID',
    /cannot take the updating result of a GROUP BY or Top-N without a window/,
  )
  await refused(
    `${ORDERS}${s}${counts}INSERT INTO s SELECT customer, r FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY window_start, window_end ORDER BY total DESC) AS r FROM counts);`,
    'FRESHET_SQL_UNSUPPORTED',
    /without an outer `WHERE rn <= N`/,
  )
})

test('interval join: pairs with equal keys whose times are within the bounds; the other join shapes refused', async () => {
  const sql = `${ORDERS}${sink('pairs', 'a STRING, b STRING, customer STRING, gap_s INT')}
INSERT INTO pairs
SELECT x.order_id, y.order_id, x.customer, TIMESTAMPDIFF(SECOND, x.order_time, y.order_time)
FROM orders x JOIN orders y
  ON x.customer = y.customer AND y.order_time BETWEEN x.order_time - INTERVAL '2' SECOND AND x.order_time + INTERVAL '5' SECOND
  AND x.order_id < y.order_id;`
  const rows = await run(
    sql,
    [
      order(1, 'ann', 1, 1),
      order(2, 'ann', 1, 4), // 3 s after o1
      order(3, 'ann', 1, 12), // 8 s after o2: too late for both
      order(4, 'bob', 1, 13),
      order(5, 'ann', 1, 11), // 1 s before o3: within its 2 s before
      order(6, null, 1, 13), // a null key equals nothing, not even another null
      order(7, null, 1, 13),
    ],
    'pairs',
  )
  assert.deepEqual(
    sortJson(rows),
    sortJson([
      { a: 'o1', b: 'o2', customer: 'ann', gap_s: 3 },
      { a: 'o3', b: 'o5', customer: 'ann', gap_s: -1 },
    ]),
  )

  const s = sink('s', 'a STRING, b STRING')
  const join = (on: string, kind = 'JOIN'): string =>
    `${ORDERS}${s}INSERT INTO s SELECT x.order_id, y.order_id FROM orders x ${kind} orders y ON ${on};`
  const bounded = "y.order_time BETWEEN x.order_time AND x.order_time + INTERVAL '1' SECOND"
  await refused(
    join('y.order_time > x.order_time'),
    'FRESHET_SQL_UNSUPPORTED',
    /a regular join without an equality of the two sides/,
  )
  await refused(
    join(bounded),
    'FRESHET_SQL_UNSUPPORTED',
    /an interval join without an equality of the two sides/,
  )
  await refused(
    join(`x.customer = y.customer AND ${bounded}`, 'LEFT JOIN'),
    'FRESHET_SQL_UNSUPPORTED',
    /LEFT OUTER JOIN/,
  )
  await refused(
    join(
      `x.customer = y.customer AND y.order_time BETWEEN x.order_time + INTERVAL '1' SECOND AND x.order_time + INTERVAL '2' SECOND`,
    ),
    'FRESHET_SQL_UNSUPPORTED',
    /exclude the left row's own time/,
  )
  await refused(
    `${ORDERS}${s}INSERT INTO s SELECT x.order_id, y.order_id FROM orders x, orders y WHERE x.customer = y.customer;`,
    'FRESHET_SQL_UNSUPPORTED',
    /a join without a join condition/,
  )
})

test('regular join: every pair with equal keys once, whichever side came first; a one-sided time bound is a condition', async () => {
  const sql = `${ORDERS}${sink('pairs', 'a STRING, b STRING')}
INSERT INTO pairs SELECT x.order_id, y.order_id FROM orders x JOIN orders y
  ON x.customer = y.customer AND y.order_time > x.order_time;`
  const rows = await run(
    sql,
    [
      order(1, 'ann', 1, 10),
      order(2, 'bob', 1, 11),
      order(3, 'ann', 1, 500), // far apart: no interval, still a pair
      order(4, 'ann', 1, 2), // arrives last, earliest of ann's
      order(5, null, 1, 3), // a null key equals nothing
      order(6, null, 1, 4),
    ],
    'pairs',
  )
  assert.deepEqual(
    sortJson(rows),
    sortJson([
      { a: 'o1', b: 'o3' },
      { a: 'o4', b: 'o1' },
      { a: 'o4', b: 'o3' },
    ]),
  )
})

test('deduplication: the earliest row of each partition, once, whatever the arrival order; keep-last updates', async () => {
  const sql = `${ORDERS}${sink('firsts', 'customer STRING, order_id STRING, n BIGINT')}
INSERT INTO firsts
SELECT customer, order_id, rn FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY customer ORDER BY order_time ASC) AS rn FROM orders
) WHERE rn = 1;`
  const rows = await run(
    sql,
    [
      order(1, 'ann', 1, 5),
      order(2, 'ann', 1, 3), // earlier than o1, arrives later: ann's first
      order(3, 'bob', 1, 4),
      order(4, 'ann', 1, 30),
      order(5, null, 1, 8),
      order(6, null, 1, 9),
      order(7, 'bob', 1, 40),
    ],
    'firsts',
  )
  assert.deepEqual(
    sortJson(rows),
    sortJson([
      { customer: 'ann', order_id: 'o2', n: 1 },
      { customer: 'bob', order_id: 'o3', n: 1 },
      { customer: null, order_id: 'o5', n: 1 },
    ]),
  )
  // Two deduplications in one file keep a store each.
  const two = await plan(`${ORDERS}${sink('a', 'order_id STRING')}${sink('b', 'order_id STRING')}
INSERT INTO a SELECT order_id FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY customer ORDER BY order_time) AS rn FROM orders) WHERE rn = 1;
INSERT INTO b SELECT order_id FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY amount ORDER BY order_time) AS rn FROM orders) WHERE rn = 1;`)
  assert.equal(
    two.topology.description.stores.filter((store) => store.name.endsWith('deduplicate-seen')).length,
    2,
  )
  const s = sink('s', 'customer STRING')
  await refused(
    `${ORDERS}${s}INSERT INTO s SELECT customer FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY customer ORDER BY order_time DESC) AS rn FROM orders) WHERE rn = 1;`,
    'FRESHET_SQL_INVALID',
    /cannot take the updating result/,
  )
  await refused(
    `${ORDERS}${s}INSERT INTO s SELECT customer FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY customer ORDER BY amount) AS rn FROM orders) WHERE rn = 1;`,
    'FRESHET_SQL_INVALID',
    /cannot take the updating result/,
  )
})

test('GROUP BY without a window: every row updates its key, written to upsert-kafka keyed by the PRIMARY KEY', async () => {
  const upsert = `CREATE TABLE totals (customer STRING, n BIGINT, total DOUBLE, biggest DOUBLE, PRIMARY KEY (customer) NOT ENFORCED)
WITH ('connector' = 'upsert-kafka', 'topic' = 'totals', 'properties.bootstrap.servers' = 'k:9092', 'key.format' = 'json', 'value.format' = 'json');\n`
  const sql = `${ORDERS}${upsert}INSERT INTO totals SELECT customer, COUNT(*), SUM(amount), MAX(amount) FROM orders GROUP BY customer;`
  const planned = await plan(sql)
  const driver = await TestDriver.create(planned.topology, { partitions: 2, maxOutOfOrdernessMs: 0 })
  const input = driver.input<Order, string>('orders')
  const orders = [order(1, 'ann', 10, 1), order(2, 'bob', 5, 2), order(3, 'ann', 30, 3), order(4, null, 7, 4)]
  for (const o of orders) input.pipe(o, { key: o.order_id, timestampMs: o.order_time })
  const records = driver.output('totals').readAll()
  await driver.close()
  // One update per row of input; the last per key is the key's row.
  assert.equal(records.length, orders.length)
  const latest = new Map(records.map((r) => [String(r.key), r.value]))
  assert.deepEqual(Object.fromEntries(latest), {
    '{"customer":"ann"}': { customer: 'ann', n: 2, total: 40, biggest: 30 },
    '{"customer":"bob"}': { customer: 'bob', n: 1, total: 5, biggest: 5 },
    '{"customer":null}': { customer: null, n: 1, total: 7, biggest: 7 },
  })

  const kafka = sink('s', 'customer STRING, n BIGINT')
  await refused(
    `${ORDERS}${kafka}INSERT INTO s SELECT customer, COUNT(*) FROM orders GROUP BY customer;`,
    'FRESHET_SQL_INVALID',
    /cannot take the updating result of a GROUP BY or Top-N without a window/,
  )
  await refused(
    `${ORDERS}${upsert}INSERT INTO totals SELECT customer, COUNT(*), SUM(amount), MAX(amount) FROM orders GROUP BY customer HAVING COUNT(*) > 1;`,
    'FRESHET_SQL_UNSUPPORTED',
    /HAVING on a GROUP BY without a window/,
  )
  await refused(
    `${ORDERS}${upsert}INSERT INTO totals SELECT order_id, COUNT(*), SUM(amount), MAX(amount) FROM orders GROUP BY order_id, customer;`,
    'FRESHET_SQL_UNSUPPORTED',
    /PRIMARY KEY \(customer\) is not the key of the query.s updates/,
  )
})

test('Top-N without windows: updates keyed by partition and rank; an updating input re-ranks its keys', async () => {
  const ranks = `CREATE TABLE ranks (customer STRING NOT NULL, r BIGINT NOT NULL, order_id STRING, amount DOUBLE, PRIMARY KEY (customer, r) NOT ENFORCED)
WITH ('connector' = 'upsert-kafka', 'topic' = 'ranks', 'properties.bootstrap.servers' = 'k:9092', 'key.format' = 'json', 'value.format' = 'json');\n`
  const planned = await plan(`${ORDERS}${ranks}INSERT INTO ranks SELECT customer, r, order_id, amount FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY customer ORDER BY amount DESC) AS r FROM orders WHERE customer IS NOT NULL
) WHERE r <= 2;`)
  const driver = await TestDriver.create(planned.topology, { partitions: 2, maxOutOfOrdernessMs: 0 })
  const input = driver.input<Order, string>('orders')
  const orders = [
    order(1, 'ann', 10, 1),
    order(2, 'ann', 30, 2), // ann: o2 first, o1 second
    order(3, 'ann', 20, 3), // o3 second, o1 out
    order(4, 'ann', 5, 4), // below the top 2: no update
    order(5, 'bob', null, 5), // NULL is the lowest: last for DESC
    order(6, 'bob', 1, 6),
  ]
  for (const o of orders) input.pipe(o, { key: o.order_id, timestampMs: o.order_time })
  const records = driver.output('ranks').readAll()
  await driver.close()
  const latest = new Map(records.map((r) => [String(r.key), r.value]))
  assert.deepEqual(Object.fromEntries(latest), {
    '{"customer":"ann","r":1}': { customer: 'ann', r: 1, order_id: 'o2', amount: 30 },
    '{"customer":"ann","r":2}': { customer: 'ann', r: 2, order_id: 'o3', amount: 20 },
    '{"customer":"bob","r":1}': { customer: 'bob', r: 1, order_id: 'o6', amount: 1 },
    '{"customer":"bob","r":2}': { customer: 'bob', r: 2, order_id: 'o5', amount: null },
  })
  // Only changed ranks are written: o1 at 1, then o2 at 1 and o1 at 2, then o3 at 2; bob's three.
  assert.equal(records.length, 7)
})

test('METADATA columns: read from the record (null on the test driver, which has none); written ones refused', async () => {
  const withMeta = `CREATE TABLE m (order_id STRING, order_time TIMESTAMP(3), at_ TIMESTAMP_LTZ(3) METADATA FROM 'timestamp',
  part INT METADATA FROM 'partition' VIRTUAL, WATERMARK FOR order_time AS order_time)
WITH ('connector' = 'kafka', 'topic' = 'orders', 'properties.bootstrap.servers' = 'k:9092', 'scan.startup.mode' = 'earliest-offset', 'format' = 'json');\n`
  const planned = await plan(
    `${withMeta}${sink('sunk', 'order_id STRING, part INT')}INSERT INTO sunk SELECT order_id, part FROM m;`,
  )
  assert.equal(planned.sources[0]!.relation.columns.find((c) => c.name === 'part')?.type.kind, 'INT')
  await refused(
    `${withMeta}INSERT INTO m SELECT order_id, order_time, at_ FROM m;`,
    'FRESHET_SQL_UNSUPPORTED',
    /writing the METADATA column "at_"/,
  )
  await refused(
    withMeta.replace("INT METADATA FROM 'partition'", "STRING METADATA FROM 'partition'") +
      `${sink('sunk', 'order_id STRING, part STRING')}INSERT INTO sunk SELECT order_id, part FROM m;`,
    'FRESHET_SQL_UNSUPPORTED',
    /the METADATA key 'partition' as STRING/,
  )
})

test('window join: rows of both sides with equal keys in the same window, paired when it closes; other shapes refused', async () => {
  const tumble = (where: string) =>
    `(SELECT * FROM TABLE(TUMBLE(TABLE orders, DESCRIPTOR(order_time), INTERVAL '10' SECOND)) WHERE ${where})`
  const sql = `${ORDERS}${sink('pairs', 'ws TIMESTAMP(3), a STRING, b STRING')}
INSERT INTO pairs SELECT x.window_start, x.order_id, y.order_id
FROM ${tumble('quantity = 1')} x JOIN ${tumble('quantity = 2')} y
  ON x.customer = y.customer AND x.window_start = y.window_start AND x.window_end = y.window_end;`
  const rows = await run(
    sql,
    [
      order(1, 'ann', 1, 1), // quantity 1
      order(2, 'ann', 1, 4), // quantity 2: pairs with o1 (same window)
      order(5, 'ann', 1, 12), // quantity 2, next window: o4 is there
      order(4, 'ann', 1, 13), // quantity 1
      order(8, 'bob', 1, 2), // quantity 2, no bob with quantity 1
    ],
    'pairs',
  )
  assert.deepEqual(
    sortJson(rows),
    sortJson([
      { ws: T0, a: 'o1', b: 'o2' },
      { ws: T0 + 10_000, a: 'o4', b: 'o5' },
    ]),
  )
  const s = sink('s', 'a STRING, b STRING')
  await refused(
    `${ORDERS}${s}INSERT INTO s SELECT x.order_id, y.order_id FROM ${tumble('true')} x JOIN ${tumble('true')} y ON x.customer = y.customer;`,
    'FRESHET_SQL_UNSUPPORTED',
    /without l\.window_start = r\.window_start/,
  )
  await refused(
    `${ORDERS}${s}INSERT INTO s SELECT order_id, customer FROM TABLE(TUMBLE(TABLE orders, DESCRIPTOR(order_time), INTERVAL '10' SECOND));`,
    'FRESHET_SQL_UNSUPPORTED',
    /a window TVF without window aggregation/,
  )
})

test("key.fields: read from the record key (JSON, without 'key.fields-prefix'), the value without them", async () => {
  const keyed = `CREATE TABLE k (k_user STRING, page STRING, n INT) WITH ('connector' = 'kafka', 'topic' = 'k', 'properties.bootstrap.servers' = 'k:9092',
  'scan.startup.mode' = 'earliest-offset', 'key.format' = 'json', 'key.fields' = 'k_user', 'key.fields-prefix' = 'k_',
  'value.format' = 'json', 'value.fields-include' = 'EXCEPT_KEY');\n`
  const planned = await plan(
    `${keyed}${sink('sunk', 'u STRING, page STRING, n INT')}INSERT INTO sunk SELECT * FROM k;`,
  )
  const deserializer = planned.deserializers.k!
  assert.ok(isRecordDeserializer(deserializer))
  const row = deserializer.deserializeRecord({
    topic: 'k',
    partition: 0,
    offset: 3n,
    timestampMs: T0,
    key: Buffer.from('{"user":"ada"}'),
    value: Buffer.from('{"page":"home","n":2,"k_user":"not read from the value"}'),
    headers: new Map(),
  })
  // Compared as JSON: the row also keeps its record (a symbol property) for METADATA columns.
  assert.deepEqual(JSON.parse(JSON.stringify(row)), { k_user: 'ada', page: 'home', n: 2 })
})
