/**
 * Flink SQL that freshet has to parse (issue 12), for comparing parsers (docs/decisions/0009).
 *
 * Sources: `seed` statements are freshet's four seed jobs (event-counts, revenue, sessions,
 * top-users, over `schemas/user_event.avsc` and `schemas/transaction_event.avsc`) written in Flink
 * SQL; `docs` statements follow the examples of Flink's documentation (CREATE TABLE, window TVFs,
 * window aggregation, Top-N, window Top-N, deduplication, joins, hints, statement sets, SET);
 * `extra` statements cover what neither does. Each statement lists the constructs it exercises, so
 * that a parser is credited with a construct only when its output shows it (see compare.ts).
 */

export type Construct =
  | 'create-table'
  | 'flink-types'
  | 'computed-column'
  | 'metadata-column'
  | 'watermark'
  | 'primary-key'
  | 'with-options'
  | 'create-view'
  | 'temporary'
  | 'set'
  | 'statement-set'
  | 'insert'
  | 'case'
  | 'cast'
  | 'arithmetic'
  | 'scalar-function'
  | 'json-value'
  | 'timestampdiff'
  | 'interval-literal'
  | 'tumble'
  | 'hop'
  | 'cumulate'
  | 'session'
  | 'session-partition-by'
  | 'window-group-by'
  | 'count-distinct'
  | 'agg-filter'
  | 'first-last-value'
  | 'row-number-over'
  | 'interval-join'
  | 'window-join'
  | 'temporal-join'
  | 'union-all'
  | 'subquery-from'
  | 'hint'

export interface ValidStatement {
  id: string
  source: 'seed' | 'docs' | 'extra'
  constructs: Construct[]
  sql: string
}

export interface InvalidStatement {
  id: string
  /** What is wrong, in words. */
  fault: string
  /** Where the first error is: 1-based line and column of the offending token. */
  line: number
  column: number
  sql: string
}

export const VALID: ValidStatement[] = [
  // -- DDL ------------------------------------------------------------------------------------
  {
    id: 'seed-user-events-table',
    source: 'seed',
    constructs: [
      'create-table',
      'flink-types',
      'computed-column',
      'metadata-column',
      'watermark',
      'with-options',
      'interval-literal',
    ],
    sql: `CREATE TABLE user_events (
  \`timestamp\` BIGINT,
  event_type STRING,
  user_id STRING,
  version STRING,
  data ROW<page STRING, product_id STRING, amount DOUBLE, currency STRING>,
  event_time AS TO_TIMESTAMP_LTZ(\`timestamp\`, 3),
  kafka_ts TIMESTAMP_LTZ(3) METADATA FROM 'timestamp' VIRTUAL,
  kafka_partition INT METADATA FROM 'partition' VIRTUAL,
  kafka_offset BIGINT METADATA FROM 'offset' VIRTUAL,
  WATERMARK FOR event_time AS event_time - INTERVAL '5' SECOND
) WITH (
  'connector' = 'kafka',
  'topic' = 'user-events',
  'properties.bootstrap.servers' = 'localhost:9092',
  'properties.group.id' = 'analytics',
  'scan.startup.mode' = 'earliest-offset',
  'format' = 'avro-confluent',
  'avro-confluent.url' = 'http://localhost:8081'
)`,
  },
  {
    id: 'seed-transactions-table',
    source: 'seed',
    constructs: [
      'create-table',
      'flink-types',
      'metadata-column',
      'watermark',
      'primary-key',
      'with-options',
      'interval-literal',
    ],
    sql: `CREATE TABLE transactions (
  transaction_id STRING,
  user_id STRING,
  session_id STRING,
  ts TIMESTAMP(3),
  amount DECIMAL(12, 2),
  currency STRING,
  status STRING,
  payment_method STRING,
  items ARRAY<ROW<product_id STRING, quantity INT, unit_price DECIMAL(10, 2)>>,
  headers MAP<STRING, BYTES> METADATA VIRTUAL,
  WATERMARK FOR ts AS ts - INTERVAL '10' SECOND,
  PRIMARY KEY (transaction_id) NOT ENFORCED
) WITH (
  'connector' = 'upsert-kafka',
  'topic' = 'transactions',
  'properties.bootstrap.servers' = 'localhost:9092',
  'key.format' = 'raw',
  'value.format' = 'avro-confluent',
  'value.avro-confluent.url' = 'http://localhost:8081'
)`,
  },
  {
    id: 'seed-analytics-sink',
    source: 'seed',
    constructs: ['create-table', 'flink-types', 'primary-key', 'with-options'],
    sql: `CREATE TABLE analytics_results (
  job STRING,
  window_start TIMESTAMP(3),
  window_end TIMESTAMP(3),
  \`key\` STRING,
  events BIGINT,
  page_views BIGINT,
  purchases BIGINT,
  revenue DECIMAL(18, 2),
  avg_amount DOUBLE,
  \`rank\` INT,
  PRIMARY KEY (job, window_start, \`key\`) NOT ENFORCED
) WITH (
  'connector' = 'upsert-kafka',
  'topic' = 'analytics-results',
  'properties.bootstrap.servers' = 'localhost:9092',
  'key.format' = 'json',
  'value.format' = 'avro-confluent',
  'value.avro-confluent.url' = 'http://localhost:8081'
)`,
  },
  {
    id: 'docs-metadata-columns',
    source: 'docs',
    constructs: ['create-table', 'flink-types', 'metadata-column', 'with-options'],
    sql: `CREATE TABLE MyTable (
  \`user_id\` BIGINT,
  \`name\` STRING,
  \`record_time\` TIMESTAMP_LTZ(3) METADATA FROM 'timestamp',
  \`partition\` BIGINT METADATA VIRTUAL,
  \`offset\` BIGINT METADATA VIRTUAL,
  \`headers\` MAP<STRING, BYTES> METADATA
) WITH (
  'connector' = 'kafka',
  'topic' = 'my-topic',
  'format' = 'json'
)`,
  },
  {
    id: 'docs-computed-column',
    source: 'docs',
    constructs: ['create-table', 'flink-types', 'computed-column', 'arithmetic', 'watermark', 'with-options'],
    sql: `CREATE TABLE Orders (
  \`user\` BIGINT,
  product STRING,
  price DECIMAL(32, 2),
  quantity INT,
  cost AS price * quantity,
  order_time TIMESTAMP(3),
  proc_time AS PROCTIME(),
  WATERMARK FOR order_time AS order_time - INTERVAL '5' SECOND
) WITH (
  'connector' = 'kafka',
  'topic' = 'orders',
  'format' = 'json'
)`,
  },
  {
    id: 'docs-watermark-strict',
    source: 'docs',
    constructs: ['create-table', 'flink-types', 'watermark', 'with-options'],
    sql: `CREATE TABLE Bid (
  bidtime TIMESTAMP(3),
  price DECIMAL(10, 2),
  item STRING,
  supplier_id STRING,
  WATERMARK FOR bidtime AS bidtime
) WITH ('connector' = 'datagen')`,
  },
  {
    id: 'extra-types',
    source: 'extra',
    constructs: ['create-table', 'flink-types', 'with-options'],
    sql: `CREATE TABLE typed (
  b BOOLEAN,
  t TINYINT,
  s SMALLINT,
  i INT,
  l BIGINT,
  f FLOAT,
  d DOUBLE,
  dec_v DECIMAL(38, 18),
  c CHAR(3),
  vc VARCHAR(255),
  bin BYTES,
  dt DATE,
  tm TIME(3),
  ts TIMESTAMP(3),
  ts9 TIMESTAMP(9) WITHOUT TIME ZONE,
  ltz TIMESTAMP_LTZ(3),
  ltz2 TIMESTAMP(3) WITH LOCAL TIME ZONE,
  arr ARRAY<STRING>,
  m MAP<STRING, INT>,
  r ROW<a INT, b ROW<c STRING, d ARRAY<BIGINT>>>,
  ms MULTISET<STRING>
) WITH ('connector' = 'blackhole')`,
  },
  {
    id: 'docs-temporary-table',
    source: 'docs',
    constructs: ['create-table', 'temporary', 'flink-types', 'with-options'],
    sql: `CREATE TEMPORARY TABLE Customers (
  id INT,
  name STRING,
  country STRING,
  zip STRING
) WITH (
  'connector' = 'jdbc',
  'url' = 'jdbc:mysql://mysqlhost:3306/customerdb',
  'table-name' = 'customers'
)`,
  },
  {
    id: 'docs-versioned-table',
    source: 'docs',
    constructs: [
      'create-table',
      'flink-types',
      'metadata-column',
      'watermark',
      'primary-key',
      'with-options',
      'interval-literal',
    ],
    sql: `CREATE TABLE currency_rates (
  currency STRING,
  conversion_rate DECIMAL(32, 2),
  update_time TIMESTAMP(3) METADATA FROM 'value.source.timestamp' VIRTUAL,
  WATERMARK FOR update_time AS update_time - INTERVAL '15' SECOND,
  PRIMARY KEY (currency) NOT ENFORCED
) WITH (
  'connector' = 'kafka',
  'value.format' = 'debezium-json'
)`,
  },
  {
    id: 'docs-create-view',
    source: 'docs',
    constructs: ['create-view', 'case'],
    sql: `CREATE VIEW purchases AS
SELECT user_id, event_time, data.product_id AS product_id,
  CASE WHEN data.amount IS NULL THEN 0 ELSE data.amount END AS amount
FROM user_events
WHERE event_type = 'purchase'`,
  },
  {
    id: 'extra-temporary-view',
    source: 'extra',
    constructs: ['create-view', 'temporary', 'cast'],
    sql: `CREATE TEMPORARY VIEW completed_payments AS
SELECT transaction_id, user_id, ts, CAST(amount AS DOUBLE) AS amount, currency
FROM transactions
WHERE status = 'completed'`,
  },
  {
    id: 'docs-set-quoted',
    source: 'docs',
    constructs: ['set'],
    sql: `SET 'table.exec.state.ttl' = '1 h'`,
  },
  {
    id: 'docs-set-pipeline-name',
    source: 'docs',
    constructs: ['set'],
    sql: `SET 'pipeline.name' = 'freshet-analytics'`,
  },
  // -- Seed jobs ------------------------------------------------------------------------------
  {
    id: 'seed-event-counts',
    source: 'seed',
    constructs: ['insert', 'tumble', 'window-group-by', 'interval-literal'],
    sql: `INSERT INTO analytics_results (job, window_start, window_end, \`key\`, events)
SELECT 'event-counts', window_start, window_end, event_type, COUNT(*)
FROM TABLE(TUMBLE(TABLE user_events, DESCRIPTOR(event_time), INTERVAL '1' MINUTE))
GROUP BY window_start, window_end, event_type`,
  },
  {
    id: 'seed-revenue',
    source: 'seed',
    constructs: ['insert', 'hop', 'window-group-by', 'interval-literal', 'cast', 'agg-filter'],
    sql: `INSERT INTO analytics_results (job, window_start, window_end, \`key\`, purchases, revenue, avg_amount)
SELECT 'revenue', window_start, window_end, currency,
  COUNT(*) FILTER (WHERE status = 'completed'),
  SUM(amount) FILTER (WHERE status = 'completed'),
  CAST(AVG(amount) AS DOUBLE)
FROM TABLE(HOP(TABLE transactions, DESCRIPTOR(ts), INTERVAL '1' MINUTE, INTERVAL '5' MINUTE))
GROUP BY window_start, window_end, currency`,
  },
  {
    id: 'seed-sessions',
    source: 'seed',
    constructs: [
      'insert',
      'session',
      'session-partition-by',
      'window-group-by',
      'interval-literal',
      'agg-filter',
      'case',
    ],
    sql: `INSERT INTO analytics_results (job, window_start, window_end, \`key\`, events, page_views, purchases, revenue)
SELECT 'sessions', window_start, window_end, user_id,
  COUNT(*),
  COUNT(*) FILTER (WHERE event_type = 'page_view'),
  COUNT(*) FILTER (WHERE event_type = 'purchase'),
  SUM(CASE WHEN event_type = 'purchase' THEN data.amount ELSE 0 END)
FROM TABLE(SESSION(TABLE user_events PARTITION BY user_id, DESCRIPTOR(event_time), INTERVAL '30' MINUTE))
GROUP BY window_start, window_end, user_id`,
  },
  {
    id: 'seed-top-users',
    source: 'seed',
    constructs: [
      'insert',
      'tumble',
      'window-group-by',
      'row-number-over',
      'subquery-from',
      'interval-literal',
    ],
    sql: `INSERT INTO analytics_results (job, window_start, window_end, \`key\`, events, \`rank\`)
SELECT 'top-users', window_start, window_end, user_id, events, CAST(rn AS INT)
FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY window_start, window_end ORDER BY events DESC) AS rn
  FROM (
    SELECT window_start, window_end, user_id, COUNT(*) AS events
    FROM TABLE(TUMBLE(TABLE user_events, DESCRIPTOR(event_time), INTERVAL '1' HOUR))
    GROUP BY window_start, window_end, user_id
  )
)
WHERE rn <= 10`,
  },
  {
    id: 'seed-statement-set',
    source: 'seed',
    constructs: [
      'statement-set',
      'insert',
      'tumble',
      'cumulate',
      'window-group-by',
      'interval-literal',
      'count-distinct',
    ],
    sql: `EXECUTE STATEMENT SET
BEGIN
  INSERT INTO analytics_results (job, window_start, window_end, \`key\`, events)
  SELECT 'event-counts', window_start, window_end, event_type, COUNT(*)
  FROM TABLE(TUMBLE(TABLE user_events, DESCRIPTOR(event_time), INTERVAL '1' MINUTE))
  GROUP BY window_start, window_end, event_type;
  INSERT INTO analytics_results (job, window_start, window_end, \`key\`, events)
  SELECT 'daily-users', window_start, window_end, 'all', COUNT(DISTINCT user_id)
  FROM TABLE(CUMULATE(TABLE user_events, DESCRIPTOR(event_time), INTERVAL '1' HOUR, INTERVAL '1' DAY))
  GROUP BY window_start, window_end;
END`,
  },
  // -- Window TVFs and window aggregation (Flink docs) -----------------------------------------
  {
    id: 'docs-tumble-tvf',
    source: 'docs',
    constructs: ['tumble', 'interval-literal'],
    sql: `SELECT * FROM TABLE(TUMBLE(TABLE Bid, DESCRIPTOR(bidtime), INTERVAL '10' MINUTES))`,
  },
  {
    id: 'docs-tumble-named-params',
    source: 'docs',
    constructs: ['tumble', 'interval-literal'],
    sql: `SELECT * FROM TABLE(
  TUMBLE(
    DATA => TABLE Bid,
    TIMECOL => DESCRIPTOR(bidtime),
    SIZE => INTERVAL '10' MINUTES))`,
  },
  {
    id: 'docs-tumble-agg',
    source: 'docs',
    constructs: ['tumble', 'window-group-by', 'interval-literal'],
    sql: `SELECT window_start, window_end, SUM(price) AS total_price
FROM TABLE(TUMBLE(TABLE Bid, DESCRIPTOR(bidtime), INTERVAL '10' MINUTES))
GROUP BY window_start, window_end`,
  },
  {
    id: 'docs-hop-agg',
    source: 'docs',
    constructs: ['hop', 'window-group-by', 'interval-literal'],
    sql: `SELECT window_start, window_end, SUM(price) AS total_price
FROM TABLE(HOP(TABLE Bid, DESCRIPTOR(bidtime), INTERVAL '5' MINUTES, INTERVAL '10' MINUTES))
GROUP BY window_start, window_end`,
  },
  {
    id: 'docs-cumulate-agg',
    source: 'docs',
    constructs: ['cumulate', 'window-group-by', 'interval-literal'],
    sql: `SELECT window_start, window_end, SUM(price) AS total_price
FROM TABLE(CUMULATE(TABLE Bid, DESCRIPTOR(bidtime), INTERVAL '2' MINUTES, INTERVAL '10' MINUTES))
GROUP BY window_start, window_end`,
  },
  {
    id: 'docs-session-agg',
    source: 'docs',
    constructs: ['session', 'session-partition-by', 'window-group-by', 'interval-literal'],
    sql: `SELECT window_start, window_end, item, SUM(price) AS total_price
FROM TABLE(SESSION(TABLE Bid PARTITION BY item, DESCRIPTOR(bidtime), INTERVAL '5' MINUTES))
GROUP BY item, window_start, window_end`,
  },
  {
    id: 'docs-session-no-partition',
    source: 'docs',
    constructs: ['session', 'window-group-by', 'interval-literal'],
    sql: `SELECT window_start, window_end, SUM(price) AS total_price
FROM TABLE(SESSION(TABLE Bid, DESCRIPTOR(bidtime), INTERVAL '5' MINUTES))
GROUP BY window_start, window_end`,
  },
  {
    id: 'docs-tumble-offset',
    source: 'docs',
    constructs: ['tumble', 'window-group-by', 'interval-literal'],
    sql: `SELECT window_start, window_end, SUM(price) AS total_price
FROM TABLE(TUMBLE(TABLE Bid, DESCRIPTOR(bidtime), INTERVAL '10' MINUTES, INTERVAL '1' MINUTES))
GROUP BY window_start, window_end`,
  },
  {
    id: 'extra-window-aggregates',
    source: 'extra',
    constructs: [
      'tumble',
      'window-group-by',
      'count-distinct',
      'agg-filter',
      'first-last-value',
      'interval-literal',
    ],
    sql: `SELECT window_start, window_end, user_id,
  COUNT(DISTINCT data.product_id) AS products,
  SUM(data.amount) FILTER (WHERE event_type = 'purchase') AS spent,
  FIRST_VALUE(data.page) AS entry_page,
  LAST_VALUE(data.page) AS exit_page,
  MAX(event_time) AS last_seen
FROM TABLE(TUMBLE(TABLE user_events, DESCRIPTOR(event_time), INTERVAL '15' MINUTE))
GROUP BY window_start, window_end, user_id`,
  },
  {
    id: 'docs-grouping-sets-window',
    source: 'docs',
    constructs: ['tumble', 'window-group-by', 'interval-literal'],
    sql: `SELECT window_start, window_end, supplier_id, SUM(price) AS total_price
FROM TABLE(TUMBLE(TABLE Bid, DESCRIPTOR(bidtime), INTERVAL '10' MINUTES))
GROUP BY window_start, window_end, GROUPING SETS ((supplier_id), ())`,
  },
  // -- Top-N, window Top-N, deduplication -----------------------------------------------------
  {
    id: 'docs-top-n',
    source: 'docs',
    constructs: ['row-number-over', 'subquery-from'],
    sql: `SELECT product_id, category, product_name, sales
FROM (
  SELECT *,
    ROW_NUMBER() OVER (PARTITION BY category ORDER BY sales DESC) AS row_num
  FROM ShopSales)
WHERE row_num <= 5`,
  },
  {
    id: 'docs-window-top-n',
    source: 'docs',
    constructs: ['row-number-over', 'subquery-from', 'tumble', 'window-group-by', 'interval-literal'],
    sql: `SELECT *
FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY window_start, window_end ORDER BY price DESC) AS rownum
  FROM (
    SELECT window_start, window_end, supplier_id, SUM(price) AS price, COUNT(*) AS cnt
    FROM TABLE(TUMBLE(TABLE Bid, DESCRIPTOR(bidtime), INTERVAL '10' MINUTES))
    GROUP BY window_start, window_end, supplier_id
  )
) WHERE rownum <= 3`,
  },
  {
    id: 'docs-window-top-n-on-tvf',
    source: 'docs',
    constructs: ['row-number-over', 'subquery-from', 'tumble', 'interval-literal'],
    sql: `SELECT *
FROM (
  SELECT bidtime, price, item, supplier_id, window_start, window_end,
    ROW_NUMBER() OVER (PARTITION BY window_start, window_end ORDER BY price DESC) AS rownum
  FROM TABLE(TUMBLE(TABLE Bid, DESCRIPTOR(bidtime), INTERVAL '10' MINUTES))
) WHERE rownum <= 3`,
  },
  {
    id: 'docs-deduplication',
    source: 'docs',
    constructs: ['row-number-over', 'subquery-from'],
    sql: `SELECT order_id, \`user\`, product, number
FROM (
  SELECT *,
    ROW_NUMBER() OVER (PARTITION BY order_id ORDER BY proctime ASC) AS row_num
  FROM Orders)
WHERE row_num = 1`,
  },
  {
    id: 'docs-window-deduplication',
    source: 'docs',
    constructs: ['row-number-over', 'subquery-from', 'tumble', 'interval-literal'],
    sql: `SELECT *
FROM (
  SELECT bidtime, price, item, supplier_id, window_start, window_end,
    ROW_NUMBER() OVER (PARTITION BY window_start, window_end ORDER BY bidtime DESC) AS rownum
  FROM TABLE(TUMBLE(TABLE Bid, DESCRIPTOR(bidtime), INTERVAL '10' MINUTES))
) WHERE rownum <= 1`,
  },
  // -- Joins ------------------------------------------------------------------------------------
  {
    id: 'docs-interval-join',
    source: 'docs',
    constructs: ['interval-join', 'interval-literal', 'arithmetic'],
    sql: `SELECT *
FROM Orders o, Shipments s
WHERE o.id = s.order_id
AND o.order_time BETWEEN s.ship_time - INTERVAL '4' HOUR AND s.ship_time`,
  },
  {
    id: 'seed-interval-join',
    source: 'seed',
    constructs: ['interval-join', 'interval-literal', 'arithmetic', 'timestampdiff'],
    sql: `SELECT t.transaction_id, t.user_id, e.data.page AS last_page,
  TIMESTAMPDIFF(SECOND, e.event_time, t.ts) AS seconds_to_pay
FROM transactions AS t
JOIN user_events AS e
  ON t.user_id = e.user_id
  AND e.event_time BETWEEN t.ts - INTERVAL '1' HOUR AND t.ts`,
  },
  {
    id: 'docs-window-join',
    source: 'docs',
    constructs: ['window-join', 'tumble', 'subquery-from', 'scalar-function', 'interval-literal'],
    sql: `SELECT L.num AS L_Num, L.id AS L_Id, R.num AS R_Num, R.id AS R_Id,
  COALESCE(L.window_start, R.window_start) AS window_start,
  COALESCE(L.window_end, R.window_end) AS window_end
FROM (
  SELECT * FROM TABLE(TUMBLE(TABLE LeftTable, DESCRIPTOR(row_time), INTERVAL '5' MINUTES))
) L
FULL JOIN (
  SELECT * FROM TABLE(TUMBLE(TABLE RightTable, DESCRIPTOR(row_time), INTERVAL '5' MINUTES))
) R
ON L.num = R.num AND L.window_start = R.window_start AND L.window_end = R.window_end`,
  },
  {
    id: 'docs-temporal-join-event-time',
    source: 'docs',
    constructs: ['temporal-join'],
    sql: `SELECT order_id, price, orders.currency, conversion_rate, order_time
FROM orders
LEFT JOIN currency_rates FOR SYSTEM_TIME AS OF orders.order_time
ON orders.currency = currency_rates.currency`,
  },
  {
    id: 'docs-lookup-join',
    source: 'docs',
    constructs: ['temporal-join'],
    sql: `SELECT o.order_id, o.total, c.country, c.zip
FROM Orders AS o
  JOIN Customers FOR SYSTEM_TIME AS OF o.proc_time AS c
    ON o.customer_id = c.id`,
  },
  {
    id: 'seed-temporal-join-rates',
    source: 'seed',
    constructs: ['temporal-join', 'arithmetic', 'cast'],
    sql: `SELECT t.transaction_id, t.ts, CAST(t.amount * r.conversion_rate AS DECIMAL(18, 2)) AS amount_eur
FROM transactions AS t
JOIN currency_rates FOR SYSTEM_TIME AS OF t.ts AS r
  ON t.currency = r.currency`,
  },
  // -- Expressions, set operations, hints -------------------------------------------------------
  {
    id: 'extra-expressions',
    source: 'extra',
    constructs: ['case', 'cast', 'arithmetic', 'scalar-function', 'json-value', 'interval-literal'],
    sql: `SELECT
  user_id,
  DATE_FORMAT(event_time, 'yyyy-MM-dd HH:mm') AS minute_label,
  TO_TIMESTAMP_LTZ(\`timestamp\`, 3) AS ts,
  CAST(JSON_VALUE(version, '$.major') AS INT) AS major,
  JSON_VALUE(version, '$.minor' RETURNING INT DEFAULT 0 ON EMPTY) AS minor,
  CASE event_type WHEN 'purchase' THEN 'buy' WHEN 'page_view' THEN 'view' ELSE 'other' END AS kind,
  (data.amount * 100 + 5) / 10 % 7 AS bucket,
  UPPER(SUBSTRING(user_id, 1, 4)) AS prefix,
  event_time + INTERVAL '1' DAY AS tomorrow,
  COALESCE(data.currency, 'EUR') AS currency
FROM user_events
WHERE event_type IN ('purchase', 'page_view') AND data.amount IS NOT NULL`,
  },
  {
    id: 'extra-standard-function-forms',
    source: 'extra',
    constructs: ['scalar-function'],
    sql: `SELECT
  SUBSTRING(user_id FROM 6 FOR 6) AS user_number,
  TRIM(BOTH ' ' FROM version) AS version,
  POSITION('_' IN user_id) AS underscore_at,
  EXTRACT(HOUR FROM event_time) AS hour_of_day
FROM user_events`,
  },
  {
    id: 'extra-timestampdiff',
    source: 'extra',
    constructs: ['timestampdiff', 'scalar-function', 'case'],
    sql: `SELECT transaction_id,
  TIMESTAMPDIFF(SECOND, ts, CURRENT_TIMESTAMP) AS age_s,
  CASE WHEN TIMESTAMPDIFF(MINUTE, ts, CURRENT_TIMESTAMP) > 30 THEN 'stale' ELSE 'fresh' END AS freshness
FROM transactions`,
  },
  {
    id: 'docs-union-all',
    source: 'docs',
    constructs: ['union-all', 'subquery-from'],
    sql: `SELECT user_id, ts, 'event' AS origin FROM (
  SELECT user_id, event_time AS ts FROM user_events
  UNION ALL
  SELECT user_id, ts FROM transactions
)`,
  },
  {
    id: 'docs-hint-options',
    source: 'docs',
    constructs: ['hint'],
    sql: `SELECT id, name FROM kafka_table1 /*+ OPTIONS('scan.startup.mode'='earliest-offset') */`,
  },
  {
    id: 'docs-hint-join',
    source: 'docs',
    constructs: ['insert', 'hint'],
    sql: `INSERT INTO sink /*+ OPTIONS('sink.parallelism'='2') */
SELECT * FROM kafka_table1 /*+ OPTIONS('scan.startup.mode'='latest-offset') */ t1
JOIN kafka_table2 /*+ OPTIONS('scan.startup.mode'='earliest-offset') */ t2
ON t1.id = t2.id`,
  },
  {
    id: 'extra-insert-with-hint-window',
    source: 'extra',
    constructs: ['insert', 'hint', 'tumble', 'window-group-by', 'interval-literal'],
    sql: `INSERT INTO analytics_results (job, window_start, window_end, \`key\`, events)
SELECT 'event-counts', window_start, window_end, event_type, COUNT(*)
FROM TABLE(TUMBLE(TABLE user_events /*+ OPTIONS('scan.startup.mode'='latest-offset') */, DESCRIPTOR(event_time), INTERVAL '1' MINUTE))
GROUP BY window_start, window_end, event_type`,
  },
  {
    id: 'docs-over-aggregation',
    source: 'docs',
    constructs: ['interval-literal'],
    sql: `SELECT order_id, order_time, amount,
  SUM(amount) OVER (
    PARTITION BY product
    ORDER BY order_time
    RANGE BETWEEN INTERVAL '1' HOUR PRECEDING AND CURRENT ROW
  ) AS one_hour_prod_amount_sum
FROM Orders`,
  },
  {
    id: 'extra-with-cte',
    source: 'extra',
    constructs: ['tumble', 'window-group-by', 'subquery-from', 'interval-literal', 'scalar-function'],
    sql: `WITH per_minute AS (
  SELECT window_start, window_end, COUNT(*) AS events
  FROM TABLE(TUMBLE(TABLE user_events, DESCRIPTOR(event_time), INTERVAL '1' MINUTE))
  GROUP BY window_start, window_end
)
SELECT DATE_FORMAT(window_start, 'HH:mm') AS minute_label, events
FROM (SELECT * FROM per_minute WHERE events > 100)`,
  },
]

export const INVALID: InvalidStatement[] = [
  {
    id: 'misspelled-keyword',
    fault: 'SELEC instead of SELECT',
    line: 1,
    column: 1,
    sql: `SELEC user_id FROM user_events`,
  },
  {
    id: 'missing-comma-in-columns',
    fault: 'no comma between two column definitions',
    line: 3,
    column: 3,
    sql: `CREATE TABLE t (
  a INT
  b STRING
) WITH ('connector' = 'datagen')`,
  },
  {
    id: 'trailing-comma-in-select',
    fault: 'a comma before FROM',
    line: 2,
    column: 1,
    sql: `SELECT user_id, event_type,
FROM user_events`,
  },
  {
    id: 'watermark-without-as',
    fault: 'WATERMARK FOR ts without AS',
    line: 3,
    column: 20,
    sql: `CREATE TABLE t (
  ts TIMESTAMP(3),
  WATERMARK FOR ts ts - INTERVAL '5' SECOND
) WITH ('connector' = 'datagen')`,
  },
  {
    id: 'double-operator',
    fault: 'two comparison operators in a row',
    line: 3,
    column: 20,
    sql: `SELECT *
FROM user_events
WHERE event_type = = 'purchase'`,
  },
  {
    id: 'unclosed-tvf',
    fault: 'TUMBLE( closed once too few',
    line: 3,
    column: 1,
    sql: `SELECT window_start, COUNT(*)
FROM TABLE(TUMBLE(TABLE user_events, DESCRIPTOR(event_time), INTERVAL '1' MINUTE)
GROUP BY window_start, window_end`,
  },
]
