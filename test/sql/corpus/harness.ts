/**
 * The differential corpus: each query of cases.ts runs on freshet and on Apache Flink over the
 * same input topic, and the two output topics must hold the same rows (as multisets: the order of
 * rows across windows and keys is neither engine's promise).
 *
 *   1. The input: `clicks`, a fixed set of rows in Flink's JSON format on a topic of 2 partitions
 *      (keyed by user), events out of order within the WATERMARK delay, nulls in several columns;
 *      and `prices`, an upsert-kafka table of each page's price over time (versions, a page
 *      without one for a while, a version at the very millisecond of a click), for temporal joins.
 *      It has no tombstone: Flink 2.2 applies a deletion at the time of the version it deletes
 *      (docs/sql.md, "Differences from Flink"); test/sql/temporal-join.test.ts covers deletions.
 *   2. Per case, one file: the shared prelude (session time zone, the bounded `clicks` table), the
 *      case's `out_rows` table on a topic of its own per engine, and its INSERT.
 *   3. freshet: the file planned in process and run by a worker reading `clicks` as a bounded
 *      input; it stops by itself at the end of the input, every window closed.
 *   4. Flink: the same file through the SQL Gateway; the job finishes at the end of its bounded
 *      scan, every window closed by the final watermark.
 *   5. Both output topics read to the end and compared as multisets of rows; for an updating query
 *      (a case with a primary key, written to upsert-kafka) as the final row of every key.
 *
 */
import { KafkaProducer } from '../../../src/kafka/index.ts'
import { Worker } from '../../../src/runtime/index.ts'
import { planSql, sqlWorkerOptions } from '../../../src/sql/index.ts'
import { submitSql, waitForJob } from '../../../src/flink/index.ts'
import type { TestContext } from 'node:test'
import { bootstrap, brokers, createTopics, randomName, readToEnd } from '../../helpers/kafka.ts'
import { CASES, type CorpusCase } from './cases.ts'

/** Cases run on each engine at once: Flink's TaskManager has two task slots. */
const CONCURRENCY = 2

export const CLICKS_PARTITIONS = 2
const BASE_MS = Date.UTC(2026, 0, 1, 10)
const PAGES = ['home', 'search', 'product', 'cart', 'checkout', null] as const
const USERS = ['ada', 'bob', 'cyd', 'dee', 'eve', 'fay', 'gus']

export interface Click {
  user_id: string
  page: string | null
  amount: number | null
  qty: number
  price: number | null
  payload: string
  ts: string
}

/** `yyyy-MM-dd HH:mm:ss.SSS` as Flink's json format reads a TIMESTAMP(3). */
function sqlTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '')
}

/**
 * 480 clicks over 12 minutes: one every 1.5 s, each up to 1.2 s off its slot (the WATERMARK allows
 * 2 s: no click is late on either engine), in a fixed pseudo-random pattern.
 */
export function clicks(): Click[] {
  let seed = 42
  const next = (): number => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648
    return seed / 2_147_483_648
  }
  return Array.from({ length: 480 }, (_, i) => {
    const user = USERS[Math.floor(next() * USERS.length)]!
    const page = PAGES[Math.floor(next() * PAGES.length)]!
    const jitterMs = Math.floor(next() * 1_200)
    const amount = next() < 0.15 ? null : Math.round(next() * 20_000) / 100
    const qty = 1 + Math.floor(next() * 5)
    const price = next() < 0.1 ? null : Math.round(next() * 9_999) / 100
    return {
      user_id: user,
      page,
      amount,
      qty,
      price,
      payload: JSON.stringify({ n: i, tags: [page ?? 'none', user], ok: i % 3 === 0 }),
      ts: sqlTimestamp(BASE_MS + i * 1_500 + jitterMs),
    }
  })
}

export async function produceClicks(topic: string, rows: readonly Click[]): Promise<void> {
  const producer = new KafkaProducer({ bootstrapBrokers: brokers() })
  try {
    await producer.send(
      rows.map((row) => ({ topic, key: Buffer.from(row.user_id), value: Buffer.from(JSON.stringify(row)) })),
    )
  } finally {
    await producer.close()
  }
}

/** A version of a page's price: its time is the record's timestamp. */
export interface PriceVersion {
  page: string
  price: number
  currency: string
  timestampMs: number
}

/**
 * The versions of each page's price, before, during and after the clicks: several per page, a
 * page with none until a minute in, and one version at the exact millisecond of a click on its
 * page (the version of time t includes versions at t).
 */
export function prices(): PriceVersion[] {
  const minute = 60_000
  const at = (page: string, minutes: number, price: number, currency = 'EUR'): PriceVersion => ({
    page,
    price,
    currency,
    timestampMs: BASE_MS + minutes * minute,
  })
  const exact = clicks().find((c, i) => i > 200 && c.page === 'cart')!
  return [
    at('home', -1, 1),
    at('home', 3, 1.5),
    at('home', 7, 2, 'USD'),
    at('search', 1, 0.5),
    at('product', 0, 10),
    at('product', 5, 11, 'USD'),
    at('product', 8, 12),
    at('cart', -0.25, 3),
    { page: 'cart', price: 3.25, currency: 'USD', timestampMs: Date.parse(`${exact.ts.replace(' ', 'T')}Z`) },
    at('checkout', 0.5, 20),
    at('checkout', 2.5, 21, 'USD'),
    at('checkout', 4.5, 22),
    at('checkout', 6.5, 23, 'USD'),
  ]
}

export async function producePrices(topic: string, versions: readonly PriceVersion[]): Promise<void> {
  const producer = new KafkaProducer({ bootstrapBrokers: brokers() })
  try {
    await producer.send(
      versions.map((v) => ({
        topic,
        key: Buffer.from(JSON.stringify({ page: v.page })),
        value: Buffer.from(JSON.stringify({ page: v.page, unit_price: v.price, currency: v.currency })),
        timestampMs: v.timestampMs,
      })),
    )
  } finally {
    await producer.close()
  }
}

/** Step 2: the file one engine runs for a case. */
export function caseFile(
  c: CorpusCase,
  at: { input: string; prices: string; output: string; bootstrap: string; applicationId: string },
): string {
  const kafka = (topic: string): string =>
    `'connector' = 'kafka', 'topic' = '${topic}', 'properties.bootstrap.servers' = '${at.bootstrap}'`
  const clicksOptions = `${kafka(at.input)}, 'scan.startup.mode' = 'earliest-offset', 'scan.bounded.mode' = 'latest-offset'`
  return `SET 'pipeline.name' = '${at.applicationId}';
SET 'table.local-time-zone' = 'UTC';
SET 'parallelism.default' = '1';

CREATE TABLE clicks (
  user_id STRING,
  page STRING,
  amount DOUBLE,
  qty INT,
  price DECIMAL(10, 2),
  payload STRING,
  ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '2' SECOND
) WITH (${clicksOptions}, 'format' = 'json');

CREATE TABLE prices (
  page STRING,
  unit_price DECIMAL(10, 2),
  currency STRING,
  version_ts TIMESTAMP(3) METADATA FROM 'timestamp',
  WATERMARK FOR version_ts AS version_ts - INTERVAL '2' SECOND,
  PRIMARY KEY (page) NOT ENFORCED
) WITH (
  ${kafka(at.prices).replace("'kafka'", "'upsert-kafka'")},
  'key.format' = 'json',
  'value.format' = 'json',
  'scan.bounded.mode' = 'latest-offset'
);

${
  c.primaryKey === undefined
    ? `CREATE TABLE out_rows (
  ${c.columns}
) WITH (
  ${kafka(at.output)},
  ${c.keyFields === undefined ? `'format' = 'json'` : `'key.format' = 'json', 'key.fields' = '${c.keyFields}', 'value.format' = 'json'`}
);`
    : `CREATE TABLE out_rows (
  ${c.columns},
  PRIMARY KEY (${c.primaryKey}) NOT ENFORCED
) WITH (
  ${kafka(at.output).replace("'kafka'", "'upsert-kafka'")},
  'key.format' = 'json',
  'value.format' = 'json'
);`
}

${c.sql.trim().replace(/;$/, '').replaceAll('${clicks}', clicksOptions)};
`
}

/** Step 3 */
export async function runOnFreshet(text: string, file: string): Promise<void> {
  const planned = await planSql(text, file)
  const worker = new Worker({
    bootstrapBrokers: brokers(),
    topology: planned.topology,
    ...sqlWorkerOptions(planned),
    onBadRecord: 'dlq',
    workerId: 'corpus',
  })
  await worker.start()
  try {
    await worker.done
  } finally {
    await worker.stop()
  }
}

/** Step 4: submits the file; resolves with the job's id once it has finished. */
export async function runOnFlink(
  text: string,
  file: string,
  urls: { gateway: string; rest: string },
): Promise<void> {
  const report = await submitSql({ gatewayUrl: urls.gateway, sql: text, file })
  if (report.failed !== null) throw new Error(`Flink refused ${file}: ${report.failed.error}`)
  const jobId = report.jobIds[0]
  if (jobId === undefined) throw new Error(`Flink started no job for ${file}`)
  const outcome = await waitForJob(urls.rest, jobId, { timeoutMs: 300_000 })
  if (outcome.state !== 'FINISHED')
    throw new Error(`Flink job of ${file} ${outcome.state}: ${outcome.failure}`)
}

/**
 * Step 5: the rows of a topic as canonical JSON texts, sorted (a multiset). An upsert table's are
 * its final state: per key the latest row (a tombstone deletes it), as `key => row`.
 */
export async function rowsOf(topic: string, upsert: boolean, keyed = false): Promise<string[]> {
  const records = await readToEnd(topic)
  const parse = (buffer: Buffer): unknown => JSON.parse(buffer.toString('utf8'))
  if (keyed) {
    return records
      .map(
        (r) => `${canonical(r.key === null ? null : parse(r.key))} => ${canonical(parse(r.value as Buffer))}`,
      )
      .sort()
  }
  if (!upsert) return records.map((r) => canonical(parse(r.value as Buffer))).sort()
  const state = new Map<string, string>()
  for (const r of records) {
    const key = canonical(r.key === null ? null : parse(r.key))
    if (r.value === null) state.delete(key)
    else state.set(key, canonical(parse(r.value)))
  }
  return [...state].map(([key, row]) => `${key} => ${row}`).sort()
}

/**
 * JSON with object keys sorted, so that equal rows give equal texts, and fractional numbers to 12
 * significant digits: a DOUBLE sum depends on the order its terms arrive in, which differs between
 * engines (and between Flink runs of another parallelism) in the last bits (docs/sql.md).
 */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'number' && !Number.isInteger(v)) return Number(v.toPrecision(12))
    return v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v
  })
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!.slice(0, 400)
}

async function inPool<T>(items: readonly T[], size: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  await Promise.all(
    Array.from({ length: size }, async () => {
      while (next < items.length) await work(items[next++]!)
    }),
  )
}

/**
 * Steps 1-5 for every case against a running Flink; returns what differs, one line per case (the
 * rows only one engine wrote, at most three of each), sorted.
 */
export async function runCorpus(
  t: TestContext,
  urls: { gateway: string; rest: string },
): Promise<{ failures: string[]; elapsedMs: number; ran: number }> {
  // Step 1 (FRESHET_CORPUS_ONLY=text runs the cases whose name contains it, to look at one)
  const only = process.env.FRESHET_CORPUS_ONLY
  const cases = CASES.map((c, i) => ({ c, i })).filter(({ c }) => only === undefined || c.name.includes(only))
  if (cases.length === 0) throw new Error(`FRESHET_CORPUS_ONLY=${only ?? ''} names no case`)
  const input = randomName('corpus-clicks')
  const pricesTopic = randomName('corpus-prices')
  const outputs = CASES.map((_, i) => ({
    freshet: randomName(`corpus-${i}-freshet`),
    flink: randomName(`corpus-${i}-flink`),
  }))
  await createTopics(t, [
    { topic: input, partitions: CLICKS_PARTITIONS },
    { topic: pricesTopic, partitions: CLICKS_PARTITIONS },
    ...outputs.flatMap((o) => [
      { topic: o.freshet, partitions: 1 },
      { topic: o.flink, partitions: 1 },
    ]),
  ])
  await produceClicks(input, clicks())
  await producePrices(pricesTopic, prices())

  // Step 2
  const files = cases.map(({ c, i }) => ({
    c,
    i,
    freshet: caseFile(c, {
      input,
      prices: pricesTopic,
      output: outputs[i]!.freshet,
      bootstrap: bootstrap(),
      applicationId: randomName(`corpus-${i}`),
    }),
    flink: caseFile(c, {
      input,
      prices: pricesTopic,
      output: outputs[i]!.flink,
      bootstrap: bootstrap(),
      applicationId: `corpus-${i}`,
    }),
  }))
  const failures: string[] = []
  const startedMs = Date.now()
  // Steps 3-4: both engines at once.
  await Promise.all([
    inPool(files, CONCURRENCY, async ({ c, i, freshet }) => {
      await runOnFreshet(freshet, `corpus-${i}.sql`).catch((error: unknown) => {
        failures.push(`[${i}] ${c.name}: freshet: ${firstLine(error)}`)
      })
    }),
    inPool(files, CONCURRENCY, async ({ c, i, flink }) => {
      await runOnFlink(flink, `corpus-${i}.sql`, urls).catch((error: unknown) => {
        failures.push(`[${i}] ${c.name}: Flink: ${firstLine(error)}`)
      })
    }),
  ])
  const elapsedMs = Date.now() - startedMs

  // Step 5
  for (const { c, i } of files) {
    if (failures.some((f) => f.startsWith(`[${i}] `))) continue
    const upsert = c.primaryKey !== undefined
    const keyed = c.keyFields !== undefined
    const [ours, theirs] = await Promise.all([
      rowsOf(outputs[i]!.freshet, upsert, keyed),
      rowsOf(outputs[i]!.flink, upsert, keyed),
    ])
    if (theirs.length === 0) {
      failures.push(`[${i}] ${c.name}: Flink wrote no row`)
      continue
    }
    const only = (a: string[], b: string[]): string[] => a.filter((r) => !b.includes(r)).slice(0, 3)
    if (ours.length !== theirs.length || ours.some((row, k) => row !== theirs[k])) {
      failures.push(
        `[${i}] ${c.name}: ${ours.length} rows on freshet, ${theirs.length} on Flink; ` +
          `only Flink's: ${only(theirs, ours).join(' ')}; only freshet's: ${only(ours, theirs).join(' ')}`,
      )
    }
  }
  return { failures: failures.sort(), elapsedMs, ran: cases.length }
}
