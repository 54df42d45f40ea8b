-- sessions: each user's sessions, 30 minutes of inactivity apart (the seed job `freshet run
-- sessions`): start, last event, duration, events, page views, purchases, and revenue with its
-- currency when the purchases are in one currency. Amounts are summed as whole ten-thousandths, as
-- the seed job sums them. The seed job's window_end is the session's last event: Flink's
-- SESSION window ends one gap later.
SET 'pipeline.name' = 'sql-sessions';

CREATE TABLE user_events (
  `timestamp` TIMESTAMP(3) NOT NULL,
  event_type STRING NOT NULL,
  user_id STRING NOT NULL,
  version STRING NOT NULL,
  data ROW<
    product_id STRING, amount DOUBLE, currency STRING, session_id STRING NOT NULL,
    device STRING NOT NULL, browser STRING NOT NULL, search_query STRING, transaction_id STRING
  > NOT NULL,
  WATERMARK FOR `timestamp` AS `timestamp` - INTERVAL '5' SECOND
) WITH (
  'connector' = 'kafka',
  'topic' = 'user-events',
  'properties.bootstrap.servers' = '127.0.0.1:9092',
  'scan.startup.mode' = 'earliest-offset',
  'value.format' = 'avro-confluent',
  'value.avro-confluent.url' = 'http://127.0.0.1:8081',
  -- The writer schema of schemas/user_event.avsc (without its doc strings): Flink reads event_type,
  -- an Avro enum, as STRING only with it (`freshet sql ddl user-events` prints this table).
  'value.avro-confluent.schema' = '{"type":"record","name":"UserEvent","namespace":"dev.freshet.events","fields":[{"name":"timestamp","type":{"type":"long","logicalType":"timestamp-millis"}},{"name":"event_type","type":{"type":"enum","name":"EventType","symbols":["page_view","button_click","form_submit","purchase","add_to_cart","remove_from_cart","search","login","logout","signup"]}},{"name":"user_id","type":"string"},{"name":"version","type":"string","default":"1.0"},{"name":"data","type":{"type":"record","name":"EventData","fields":[{"name":"product_id","type":["null","string"],"default":null},{"name":"amount","type":["null","double"],"default":null},{"name":"currency","type":["null","string"],"default":null},{"name":"session_id","type":"string"},{"name":"device","type":"string"},{"name":"browser","type":"string"},{"name":"search_query","type":["null","string"],"default":null},{"name":"transaction_id","type":["null","string"],"default":null}]}}]}'
);

CREATE TABLE event_analytics (
  job STRING NOT NULL,
  window_start TIMESTAMP(3) NOT NULL,
  window_end TIMESTAMP(3) NOT NULL,
  `key` STRING NOT NULL,
  events BIGINT,
  page_views BIGINT,
  purchases BIGINT,
  revenue DOUBLE,
  average_amount DOUBLE,
  currency STRING,
  duration_ms BIGINT,
  `rank` INT
) WITH (
  'connector' = 'kafka',
  'topic' = 'event-analytics',
  'properties.bootstrap.servers' = '127.0.0.1:9092',
  'value.format' = 'avro-confluent',
  'value.avro-confluent.url' = 'http://127.0.0.1:8081',
  -- schemas/analytics_result.avsc, so that the rows are those of `freshet run <job>`.
  'value.avro-confluent.schema' = '{"type":"record","name":"AnalyticsResult","namespace":"dev.freshet.analytics","fields":[{"name":"job","type":"string"},{"name":"window_start","type":{"type":"long","logicalType":"timestamp-millis"}},{"name":"window_end","type":{"type":"long","logicalType":"timestamp-millis"}},{"name":"key","type":"string"},{"name":"events","type":["null","long"],"default":null},{"name":"page_views","type":["null","long"],"default":null},{"name":"purchases","type":["null","long"],"default":null},{"name":"revenue","type":["null","double"],"default":null},{"name":"average_amount","type":["null","double"],"default":null},{"name":"currency","type":["null","string"],"default":null},{"name":"duration_ms","type":["null","long"],"default":null},{"name":"rank","type":["null","int"],"default":null}]}'
);

CREATE TEMPORARY VIEW session_events AS
SELECT
  `timestamp`,
  user_id,
  event_type,
  CASE WHEN event_type = 'purchase' THEN data.currency END AS currency,
  CASE WHEN event_type = 'purchase' THEN CAST(ROUND(COALESCE(data.amount, 0) * 10000, 0) AS BIGINT) ELSE 0 END AS units
FROM user_events;

CREATE TEMPORARY VIEW sessions AS
SELECT
  window_start,
  window_end - INTERVAL '30' MINUTE AS last_event,
  user_id,
  COUNT(*) AS events,
  COUNT(*) FILTER (WHERE event_type = 'page_view') AS page_views,
  COUNT(*) FILTER (WHERE event_type = 'purchase') AS purchases,
  SUM(units) AS units,
  COUNT(DISTINCT currency) AS currencies,
  MAX(currency) AS currency
FROM TABLE(SESSION(TABLE session_events PARTITION BY user_id, DESCRIPTOR(`timestamp`), INTERVAL '30' MINUTE))
GROUP BY window_start, window_end, user_id;

INSERT INTO event_analytics
SELECT
  'sessions', window_start, last_event, user_id, events, page_views, purchases,
  CASE WHEN currencies > 1 THEN CAST(NULL AS DOUBLE) ELSE units / 10000.0E0 END,
  CAST(NULL AS DOUBLE),
  CASE WHEN currencies = 1 THEN currency END,
  -- Milliseconds from the first event to the last. TIMESTAMPDIFF(MILLISECOND, ...) counts whole
  -- seconds on Flink, so the difference is taken from the epoch seconds and the milliseconds.
  (EXTRACT(EPOCH FROM last_event) - EXTRACT(EPOCH FROM window_start)) * 1000
    + EXTRACT(MILLISECOND FROM last_event) - EXTRACT(MILLISECOND FROM window_start),
  CAST(NULL AS INT)
FROM sessions;
