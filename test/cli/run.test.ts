// `freshet run <job>` as a process against the test broker: event-counts over a small fixed set of
// user events, its rows read back with read_committed and compared with an oracle that counts the
// events straight; two workers sharing the partitions; Avro through a registry; SIGTERM; usage
// errors and worker failures. The CLI is spawned from src/ (not the built dist/ that bin/ runs), so
// the test runs the code under review.
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { main } from '../../src/cli/main.ts'
import { readDeadLetter } from '../../src/dlq/index.ts'
import { analyticsResult } from '../../src/jobs/result.ts'
import { KafkaAdmin, KafkaProducer, type InRecord, type OutRecord } from '../../src/kafka/index.ts'
import { RegistryClient } from '../../src/registry/index.ts'
import {
  AnalyticsResultSchema,
  UserEventSchema,
  type AnalyticsResult,
  type EventType,
  type UserEvent,
} from '../../src/schemas/index.ts'
import { AvroDeserializer, createSerializer, readSchemaId } from '../../src/serde/index.ts'
import {
  awaitRecords,
  bootstrap,
  brokers,
  randomName,
  randomTopic,
  readToSentinel,
} from '../helpers/kafka.ts'
import { freshetBackground, type BackgroundCli } from '../helpers/cli.ts'
import { testRegistry } from '../helpers/registry.ts'
import { PaymentSchema, type Payment } from './fixtures/fraud-alerts.ts'

/** A user's module with its own schemas: payments above a limit become alerts. */
const MODULE_FIXTURE = join(import.meta.dirname, 'fixtures/fraud-alerts.ts')
const PARTITIONS = 3
const WINDOW_MS = 1_000
/** A whole second, so that the one-second windows start on it. */
const BASE_MS = 1_700_000_000_000
/** Far enough past the last event that every window of the events closes (default bound 5 s). */
const END_MS = BASE_MS + 60_000
const TYPES: readonly EventType[] = ['page_view', 'add_to_cart', 'purchase', 'search']
const DEADLINE_MS = 25_000

/** 90 events 53 ms apart (five windows), types in an uneven but fixed pattern, five users. */
function userEvents(count = 90): UserEvent[] {
  return Array.from({ length: count }, (_, i) => {
    const type = TYPES[(i * 5 + Math.floor(i / 7)) % TYPES.length] as EventType
    const user = `user_00000${i % 5}`
    return {
      timestamp: BASE_MS + i * 53,
      event_type: type,
      user_id: user,
      version: '1.0',
      data: {
        product_id: type === 'page_view' ? null : `prod_0000${i % 3}`,
        amount: type === 'purchase' ? 10 + (i % 4) : null,
        currency: type === 'purchase' ? 'EUR' : null,
        session_id: `sess_${user}`,
        device: 'mobile',
        browser: 'firefox',
        search_query: type === 'search' ? 'boots' : null,
        transaction_id: type === 'purchase' ? `txn_${i}` : null,
      },
    }
  })
}

/** One event per partition at END_MS: every partition's watermark passes the events' windows. */
function closingEvents(): Array<{ partition: number; event: UserEvent }> {
  return Array.from({ length: PARTITIONS }, (_, partition) => ({
    partition,
    event: {
      ...(userEvents(1)[0] as UserEvent),
      timestamp: END_MS,
      event_type: 'logout',
      user_id: 'user_end',
    },
  }))
}

function row(key: string, startMs: number, events: number): AnalyticsResult {
  return analyticsResult('event-counts', key, { startMs, endMs: startMs + WINDOW_MS }, { events })
}

/** event-counts computed straight from the events: one row per type and window that has events. */
function oracle(events: readonly UserEvent[]): AnalyticsResult[] {
  const rows = new Map<string, AnalyticsResult>()
  for (const e of events) {
    const startMs = e.timestamp - (e.timestamp % WINDOW_MS)
    const id = `${e.event_type}/${startMs}`
    const r = rows.get(id) ?? row(e.event_type, startMs, 0)
    r.events = (r.events as number) + 1
    rows.set(id, r)
  }
  return sortRows([...rows.values()])
}

function sortRows(rows: readonly AnalyticsResult[]): AnalyticsResult[] {
  return [...rows].sort((a, b) => a.window_start - b.window_start || a.key.localeCompare(b.key))
}

async function produce(records: OutRecord[]): Promise<void> {
  const producer = new KafkaProducer({ bootstrapBrokers: brokers() })
  try {
    await producer.send(records)
  } finally {
    await producer.close()
  }
}

/** The events keyed by user id, as JSON or through `encode`, then the closing events. */
async function produceEvents(
  topic: string,
  events: readonly UserEvent[],
  encode: (event: UserEvent) => Buffer = (event) => Buffer.from(JSON.stringify(event)),
): Promise<void> {
  await produce([
    ...events.map((event) => ({ topic, key: Buffer.from(event.user_id), value: encode(event) })),
    ...closingEvents().map(({ partition, event }) => ({
      topic,
      partition,
      key: Buffer.from(event.user_id),
      value: encode(event),
    })),
  ])
}

function jsonRows(records: readonly InRecord[]): AnalyticsResult[] {
  return records.map((r) => JSON.parse((r.value as Buffer).toString('utf8')) as AnalyticsResult)
}

/** An input and an output topic, an application id whose internal topics go after the test, a state dir. */
async function setup(t: TestContext): Promise<{
  input: string
  output: string
  applicationId: string
  stateDir: string
}> {
  const input = await randomTopic(t, 'run-in', PARTITIONS)
  const output = await randomTopic(t, 'run-out', PARTITIONS)
  const applicationId = randomName('run-app')
  const stateDir = await mkdtemp(join(tmpdir(), 'freshet-run-'))
  t.after(async () => {
    await rm(stateDir, { recursive: true, force: true })
    const admin = new KafkaAdmin({ bootstrapBrokers: brokers() })
    try {
      const internal = (await admin.listTopics()).filter((topic) => topic.startsWith(applicationId))
      if (internal.length > 0) await admin.deleteTopics(internal)
    } finally {
      await admin.close()
    }
  })
  return { input, output, applicationId, stateDir }
}

/** `setup` with a registry, and a serializer of UserEvents to the input topic registered there. */
async function avroSetup(t: TestContext) {
  const { url } = await testRegistry(t)
  const client = new RegistryClient({ url })
  const s = await setup(t)
  const serializer = createSerializer<UserEvent>({
    format: 'avro',
    topic: s.input,
    schema: UserEventSchema,
    registry: client,
  })
  await serializer.init()
  return { url, client, s, serializer }
}

interface Cli extends BackgroundCli {
  /** The messages of the JSON log records on stderr, one per line. */
  logs(): string
  /** The JSON lines of stdout (with --json). */
  lines(): Array<Record<string, unknown>>
}

/** The JSON objects among `text`'s lines. */
function jsonLines(text: string): Array<Record<string, unknown>> {
  return text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
}

/** `freshet <args>` as a child process, killed after the test if it still runs. */
function cli(t: TestContext, args: string[]): Cli {
  const run = freshetBackground(t, args)
  return {
    ...run,
    logs: () =>
      jsonLines(run.stderr())
        .map((record) => String(record.msg))
        .join('\n'),
    lines: () => jsonLines(run.stdout()),
  }
}

function runArgs(
  s: { input: string; output: string; applicationId: string; stateDir: string },
  ...extra: string[]
): string[] {
  return [
    'run',
    'event-counts',
    '--window',
    '1s',
    '--input',
    s.input,
    '--output',
    s.output,
    '--application-id',
    s.applicationId,
    '--bootstrap',
    bootstrap(),
    '--state-dir',
    s.stateDir,
    ...extra,
  ]
}

async function waitFor(what: string, ready: () => boolean, output: () => string): Promise<void> {
  const deadline = Date.now() + DEADLINE_MS
  while (!ready()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}; output:\n${output()}`)
    await sleep(100)
  }
}

/** What `freshet run` reports when it exits. */
async function exitCode(run: Cli): Promise<number | null> {
  const timeout = sleep(DEADLINE_MS).then(() => 'timeout' as const)
  const code = await Promise.race([run.exited, timeout])
  if (code === 'timeout') assert.fail(`freshet run did not exit; output:\n${run.stdout()}\n${run.stderr()}`)
  return code
}

test('event-counts --format json: the committed rows equal the oracle, bad input is dead-lettered, SIGTERM exits 0 with a summary', async (t) => {
  const s = await setup(t)
  const events = userEvents()
  const expected = oracle(events)
  assert.ok(expected.length >= 15, `enough rows to be a test (${expected.length})`)
  await produce([
    { topic: s.input, partition: 0, key: Buffer.from('user_bad'), value: Buffer.from('{not json') },
  ])
  await produceEvents(s.input, events)

  const run = cli(t, runArgs(s, '--format', 'json', '--json', '--stats-interval', '500ms'))
  await awaitRecords(s.output, expected.length)
  await waitFor('a stats line', () => run.lines().some((l) => l.type === 'stats'), run.stdout)
  // Its metrics, at the address it printed: the bad record counted by its code.
  const metricsUrl = run.lines().find((l) => l.type === 'metrics')?.url as string
  const exposition = await (await fetch(metricsUrl)).text()
  assert.match(
    exposition,
    new RegExp(
      `^freshet_worker_bad_records_total\\{application="${s.applicationId}",code="FRESHET_SERDE_SCHEMA_MISMATCH",command="run"\\} 1$`,
      'm',
    ),
  )
  assert.equal((await fetch(new URL('/ready', metricsUrl))).status, 200)

  run.child.kill('SIGTERM')
  assert.equal(await exitCode(run), 0, run.stderr())
  assert.match(run.logs(), /SIGTERM: stopping the worker/)
  const lines = run.lines()
  const starting = lines.find((l) => l.type === 'starting')
  assert.equal(starting?.dlqTopic, `${s.applicationId}.dlq`)
  assert.equal(starting?.stateDir, join(s.stateDir, 'state'))
  const assigned = lines.find((l) => l.type === 'assigned') as { tasks: string[] } | undefined
  assert.deepEqual(assigned?.tasks, ['0_0', '0_1', '0_2', '1_0', '1_1', '1_2'])
  const summary = lines.at(-1) as Record<string, unknown>
  assert.equal(summary.type, 'summary')
  assert.equal(summary.state, 'STOPPED')
  assert.equal(summary.recordsIn, events.length + PARTITIONS + 1, 'every input record, the bad one too')
  assert.equal(summary.recordsOut, expected.length)
  assert.equal(summary.deadLettered, 1)
  assert.equal(summary.late, 0)
  assert.ok((summary.commits as number) > 0)

  // After the final commit: exactly the oracle, nothing duplicated.
  const records = await readToSentinel(s.output)
  assert.deepEqual(sortRows(jsonRows(records)), expected)
  for (const record of records) {
    const value = JSON.parse((record.value as Buffer).toString('utf8')) as AnalyticsResult
    assert.equal(record.key?.toString(), value.key, 'a row is keyed by its event type')
  }
  const letters = await readToSentinel(`${s.applicationId}.dlq`)
  assert.equal(letters.length, 1)
  const letter = readDeadLetter(letters[0] as InRecord)
  assert.equal(letter?.sourceTopic, s.input)
  assert.equal(letter?.sourcePartition, 0)
  assert.equal(letter?.errorCode, 'FRESHET_SERDE_SCHEMA_MISMATCH')
  assert.equal((letters[0] as InRecord).value?.toString(), '{not json')
})

test('--bounded: what the input holds at the start, every window closed at its end, committed, exit 0', async (t) => {
  const s = await setup(t)
  const events = userEvents()
  await produceEvents(s.input, events)
  const run = cli(t, runArgs(s, '--format', 'json', '--json', '--bounded'))
  assert.equal(await exitCode(run), 0, run.stderr())
  const lines = run.lines()
  assert.ok(
    lines.some((l) => l.type === 'finished'),
    run.stdout(),
  )
  const summary = lines.at(-1) as Record<string, unknown>
  assert.equal(summary.type, 'summary')
  assert.equal(summary.state, 'STOPPED')
  // The closing events' windows too: no later event closes them, the end of the input does.
  const all = [...events, ...closingEvents().map((c) => c.event)]
  assert.deepEqual(sortRows(jsonRows(await readToSentinel(s.output))), oracle(all))
})

test('a restart on a fresh state dir restores the stores from their changelogs, prints it, and writes no row twice', async (t) => {
  const s = await setup(t)
  const events = userEvents()
  const expected = oracle(events)
  await produceEvents(s.input, events)
  const first = cli(t, runArgs(s, '--format', 'json', '--worker-id', 'w1'))
  await awaitRecords(s.output, expected.length)
  first.child.kill('SIGTERM')
  assert.equal(await exitCode(first), 0, first.stderr())
  assert.deepEqual(sortRows(jsonRows(await readToSentinel(s.output))), expected)

  // Another machine, as far as local state goes: everything comes from the changelogs.
  const elsewhere = await mkdtemp(join(tmpdir(), 'freshet-run-'))
  t.after(() => rm(elsewhere, { recursive: true, force: true }))
  const second = cli(
    t,
    runArgs(
      { ...s, stateDir: elsewhere },
      '--format',
      'json',
      '--worker-id',
      'w1',
      '--stats-interval',
      '300ms',
    ),
  )
  await waitFor('a stats line', () => /^stats: /m.test(second.logs()), second.stderr)
  const stderr = second.logs()
  const restored = [
    ...stderr.matchAll(/^restored task (1_\d) store counts-store: (\d+)\/(\d+) changelog records$/gm),
  ]
  assert.ok(restored.length > 0, `no restore printed:\n${stderr}`)
  for (const [, , done, total] of restored) assert.equal(done, total)
  assert.match(stderr, /^assigned 6 tasks \(generation \d+\): 0_0 0_1 0_2 1_0 1_1 1_2$/m)
  assert.match(stderr, /^worker w1 running \(transactional id .*-w1\)$/m)
  // Nothing new to read, and the watermarks are back where the first run committed them: the
  // closing events' END_MS less the 5 s bound, 2023-11-14T22:14:15Z.
  assert.match(
    stderr,
    /^stats: in 0 {2}out 0 {2}dead-lettered 0 {2}late 0 .*\n {2}watermarks \(UTC 2023-11-14\): 0_0 22:14:15\.000, /m,
  )
  second.child.kill('SIGTERM')
  assert.equal(await exitCode(second), 0, second.stderr())
  assert.match(second.stdout(), /worker w1 stopped after [\d.]+s: in 0 {2}out 0 /)
  assert.deepEqual(sortRows(jsonRows(await readToSentinel(s.output))), expected)
})

test('two workers with the same job share the partitions, their rows together equal the oracle, and both answer store queries', async (t) => {
  const s = await setup(t)
  const w1 = cli(t, runArgs(s, '--format', 'json', '--worker-id', 'w1'))
  await waitFor('w1 assigned', () => /assigned 6 tasks/.test(w1.logs()), w1.stderr)
  const w2 = cli(t, runArgs(s, '--format', 'json', '--worker-id', 'w2'))
  // Both in the same generation, with three tasks each.
  const lastAssigned = (run: Cli): { count: number; generation: number; tasks: string[] } | undefined => {
    const matches = [...run.logs().matchAll(/assigned (\d+) tasks? \(generation (\d+)\): (.*)/g)]
    const last = matches.at(-1)
    return last === undefined
      ? undefined
      : { count: Number(last[1]), generation: Number(last[2]), tasks: (last[3] as string).split(' ') }
  }
  await waitFor(
    'both workers assigned in one generation',
    () => {
      const [a, b] = [lastAssigned(w1), lastAssigned(w2)]
      return a !== undefined && b !== undefined && a.generation === b.generation && a.count + b.count === 6
    },
    () => `w1:\n${w1.stderr()}\nw2:\n${w2.stderr()}`,
  )
  const [a, b] = [lastAssigned(w1), lastAssigned(w2)] as [{ tasks: string[] }, { tasks: string[] }]
  assert.ok(a.tasks.length > 0 && b.tasks.length > 0, 'each worker has tasks')
  assert.deepEqual([...a.tasks, ...b.tasks].sort(), ['0_0', '0_1', '0_2', '1_0', '1_1', '1_2'])
  assert.match(w1.logs(), /revoked 6 tasks/)

  const events = userEvents()
  const expected = oracle(events)
  await produceEvents(s.input, events)
  await awaitRecords(s.output, expected.length)

  // Store queries beside the metrics: each worker advertises its metrics address, and both know
  // which of them hosts which partition of the job's window store.
  const storesUrl = (run: Cli): string =>
    `${/metrics at (http:\/\/[^/\s]+)\/metrics/.exec(run.logs())?.[1]}/stores`
  const urls = [storesUrl(w1), storesUrl(w2)]
  // Until both have learned the assignment from the group (in the background, after it).
  let metadata: Array<Record<string, unknown>> = []
  const deadline = Date.now() + DEADLINE_MS
  do {
    metadata = await Promise.all(
      urls.map(async (url) => (await (await fetch(url)).json()) as Record<string, unknown>),
    )
    if (metadata.every((body) => body.state === 'available')) break
    await sleep(100)
  } while (Date.now() < deadline)
  assert.ok(
    metadata.every((body) => body.state === 'available'),
    JSON.stringify(metadata),
  )
  const hostsOf = (body: Record<string, unknown>) =>
    (body.stores as Array<{ name: string; kind: string; hosts: Array<{ host: { endpoint: string } }> }>).find(
      (store) => store.name === 'counts-store',
    )
  assert.equal(hostsOf(metadata[0] as Record<string, unknown>)?.kind, 'window')
  // The same host per partition, seen from either worker (`local` differs, of course).
  const [hostsOne, hostsTwo] = metadata.map((body) => hostsOf(body)?.hosts.map(({ host }) => host))
  assert.deepEqual(hostsOne, hostsTwo)
  assert.deepEqual(
    new Set(
      hostsOf(metadata[0] as Record<string, unknown>)?.hosts.map((h) => `http://${h.host.endpoint}/stores`),
    ),
    new Set(urls),
    'each worker hosts partitions of the store, at the address it advertises',
  )
  // A key answers the same from either worker, served by the one hosting it.
  for (const type of TYPES) {
    const [one, two] = await Promise.all(
      urls.map(async (url) => (await fetch(`${url}/counts-store/keys/${type}`)).json()),
    )
    assert.deepEqual(one, two, type)
  }

  w1.child.kill('SIGTERM')
  w2.child.kill('SIGTERM')
  assert.equal(await exitCode(w1), 0, w1.stderr())
  assert.equal(await exitCode(w2), 0, w2.stderr())
  const outs = [w1, w2].map((w) => Number(/ out (\d+) /.exec(w.stdout())?.[1]))
  assert.equal(
    outs.reduce((sum, n) => sum + n, 0),
    expected.length,
    `rows per worker: ${outs.join(', ')}`,
  )
  assert.match(w1.stdout(), /freshet run event-counts: worker w1 stopped after/)
  assert.deepEqual(sortRows(jsonRows(await readToSentinel(s.output))), expected)
})

test('--format avro (the default): Avro in through the registry, Confluent-framed AnalyticsResult out', async (t) => {
  const { url, client, s, serializer } = await avroSetup(t)
  const events = userEvents()
  const expected = oracle(events)
  await produceEvents(s.input, events, (event) => Buffer.from(serializer.serialize(event)))

  const run = cli(t, runArgs(s, '--registry-url', url))
  await awaitRecords(s.output, expected.length)
  run.child.kill('SIGTERM')
  assert.equal(await exitCode(run), 0, run.stderr())
  assert.match(run.stdout(), new RegExp(`out ${expected.length} `))

  const subject = (await (await fetch(`${url}/subjects/${s.output}-value/versions/latest`)).json()) as {
    id: number
  }
  const deserializer = new AvroDeserializer<AnalyticsResult>({
    registry: client,
    readerSchema: AnalyticsResultSchema,
  })
  const rows: AnalyticsResult[] = []
  for (const record of await readToSentinel(s.output)) {
    assert.equal(readSchemaId(record.value as Buffer), subject.id, `the schema id of ${s.output}-value`)
    rows.push({ ...(await deserializer.deserialize(record.value)) })
  }
  assert.deepEqual(sortRows(rows), expected)
})

test("a module of the user's own: its factory gets --param and --application-id, its schemas go through the registry, and describe prints it", async (t) => {
  const { url } = await testRegistry(t)
  const client = new RegistryClient({ url })
  const s = await setup(t)
  const payments = createSerializer<Payment>({
    format: 'avro',
    topic: s.input,
    schema: PaymentSchema,
    registry: client,
  })
  await payments.init()
  const values: Payment[] = Array.from({ length: 40 }, (_, i) => ({
    id: `pay-${i}`,
    user: `user-${i % 7}`,
    amount: (i * 37) % 1_200,
    currency: i % 2 === 0 ? 'EUR' : 'USD',
    timestamp: BASE_MS + i * 10,
  }))
  await produce(
    values.map((p) => ({ topic: s.input, key: Buffer.from(p.user), value: payments.serialize(p) })),
  )
  const expected = values
    .filter((p) => p.amount > 500)
    .map((p) => ({ payment_id: p.id, user: p.user, amount: p.amount }))
  assert.ok(expected.length > 5 && expected.length < values.length)
  const moduleArgs = [
    MODULE_FIXTURE,
    '--param',
    `input=${s.input}`,
    '--param',
    `output=${s.output}`,
    '--param',
    'limit=500',
    '--application-id',
    s.applicationId,
  ]

  const run = cli(t, [
    'run',
    ...moduleArgs,
    '--bootstrap',
    bootstrap(),
    '--state-dir',
    s.stateDir,
    '--registry-url',
    url,
    '--json',
  ])
  await awaitRecords(s.output, expected.length)
  run.child.kill('SIGTERM')
  assert.equal(await exitCode(run), 0, run.stderr())
  const summary = run.lines().find((line) => line.type === 'summary')
  assert.equal(summary?.job, MODULE_FIXTURE)
  assert.equal(summary?.applicationId, s.applicationId)
  assert.equal(summary?.recordsIn, values.length)
  assert.equal(summary?.recordsOut, expected.length)

  // The alerts are Avro of the module's own schema, registered under <output>-value, and read
  // with the writer's schema alone.
  const latest = (await (await fetch(`${url}/subjects/${s.output}-value/versions/latest`)).json()) as {
    schema: string
  }
  assert.equal((JSON.parse(latest.schema) as { name: string }).name, 'Alert')
  const deserializer = new AvroDeserializer<Record<string, unknown>>({ registry: client })
  const alerts: Array<Record<string, unknown>> = []
  for (const record of await readToSentinel(s.output)) {
    alerts.push({ ...(await deserializer.deserialize(record.value)) })
  }
  const byId = (a: Record<string, unknown>, b: Record<string, unknown>): number =>
    String(a.payment_id).localeCompare(String(b.payment_id))
  assert.deepEqual(alerts.sort(byId), expected.sort(byId))

  const described = cli(t, ['describe', ...moduleArgs])
  assert.equal(await exitCode(described), 0, described.stderr())
  assert.match(described.stdout(), new RegExp(`^Topology: ${s.applicationId}\n`))
  assert.match(
    described.stdout(),
    new RegExp(
      `Source: source-${s.input} \\(source; topic: ${s.input}; schema: shop\\.payments\\.Payment\\)`,
    ),
  )
  assert.match(
    described.stdout(),
    new RegExp(`Sink: sink-${s.output} \\(sink; topic: ${s.output}; schema: shop\\.payments\\.Alert\\)`),
  )
})

test('usage errors exit 2 before connecting: an unknown job lists the jobs, a bad value names its flag', async (t) => {
  // One through a real process, for the exit code; the rest through main() in this process, which
  // returns the exit code the process would have (a spawn costs a second of CPU per case).
  const unknown = cli(t, ['run', 'event-count', '--bootstrap', '127.0.0.1:1'])
  assert.equal(await exitCode(unknown), 2)
  assert.match(
    unknown.stderr(),
    /^freshet run: error FRESHET_INVALID_OPTION: unknown job "event-count"; give one of event-counts, revenue, sessions, top-users, or a module path \(\.\/pipeline\.ts\)\n$/,
  )

  const cases: Array<[string[], RegExp]> = [
    [['run'], /give a job or a module: freshet run <job\|module>, one of event-counts, revenue, sessions/],
    [['run', './no-such-pipeline.ts'], /no module at .*no-such-pipeline\.ts/],
    [
      ['run', 'event-counts', '--param', 'a=b'],
      /--param applies to modules, not to the seed job event-counts/,
    ],
    [['run', MODULE_FIXTURE, '--window', '1m'], /--window applies to the seed jobs; .* --param window=VALUE/],
    [['run', MODULE_FIXTURE, '--param', 'novalue'], /--param must be key=value, got "novalue"/],
    [['run', 'event-counts', '--window', '5parsecs'], /--window must be a duration like 30s.*"5parsecs"/],
    [['run', 'event-counts', '--gap', '1m'], /--gap does not apply to event-counts; its own flags: --window/],
    [['run', 'top-users', '--top', '0'], /--top must be an integer >= 1, got "0"/],
    [['run', 'sessions', '--guarantee', 'twice'], /--guarantee must be one of exactly-once, at-least-once/],
    [['run', 'revenue', '--on-bad-record', 'ignore'], /--on-bad-record must be one of fail, skip, dlq/],
    [['run', 'revenue', '--commit-interval', '0ms'], /--commit-interval must be longer than 0/],
    [['run', 'revenue', '--window', '30s'], /"advanceMs" \(60000\) must be at most windowMs \(30000\)/],
    [
      ['run', 'revenue', '--advertised-url', 'https://host-a:8080'],
      /--advertised-url must be http:\/\/host:port/,
    ],
    [['run', 'revenue', '--advertised-url', 'http://host-a'], /--advertised-url must be http:\/\/host:port/],
  ]
  const errors = t.mock.method(console, 'error', () => {})
  for (const [args, message] of cases) {
    errors.mock.resetCalls()
    // A broker that is not there: a usage error must not need one.
    const code = await main([...args, '--bootstrap', '127.0.0.1:1'])
    const printed = errors.mock.calls.map((call) => String(call.arguments[0])).join('\n')
    assert.equal(code, 2, `${args.join(' ')}: ${printed}`)
    assert.match(printed, /^freshet run: error FRESHET_INVALID_OPTION: /)
    assert.match(printed, message)
  }
})

test('a worker failure prints its code and message and exits 1: a missing output topic, a bad record under fail', async (t) => {
  const s = await setup(t)
  const missing = cli(t, runArgs({ ...s, output: randomName('nosuch') }, '--format', 'json'))
  assert.equal(await exitCode(missing), 1, missing.stderr())
  assert.match(missing.logs(), /freshet run: error FRESHET_TOPIC_NOT_FOUND: topic nosuch-\w+ does not exist/)

  await produce([{ topic: s.input, partition: 1, key: Buffer.from('user_bad'), value: Buffer.from('oops') }])
  const strict = cli(t, runArgs(s, '--format', 'json', '--on-bad-record', 'fail'))
  assert.equal(await exitCode(strict), 1, strict.stderr())
  assert.match(
    strict.logs(),
    new RegExp(
      `freshet run: error FRESHET_SERDE_SCHEMA_MISMATCH: value is not JSON.* \\(at ${s.input}/1@0\\)`,
    ),
  )
  assert.match(strict.stdout(), /worker \S+ failed after .*: in 0 /)
})

for (const policy of ['dlq', 'skip'] as const) {
  test(`--on-bad-record ${policy}: every input record is accounted for exactly, by outcome and code, and /metrics agrees`, async (t) => {
    const { url, client, s, serializer } = await avroSetup(t)
    const foreign = createSerializer<AnalyticsResult>({
      format: 'avro',
      topic: randomName('foreign'),
      schema: AnalyticsResultSchema,
      registry: client,
    })
    await foreign.init()
    const encode = (event: UserEvent): Buffer => Buffer.from(serializer.serialize(event))
    const events = userEvents()
    const first = events[0] as UserEvent
    const good = encode(first)
    const unknownId = Buffer.from(good)
    unknownId.writeInt32BE(987_654, 1)
    // One record of each class of bad input the job can meet, on partition 0 before the events.
    const bad: Array<[string, Buffer]> = [
      ['FRESHET_SERDE_BAD_MAGIC_BYTE', Buffer.from('garbage, not Avro')],
      ['FRESHET_SCHEMA_NOT_FOUND', unknownId],
      ['FRESHET_SERDE_TRUNCATED', good.subarray(0, 8)],
      // Written with a schema the job's reader schema cannot resolve.
      ['FRESHET_SCHEMA_INCOMPATIBLE', Buffer.from(foreign.serialize(row('x', BASE_MS, 1)))],
      ['FRESHET_TIMESTAMP_FUTURE', encode({ ...first, timestamp: Date.now() + 3_600_000 })],
    ]
    await produce(
      bad.map(([, value]) => ({ topic: s.input, partition: 0, key: Buffer.from('user_bad'), value })),
    )
    await produceEvents(s.input, events, encode)
    const expected = oracle(events)

    const run = cli(t, runArgs(s, '--registry-url', url, '--on-bad-record', policy, '--json'))
    await awaitRecords(s.output, expected.length)
    // Once the windows closed, a record of the first window is late.
    await produce([{ topic: s.input, partition: 0, key: Buffer.from('user_late'), value: good }])
    const dlqTopic = `${s.applicationId}.dlq`
    await awaitRecords(dlqTopic, policy === 'dlq' ? bad.length + 1 : 1)
    const metricsUrl = run.lines().find((l) => l.type === 'metrics')?.url as string
    const metrics = async (): Promise<string> => await (await fetch(metricsUrl)).text()
    const value = (exposition: string, name: string, labels = ''): number => {
      const line = exposition
        .split('\n')
        .find((l) => l.startsWith(`${name}{`) && l.includes(labels) && !l.startsWith('#'))
      return line === undefined ? 0 : Number(line.split(' ').at(-1))
    }
    // The dead letters are committed, so the counts the metrics read include them.
    const exposition = await metrics()
    run.child.kill('SIGTERM')
    assert.equal(await exitCode(run), 0, run.stderr())

    // Every input record is in exactly one place: a result, a window still open, a dead letter,
    // or skipped.
    const deserializer = new AvroDeserializer<AnalyticsResult>({
      registry: client,
      readerSchema: AnalyticsResultSchema,
    })
    const rows: AnalyticsResult[] = []
    for (const record of await readToSentinel(s.output)) {
      rows.push({ ...(await deserializer.deserialize(record.value)) })
    }
    assert.deepEqual(sortRows(rows), expected)
    const deadLetters = (await readToSentinel(dlqTopic)).map((r) => readDeadLetter(r)?.errorCode)
    const input = bad.length + events.length + PARTITIONS + 1
    const inResults = rows.reduce((sum, r) => sum + (r.events as number), 0)
    const inOpenWindows = PARTITIONS
    const skipped = policy === 'skip' ? bad.length : 0
    assert.equal(inResults, events.length)
    assert.equal(input, inResults + inOpenWindows + deadLetters.length + skipped)
    assert.deepEqual(
      [...deadLetters].sort(),
      [...(policy === 'dlq' ? bad.map(([code]) => code) : []), 'FRESHET_RECORD_LATE'].sort(),
    )
    // The metrics agree, code by code.
    assert.equal(value(exposition, 'freshet_worker_consumed_records_total', `topic="${s.input}"`), input)
    for (const [code] of bad) {
      assert.equal(value(exposition, 'freshet_worker_bad_records_total', `code="${code}"`), 1, code)
    }
    assert.equal(value(exposition, 'freshet_worker_late_records_total'), 1)
    assert.equal(value(exposition, 'freshet_worker_dead_letters_total'), deadLetters.length)
    assert.equal(value(exposition, 'freshet_worker_skipped_records_total'), skipped)
    assert.equal(value(exposition, 'freshet_worker_aborts_total'), 0, 'a run with nothing replayed')
  })
}
