-- dedup-purchases: each purchased line item once. A producer that retries after a timeout (or
-- runs at-least-once) can write a purchase event twice; the first event of each transaction and
-- product is kept and written to `purchases` as JSON, the later copies are dropped. A row is
-- written once the watermark passes its event (5 seconds, the table's WATERMARK delay).
-- Create the output topic first: ./freshet topics create purchases
SET 'pipeline.name' = 'sql-dedup-purchases';

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

CREATE TABLE purchases (
  transaction_id STRING NOT NULL,
  product_id STRING,
  user_id STRING NOT NULL,
  amount DOUBLE,
  currency STRING,
  purchased_at TIMESTAMP(3) NOT NULL
) WITH (
  'connector' = 'kafka',
  'topic' = 'purchases',
  'properties.bootstrap.servers' = '127.0.0.1:9092',
  'format' = 'json'
);

CREATE TEMPORARY VIEW purchase_events AS
SELECT
  data.transaction_id AS transaction_id, data.product_id AS product_id, user_id,
  data.amount AS amount, data.currency AS currency, `timestamp`
FROM user_events
WHERE event_type = 'purchase' AND data.transaction_id IS NOT NULL;

INSERT INTO purchases
SELECT transaction_id, product_id, user_id, amount, currency, `timestamp`
FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY transaction_id, product_id ORDER BY `timestamp`) AS rn
  FROM purchase_events
)
WHERE rn = 1;
