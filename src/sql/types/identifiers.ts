/**
 * When Flink SQL needs an identifier in back-quotes: a name that is not a plain identifier
 * (letters, digits, underscores, not starting with a digit), or one of Flink 2.2's reserved
 * keywords. The list is what Flink 2.2's parser refuses as an unquoted column name in
 * `CREATE TABLE t (<name> INT)`, measured against a list of candidate words (SQL:2016's reserved
 * words, Flink's DDL keywords, freshet's own field names). Case does not matter.
 *
 * Also the suggestions for a name that is not found (`closest`, `didYouMean`), which the catalog
 * (tables and views) and the expression compiler (columns, fields) share.
 */
import { quoteIdentifier } from './format.ts'

const RESERVED = new Set(
  `
  ABS ALL ALLOCATE ALLOW ALTER AND ANY ARE ARRAY ARRAY_CONCAT_AGG ARRAY_MAX_CARDINALITY AS
  ASENSITIVE ASYMMETRIC AT ATOMIC AUTHORIZATION AVG BEGIN BEGIN_FRAME BEGIN_PARTITION BETWEEN BIGINT
  BINARY BIT BLOB BOOLEAN BOTH BUCKETS BY BYTES CALL CALLED CARDINALITY CASCADED CASE CAST CATALOGS
  CEIL CEILING CHAR CHARACTER CHARACTER_LENGTH CHAR_LENGTH CHECK CLASSIFIER CLOB CLOSE COALESCE
  COLLATE COLLECT COLUMN COMMENT COMMIT CONDITION CONNECT CONSTRAINT CONTAINS CONVERT CORR
  CORRESPONDING COUNT COVAR_POP COVAR_SAMP CREATE CROSS CUBE CUME_DIST CURRENT CURRENT_CATALOG
  CURRENT_DATE CURRENT_DEFAULT_TRANSFORM_GROUP CURRENT_PATH CURRENT_ROLE CURRENT_ROW CURRENT_SCHEMA
  CURRENT_TIME CURRENT_TIMESTAMP CURRENT_TRANSFORM_GROUP_FOR_TYPE CURRENT_USER CURSOR CYCLE
  DATABASES DATE DATETIME DAY DEALLOCATE DEC DECIMAL DECLARE DEFAULT DEFINE DELETE DENSE_RANK DEREF
  DESCRIBE DETERMINISTIC DISALLOW DISCONNECT DISTINCT DISTRIBUTED DISTRIBUTION DOUBLE DROP DYNAMIC
  EACH ELEMENT ELSE EMPTY END END_FRAME END_PARTITION EQUALS ESCAPE EVERY EXCEPT EXEC EXECUTE EXISTS
  EXP EXPLAIN EXTEND EXTENDED EXTERNAL EXTRACT FALSE FETCH FILTER FIRST_VALUE FLOAT FLOOR FOR
  FOREIGN FRAME_ROW FREE FRESHNESS FRIDAY FROM FULL FUNCTION FUNCTIONS FUSION GET GLOBAL GRANT GROUP
  GROUPING GROUPS HAVING HOLD HOUR IDENTITY ILIKE IMPORT IN INDICATOR INITIAL INNER INOUT
  INSENSITIVE INSERT INT INTEGER INTERSECT INTERSECTION INTERVAL INTO IS JOIN JSON_ARRAY
  JSON_ARRAYAGG JSON_EXISTS JSON_OBJECT JSON_OBJECTAGG JSON_QUERY JSON_VALUE LAG LANGUAGE LARGE
  LAST_VALUE LATERAL LEAD LEADING LEFT LIKE LIKE_REGEX LIMIT LN LOCAL LOCALTIME LOCALTIMESTAMP LOWER
  MATCH MATCHES MATCH_NUMBER MATCH_RECOGNIZE MATERIALIZED MAX MEASURES MEMBER MERGE METHOD MIN MINUS
  MINUTE MOD MODELS MODIFIES MODIFY MODULE MODULES MONDAY MONTH MULTISET NATIONAL NATURAL NCHAR
  NCLOB NEW NEXT NO NONE NORMALIZE NOT NTH_VALUE NTILE NULL NULLIF NUMERIC OCCURRENCES_REGEX
  OCTET_LENGTH OF OFFSET OLD OMIT ON ONE ONLY OPEN OR ORDER OUT OUTER OVER OVERLAPS OVERLAY
  PARAMETER PARTITION PATTERN PER PERCENT PERCENTILE_CONT PERCENTILE_DISC PERCENT_RANK PERIOD
  PERMUTE PIVOT PORTION POSITION POSITION_REGEX POWER PRECEDES PRECISION PREPARE PREV PRIMARY
  PROCEDURE PROCEDURES QUALIFY QUARTERS RANGE RANK RAW READS REAL RECURSIVE REF REFERENCES
  REFERENCING REFRESH REGR_AVGX REGR_AVGY REGR_COUNT REGR_INTERCEPT REGR_R2 REGR_SLOPE REGR_SXX
  REGR_SXY REGR_SYY RELEASE RENAME RESET RESULT RETURN RETURNS REVOKE RIGHT RLIKE ROLLBACK ROLLUP
  ROW ROWS ROW_NUMBER RUNNING SATURDAY SAVEPOINT SCALA SCOPE SCROLL SEARCH SECOND SEEK SELECT
  SENSITIVE SESSION_USER SET SHOW SIMILAR SKIP SMALLINT SOME SPECIFIC SPECIFICTYPE SQL SQLEXCEPTION
  SQLSTATE SQLWARNING SQRT START STATEMENT STATIC STDDEV_POP STDDEV_SAMP STREAM STRING SUBMULTISET
  SUBSET SUBSTRING SUBSTRING_REGEX SUCCEEDS SUM SUNDAY SYMMETRIC SYSTEM SYSTEM_TIME SYSTEM_USER
  TABLE TABLES TABLESAMPLE THEN THURSDAY TIME TIMESTAMP TIMESTAMP_LTZ TIMEZONE_HOUR TIMEZONE_MINUTE
  TINYINT TO TRAILING TRANSLATE TRANSLATE_REGEX TRANSLATION TREAT TRIGGER TRIM TRIM_ARRAY TRUE
  TRUNCATE TRY_CAST TUESDAY UESCAPE UNION UNIQUE UNKNOWN UNNEST UNPIVOT UPDATE UPPER UPSERT USE USER
  USING VALUE VALUES VALUE_OF VARBINARY VARCHAR VARIANT VARYING VAR_POP VAR_SAMP VERSIONING VIEWS
  WATERMARK WATERMARKS WEDNESDAY WHEN WHENEVER WHERE WIDTH_BUCKET WINDOW WITH WITHIN WITHOUT YEAR
`
    .trim()
    .split(/\s+/),
)

/** Whether Flink reads `name` as a keyword when it is not in back-quotes. */
export function isReservedWord(name: string): boolean {
  return RESERVED.has(name.toUpperCase())
}

/** `name` as Flink needs it written: bare when it can be, in back-quotes otherwise. */
export function identifier(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && !isReservedWord(name) ? name : quoteIdentifier(name)
}

/**
 * Names within a few edits of `name` (one for names under six characters, two otherwise), or
 * equal to it but for case, closest first, at most three: the suggestions for an unknown name.
 */
export function closest(name: string, candidates: readonly string[]): string[] {
  const limit = Math.min(2, Math.max(1, Math.floor(name.length / 3)))
  return candidates
    .map((c) => ({ c, d: c.toLowerCase() === name.toLowerCase() ? 0 : editDistance(name, c) }))
    .filter((s) => s.d <= limit)
    .sort((a, b) => a.d - b.d || a.c.localeCompare(b.c))
    .slice(0, 3)
    .map((s) => s.c)
}

/** `; did you mean 'a' or 'b'?` for the names `closest` finds, or nothing when there are none. */
export function didYouMean(name: string, candidates: readonly string[]): string {
  const suggestions = closest(name, candidates)
  return suggestions.length === 0 ? '' : `; did you mean ${suggestions.map((s) => `'${s}'`).join(' or ')}?`
}

/** Levenshtein distance: the fewest one-character insertions, deletions and substitutions. */
export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!
      row[j] = Math.min(above + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1))
      diagonal = above
    }
  }
  return row[b.length]!
}
