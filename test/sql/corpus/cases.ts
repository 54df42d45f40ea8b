/**
 * The golden corpus: queries over `clicks` (harness.ts), each run on freshet and on Flink 2.2 and
 * compared row for row. Every construct docs/sql.md lists as supported appears here at least once.
 *
 * `clicks`: user_id STRING, page STRING (null in some rows), amount DOUBLE (null in some), qty INT,
 * price DECIMAL(10, 2) (null in some), payload STRING (a JSON object), ts TIMESTAMP(3) with
 * `WATERMARK FOR ts AS ts - INTERVAL '2' SECOND`. Each case declares the columns of its `out_rows`
 * table and the INSERT that fills it.
 *
 * A case may declare tables of its own over the clicks topic: `${clicks}` in its SQL stands for the
 * WITH options of `clicks` but its format (connector, topic, servers, bounded scan).
 *
 * Order-sensitive aggregates (FIRST_VALUE, LAST_VALUE, LISTAGG) group by user: a user's clicks are
 * in one partition, read in order by both engines.
 */
export interface CorpusCase {
  readonly name: string
  /** The columns of the `out_rows` table. */
  readonly columns: string
  /** The statement(s) that write `out_rows`. */
  readonly sql: string
  /** An updating query's key: `out_rows` is an upsert-kafka table with this PRIMARY KEY. */
  readonly primaryKey?: string
  /** `out_rows` writes these columns as the record key (`key.fields`); keys are compared too. */
  readonly keyFields?: string
}

const TUMBLE_1M = `TABLE(TUMBLE(TABLE clicks, DESCRIPTOR(ts), INTERVAL '1' MINUTE))`

export const CASES: readonly CorpusCase[] = [
  // -- Projection, filters, expressions --------------------------------------------------------
  {
    name: 'projection of every column',
    columns: 'user_id STRING, page STRING, amount DOUBLE, qty INT, price DECIMAL(10, 2), ts TIMESTAMP(3)',
    sql: 'INSERT INTO out_rows SELECT user_id, page, amount, qty, price, ts FROM clicks',
  },
  {
    name: 'WHERE with AND, OR, comparison and IS NOT NULL',
    columns: 'user_id STRING, amount DOUBLE',
    sql: `INSERT INTO out_rows SELECT user_id, amount FROM clicks
      WHERE (amount > 120 OR qty = 5) AND page IS NOT NULL AND user_id <> 'bob'`,
  },
  {
    name: 'IN, BETWEEN, LIKE and NOT',
    columns: 'user_id STRING, page STRING, qty INT',
    sql: `INSERT INTO out_rows SELECT user_id, page, qty FROM clicks
      WHERE page IN ('cart', 'checkout') AND qty BETWEEN 2 AND 4 AND NOT user_id LIKE 'e%'`,
  },
  {
    name: 'searched and simple CASE, with NULL branches',
    columns: 'user_id STRING, size STRING, kind STRING',
    sql: `INSERT INTO out_rows SELECT user_id,
      CASE WHEN amount IS NULL THEN 'none' WHEN amount < 50 THEN 'small' WHEN amount < 150 THEN 'medium' ELSE 'large' END,
      CASE page WHEN 'home' THEN 'landing' WHEN 'checkout' THEN 'money' ELSE NULL END
      FROM clicks`,
  },
  {
    name: 'integer and decimal arithmetic',
    columns: 'qty INT, doubled INT, total DECIMAL(21, 2), half INT, rest INT, neg INT',
    sql: `INSERT INTO out_rows SELECT qty, qty * 2, qty * price, qty / 2, MOD(qty, 3), -qty FROM clicks`,
  },
  {
    name: 'double arithmetic and rounding',
    columns: 'amount DOUBLE, taxed DOUBLE, rounded DOUBLE, floor_ DOUBLE, ceil_ DOUBLE, absd DOUBLE',
    sql: `INSERT INTO out_rows SELECT amount, amount * 1.2, ROUND(amount, 1), FLOOR(amount), CEIL(amount), ABS(amount - 100)
      FROM clicks WHERE amount IS NOT NULL`,
  },
  {
    name: 'CAST between numbers, strings and decimals',
    columns: 's STRING, i INT, d DECIMAL(6, 1), b BIGINT, q STRING',
    sql: `INSERT INTO out_rows SELECT CAST(amount AS STRING), CAST(amount AS INT), CAST(amount AS DECIMAL(6, 1)),
      CAST(qty AS BIGINT) * 1000000000, CAST(qty AS STRING) FROM clicks`,
  },
  {
    name: 'string functions',
    columns: 'u STRING, l STRING, c STRING, len INT, sub STRING, pos INT, rep STRING, lp STRING, rp STRING',
    sql: `INSERT INTO out_rows SELECT UPPER(user_id), LOWER(UPPER(page)), CONCAT(user_id, '-', page), CHAR_LENGTH(page),
      SUBSTRING(page FROM 2 FOR 3), POSITION('e' IN page), REPLACE(page, 'e', 'E'), LPAD(user_id, 5, '*'), RPAD(user_id, 2, '*')
      FROM clicks`,
  },
  {
    name: 'TRIM, CONCAT_WS, INITCAP, REVERSE and string concatenation',
    columns: 't STRING, w STRING, i STRING, r STRING, cc STRING',
    sql: `INSERT INTO out_rows SELECT TRIM(BOTH 'e' FROM page), CONCAT_WS('/', user_id, page, 'x'), INITCAP(page), REVERSE(user_id),
      user_id || ':' || CAST(qty AS STRING) FROM clicks`,
  },
  {
    name: 'COALESCE, NULLIF, IFNULL and IS NULL',
    columns: 'p STRING, a DOUBLE, n INT, missing BOOLEAN',
    sql: `INSERT INTO out_rows SELECT COALESCE(page, 'unknown'), IFNULL(amount, -1.0), NULLIF(qty, 3), price IS NULL FROM clicks`,
  },
  {
    name: 'regular expressions and SPLIT_INDEX',
    columns: 'e STRING, m BOOLEAN, s STRING, r STRING',
    sql: `INSERT INTO out_rows SELECT REGEXP_EXTRACT(payload, '"n":([0-9]+)', 1), REGEXP(page, '^c'), SPLIT_INDEX(payload, ',', 1),
      REGEXP_REPLACE(user_id, '[aeiou]', '_') FROM clicks`,
  },
  {
    name: 'JSON_VALUE, JSON_EXISTS and JSON_QUERY, strict and lax paths',
    columns:
      'n INT, first_tag STRING, ok BOOLEAN, has_tags BOOLEAN, strict_missing STRING, lax_missing STRING, on_error STRING, tags STRING',
    sql: `INSERT INTO out_rows SELECT JSON_VALUE(payload, '$.n' RETURNING INT), JSON_VALUE(payload, '$.tags[0]'),
      JSON_VALUE(payload, '$.ok' RETURNING BOOLEAN), JSON_EXISTS(payload, '$.tags'), JSON_VALUE(payload, '$.nope' DEFAULT 'd' ON EMPTY),
      JSON_VALUE(payload, 'lax $.nope' DEFAULT 'd' ON EMPTY), JSON_VALUE(payload, '$.tags' DEFAULT 'e' ON ERROR), JSON_QUERY(payload, '$.tags')
      FROM clicks`,
  },
  {
    name: 'temporal functions: DATE_FORMAT, EXTRACT, HOUR, MINUTE, FLOOR and CEIL to a unit',
    columns: 'f STRING, m BIGINT, h BIGINT, mi BIGINT, fl TIMESTAMP(3), ce TIMESTAMP(3), d DATE',
    sql: `INSERT INTO out_rows SELECT DATE_FORMAT(ts, 'yyyy-MM-dd HH:mm'), EXTRACT(MINUTE FROM ts), HOUR(ts), MINUTE(ts),
      FLOOR(ts TO MINUTE), CEIL(ts TO HOUR), CAST(ts AS DATE) FROM clicks`,
  },
  {
    name: 'timestamp arithmetic: TIMESTAMPADD, TIMESTAMPDIFF and intervals',
    columns: 'later TIMESTAMP(3), diff INT, earlier TIMESTAMP(3), secs INT',
    sql: `INSERT INTO out_rows SELECT TIMESTAMPADD(MINUTE, qty, ts), TIMESTAMPDIFF(SECOND, TIMESTAMP '2026-01-01 10:00:00', ts),
      ts - INTERVAL '90' SECOND, TIMESTAMPDIFF(MINUTE, ts, ts + INTERVAL '1' HOUR) FROM clicks`,
  },
  {
    name: 'TO_TIMESTAMP, TO_TIMESTAMP_LTZ, UNIX_TIMESTAMP and FROM_UNIXTIME in UTC',
    columns: 'parsed TIMESTAMP(3), ltz TIMESTAMP_LTZ(3), epoch BIGINT, back STRING',
    sql: `INSERT INTO out_rows SELECT TO_TIMESTAMP(DATE_FORMAT(ts, 'yyyy-MM-dd HH:mm:ss')), TO_TIMESTAMP_LTZ(qty * 1000, 3),
      UNIX_TIMESTAMP(DATE_FORMAT(ts, 'yyyy-MM-dd HH:mm:ss')), FROM_UNIXTIME(qty * 3600) FROM clicks`,
  },
  {
    name: 'math functions',
    columns: 'p DOUBLE, s DOUBLE, l DOUBLE, sg INT, tr DOUBLE, g INT, lst INT',
    sql: `INSERT INTO out_rows SELECT POWER(qty, 2), SQRT(qty), LN(qty), SIGN(qty - 3), TRUNCATE(amount, 1), GREATEST(qty, 3), LEAST(qty, 3)
      FROM clicks WHERE amount IS NOT NULL`,
  },
  {
    name: 'a computed value filtered by its alias in a subquery',
    columns: 'user_id STRING, spend DOUBLE',
    sql: `INSERT INTO out_rows SELECT user_id, spend FROM (SELECT user_id, amount * qty AS spend FROM clicks) WHERE spend > 300`,
  },
  {
    name: 'a view and a CTE',
    columns: 'user_id STRING, page STRING',
    sql: `CREATE TEMPORARY VIEW carts AS SELECT user_id, page, qty FROM clicks WHERE page = 'cart';
      INSERT INTO out_rows WITH big AS (SELECT * FROM carts WHERE qty >= 3) SELECT user_id, page FROM big`,
  },
  {
    name: 'UNION ALL of two filters of one table',
    columns: 'user_id STRING, tag STRING',
    sql: `INSERT INTO out_rows SELECT user_id, 'cheap' FROM clicks WHERE amount < 20
      UNION ALL SELECT user_id, 'many' FROM clicks WHERE qty = 5`,
  },
  {
    name: 'INSERT with a column list: the other columns are null',
    columns: 'user_id STRING, page STRING, qty INT',
    sql: `INSERT INTO out_rows (qty, user_id) SELECT qty, user_id FROM clicks WHERE qty > 3`,
  },
  {
    name: 'implicit casts into the result columns',
    columns: 'qty BIGINT, amount DOUBLE, price DECIMAL(12, 4)',
    sql: `INSERT INTO out_rows SELECT qty, qty, price FROM clicks`,
  },

  // -- Window aggregations ---------------------------------------------------------------------
  {
    name: 'TUMBLE: COUNT(*) per page and minute',
    columns: 'window_start TIMESTAMP(3), window_end TIMESTAMP(3), page STRING, n BIGINT',
    sql: `INSERT INTO out_rows SELECT window_start, window_end, page, COUNT(*) FROM ${TUMBLE_1M}
      GROUP BY window_start, window_end, page`,
  },
  {
    name: 'TUMBLE: SUM, AVG, MIN, MAX of a nullable DOUBLE',
    columns: 'window_start TIMESTAMP(3), s DOUBLE, a DOUBLE, lo DOUBLE, hi DOUBLE, n BIGINT',
    sql: `INSERT INTO out_rows SELECT window_start, SUM(amount), AVG(amount), MIN(amount), MAX(amount), COUNT(amount)
      FROM ${TUMBLE_1M} GROUP BY window_start, window_end`,
  },
  {
    name: 'TUMBLE: SUM and AVG of INT and DECIMAL keep their types',
    columns: 'window_start TIMESTAMP(3), q INT, aq INT, p DECIMAL(38, 2), ap DECIMAL(38, 6)',
    sql: `INSERT INTO out_rows SELECT window_start, SUM(qty), AVG(qty), SUM(price), AVG(price)
      FROM ${TUMBLE_1M} GROUP BY window_start, window_end`,
  },
  {
    name: 'TUMBLE: COUNT(DISTINCT) and COUNT of a column',
    columns: 'window_start TIMESTAMP(3), users BIGINT, pages BIGINT, priced BIGINT',
    sql: `INSERT INTO out_rows SELECT window_start, COUNT(DISTINCT user_id), COUNT(DISTINCT page), COUNT(price)
      FROM ${TUMBLE_1M} GROUP BY window_start, window_end`,
  },
  {
    name: 'TUMBLE: two group keys and window_time',
    columns: 'window_time TIMESTAMP(3), user_id STRING, page STRING, n BIGINT',
    sql: `INSERT INTO out_rows SELECT window_time, user_id, page, COUNT(*)
      FROM TABLE(TUMBLE(TABLE clicks, DESCRIPTOR(ts), INTERVAL '2' MINUTE)) GROUP BY window_start, window_end, window_time, user_id, page`,
  },
  {
    name: 'TUMBLE: aggregates with FILTER (WHERE ...)',
    columns: 'window_start TIMESTAMP(3), home_views BIGINT, carts BIGINT, cart_amount DOUBLE',
    sql: `INSERT INTO out_rows SELECT window_start, COUNT(*) FILTER (WHERE page = 'home'), COUNT(*) FILTER (WHERE page = 'cart'),
      SUM(amount) FILTER (WHERE page = 'cart') FROM ${TUMBLE_1M} GROUP BY window_start, window_end`,
  },
  {
    name: 'TUMBLE: HAVING',
    columns: 'window_start TIMESTAMP(3), user_id STRING, n BIGINT',
    sql: `INSERT INTO out_rows SELECT window_start, user_id, COUNT(*) AS n FROM ${TUMBLE_1M}
      GROUP BY window_start, window_end, user_id HAVING COUNT(*) >= 7`,
  },
  {
    name: 'TUMBLE: expressions over aggregates and group keys',
    columns: 'hh_mm STRING, who STRING, spend DOUBLE, share DOUBLE',
    sql: `INSERT INTO out_rows SELECT DATE_FORMAT(window_start, 'HH:mm'), UPPER(user_id), ROUND(SUM(amount * qty), 2),
      CAST(COUNT(*) AS DOUBLE) / 40 FROM ${TUMBLE_1M} GROUP BY window_start, window_end, user_id`,
  },
  {
    name: 'TUMBLE: FIRST_VALUE and LAST_VALUE per user',
    columns: 'window_start TIMESTAMP(3), user_id STRING, first_page STRING, last_amount DOUBLE',
    sql: `INSERT INTO out_rows SELECT window_start, user_id, FIRST_VALUE(page), LAST_VALUE(amount)
      FROM TABLE(TUMBLE(TABLE clicks, DESCRIPTOR(ts), INTERVAL '3' MINUTE)) GROUP BY window_start, window_end, user_id`,
  },
  {
    name: 'TUMBLE: LISTAGG per user',
    columns: 'window_start TIMESTAMP(3), user_id STRING, pages STRING',
    sql: `INSERT INTO out_rows SELECT window_start, user_id, LISTAGG(page, '|')
      FROM TABLE(TUMBLE(TABLE clicks, DESCRIPTOR(ts), INTERVAL '3' MINUTE)) GROUP BY window_start, window_end, user_id`,
  },
  {
    name: 'TUMBLE over a filtered CTE with a computed column',
    columns: 'window_start TIMESTAMP(3), band STRING, n BIGINT',
    sql: `INSERT INTO out_rows
      WITH banded AS (SELECT ts, CASE WHEN qty > 2 THEN 'bulk' ELSE 'single' END AS band FROM clicks WHERE page IS NOT NULL)
      SELECT window_start, band, COUNT(*) FROM TABLE(TUMBLE(TABLE banded, DESCRIPTOR(ts), INTERVAL '1' MINUTE))
      GROUP BY window_start, window_end, band`,
  },
  {
    name: 'HOP: sums per user over 2-minute windows every minute',
    columns: 'window_start TIMESTAMP(3), window_end TIMESTAMP(3), user_id STRING, s DOUBLE',
    sql: `INSERT INTO out_rows SELECT window_start, window_end, user_id, SUM(amount)
      FROM TABLE(HOP(TABLE clicks, DESCRIPTOR(ts), INTERVAL '1' MINUTE, INTERVAL '2' MINUTE))
      GROUP BY window_start, window_end, user_id`,
  },
  {
    name: 'HOP: COUNT(DISTINCT) over 5-minute windows every 30 seconds',
    columns: 'window_start TIMESTAMP(3), users BIGINT, n BIGINT',
    sql: `INSERT INTO out_rows SELECT window_start, COUNT(DISTINCT user_id), COUNT(*)
      FROM TABLE(HOP(TABLE clicks, DESCRIPTOR(ts), INTERVAL '30' SECOND, INTERVAL '5' MINUTE))
      GROUP BY window_start, window_end`,
  },
  {
    name: 'CUMULATE: running counts and sums per user, every minute of 4-minute windows',
    columns:
      'window_start TIMESTAMP(3), window_end TIMESTAMP(3), window_time TIMESTAMP(3), user_id STRING, n BIGINT, s DOUBLE',
    sql: `INSERT INTO out_rows SELECT window_start, window_end, window_time, user_id, COUNT(*), SUM(amount)
      FROM TABLE(CUMULATE(TABLE clicks, DESCRIPTOR(ts), INTERVAL '1' MINUTE, INTERVAL '4' MINUTE))
      GROUP BY window_start, window_end, window_time, user_id`,
  },
  {
    name: 'CUMULATE: COUNT(DISTINCT), MAX and FILTER over 30-second steps of 3-minute windows',
    columns: 'window_end TIMESTAMP(3), users BIGINT, top_qty INT, carts BIGINT',
    sql: `INSERT INTO out_rows SELECT window_end, COUNT(DISTINCT user_id), MAX(qty), COUNT(*) FILTER (WHERE page = 'cart')
      FROM TABLE(CUMULATE(TABLE clicks, DESCRIPTOR(ts), INTERVAL '30' SECOND, INTERVAL '3' MINUTE))
      GROUP BY window_start, window_end`,
  },
  {
    name: 'window Top-1 over CUMULATE windows: the user with the most clicks so far in each 5-minute window',
    columns: 'window_start TIMESTAMP(3), window_end TIMESTAMP(3), user_id STRING, n BIGINT',
    sql: `INSERT INTO out_rows SELECT window_start, window_end, user_id, n FROM (
        SELECT *, ROW_NUMBER() OVER (PARTITION BY window_start, window_end ORDER BY n DESC, user_id) AS rn
        FROM (SELECT window_start, window_end, user_id, COUNT(*) AS n
          FROM TABLE(CUMULATE(TABLE clicks, DESCRIPTOR(ts), INTERVAL '1' MINUTE, INTERVAL '5' MINUTE))
          GROUP BY window_start, window_end, user_id))
      WHERE rn <= 1`,
  },
  {
    name: 'window offsets: TUMBLE of 2 minutes shifted by 30 s, HOP shifted back by 20 s',
    columns: 'kind STRING, window_start TIMESTAMP(3), window_end TIMESTAMP(3), n BIGINT',
    sql: `INSERT INTO out_rows
      SELECT 'tumble', window_start, window_end, COUNT(*)
        FROM TABLE(TUMBLE(TABLE clicks, DESCRIPTOR(ts), INTERVAL '2' MINUTE, INTERVAL '30' SECOND))
        GROUP BY window_start, window_end
      UNION ALL
      SELECT 'hop', window_start, window_end, COUNT(*)
        FROM TABLE(HOP(TABLE clicks, DESCRIPTOR(ts), INTERVAL '1' MINUTE, INTERVAL '3' MINUTE, INTERVAL '-20' SECOND))
        GROUP BY window_start, window_end`,
  },
  {
    name: 'window offsets: CUMULATE every minute of 3-minute windows starting 45 s past',
    columns: 'window_start TIMESTAMP(3), window_end TIMESTAMP(3), user_id STRING, n BIGINT',
    sql: `INSERT INTO out_rows SELECT window_start, window_end, user_id, COUNT(*)
      FROM TABLE(CUMULATE(TABLE clicks, DESCRIPTOR(ts), INTERVAL '1' MINUTE, INTERVAL '3' MINUTE, INTERVAL '45' SECOND))
      GROUP BY window_start, window_end, user_id`,
  },
  {
    name: 'SESSION per user with a 20-second gap',
    columns: 'window_start TIMESTAMP(3), window_end TIMESTAMP(3), user_id STRING, n BIGINT, spend DOUBLE',
    sql: `INSERT INTO out_rows SELECT window_start, window_end, user_id, COUNT(*), SUM(amount)
      FROM TABLE(SESSION(TABLE clicks PARTITION BY user_id, DESCRIPTOR(ts), INTERVAL '20' SECOND))
      GROUP BY window_start, window_end, user_id`,
  },
  {
    name: 'SESSION per page with MIN and MAX of the event time',
    columns: 'page STRING, first_ts TIMESTAMP(3), last_ts TIMESTAMP(3), n BIGINT',
    sql: `INSERT INTO out_rows SELECT page, MIN(ts), MAX(ts), COUNT(*)
      FROM TABLE(SESSION(TABLE clicks PARTITION BY page, DESCRIPTOR(ts), INTERVAL '10' SECOND))
      GROUP BY window_start, window_end, page`,
  },
  {
    name: 'two window aggregations of one table in UNION ALL',
    columns: 'window_start TIMESTAMP(3), what STRING, n BIGINT',
    sql: `INSERT INTO out_rows
      SELECT window_start, 'users', COUNT(DISTINCT user_id) FROM ${TUMBLE_1M} GROUP BY window_start, window_end
      UNION ALL
      SELECT window_start, 'clicks', COUNT(*) FROM ${TUMBLE_1M} GROUP BY window_start, window_end`,
  },

  // -- Window Top-N ----------------------------------------------------------------------------
  {
    name: 'window Top-3 users by clicks per 2 minutes',
    columns: 'window_start TIMESTAMP(3), user_id STRING, n BIGINT, rn BIGINT',
    sql: `INSERT INTO out_rows SELECT window_start, user_id, n, rn FROM (
        SELECT *, ROW_NUMBER() OVER (PARTITION BY window_start, window_end ORDER BY n DESC, user_id) AS rn FROM (
          SELECT window_start, window_end, user_id, COUNT(*) AS n
          FROM TABLE(TUMBLE(TABLE clicks, DESCRIPTOR(ts), INTERVAL '2' MINUTE)) GROUP BY window_start, window_end, user_id))
      WHERE rn <= 3`,
  },
  {
    name: 'window Top-1 page per user by amount, rank not written',
    columns: 'window_start TIMESTAMP(3), user_id STRING, page STRING, s DOUBLE',
    sql: `INSERT INTO out_rows SELECT window_start, user_id, page, s FROM (
        SELECT *, ROW_NUMBER() OVER (PARTITION BY window_start, window_end, user_id ORDER BY s DESC, page) AS rn FROM (
          SELECT window_start, window_end, user_id, page, SUM(amount) AS s
          FROM TABLE(TUMBLE(TABLE clicks, DESCRIPTOR(ts), INTERVAL '4' MINUTE))
          WHERE amount IS NOT NULL AND page IS NOT NULL GROUP BY window_start, window_end, user_id, page))
      WHERE rn = 1`,
  },
  {
    name: 'window Top-2 over HOP windows',
    columns: 'window_end TIMESTAMP(3), page STRING, n BIGINT',
    sql: `INSERT INTO out_rows SELECT window_end, page, n FROM (
        SELECT *, ROW_NUMBER() OVER (PARTITION BY window_start, window_end ORDER BY n DESC, page) AS rn FROM (
          SELECT window_start, window_end, page, COUNT(*) AS n
          FROM TABLE(HOP(TABLE clicks, DESCRIPTOR(ts), INTERVAL '2' MINUTE, INTERVAL '4' MINUTE))
          WHERE page IS NOT NULL GROUP BY window_start, window_end, page))
      WHERE rn <= 2`,
  },

  // -- GROUP BY without a window: updating results into upsert-kafka ----------------------------
  {
    name: 'updating GROUP BY: counts, sums and extremes per user',
    columns:
      'user_id STRING, n BIGINT, items INT, biggest DOUBLE, first_ts TIMESTAMP(3), spent DECIMAL(38, 2)',
    primaryKey: 'user_id',
    sql: `INSERT INTO out_rows SELECT user_id, COUNT(*), SUM(qty), MAX(amount), MIN(ts), SUM(price) FROM clicks GROUP BY user_id`,
  },
  {
    name: 'updating GROUP BY on an expression, with COUNT(DISTINCT) and AVG',
    columns: 'page STRING, users BIGINT, avg_qty INT, avg_amount DOUBLE',
    primaryKey: 'page',
    sql: `INSERT INTO out_rows SELECT COALESCE(page, 'none') AS page, COUNT(DISTINCT user_id), AVG(qty), AVG(amount)
      FROM clicks GROUP BY COALESCE(page, 'none')`,
  },
  {
    name: 'updating GROUP BY on two keys over a filter, with FILTER and LISTAGG',
    columns: 'user_id STRING, page STRING, n BIGINT, big BIGINT, qtys STRING',
    primaryKey: 'user_id, page',
    sql: `INSERT INTO out_rows SELECT user_id, page, COUNT(*), COUNT(*) FILTER (WHERE amount > 100), LISTAGG(CAST(qty AS STRING))
      FROM clicks WHERE page IS NOT NULL GROUP BY user_id, page`,
  },

  // -- Window joins ----------------------------------------------------------------------------
  {
    name: 'window join: a cart and a checkout of the same user in the same minute',
    columns:
      'user_id STRING, window_start TIMESTAMP(3), window_end TIMESTAMP(3), cart_ts TIMESTAMP(3), checkout_ts TIMESTAMP(3)',
    sql: `INSERT INTO out_rows SELECT L.user_id, L.window_start, R.window_end, CAST(L.ts AS TIMESTAMP(3)), CAST(R.ts AS TIMESTAMP(3))
      FROM (SELECT * FROM TABLE(TUMBLE(TABLE clicks, DESCRIPTOR(ts), INTERVAL '1' MINUTE)) WHERE page = 'cart') L
      JOIN (SELECT * FROM TABLE(TUMBLE(TABLE clicks, DESCRIPTOR(ts), INTERVAL '1' MINUTE)) WHERE page = 'checkout') R
      ON L.user_id = R.user_id AND L.window_start = R.window_start AND L.window_end = R.window_end`,
  },
  {
    name: 'window join over HOP windows on an expression key, with a residual condition',
    columns: 'window_start TIMESTAMP(3), qty INT, a_user STRING, b_user STRING',
    sql: `INSERT INTO out_rows SELECT A.window_start, A.qty, A.user_id, B.user_id
      FROM (SELECT * FROM TABLE(HOP(TABLE clicks, DESCRIPTOR(ts), INTERVAL '1' MINUTE, INTERVAL '2' MINUTE))) A
      JOIN (SELECT * FROM TABLE(HOP(TABLE clicks, DESCRIPTOR(ts), INTERVAL '1' MINUTE, INTERVAL '2' MINUTE))) B
      ON A.qty * 2 = B.qty + B.qty AND A.window_start = B.window_start AND A.window_end = B.window_end
        AND A.user_id < B.user_id AND A.page = 'home' AND B.page = 'search'`,
  },
  {
    name: 'window join over CUMULATE windows: pages seen by two users in the same growing window',
    columns: 'window_start TIMESTAMP(3), window_end TIMESTAMP(3), a_user STRING, b_user STRING, page STRING',
    sql: `INSERT INTO out_rows SELECT A.window_start, A.window_end, A.user_id, B.user_id, A.page
      FROM (SELECT * FROM TABLE(CUMULATE(TABLE clicks, DESCRIPTOR(ts), INTERVAL '1' MINUTE, INTERVAL '3' MINUTE)) WHERE user_id = 'ada') A
      JOIN (SELECT * FROM TABLE(CUMULATE(TABLE clicks, DESCRIPTOR(ts), INTERVAL '1' MINUTE, INTERVAL '3' MINUTE)) WHERE user_id = 'bob') B
      ON A.page = B.page AND A.window_start = B.window_start AND A.window_end = B.window_end`,
  },

  // -- Top-N without windows (updating) --------------------------------------------------------
  {
    name: 'updating Top-3: the dearest clicks of each page so far',
    columns: 'page STRING NOT NULL, rn BIGINT NOT NULL, user_id STRING, amount DOUBLE, ts TIMESTAMP(3)',
    primaryKey: 'page, rn',
    sql: `INSERT INTO out_rows SELECT page, rn, user_id, amount, CAST(ts AS TIMESTAMP(3)) FROM (
        SELECT *, ROW_NUMBER() OVER (PARTITION BY page ORDER BY amount DESC, ts ASC) AS rn
        FROM clicks WHERE page IS NOT NULL)
      WHERE rn <= 3`,
  },
  {
    name: 'updating Top-2: the cheapest clicks of each user so far, a null amount lowest',
    columns: 'user_id STRING NOT NULL, rn BIGINT NOT NULL, amount DOUBLE, ts TIMESTAMP(3)',
    primaryKey: 'user_id, rn',
    sql: `INSERT INTO out_rows SELECT user_id, rn, amount, CAST(ts AS TIMESTAMP(3)) FROM (
        SELECT *, ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY amount ASC, ts ASC) AS rn FROM clicks)
      WHERE rn <= 2`,
  },
  {
    name: 'updating Top-2 over a GROUP BY: the two most active users of each page',
    columns: 'page STRING NOT NULL, rn BIGINT NOT NULL, user_id STRING, n BIGINT',
    primaryKey: 'page, rn',
    sql: `INSERT INTO out_rows SELECT page, rn, user_id, n FROM (
        SELECT *, ROW_NUMBER() OVER (PARTITION BY page ORDER BY n DESC, user_id ASC) AS rn
        FROM (SELECT page, user_id, COUNT(*) AS n FROM clicks WHERE page IS NOT NULL GROUP BY page, user_id))
      WHERE rn <= 2`,
  },
  {
    name: "updating Top-1 keeping the last row (a deduplication): each user's latest click",
    columns: 'user_id STRING NOT NULL, page STRING, ts TIMESTAMP(3)',
    primaryKey: 'user_id',
    sql: `INSERT INTO out_rows SELECT user_id, page, CAST(ts AS TIMESTAMP(3)) FROM (
        SELECT *, ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY ts DESC) AS rn FROM clicks)
      WHERE rn = 1`,
  },

  // -- Regular joins ---------------------------------------------------------------------------
  {
    name: 'regular join: each cart click with each checkout click of its user and quantity',
    columns: 'user_id STRING, qty INT, cart_ts TIMESTAMP(3), checkout_ts TIMESTAMP(3)',
    sql: `INSERT INTO out_rows SELECT a.user_id, a.qty, CAST(a.ts AS TIMESTAMP(3)), CAST(b.ts AS TIMESTAMP(3))
      FROM clicks a JOIN clicks b ON a.user_id = b.user_id AND a.qty = b.qty
      WHERE a.page = 'cart' AND b.page = 'checkout'`,
  },
  {
    name: 'regular join with a one-sided time condition and an expression key',
    columns: 'a_user STRING, b_user STRING, a_ts TIMESTAMP(3), b_ts TIMESTAMP(3)',
    sql: `INSERT INTO out_rows SELECT a.user_id, b.user_id, CAST(a.ts AS TIMESTAMP(3)), CAST(b.ts AS TIMESTAMP(3))
      FROM clicks a JOIN clicks b ON UPPER(a.page) = UPPER(b.page) AND b.ts > a.ts + INTERVAL '9' MINUTE
        AND a.user_id <> b.user_id`,
  },
  {
    name: 'regular join, then GROUP BY without a window: pairs per user, updating',
    columns: 'user_id STRING, pairs BIGINT',
    primaryKey: 'user_id',
    sql: `INSERT INTO out_rows SELECT a.user_id, COUNT(*)
      FROM clicks a JOIN clicks b ON a.user_id = b.user_id AND a.page = b.page
      WHERE a.qty < b.qty
      GROUP BY a.user_id`,
  },

  // -- Temporal joins --------------------------------------------------------------------------
  {
    name: 'temporal join: each click with the price of its page at the click, and the cost',
    columns:
      'user_id STRING, page STRING, ts TIMESTAMP(3), unit_price DECIMAL(10, 2), currency STRING, version_ts TIMESTAMP(3), cost DECIMAL(20, 2)',
    sql: `INSERT INTO out_rows SELECT c.user_id, c.page, c.ts, p.unit_price, p.currency, p.version_ts, c.qty * p.unit_price
      FROM clicks AS c JOIN prices FOR SYSTEM_TIME AS OF c.ts AS p ON c.page = p.page`,
  },
  {
    name: 'temporal LEFT JOIN with a condition on the version: nulls where no EUR price was current',
    columns: 'user_id STRING, page STRING, ts TIMESTAMP(3), unit_price DECIMAL(10, 2), currency STRING',
    sql: `INSERT INTO out_rows SELECT c.user_id, c.page, c.ts, p.unit_price, p.currency
      FROM clicks AS c LEFT JOIN prices FOR SYSTEM_TIME AS OF c.ts AS p ON p.page = c.page AND p.currency = 'EUR'`,
  },
  {
    name: 'temporal join keeps the time attribute: revenue per currency per 2 minutes of the enriched clicks',
    columns: 'window_start TIMESTAMP(3), currency STRING, clicks BIGINT, revenue DECIMAL(38, 2)',
    sql: `CREATE TEMPORARY VIEW priced AS SELECT c.ts, c.qty, p.unit_price, p.currency
        FROM clicks AS c JOIN prices FOR SYSTEM_TIME AS OF c.ts AS p ON c.page = p.page;
      INSERT INTO out_rows SELECT window_start, currency, COUNT(*), SUM(qty * unit_price)
      FROM TABLE(TUMBLE(TABLE priced, DESCRIPTOR(ts), INTERVAL '2' MINUTE))
      GROUP BY window_start, window_end, currency`,
  },

  // -- Deduplication ---------------------------------------------------------------------------
  {
    name: 'deduplication: the first click of each user on each page',
    columns: 'user_id STRING, page STRING, ts TIMESTAMP(3), amount DOUBLE',
    sql: `INSERT INTO out_rows SELECT user_id, page, ts, amount FROM (
        SELECT *, ROW_NUMBER() OVER (PARTITION BY user_id, page ORDER BY ts ASC) AS rn FROM clicks)
      WHERE rn = 1`,
  },
  {
    name: 'deduplication keeps the time attribute: first visits per page and minute',
    columns: 'window_start TIMESTAMP(3), page STRING, first_visits BIGINT',
    sql: `CREATE TEMPORARY VIEW first_visits AS SELECT user_id, page, ts FROM (
        SELECT user_id, page, ts, ROW_NUMBER() OVER (PARTITION BY user_id, page ORDER BY ts) AS rn FROM clicks)
      WHERE rn = 1;
      INSERT INTO out_rows SELECT window_start, page, COUNT(*)
      FROM TABLE(TUMBLE(TABLE first_visits, DESCRIPTOR(ts), INTERVAL '1' MINUTE)) GROUP BY window_start, window_end, page`,
  },

  // -- Interval joins --------------------------------------------------------------------------
  {
    name: 'interval join: a cart followed within 30 seconds by a checkout of the same user',
    columns: 'user_id STRING, cart_ts TIMESTAMP(3), checkout_ts TIMESTAMP(3), cart_amount DOUBLE',
    // Flink refuses to write two time attributes into one table: the second is cast to a plain TIMESTAMP.
    sql: `INSERT INTO out_rows SELECT a.user_id, a.ts, CAST(b.ts AS TIMESTAMP(3)), a.amount
      FROM clicks a JOIN clicks b
        ON a.user_id = b.user_id AND b.ts BETWEEN a.ts AND a.ts + INTERVAL '30' SECOND
      WHERE a.page = 'cart' AND b.page = 'checkout'`,
  },
  {
    name: 'interval join: strict bounds on both sides, a residual condition in ON',
    columns: 'qty INT, a_user STRING, b_user STRING, gap_ms BIGINT',
    sql: `INSERT INTO out_rows SELECT a.qty, a.user_id, b.user_id, CAST(TIMESTAMPDIFF(SECOND, a.ts, b.ts) AS BIGINT)
      FROM clicks AS a INNER JOIN clicks AS b
        ON a.qty = b.qty AND b.ts > a.ts - INTERVAL '4' SECOND AND b.ts < a.ts + INTERVAL '6' SECOND
        AND a.user_id < b.user_id`,
  },
  {
    name: 'interval join on two keys, one an expression, with bounds written with the right side first',
    columns: 'user_id STRING, page STRING, n INT',
    sql: `INSERT INTO out_rows SELECT a.user_id, b.page, a.qty + b.qty
      FROM clicks a JOIN clicks b
        ON UPPER(a.user_id) = UPPER(b.user_id) AND COALESCE(a.page, '-') = COALESCE(b.page, '-')
        AND a.ts <= b.ts AND a.ts >= b.ts - INTERVAL '1' MINUTE AND a.price <> b.price`,
  },

  // -- METADATA columns ------------------------------------------------------------------------
  {
    name: "METADATA columns: the record's partition, offset, topic and timestamp",
    columns: 'user_id STRING, part INT, off BIGINT, kafka_ts TIMESTAMP_LTZ(3), topic_name STRING',
    sql: `CREATE TEMPORARY TABLE clicks_meta (
        user_id STRING,
        ts TIMESTAMP(3),
        kafka_ts TIMESTAMP_LTZ(3) METADATA FROM 'timestamp',
        part INT METADATA FROM 'partition' VIRTUAL,
        off BIGINT METADATA FROM 'offset' VIRTUAL,
        topic_name STRING METADATA FROM 'topic' VIRTUAL,
        WATERMARK FOR ts AS ts - INTERVAL '2' SECOND
      ) WITH (\${clicks}, 'format' = 'json');
      INSERT INTO out_rows SELECT user_id, part, off, kafka_ts, topic_name FROM clicks_meta WHERE MOD(off, 7) = 0`,
  },
  {
    name: 'METADATA timestamp as the time attribute of a window',
    columns: 'window_start TIMESTAMP_LTZ(3), n BIGINT, users BIGINT',
    sql: `CREATE TEMPORARY TABLE clicks_by_arrival (
        user_id STRING,
        arrived TIMESTAMP_LTZ(3) METADATA FROM 'timestamp',
        WATERMARK FOR arrived AS arrived - INTERVAL '1' SECOND
      ) WITH (\${clicks}, 'format' = 'json');
      INSERT INTO out_rows SELECT window_start, COUNT(*), COUNT(DISTINCT user_id)
      FROM TABLE(TUMBLE(TABLE clicks_by_arrival, DESCRIPTOR(arrived), INTERVAL '1' SECOND)) GROUP BY window_start, window_end`,
  },

  {
    name: "key.fields: the record key is the JSON of the key columns, as Flink's kafka sink writes it",
    columns: 'user_id STRING, page STRING, qty INT',
    keyFields: 'user_id;page',
    sql: `INSERT INTO out_rows SELECT user_id, page, qty FROM clicks WHERE qty >= 4`,
  },
  {
    name: "the raw format: each record's value as one STRING column",
    columns: 'user_id STRING, len INT, has_tags BOOLEAN',
    sql: `CREATE TEMPORARY TABLE clicks_raw (line STRING) WITH (\${clicks}, 'format' = 'raw');
      INSERT INTO out_rows SELECT JSON_VALUE(line, '$.user_id'), CHAR_LENGTH(line), line LIKE '%"tags"%' FROM clicks_raw`,
  },

  // -- Statements ------------------------------------------------------------------------------
  {
    name: 'EXECUTE STATEMENT SET with one INSERT',
    columns: 'user_id STRING, n BIGINT',
    sql: `EXECUTE STATEMENT SET BEGIN
        INSERT INTO out_rows SELECT user_id, COUNT(*) FROM ${TUMBLE_1M} GROUP BY window_start, window_end, user_id;
      END`,
  },
  {
    name: 'a computed column of a view used as a group key',
    columns: 'window_start TIMESTAMP(3), domain STRING, n BIGINT',
    sql: `CREATE TEMPORARY VIEW tagged AS SELECT ts, SPLIT_INDEX(JSON_VALUE(payload, '$.tags[0]'), 'e', 0) AS domain FROM clicks;
      INSERT INTO out_rows SELECT window_start, domain, COUNT(*)
      FROM TABLE(TUMBLE(TABLE tagged, DESCRIPTOR(ts), INTERVAL '1' MINUTE)) GROUP BY window_start, window_end, domain`,
  },
  {
    name: 'boolean expressions written as columns',
    columns: 'big BOOLEAN, home BOOLEAN, both_ BOOLEAN, unknown_ BOOLEAN',
    sql: `INSERT INTO out_rows SELECT amount > 100, page = 'home', amount > 100 AND page = 'home', (amount > 100) IS UNKNOWN FROM clicks`,
  },

  // -- datagen ---------------------------------------------------------------------------------
  {
    name: 'datagen sequences: the shortest ends the table; windows over a rowtime computed from one',
    columns: 'window_start TIMESTAMP(3), n BIGINT, ids BIGINT, top_label STRING',
    sql: `CREATE TEMPORARY TABLE gen (
        id INT, label VARCHAR(8),
        ts AS TIMESTAMP '2026-01-01 10:00:00.000' + id * INTERVAL '1' SECOND,
        WATERMARK FOR ts AS ts
      ) WITH (
        'connector' = 'datagen',
        'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '250',
        'fields.label.kind' = 'sequence', 'fields.label.start' = '1000', 'fields.label.end' = '9000'
      );
      INSERT INTO out_rows SELECT window_start, COUNT(*), SUM(id), MAX(label)
      FROM TABLE(TUMBLE(TABLE gen, DESCRIPTOR(ts), INTERVAL '1' MINUTE)) GROUP BY window_start, window_end`,
  },
  {
    name: 'datagen random columns: number-of-rows rows, each within its bounds and length',
    columns: 'n_in BOOLEAN, s_len INT, s_hex BOOLEAN, d_in BOOLEAN, b_set BOOLEAN',
    sql: `CREATE TEMPORARY TABLE rnd (n INT, s VARCHAR(12), d DECIMAL(6, 2), b BOOLEAN) WITH (
        'connector' = 'datagen', 'number-of-rows' = '300',
        'fields.n.min' = '-5', 'fields.n.max' = '5', 'fields.d.min' = '1', 'fields.d.max' = '2'
      );
      INSERT INTO out_rows SELECT n BETWEEN -5 AND 5, CHAR_LENGTH(s), REGEXP(s, '^[0-9a-f]+$'),
        d BETWEEN 1 AND 2, b IS NOT NULL FROM rnd`,
  },
]
