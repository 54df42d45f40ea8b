-- top-users: the 10 users with the most events in each minute, one row per place (the seed job
-- `freshet run top-users`). Equal counts are ranked by user id, so that the ranking is the same
-- on every run and on both engines.
SET 'pipeline.name' = 'sql-top-users';

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

CREATE TEMPORARY VIEW user_counts AS
SELECT window_start, window_end, window_time, user_id, COUNT(*) AS events
FROM TABLE(TUMBLE(TABLE user_events, DESCRIPTOR(`timestamp`), INTERVAL '1' MINUTE))
GROUP BY window_start, window_end, window_time, user_id;

INSERT INTO event_analytics
SELECT
  'top-users', window_start, window_end, user_id, events,
  CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS DOUBLE), CAST(NULL AS DOUBLE),
  CAST(NULL AS STRING), CAST(NULL AS BIGINT), CAST(place AS INT)
FROM (
  SELECT *, ROW_NUMBER() OVER (
    PARTITION BY window_start, window_end ORDER BY events DESC, user_id ASC
  ) AS place
  FROM user_counts
)
WHERE place <= 10;
