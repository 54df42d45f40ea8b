-- funnel: of the users active in each 5-minute window, how many viewed a page, added to a cart and
-- bought, and the rates from one step to the next (a page_view -> add_to_cart -> purchase funnel).
-- Each step counts distinct users; the rates are null when the step before had none.
-- Create the output topic first: ./freshet topics create funnel
SET 'pipeline.name' = 'sql-funnel';

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

CREATE TABLE funnel (
  window_start TIMESTAMP(3) NOT NULL,
  window_end TIMESTAMP(3) NOT NULL,
  viewers BIGINT NOT NULL,
  carters BIGINT NOT NULL,
  buyers BIGINT NOT NULL,
  view_to_cart DOUBLE,
  cart_to_purchase DOUBLE
) WITH (
  'connector' = 'kafka',
  'topic' = 'funnel',
  'properties.bootstrap.servers' = '127.0.0.1:9092',
  'format' = 'json'
);

INSERT INTO funnel
SELECT
  window_start, window_end, viewers, carters, buyers,
  CAST(carters AS DOUBLE) / NULLIF(viewers, 0),
  CAST(buyers AS DOUBLE) / NULLIF(carters, 0)
FROM (
  SELECT
    window_start, window_end,
    COUNT(DISTINCT user_id) FILTER (WHERE event_type = 'page_view') AS viewers,
    COUNT(DISTINCT user_id) FILTER (WHERE event_type = 'add_to_cart') AS carters,
    COUNT(DISTINCT user_id) FILTER (WHERE event_type = 'purchase') AS buyers
  FROM TABLE(TUMBLE(TABLE user_events, DESCRIPTOR(`timestamp`), INTERVAL '5' MINUTE))
  GROUP BY window_start, window_end
);
