import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import type { StatsSnapshot } from '../../src/consumer/index.ts'
import { KafkaAdmin, KafkaProducer } from '../../src/kafka/index.ts'
import { EventProducer } from '../../src/producer/index.ts'
import { freshetProcess } from '../helpers/cli.ts'
import { bootstrap, brokers, randomName, randomTopic } from '../helpers/kafka.ts'
import { jsonLines, PAYMENTS, paymentsDir } from '../helpers/payments.ts'
import { testRegistry } from '../helpers/registry.ts'

const BIN = join(import.meta.dirname, '../../bin/freshet.js')

test('freshet consume on SIGTERM commits what it consumed, leaves the group and exits 0', async (t) => {
  const { client, url } = await testRegistry(t)
  const topic = await randomTopic(t, 'consume-sigterm', 3)
  const groupId = randomName('g')
  const producer = new EventProducer({
    bootstrapBrokers: brokers(),
    topic,
    count: 5_000,
    registry: client,
    seed: 1,
  })
  t.after(() => producer.close())
  assert.equal((await producer.run()).sent, 5_000)

  const child = spawn(
    process.execPath,
    [
      BIN,
      'consume',
      '--topic',
      topic,
      '--group',
      groupId,
      '--from-beginning',
      '--bootstrap',
      bootstrap(),
      '--registry-url',
      url,
      '--stats-interval',
      '300ms',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let output = ''
  let logs = ''
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString()
    logs += chunk.toString()
  })
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGKILL')
  })
  const deadline = Date.now() + 60_000
  while (!/Total Events: 5000\b/.test(output) && Date.now() < deadline) await sleep(200)
  assert.match(output, /Total Events: 5000\b/)
  // Its metrics, at the address it logged (JSON logs on stderr when it is not a terminal).
  const metricsUrl = logs
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { url?: string })
    .find((record) => record.url?.endsWith('/metrics'))?.url
  assert.ok(metricsUrl !== undefined, `no metrics address logged:\n${logs}`)
  assert.equal((await fetch(new URL('/ready', metricsUrl))).status, 200)
  const exposition = await (await fetch(metricsUrl)).text()
  assert.match(
    exposition,
    new RegExp(
      `^freshet_consumer_decoded_records_total\\{group="${groupId}",topic="${topic}",command="consume"\\} 5000$`,
      'm',
    ),
  )

  child.kill('SIGTERM')
  assert.equal(await exited, 0, output)
  assert.match(output, /SIGTERM: committing and leaving the group/)

  const admin = new KafkaAdmin({ bootstrapBrokers: brokers() })
  t.after(() => admin.close())
  const lag = await admin.groupLag(groupId, topic)
  assert.equal(
    lag.reduce((sum, p) => sum + p.lag, 0n),
    0n,
    'everything consumed was committed',
  )
  assert.equal(
    lag.reduce((sum, p) => sum + (p.committedOffset ?? 0n), 0n),
    5_000n,
  )
})

test('consume of a topic that does not exist fails at once, without waiting for Kafka', async () => {
  // A wait would show as a `waiting` record and end at the 3 s limit with the same exit code: the
  // assertion on the records is what tells the two apart.
  const run = await freshetProcess(
    'consume',
    '--topic',
    randomName('nosuch'),
    '--format',
    'json',
    '--max-messages',
    '1',
    '--outage-timeout',
    '3s',
    '--log-format',
    'json',
    '--bootstrap',
    bootstrap(),
  )
  assert.equal(run.code, 1, run.stderr)
  assert.deepEqual(
    run.logs.filter((l) => l.type === 'waiting'),
    [],
    'a missing topic is not an outage',
  )
})

test('consume --outage-timeout takes a duration or never; anything else is a usage error naming it', async () => {
  const run = await freshetProcess('consume', '--outage-timeout', 'soon', '--bootstrap', bootstrap())
  assert.equal(run.code, 2, run.stderr)
  assert.match(run.stderr, /--outage-timeout must be a duration like 30s, 5m or 500ms, got "soon"/)
  assert.match((await freshetProcess('consume', '--help')).stdout, /--outage-timeout D\|never/)
})

// Issue 11, "freshet as a dependency": consume read every topic with a bundled reader schema
// (UserEvent by default), so the records of a user's own schema failed to decode, were
// dead-lettered to a `<topic>.dlq` that consume created on the way, and the run still exited 0.
// Root cause: the reader schema was required, and dead-lettering was the only bad-record path.
test('consume decodes a topic of your own schema with the writer schema, prints it, and creates no .dlq topic', async (t) => {
  const { url } = await testRegistry(t)
  const topic = await randomTopic(t, 'payments-consume')
  const { dir, schemaPath } = await paymentsDir(t)
  const file = join(dir, 'payments.jsonl')
  await writeFile(file, jsonLines(PAYMENTS))
  const where = ['--registry-url', url, '--bootstrap', bootstrap(), '--log-format', 'json']
  const produced = await freshetProcess(
    'produce',
    '--topic',
    topic,
    '--schema',
    schemaPath,
    '--file',
    file,
    '--key-field',
    'payment_id',
    ...where,
  )
  assert.equal(produced.code, 0, produced.stderr)
  // A record no registry knows of, as a stray producer might leave.
  const stray = new KafkaProducer({ bootstrapBrokers: brokers() })
  t.after(() => stray.close())
  await stray.send([{ topic, key: Buffer.from('stray'), value: Buffer.from('{"not":"avro"}') }])

  const consumed = await freshetProcess(
    'consume',
    '--topic',
    topic,
    '--group',
    randomName('g'),
    '--from-beginning',
    '--max-messages',
    '4',
    '--print',
    ...where,
  )
  assert.equal(consumed.code, 0, consumed.stderr)
  const printed = consumed.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as unknown)
  assert.deepEqual(printed, PAYMENTS)

  const skipped = consumed.logs.filter((l) => String(l.msg).startsWith('skipped '))
  assert.equal(skipped.length, 1, consumed.stderr)
  assert.deepEqual(
    [skipped[0]!.topic, skipped[0]!.partition, skipped[0]!.offset, skipped[0]!.code],
    [topic, 0, '3', 'FRESHET_SERDE_BAD_MAGIC_BYTE'],
  )
  const stats = consumed.logs
    .map((l) => l.stats as StatsSnapshot | undefined)
    .findLast((s) => s !== undefined)
  assert.ok(stats !== undefined, consumed.stderr)
  assert.deepEqual([stats.total, stats.errors, stats.skipped, stats.deadLettered], [3, 1, 1, 0])
  assert.deepEqual(stats.schemas, [['com.example.payments.Payment', 3]])
  assert.deepEqual(
    stats.top.find((f) => f.title === 'Record Keys')?.values,
    PAYMENTS.map((p) => [p.payment_id, 1]),
  )

  const admin = new KafkaAdmin({ bootstrapBrokers: brokers() })
  t.after(() => admin.close())
  const topics = await admin.listTopics()
  assert.ok(topics.includes(topic))
  assert.ok(!topics.includes(`${topic}.dlq`), 'consume created a dead-letter topic it was not asked for')
})

test('consume --schema with a name that is neither bundled nor a file says how to point at an .avsc', async () => {
  const run = await freshetProcess(
    'consume',
    '--topic',
    'alerts',
    '--schema',
    'alert',
    '--bootstrap',
    bootstrap(),
  )
  assert.equal(run.code, 1, run.stderr)
  assert.match(
    run.stderr,
    /FRESHET_SCHEMA_NOT_FOUND: --schema alert: not a bundled schema .* give the path of your \.avsc file/,
  )
})
