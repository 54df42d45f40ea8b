// `freshet produce` and `freshet consume` wait out a broker that is down for longer than their
// clients' retries, and finish their work once it is back.
// Root cause of the defect this guards against: both commands treated a failure that outlasted
// the client's few retries (5 x 250 ms) as the end of the run, so a broker restart of 10 s or more
// stopped `produce` with exit 1 and left `consume` without its remaining records.
//
// A consumer process (`--max-messages`, `--print`) and a producer process (`--count`, `--rate`,
// `--seed`) run while the broker is killed with SIGKILL and kept down for FRESHET_OUTAGE_MS (25 s by
// default). The oracles: both processes outlive the outage, say so once when they begin to wait
// and once when they carry on, answer /ready with 503 meanwhile, and exit 0; the topic holds every
// generated event in its order per user, with duplicates only of the records the producer reports
// as sent again after an unknown outcome; the consumer printed every record up to its committed
// offsets, in order per user, with duplicates only of the records it reports as delivered again;
// its committed offsets add up to --max-messages; records that cannot be decoded are dead-lettered
// before and after the outage.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { after, before, test, type TestContext } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { KafkaAdmin, KafkaProducer, PartitionReader, type InRecord } from '../../src/kafka/index.ts'
import { EventGenerator } from '../../src/producer/index.ts'
import { createTopics, note, RestartableBroker } from './harness.ts'

const MAIN = join(import.meta.dirname, '../../src/cli/main.ts')
const COUNT = Number(process.env.FRESHET_CLI_OUTAGE_COUNT ?? 3_000)
const OUTAGE_MS = Number(process.env.FRESHET_OUTAGE_MS ?? 25_000)
/** Events per second: slow enough that the run is still under way when the broker goes down. */
const RATE = 60
const PARTITIONS = 3
const USERS = 300
const SEED = 20_260_101
const BAD_VALUE = Buffer.from('{not json')
const DEADLINE_MS = 300_000

let broker: RestartableBroker

before(async () => {
  broker = await RestartableBroker.start()
})

after(async () => {
  await broker?.stop()
})

/** A `freshet` command as a child process, killed after the test if it still runs. */
class Cli {
  readonly name: string
  readonly exited: Promise<number | null>
  #stdout = ''
  #stderr = ''
  readonly #child

  constructor(t: TestContext, name: string, args: string[]) {
    this.name = name
    this.#child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    this.#child.stdout.on('data', (chunk: Buffer) => (this.#stdout += chunk.toString()))
    this.#child.stderr.on('data', (chunk: Buffer) => (this.#stderr += chunk.toString()))
    this.exited = new Promise((resolve) => this.#child.once('exit', (code) => resolve(code)))
    t.after(async () => {
      if (this.alive) {
        this.#child.kill('SIGKILL')
        await this.exited
      }
    })
  }

  get alive(): boolean {
    return this.#child.exitCode === null && this.#child.signalCode === null
  }

  /** The JSON lines of stdout. */
  lines(): Array<Record<string, unknown>> {
    return jsonLines(this.#stdout)
  }

  /** The JSON log records of stderr. */
  logs(): Array<Record<string, unknown>> {
    return jsonLines(this.#stderr)
  }

  output(): string {
    return `${this.name} stdout:\n${this.#stdout.slice(-4_000)}\n${this.name} stderr:\n${this.#stderr.slice(-8_000)}`
  }

  /** The address of its /ready, from the log record that gives the metrics address. */
  readyUrl(): string | undefined {
    const url = this.logs().find((l) => typeof l.url === 'string' && String(l.url).endsWith('/metrics'))?.url
    return url === undefined ? undefined : String(url).replace(/\/metrics$/, '/ready')
  }

  async exitCode(): Promise<number | null> {
    const done = new AbortController()
    const timeout = sleep(DEADLINE_MS, 'timeout' as const, { signal: done.signal }).catch(() => null)
    try {
      const code = await Promise.race([this.exited, timeout])
      if (code === 'timeout') assert.fail(`${this.name} did not exit\n${this.output()}`)
      return code
    } finally {
      done.abort()
    }
  }
}

function jsonLines(text: string): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = []
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue
    try {
      out.push(JSON.parse(line) as Record<string, unknown>)
    } catch {
      // a line cut by the end of the output
    }
  }
  return out
}

async function waitFor(what: string, ready: () => boolean | Promise<boolean>, ...clis: Cli[]): Promise<void> {
  const deadline = Date.now() + DEADLINE_MS
  while (!(await ready())) {
    if (Date.now() > deadline) {
      assert.fail(`timed out waiting for ${what}\n${clis.map((c) => c.output()).join('\n')}`)
    }
    await sleep(100)
  }
}

/** A value with its keys sorted at every level, as text; without `timestamp` when `withoutTime`. */
function canonical(value: unknown, withoutTime = false): string {
  const sorted = (v: unknown): unknown =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v)
            .filter(([k]) => !(withoutTime && k === 'timestamp'))
            .sort(([a], [b]) => (a < b ? -1 : 1))
            .map(([k, x]) => [k, sorted(x)]),
        )
      : v
  return JSON.stringify(sorted(value))
}

function userOf(event: string): string {
  return (JSON.parse(event) as { user_id: string }).user_id
}

function byUser(events: readonly string[]): Map<string, string[]> {
  const out = new Map<string, string[]>()
  for (const e of events) {
    const user = userOf(e)
    const list = out.get(user) ?? []
    list.push(e)
    out.set(user, list)
  }
  return out
}

/**
 * That `expected` appears in `got` in its order, each element once (a subsequence): nothing lost
 * and nothing reordered, per user. What `got` holds beyond it are duplicates, counted.
 */
function assertInOrderPerUser(expected: readonly string[], got: readonly string[], what: string): number {
  const want = byUser(expected)
  const have = byUser(got)
  for (const [user, list] of want) {
    const seq = have.get(user) ?? []
    let j = 0
    for (const [i, e] of list.entries()) {
      while (j < seq.length && seq[j] !== e) j++
      assert.ok(j < seq.length, `${what}: event ${i} of ${user} missing or out of order: ${e}`)
      j++
    }
  }
  for (const user of have.keys()) assert.ok(want.has(user), `${what}: events of ${user}, who sent none`)
  return got.length - expected.length
}

/** Every record of `topic` up to each partition's end, with read_committed. */
async function readTopic(topic: string, partitions: number): Promise<InRecord[]> {
  const reader = new PartitionReader({ bootstrapBrokers: [broker.bootstrap], retries: 20 })
  try {
    const records: InRecord[] = []
    const ends = await reader.endOffsets(
      topic,
      Array.from({ length: partitions }, (_, p) => p),
    )
    for (const [partition, end] of ends) {
      for await (const batch of reader.read(topic, partition, 0n, end)) records.push(...batch)
    }
    return records
  } finally {
    await reader.close()
  }
}

async function writeBad(topic: string): Promise<void> {
  const producer = new KafkaProducer({ bootstrapBrokers: [broker.bootstrap], retries: 40 })
  try {
    await producer.send([{ topic, partition: 0, key: Buffer.from('bad'), value: BAD_VALUE }])
  } finally {
    await producer.close()
  }
}

interface Answer {
  status: number
  body: string
  /** Whether /metrics, asked right after a 503, had the gauge of the wait. */
  waitingGauge?: boolean
}

/** Polls /ready of each command in the background; `stop()` gives each one's answers. */
function pollReadiness(clis: Cli[]): { stop: () => Promise<Map<string, Answer[]>> } {
  const seen = new Map<string, Answer[]>(clis.map((c) => [c.name, []]))
  let stopped = false
  const loop = (async () => {
    while (!stopped) {
      for (const cli of clis) {
        const url = cli.readyUrl()
        if (url === undefined) continue
        try {
          const response = await fetch(url)
          const answer: Answer = { status: response.status, body: await response.text() }
          if (answer.status === 503) {
            const metrics = await (await fetch(url.replace(/\/ready$/, '/metrics'))).text()
            answer.waitingGauge = /^freshet_(producer|consumer)_waiting_since_seconds\{/m.test(metrics)
          }
          seen.get(cli.name)?.push(answer)
        } catch {
          // the process is gone: the assertions on it say so
        }
      }
      await sleep(250)
    }
  })()
  return {
    stop: async () => {
      stopped = true
      await loop
      return seen
    },
  }
}

function outageLogs(cli: Cli): {
  waits: Array<Record<string, unknown>>
  resumes: Array<Record<string, unknown>>
} {
  const logs = cli.logs()
  return {
    waits: logs.filter((l) => l.type === 'waiting' && l.for === 'kafka'),
    resumes: logs.filter((l) => l.type === 'resumed' && l.for === 'kafka'),
  }
}

test(`produce and consume wait out a broker down for ${OUTAGE_MS / 1000} s, and lose nothing`, async (t) => {
  const topic = `cli-outage-${Date.now() % 1_000_000}`
  const group = `${topic}-group`
  await createTopics(broker.bootstrap, [
    { topic, partitions: PARTITIONS },
    { topic: `${topic}.dlq`, partitions: 1 },
  ])
  const common = [
    '--bootstrap',
    broker.bootstrap,
    '--topic',
    topic,
    '--format',
    'json',
    '--log-format',
    'json',
  ]
  // Decoded before the outage: the dead-letter producer exists when the broker goes down.
  await writeBad(topic)
  const maxMessages = COUNT + 2
  const consumer = new Cli(t, 'consume', [
    'consume',
    ...common,
    '--group',
    group,
    '--from-beginning',
    // Dead letters are opt-in for consume: the test checks the dead-letter producer outlives the outage.
    '--on-bad-record',
    'dlq',
    '--max-messages',
    String(maxMessages),
    '--print',
    '--stats-interval',
    '1h',
  ])
  await waitFor(
    'the consumer to join its group',
    async () => {
      const url = consumer.readyUrl()
      return url !== undefined && (await fetch(url).catch(() => undefined))?.status === 200
    },
    consumer,
  )
  const producer = new Cli(t, 'produce', [
    'produce',
    ...common,
    '--count',
    String(COUNT),
    '--rate',
    String(RATE),
    '--seed',
    String(SEED),
    '--users',
    String(USERS),
    '--json',
  ])

  // Mid-run: the consumer has printed some of the events and dead-lettered the bad record.
  await waitFor(
    'the first events printed',
    () => consumer.lines().length >= 100 && consumer.logs().some((l) => /dead-lettered/.test(String(l.msg))),
    consumer,
    producer,
  )
  assert.ok(producer.alive && consumer.alive, 'both run when the broker goes down')
  assert.ok(consumer.lines().length < COUNT / 2, 'the outage comes in the middle of the run')
  note(`cli-outage: broker kill -9, down for ${OUTAGE_MS} ms`)
  const readiness = pollReadiness([producer, consumer])
  t.after(() => readiness.stop())
  await broker.kill()
  await sleep(OUTAGE_MS)
  // The fault did happen, and was waited out: both noticed it, and neither exited.
  const answers = await readiness.stop()
  for (const cli of [producer, consumer]) {
    assert.ok(cli.alive, `${cli.name} outlived the outage\n${cli.output()}`)
    assert.ok(outageLogs(cli).waits.length > 0, `${cli.name} logged the wait\n${cli.output()}`)
  }
  for (const [name, list] of answers) {
    assert.ok(
      list.some((a) => a.status === 503 && /waiting for Kafka since/.test(a.body) && a.waitingGauge),
      `${name}: /ready answered 503 with the wait as the reason while Kafka was down, and the metrics ` +
        `showed the wait: ${JSON.stringify(list.slice(-3))}`,
    )
  }
  await broker.restart()
  note('cli-outage: broker back')
  await writeBad(topic)

  assert.equal(await producer.exitCode(), 0, producer.output())
  assert.equal(await consumer.exitCode(), 0, consumer.output())

  // Each said once that it waits and once that it carries on; the wait spanned several retries.
  for (const cli of [producer, consumer]) {
    const { waits, resumes } = outageLogs(cli)
    assert.ok(waits.length >= 1, `${cli.name} logged the wait`)
    assert.equal(resumes.length, waits.length, `${cli.name} resumed after every wait\n${cli.output()}`)
    assert.ok(
      resumes.some((r) => (r.attempts as number) > 1),
      `${cli.name}: one line for a wait of several attempts: ${JSON.stringify(resumes)}`,
    )
  }

  // The producer: every event sent, none failed.
  const summary = producer.lines().at(-1) as { sent: number; failed: number }
  assert.equal(summary.sent, COUNT, producer.output())
  assert.equal(summary.failed, 0)
  const resent = outageLogs(producer).resumes.reduce((n, r) => n + (r.resentRecords as number), 0)

  // The topic: every generated event in its order per user; duplicates only of resent records.
  let records = await readTopic(topic, PARTITIONS)
  const isBad = (r: InRecord): boolean => r.value?.equals(BAD_VALUE) === true
  assert.equal(records.filter(isBad).length, 2)
  const generated = new EventGenerator({ users: USERS, seed: SEED })
    .batch(COUNT)
    .map((e) => canonical(e, true))
  const written = records.filter((r) => !isBad(r)).map((r) => canonical(JSON.parse(String(r.value)), true))
  const duplicates = assertInOrderPerUser(generated, written, 'topic')
  assert.ok(
    duplicates <= resent,
    `${duplicates} duplicates in the topic, more than the ${resent} records produce sent again`,
  )

  // A consumer stopped at --max-messages before the duplicates' share of the topic: a second run
  // in the same group reads the rest, from the group's offsets.
  const printed = consumer.lines()
  const logs = [...consumer.logs()]
  if (records.length > maxMessages) {
    const rest = new Cli(t, 'consume (rest)', [
      'consume',
      ...common,
      '--group',
      group,
      '--on-bad-record',
      'dlq',
      '--max-messages',
      String(records.length - maxMessages),
      '--print',
    ])
    assert.equal(await rest.exitCode(), 0, rest.output())
    printed.push(...rest.lines())
    logs.push(...rest.logs())
  }

  // --max-messages counted each committed record once: the group's offsets add up to it.
  const admin = new KafkaAdmin({ bootstrapBrokers: [broker.bootstrap], retries: 20 })
  let committed: Map<number, bigint>
  try {
    const lag = await admin.groupLag(group, topic)
    committed = new Map(lag.map((p) => [p.partition, p.committedOffset ?? 0n]))
  } finally {
    await admin.close()
  }
  const committedTotal = [...committed.values()].reduce((a, b) => a + b, 0n)
  assert.equal(committedTotal, BigInt(records.length), 'the group committed every record, once')

  // The consumer: every record printed, in order per user; duplicates only of redelivered ones.
  records = records.filter((r) => r.offset < (committed.get(r.partition) ?? 0n))
  const redelivered = logs
    .filter((l) => l.type === 'resumed')
    .reduce((n, r) => n + (r.redeliveredRecords as number), 0)
  const expectedPrinted = records.filter((r) => !isBad(r)).map((r) => canonical(JSON.parse(String(r.value))))
  const extra = assertInOrderPerUser(
    expectedPrinted,
    printed.map((e) => canonical(e)),
    'consumer',
  )
  assert.ok(extra <= redelivered, `${extra} events printed twice, more than the ${redelivered} redelivered`)

  const figures = (cli: Cli): string =>
    outageLogs(cli)
      .resumes.map((r) => `waited ${((r.waitedMs as number) / 1000).toFixed(1)} s, ${r.attempts} attempts`)
      .join('; ')
  t.diagnostic(
    `produce: ${figures(producer)}; ${resent} records resent, ${duplicates} duplicates in the topic`,
  )
  t.diagnostic(`consume: ${figures(consumer)}; ${redelivered} records redelivered, ${extra} printed twice`)

  // Dead letters: the bad record before the outage and the one after it.
  const letters = await readTopic(`${topic}.dlq`, 1)
  assert.equal(letters.length, 2, 'both bad records dead-lettered')
  const stats = consumer.logs().findLast((l) => l.stats !== undefined)?.stats as { deadLettered: number }
  assert.equal(stats.deadLettered, 2, consumer.output())
})
