// `freshet sql run` as a process against the test broker and registry: sql/event-counts.sql, with
// its topics, broker and registry pointed at the test's, counts Avro user events per type and
// minute exactly as an oracle does; with a bounded source table it closes every window at the end
// of its input and exits 0 by itself; `freshet status` lists the running SQL application;
// `freshet sql explain` shows the plan; a wrong statement stops the command at its file:line:column;
// a `datagen` table's rows are generated into the job's own topic and its windows all close.
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import { analyticsResult } from '../../src/jobs/result.ts'
import { KafkaProducer } from '../../src/kafka/index.ts'
import {
  AnalyticsResultSchema,
  UserEventSchema,
  type AnalyticsResult,
  type UserEvent,
} from '../../src/schemas/index.ts'
import { AvroDeserializer, createSerializer, type SchemaRegistryClient } from '../../src/serde/index.ts'
import { freshetBackground, freshetProcess } from '../helpers/cli.ts'
import { awaitRecords, bootstrap, brokers, randomName, randomTopic, readToEnd } from '../helpers/kafka.ts'
import { testRegistry } from '../helpers/registry.ts'
import { seedSqlFile } from '../helpers/sql.ts'

const PARTITIONS = 3
const MINUTE_MS = 60_000
/** A whole minute. */
const BASE_MS = Date.UTC(2026, 0, 1, 10)
const TYPES = ['page_view', 'add_to_cart', 'purchase', 'search'] as const

/** 300 events 1.1 s apart (six minutes), types in a fixed uneven pattern, seven users. */
function userEvents(): UserEvent[] {
  return Array.from({ length: 300 }, (_, i) => {
    const type = TYPES[(i * 5 + Math.floor(i / 7)) % TYPES.length]!
    const user = `user_00000${i % 7}`
    return {
      timestamp: BASE_MS + i * 1_100,
      event_type: type,
      user_id: user,
      version: '1.0',
      data: {
        product_id: null,
        amount: type === 'purchase' ? 10 + (i % 4) : null,
        currency: type === 'purchase' ? 'EUR' : null,
        session_id: `sess_${user}`,
        device: 'mobile',
        browser: 'firefox',
        search_query: null,
        transaction_id: null,
      },
    }
  })
}

function oracle(events: readonly UserEvent[]): AnalyticsResult[] {
  const rows = new Map<string, AnalyticsResult>()
  for (const e of events) {
    const startMs = e.timestamp - (e.timestamp % MINUTE_MS)
    const id = `${e.event_type}/${startMs}`
    const r =
      rows.get(id) ??
      analyticsResult('event-counts', e.event_type, { startMs, endMs: startMs + MINUTE_MS }, { events: 0 })
    r.events = (r.events as number) + 1
    rows.set(id, r)
  }
  return sortRows([...rows.values()])
}

function sortRows(rows: readonly AnalyticsResult[]): AnalyticsResult[] {
  return [...rows].sort((a, b) => a.window_start - b.window_start || a.key.localeCompare(b.key))
}

/** User events as Avro through the registry; `extra` to given partitions. */
async function produceEvents(
  registry: SchemaRegistryClient,
  input: string,
  events: readonly UserEvent[],
  extra: ReadonlyArray<{ partition: number; event: UserEvent }> = [],
): Promise<void> {
  const serializer = createSerializer<UserEvent>({
    format: 'avro',
    topic: input,
    schema: UserEventSchema,
    registry,
  })
  await serializer.init()
  const producer = new KafkaProducer({ bootstrapBrokers: brokers() })
  try {
    await producer.send([
      ...events.map((e) => ({
        topic: input,
        key: Buffer.from(e.user_id),
        value: serializer.serialize(e),
        timestampMs: e.timestamp,
      })),
      ...extra.map((c) => ({
        topic: input,
        partition: c.partition,
        key: null,
        value: serializer.serialize(c.event),
      })),
    ])
  } finally {
    await producer.close()
  }
}

/** The output's rows, sorted; each record must be keyed by its row's group key. */
async function readResults(registry: SchemaRegistryClient, output: string): Promise<AnalyticsResult[]> {
  const deserializer = new AvroDeserializer<AnalyticsResult>({
    registry,
    readerSchema: AnalyticsResultSchema,
  })
  const records = await readToEnd(output)
  const rows = await Promise.all(records.map((r) => deserializer.deserialize(r.value as Buffer)))
  for (const [i, record] of records.entries()) {
    assert.equal(record.key?.toString(), rows[i]!.key, 'keyed by the group key')
  }
  return sortRows(rows.map((r) => ({ ...r })))
}

/** sql/event-counts.sql with the test's topics, broker, registry and application id, in a temporary directory. */
async function sqlFile(
  t: TestContext,
  names: { input: string; output: string; app: string; registryUrl: string; bounded?: boolean },
) {
  const dir = await mkdtemp(join(tmpdir(), 'freshet-sql-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const file = join(dir, 'event-counts.sql')
  await writeFile(
    file,
    seedSqlFile('event-counts', {
      input: names.input,
      output: names.output,
      bootstrap: bootstrap(),
      registryUrl: names.registryUrl,
      applicationId: names.app,
      bounded: names.bounded ?? false,
    }),
  )
  return { dir, file }
}

test('freshet sql run sql/event-counts.sql: Avro events in, the oracle counts out as AnalyticsResult rows; SIGTERM exits 0', async (t) => {
  const { url, client } = await testRegistry(t)
  const input = await randomTopic(t, 'sql-in', PARTITIONS)
  const output = await randomTopic(t, 'sql-out', PARTITIONS)
  const app = randomName('sql-app')
  const { dir, file } = await sqlFile(t, { input, output, app, registryUrl: url })

  const events = userEvents()
  // One event per partition far past the others: every partition's watermark closes every window.
  const closing = Array.from({ length: PARTITIONS }, (_, partition) => ({
    partition,
    event: {
      ...events[0]!,
      timestamp: BASE_MS + 20 * MINUTE_MS,
      event_type: 'logout' as const,
      user_id: 'user_end',
    },
  }))
  await produceEvents(client, input, events, closing)

  const run = freshetBackground(t, ['sql', 'run', file, '--state-dir', join(dir, 'state'), '--json'])
  const expected = oracle(events)
  await awaitRecords(output, expected.length, { timeoutMs: 60_000 })
  assert.deepEqual(await readResults(client, output), expected)

  // `freshet status` lists the SQL application as it lists the seed jobs: its group and worker.
  const [host, kafkaPort] = bootstrap().split(':') as [string, string]
  const status = await freshetProcess(
    'status',
    '--json',
    '--state-dir',
    join(dir, 'stack'),
    '--host',
    host,
    '--kafka-port',
    kafkaPort,
    '--registry-port',
    new URL(url).port,
  )
  const job = (
    JSON.parse(status.stdout) as {
      jobs: Array<{ applicationId: string; state: string; workers: Array<{ partitions: unknown[] }> }>
    }
  ).jobs.find((j) => j.applicationId === app)
  assert.ok(job !== undefined, `freshet status lists ${app}: ${status.stdout}`)
  assert.equal(job.state, 'Stable')
  assert.equal(job.workers.length, 1)

  assert.equal(await run.stop(), 0, run.stderr())
  const summary = run
    .stdout()
    .split('\n')
    .find((l) => l.includes('"summary"'))
  assert.ok(summary !== undefined, run.stdout())
  assert.equal(JSON.parse(summary).applicationId, app)
})

test("freshet sql run of a bounded table ('scan.bounded.mode' = 'latest-offset'): every window closes at the end of the input, exit 0", async (t) => {
  const { url, client } = await testRegistry(t)
  const input = await randomTopic(t, 'sql-in', PARTITIONS)
  const output = await randomTopic(t, 'sql-out', PARTITIONS)
  const app = randomName('sql-app')
  const { dir, file } = await sqlFile(t, { input, output, app, registryUrl: url, bounded: true })
  const events = userEvents()
  // No closing events: the end of the input closes the last minute, as in Flink.
  await produceEvents(client, input, events)
  const run = await freshetProcess('sql', 'run', file, '--state-dir', join(dir, 'state'), '--json')
  assert.equal(run.code, 0, run.stderr)
  const lines = run.stdout.split('\n').filter((l) => l.startsWith('{'))
  const finished = lines.map((l) => JSON.parse(l) as { type: string }).find((l) => l.type === 'finished')
  assert.ok(finished !== undefined, run.stdout)
  assert.deepEqual(await readResults(client, output), oracle(events))
})

test('freshet sql explain prints the tables, the watermark and the topology without connecting', async (t) => {
  const { dir, file } = await sqlFile(t, {
    input: 'in',
    output: 'out',
    app: 'explained',
    registryUrl: 'http://127.0.0.1:1',
  })
  void dir
  const { code, stdout, stderr } = await freshetProcess('sql', 'explain', file)
  assert.equal(code, 0, stderr)
  assert.match(stdout, /^application explained$/m)
  assert.match(
    stdout,
    /user_events <- in \(avro-confluent\); time attribute timestamp, watermark timestamp - 5000 ms/,
  )
  assert.match(stdout, /INSERT INTO event_analytics -> out/)
  assert.match(stdout, /explained-event_analytics-group-by-repartition/)
})

test('a wrong statement stops freshet sql run at file:line:column with FRESHET_SQL_INVALID', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'freshet-sql-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const file = join(dir, 'wrong.sql')
  await writeFile(file, "SET 'pipeline.name' = 'x';\n\nINSERT INTO nowhere\nSELECT 1 FROM missing;\n")
  const { code, stderr } = await freshetProcess('sql', 'run', file)
  assert.equal(code, 1)
  assert.match(stderr, /FRESHET_SQL_INVALID/)
  assert.match(stderr, new RegExp(`${file.replaceAll('.', '\\.')}:3:1: Object 'nowhere' not found`))
})

test('freshet sql ddl prints the registry catalog as a CREATE TABLE that freshet plans with its event time', async (t) => {
  const { url, client } = await testRegistry(t)
  const input = await randomTopic(t, 'sql-ddl', 1)
  await createSerializer<UserEvent>({
    format: 'avro',
    topic: input,
    schema: UserEventSchema,
    registry: client,
  }).init()
  const ddl = await freshetProcess('sql', 'ddl', input, '--registry-url', url, '--bootstrap', bootstrap())
  assert.equal(ddl.code, 0, ddl.stderr)
  const table = input.replace(/[^A-Za-z0-9_]/g, '_')
  assert.match(ddl.stdout, new RegExp(`^-- ${input}-value, version 1 \\(schema id \\d+\\)$`, 'm'))
  assert.match(ddl.stdout, new RegExp(`CREATE TABLE \`?${table}\`? \\(`))
  assert.match(ddl.stdout, /'avro-confluent\.schema' = '\{"type":"record","name":"UserEvent"/)

  const dir = await mkdtemp(join(tmpdir(), 'freshet-sql-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const file = join(dir, 'counts.sql')
  const time = /WATERMARK FOR `?(\w+)`?/.exec(ddl.stdout)?.[1]
  assert.ok(time !== undefined, ddl.stdout)
  await writeFile(
    file,
    `${ddl.stdout}
CREATE TABLE counts (event_type STRING, n BIGINT) WITH ('connector' = 'blackhole');
INSERT INTO counts
SELECT event_type, COUNT(*) FROM TABLE(TUMBLE(TABLE ${table}, DESCRIPTOR(\`${time}\`), INTERVAL '1' MINUTE))
GROUP BY window_start, window_end, event_type;
`,
  )
  const explained = await freshetProcess('sql', 'explain', file)
  assert.equal(explained.code, 0, explained.stderr)
  assert.match(
    explained.stdout,
    new RegExp(
      `${table} <- ${input} \\(avro-confluent\\); time attribute ${time}, watermark ${time} - 5000 ms`,
    ),
  )

  const missing = await freshetProcess(
    'sql',
    'ddl',
    'no-such-topic',
    '--registry-url',
    url,
    '--bootstrap',
    bootstrap(),
  )
  assert.equal(missing.code, 1)
  assert.match(missing.stderr, /FRESHET_SCHEMA_NOT_FOUND.*no subject no-such-topic-value/)
})

test("freshet sql run of a 'datagen' table: its rows are generated into the job's own topic, every window closes, exit 0", async (t) => {
  const output = await randomTopic(t, 'sql-datagen-out', 1)
  const app = randomName('sql-datagen')
  const dir = await mkdtemp(join(tmpdir(), 'freshet-sql-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const file = join(dir, 'generated.sql')
  await writeFile(
    file,
    `SET 'pipeline.name' = '${app}';
CREATE TABLE gen (
  id INT,
  ts AS TIMESTAMP '2026-01-01 10:00:00.000' + id * INTERVAL '1' SECOND,
  WATERMARK FOR ts AS ts
) WITH (
  'connector' = 'datagen',
  'rows-per-second' = '500',
  'fields.id.kind' = 'sequence', 'fields.id.start' = '0', 'fields.id.end' = '599'
);
CREATE TABLE per_minute (window_start TIMESTAMP(3), n BIGINT, ids BIGINT) WITH (
  'connector' = 'kafka', 'topic' = '${output}', 'properties.bootstrap.servers' = '${bootstrap()}',
  'format' = 'json'
);
INSERT INTO per_minute SELECT window_start, COUNT(*), SUM(id)
FROM TABLE(TUMBLE(TABLE gen, DESCRIPTOR(ts), INTERVAL '1' MINUTE)) GROUP BY window_start, window_end;
`,
  )
  const run = await freshetProcess('sql', 'run', file, '--state-dir', join(dir, 'state'), '--json')
  assert.equal(run.code, 0, run.stderr)
  const rows = (await readToEnd(output))
    .map(
      (r) =>
        JSON.parse((r.value as Buffer).toString('utf8')) as { window_start: string; n: number; ids: number },
    )
    .sort((a, b) => a.window_start.localeCompare(b.window_start))
  // Ten minutes of one row a second: ids 60m .. 60m + 59 in minute m.
  assert.deepEqual(
    rows,
    Array.from({ length: 10 }, (_, m) => ({
      window_start: `2026-01-01 10:${String(m).padStart(2, '0')}:00`,
      n: 60,
      ids: 60 * 60 * m + (59 * 60) / 2,
    })),
  )
  const generated = await readToEnd(`${app}-datagen-gen`)
  assert.deepEqual(
    generated.map((r) => JSON.parse((r.value as Buffer).toString('utf8')) as { id: number }),
    Array.from({ length: 600 }, (_, id) => ({ id })),
  )
})
