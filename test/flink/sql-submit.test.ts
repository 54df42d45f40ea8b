/**
 * Flink SQL over freshet's Avro events, end to end through the CLI: `freshet flink up` starts a
 * local Flink (installing it on first use), user events go into a topic as Confluent-framed Avro
 * through the test registry, `freshet sql submit` sends a .sql file through the SQL Gateway (a
 * Kafka table in the avro-confluent format, a one-minute tumbling count per event type into a JSON
 * topic, a bounded scan so that the job finishes), and the output equals an oracle computed from
 * the same seeded events. On the same cluster: a refused statement stops a file with its file line,
 * a table without the writer schema fails its job on the enum (docs/flink.md), and the seed
 * analytics of sql/ give the seed jobs' rows. Then the differential corpus (test/sql/corpus/) runs
 * on freshet and on the same cluster, and `flink down` leaves no Flink process. The cluster is
 * started once for the file; after() stops it whatever failed, and it dies with the runner.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import {
  cancelJob,
  flinkDown,
  flinkUp,
  resolveFlinkOptions,
  waitForJob,
  type FlinkTarget,
} from '../../src/flink/index.ts'
import { EventGenerator, EventProducer } from '../../src/producer/index.ts'
import { freePort, isAlive, watchOwner } from '../../src/stack/processes.ts'
import { freshetProcess } from '../helpers/cli.ts'
import { KafkaProducer, type OutRecord } from '../../src/kafka/index.ts'
import {
  AnalyticsResultSchema,
  UserEventSchema,
  type AnalyticsResult,
  type UserEvent,
} from '../../src/schemas/index.ts'
import { AvroDeserializer, createSerializer } from '../../src/serde/index.ts'
import { runJob, sortRows } from '../jobs/harness.ts'
import {
  awaitRecords,
  bootstrap,
  brokers,
  randomName,
  randomTopic,
  readToSentinel,
} from '../helpers/kafka.ts'
import { seedSqlFile } from '../helpers/sql.ts'
import { CASES } from '../sql/corpus/cases.ts'
import { runCorpus } from '../sql/corpus/harness.ts'
import { testRegistry } from '../helpers/registry.ts'

const COUNT = 600
const SEED = 7
const USERS = 50
const WINDOW_MS = 60_000

/** One event a second from 2026-01-01T00:00:00Z: ten one-minute windows. */
function clock(): () => number {
  let nowMs = Date.UTC(2026, 0, 1) - 1_000
  return () => (nowMs += 1_000)
}

function sqlFile(input: string, output: string, registryUrl: string): string {
  // The exact writer schema: Flink's derived one reads event_type as a string, which Avro cannot
  // resolve from the enum the events were written with.
  const schema = JSON.stringify(
    JSON.parse(readFileSync(join(import.meta.dirname, '../../schemas/user_event.avsc'), 'utf8')),
  )
  return `-- Events per type and minute; the schema's doc strings hold semicolons.
CREATE TABLE user_events (
  \`timestamp\` TIMESTAMP(3) NOT NULL,
  event_type STRING NOT NULL,
  user_id STRING NOT NULL,
  version STRING NOT NULL,
  data ROW<
    product_id STRING, amount DOUBLE, currency STRING, session_id STRING NOT NULL,
    device STRING NOT NULL, browser STRING NOT NULL, search_query STRING, transaction_id STRING
  > NOT NULL,
  WATERMARK FOR \`timestamp\` AS \`timestamp\` - INTERVAL '5' SECOND
) WITH (
  'connector' = 'kafka',
  'topic' = '${input}',
  'properties.bootstrap.servers' = '${bootstrap()}',
  'scan.startup.mode' = 'earliest-offset',
  'scan.bounded.mode' = 'latest-offset',
  'value.format' = 'avro-confluent',
  'value.avro-confluent.url' = '${registryUrl}',
  'value.avro-confluent.schema' = '${schema}'
);

CREATE TABLE event_counts (
  window_start TIMESTAMP(3) NOT NULL,
  window_end TIMESTAMP(3) NOT NULL,
  event_type STRING NOT NULL,
  events BIGINT NOT NULL
) WITH (
  'connector' = 'kafka',
  'topic' = '${output}',
  'properties.bootstrap.servers' = '${bootstrap()}',
  'format' = 'json'
);

/* A bounded scan ends at the offsets the job starts with; the windows close at its end. */
INSERT INTO event_counts
SELECT window_start, window_end, event_type, COUNT(*) AS events
FROM TABLE(TUMBLE(TABLE user_events, DESCRIPTOR(\`timestamp\`), INTERVAL '1' MINUTE))
GROUP BY window_start, window_end, event_type;
`
}

async function produceRecords(records: OutRecord[]): Promise<number> {
  const producer = new KafkaProducer({ bootstrapBrokers: brokers() })
  try {
    await producer.send(records)
    return records.length
  } finally {
    await producer.close()
  }
}

/** Flink's JSON format writes TIMESTAMP(3) as "2026-01-01 00:01:00" (UTC here: no time zone). */
function epochMs(sqlTimestamp: string): number {
  return Date.parse(`${sqlTimestamp.replace(' ', 'T')}Z`)
}

/** One local Flink for the file: started by the first test, stopped by the last (and by after()). */
let stateDir = ''
let flags: string[] = []
let target: FlinkTarget | undefined
let pids: number[] = []

before(async () => {
  stateDir = mkdtempSync(join(tmpdir(), 'freshet-flink-'))
  const ports = {
    rest: await freePort(),
    rpc: await freePort(),
    gateway: await freePort(),
  }
  flags = [
    '--state-dir',
    stateDir,
    '--rest-port',
    String(ports.rest),
    '--rpc-port',
    String(ports.rpc),
    '--gateway-port',
    String(ports.gateway),
    '--checkpoint-interval',
    '5s',
  ]
  target = {
    stateDir,
    host: '127.0.0.1',
    flink: resolveFlinkOptions({ restPort: ports.rest, rpcPort: ports.rpc, gatewayPort: ports.gateway }),
  }
})

after(async () => {
  if (target !== undefined) await flinkDown(target)
  if (stateDir !== '' && !process.env.FRESHET_TEST_KEEP) rmSync(stateDir, { recursive: true, force: true })
})

function urls(): { rest: string; gateway: string } {
  const flink = (target as FlinkTarget).flink
  return { rest: `http://127.0.0.1:${flink.restPort}`, gateway: `http://127.0.0.1:${flink.gatewayPort}` }
}

test('flink up, sql submit of a windowed count over Avro events, output equals the oracle', async (t) => {
  const ports = {
    rest: (target as FlinkTarget).flink.restPort,
    gateway: (target as FlinkTarget).flink.gatewayPort,
  }

  const startedMs = Date.now()
  const up = await freshetProcess('flink', 'up', '--json', ...flags)
  assert.equal(up.code, 0, up.stderr)
  const services = JSON.parse(up.stdout) as Array<{ name: string; up: boolean; pid: number }>
  assert.deepEqual(
    services.map((s) => [s.name, s.up]),
    [
      ['jobmanager', true],
      ['taskmanager', true],
      ['sql-gateway', true],
    ],
  )
  pids = services.map((s) => s.pid)
  await watchOwner(process.pid, pids)
  t.diagnostic(`flink up took ${Date.now() - startedMs} ms`)

  const again = await freshetProcess('flink', 'up', '--json', ...flags)
  assert.equal(again.code, 0, again.stderr)
  assert.match(again.stderr, /already running/)
  assert.deepEqual(
    (JSON.parse(again.stdout) as Array<{ pid: number }>).map((s) => s.pid),
    pids,
    'a second up finds the running cluster',
  )

  const { url: registryUrl, client } = await testRegistry(t)
  const input = await randomTopic(t, 'flink-events', 3)
  const output = await randomTopic(t, 'flink-counts', 1)
  const producer = new EventProducer({
    bootstrapBrokers: brokers(),
    topic: input,
    count: COUNT,
    format: 'avro',
    registry: client,
    seed: SEED,
    users: USERS,
    clock: clock(),
  })
  t.after(() => producer.close())
  const produced = await producer.run()
  assert.equal(produced.sent, COUNT)
  assert.equal(produced.failed, 0)

  const file = join(stateDir, `${randomName('counts')}.sql`)
  writeFileSync(file, sqlFile(input, output, registryUrl))
  const submitted = await freshetProcess(
    'sql',
    'submit',
    file,
    '--flink',
    `http://127.0.0.1:${ports.gateway}`,
    '--json',
  )
  assert.equal(submitted.code, 0, `${submitted.stdout}\n${submitted.stderr}`)
  const report = JSON.parse(submitted.stdout) as {
    statements: Array<{ line: number; error: string | null }>
    jobIds: string[]
    failed: unknown
  }
  assert.equal(report.failed, null)
  assert.deepEqual(
    report.statements.map((s) => [s.line, s.error]),
    [
      [2, null],
      [23, null],
      [36, null],
    ],
    'three statements, each at the line it starts on',
  )
  assert.equal(report.jobIds.length, 1)

  const outcome = await waitForJob(`http://127.0.0.1:${ports.rest}`, report.jobIds[0]!, {
    timeoutMs: 300_000,
  })
  assert.equal(outcome.state, 'FINISHED', outcome.failure ?? '')

  // The oracle: the same seed and clock regenerate the events the producer sent.
  const expected = new Map<string, number>()
  for (const event of new EventGenerator({ users: USERS, seed: SEED, clock: clock() }).batch(COUNT)) {
    const windowStartMs = event.timestamp - (event.timestamp % WINDOW_MS)
    const key = `${windowStartMs} ${event.event_type}`
    expected.set(key, (expected.get(key) ?? 0) + 1)
  }
  const rows = (await readToSentinel(output)).map(
    (record) =>
      JSON.parse(record.value!.toString()) as {
        window_start: string
        window_end: string
        event_type: string
        events: number
      },
  )
  for (const row of rows) assert.equal(epochMs(row.window_end) - epochMs(row.window_start), WINDOW_MS)
  const got = rows.map((row) => `${epochMs(row.window_start)} ${row.event_type} ${row.events}`).sort()
  const want = [...expected].map(([key, events]) => `${key} ${events}`).sort()
  assert.deepEqual(got, want)
  assert.equal(
    rows.reduce((sum, row) => sum + row.events, 0),
    COUNT,
  )

  // A statement Flink refuses stops the file: exit 1, the file line, parser positions in the file.
  const refused = join(stateDir, 'refused.sql')
  writeFileSync(refused, "SET 'parallelism.default' = '1';\n\nSELECT *\n  FROM nope;\nSELECT 1;\n")
  const failed = await freshetProcess(
    'sql',
    'submit',
    refused,
    '--flink',
    `http://127.0.0.1:${ports.gateway}`,
  )
  assert.equal(failed.code, 1, failed.stderr)
  assert.match(
    failed.stdout,
    /FAILED .*refused\.sql:3: ValidationException: SQL validation failed\. From line 4, column 8 to line 4, column 11: Object 'nope' not found/,
  )
  assert.doesNotMatch(failed.stdout, /\[3\]/, 'the statement after the refused one does not run')

  // The enum pitfall (docs/flink.md): without the writer schema, Flink's derived reader schema
  // has a string where the events have an enum, and the job fails on the first record.
  const derived = join(stateDir, 'derived-schema.sql')
  writeFileSync(
    derived,
    sqlFile(input, output, registryUrl)
      .replace(/,\n {2}'value\.avro-confluent\.schema' = '[^']*'/, '')
      .replaceAll(' NOT NULL', ''),
  )
  const pitfall = await freshetProcess(
    'sql',
    'submit',
    derived,
    '--flink',
    `http://127.0.0.1:${ports.gateway}`,
    '--json',
  )
  assert.equal(pitfall.code, 0, pitfall.stdout)
  const pitfallJob = (JSON.parse(pitfall.stdout) as { jobIds: string[] }).jobIds[0]!
  const pitfallOutcome = await waitForJob(`http://127.0.0.1:${ports.rest}`, pitfallJob, {
    timeoutMs: 300_000,
  })
  assert.equal(pitfallOutcome.state, 'FAILED')
  assert.match(
    pitfallOutcome.failure ?? '',
    /AvroTypeException: Found dev\.freshet\.events\.EventType, expecting union/,
  )

  // The seed analytics of sql/, unchanged but for their addresses, give on Flink the rows of the
  // seed jobs (which sql/*.sql give on freshet: test/sql/seed-analytics.test.ts). One closing event
  // per partition, an hour later, moves every partition's watermark past the events' windows.
  const serializer = createSerializer<UserEvent>({
    format: 'avro',
    topic: input,
    schema: UserEventSchema,
    registry: client,
  })
  await serializer.init()
  const closing = await produceRecords(
    [0, 1, 2].map((partition) => ({
      topic: input,
      partition,
      value: serializer.serialize({
        ...new EventGenerator({ users: USERS, seed: SEED, clock: () => Date.UTC(2026, 0, 1, 1) }).batch(
          1,
        )[0]!,
        event_type: 'logout',
      }),
    })),
  )
  assert.equal(closing, 3)
  const events = new EventGenerator({ users: USERS, seed: SEED, clock: clock() }).batch(COUNT)
  const reader = new AvroDeserializer<AnalyticsResult>({
    registry: client,
    readerSchema: AnalyticsResultSchema,
  })
  for (const job of ['event-counts', 'revenue', 'top-users', 'sessions'] as const) {
    const analytics = await randomTopic(t, `flink-${job}`, 1)
    const seedFile = join(stateDir, `${job}.sql`)
    writeFileSync(
      seedFile,
      seedSqlFile(job, { input, output: analytics, bootstrap: bootstrap(), registryUrl }),
    )
    const seeded = await freshetProcess(
      'sql',
      'submit',
      seedFile,
      '--flink',
      `http://127.0.0.1:${ports.gateway}`,
      '--json',
    )
    assert.equal(seeded.code, 0, `${seeded.stdout}\n${seeded.stderr}`)
    const expected = (await runJob(job, {}, { events })).rows
    assert.ok(expected.length > 5, `${job}: ${expected.length} rows`)
    const jobId = (JSON.parse(seeded.stdout) as { jobIds: string[] }).jobIds[0]!
    await awaitRecords(analytics, expected.length, { timeoutMs: 120_000 }).catch(async (error: unknown) => {
      // What Flink says of the job: its state, and its root exception when it failed or restarts.
      const rest = `http://127.0.0.1:${ports.rest}/jobs/${jobId}`
      const state = await fetch(rest).then((r) => r.json() as Promise<{ state?: string }>)
      const exceptions = await fetch(`${rest}/exceptions`).then((r) => r.text())
      throw new Error(`${job}: job ${jobId} is ${state.state}; exceptions: ${exceptions.slice(0, 2_000)}`, {
        cause: error,
      })
    })
    const records = await readToSentinel(analytics)
    const rows = await Promise.all(
      records.map(async (r) => ({ ...(await reader.deserialize(r.value as Buffer)) })),
    )
    assert.deepEqual(sortRows(rows), sortRows(expected), `${job}: Flink's rows are the seed job's`)
    // The job reads an unbounded scan: cancelled, it gives its task slots back.
    const cancelled = await cancelJob(`http://127.0.0.1:${ports.rest}`, jobId, { timeoutMs: 60_000 })
    assert.equal(cancelled.state, 'CANCELED')
  }

  // sql/dedup-purchases.sql: every purchased line item once, as JSON rows in Flink's format.
  const purchasesTopic = await randomTopic(t, 'flink-purchases', 1)
  const dedupFile = join(stateDir, 'dedup-purchases.sql')
  writeFileSync(
    dedupFile,
    seedSqlFile('dedup-purchases', { input, output: purchasesTopic, bootstrap: bootstrap(), registryUrl }),
  )
  const dedup = await freshetProcess('sql', 'submit', dedupFile, '--flink', urls().gateway, '--json')
  assert.equal(dedup.code, 0, `${dedup.stdout}\n${dedup.stderr}`)
  const purchases = events.filter((e) => e.event_type === 'purchase')
  assert.ok(purchases.length > 0, 'the events hold purchases')
  await awaitRecords(purchasesTopic, purchases.length, { timeoutMs: 120_000 })
  const written = (await readToSentinel(purchasesTopic)).map((r) => {
    const row = JSON.parse(r.value!.toString()) as Record<string, unknown>
    return `${String(row.transaction_id)} ${String(row.product_id)} ${epochMs(row.purchased_at as string)}`
  })
  assert.deepEqual(
    written.sort(),
    purchases.map((e) => `${e.data.transaction_id} ${e.data.product_id} ${e.timestamp}`).sort(),
  )
  const dedupJob = (JSON.parse(dedup.stdout) as { jobIds: string[] }).jobIds[0]!
  assert.equal((await cancelJob(urls().rest, dedupJob, { timeoutMs: 60_000 })).state, 'CANCELED')

  // sql/funnel.sql: the distinct viewers, carters and buyers of each 5-minute window.
  const funnelTopic = await randomTopic(t, 'flink-funnel', 1)
  const funnelFile = join(stateDir, 'funnel.sql')
  writeFileSync(
    funnelFile,
    seedSqlFile('funnel', { input, output: funnelTopic, bootstrap: bootstrap(), registryUrl }),
  )
  const funnel = await freshetProcess('sql', 'submit', funnelFile, '--flink', urls().gateway, '--json')
  assert.equal(funnel.code, 0, `${funnel.stdout}\n${funnel.stderr}`)
  const FUNNEL_MS = 300_000
  const steps = new Map<number, Array<Set<string>>>()
  for (const e of events) {
    const start = e.timestamp - (e.timestamp % FUNNEL_MS)
    const sets = steps.get(start) ?? [new Set<string>(), new Set<string>(), new Set<string>()]
    steps.set(start, sets)
    const step = ['page_view', 'add_to_cart', 'purchase'].indexOf(e.event_type)
    if (step >= 0) sets[step]!.add(e.user_id)
  }
  const funnelRows = [...steps].map(([start, [view, cart, buy]]) =>
    [start, view!.size, cart!.size, buy!.size].join(' '),
  )
  await awaitRecords(funnelTopic, funnelRows.length, { timeoutMs: 120_000 })
  const funnelWritten = (await readToSentinel(funnelTopic)).map((r) => {
    const row = JSON.parse(r.value!.toString()) as Record<string, unknown>
    return [epochMs(row.window_start as string), row.viewers, row.carters, row.buyers].join(' ')
  })
  assert.deepEqual(funnelWritten.sort(), funnelRows.sort())
  const funnelJob = (JSON.parse(funnel.stdout) as { jobIds: string[] }).jobIds[0]!
  assert.equal((await cancelJob(urls().rest, funnelJob, { timeoutMs: 60_000 })).state, 'CANCELED')
})

test(`differential corpus: ${CASES.length} queries give the same rows on freshet and on Flink 2.2`, async (t) => {
  assert.ok(CASES.length >= 40, `${CASES.length} cases`)
  if (pids.length === 0) {
    // Run on its own (--test-name-pattern): the first test did not start the cluster.
    const services = await flinkUp(target as FlinkTarget)
    pids = services.flatMap((s) => (s.pid === null ? [] : [s.pid]))
    await watchOwner(process.pid, pids)
  }
  const { failures, elapsedMs, ran } = await runCorpus(t, urls())
  t.diagnostic(`both engines ran ${ran} cases in ${elapsedMs} ms`)
  assert.equal(failures.length, 0, `${failures.length} of ${ran} cases differ:\n${failures.join('\n')}`)
})

test('flink status, then flink down leaves no Flink process', async () => {
  assert.ok(pids.length > 0, 'the first test started Flink')
  const status = await freshetProcess('flink', 'status', '--json', ...flags)
  assert.equal(status.code, 0, status.stderr)

  const down = await freshetProcess('flink', 'down', ...flags)
  assert.equal(down.code, 0, down.stderr)
  assert.ok(
    pids.every((pid) => !isAlive(pid)),
    'no Flink process outlives flink down',
  )
  const stopped = await freshetProcess('flink', 'status', '--json', ...flags)
  assert.equal(stopped.code, 3)
  assert.ok((JSON.parse(stopped.stdout) as Array<{ up: boolean }>).every((s) => !s.up))
})
