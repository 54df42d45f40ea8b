// `freshet produce` as a process against the test broker, for what its outage handling must not
// change: a failure no retry corrects still ends the run at once, and --outage-timeout is checked
// like every other flag. The CLI is spawned from src/ (not the built dist/ that bin/ runs), so the
// test runs the code under review. The outages themselves, with a broker that is killed and
// restarted, are test/integrity/cli-outage.test.ts.
import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { AvroDeserializer } from '../../src/serde/index.ts'
import { freshetProcess, freshetProcessWithInput } from '../helpers/cli.ts'
import { bootstrap, randomName, randomTopic, readToEnd } from '../helpers/kafka.ts'
import { jsonLines, PAYMENT_SCHEMA, PAYMENTS, paymentsDir } from '../helpers/payments.ts'
import { testRegistry } from '../helpers/registry.ts'

// A wait would show as a `waiting` record and end at the 3 s limit with the same exit code: the
// assertion on the records is what tells the two apart.
const SHORT_LIMIT = ['--outage-timeout', '3s', '--log-format', 'json', '--bootstrap']

test('produce to a topic that does not exist fails at once, without waiting for Kafka', async () => {
  const topic = randomName('nosuch')
  const run = await freshetProcess(
    'produce',
    '--topic',
    topic,
    '--format',
    'json',
    '--count',
    '5',
    '--json',
    ...SHORT_LIMIT,
    bootstrap(),
  )
  assert.equal(run.code, 1, run.stderr)
  assert.deepEqual(
    run.logs.filter((l) => l.type === 'waiting'),
    [],
    'a missing topic is not an outage',
  )
  assert.match(run.stderr, new RegExp(`Unknown topic ${topic}`))
  const summary = JSON.parse(run.stdout) as Record<string, number>
  assert.deepEqual([summary.sent, summary.failed, summary.resent], [0, 5, 0])
})

test('--outage-timeout takes a duration or never; anything else is a usage error naming it', async () => {
  const run = await freshetProcess(
    'produce',
    '--count',
    '1',
    '--outage-timeout',
    'soon',
    '--bootstrap',
    bootstrap(),
  )
  assert.equal(run.code, 2, run.stderr)
  assert.match(run.stderr, /--outage-timeout must be a duration like 30s, 5m or 500ms, got "soon"/)
  assert.match((await freshetProcess('produce', '--help')).stdout, /--outage-timeout D\|never/)
})

// Issue 11, "freshet as a dependency": produce could only generate shop events. With --schema or
// --subject it sends the input's JSON lines, each checked against the user's schema first.

test('produce --schema FILE sends the lines of --file as Avro under <topic>-value, keyed by --key-field', async (t) => {
  const { url, client } = await testRegistry(t)
  const topic = await randomTopic(t, 'payments-file')
  const { dir, schemaPath } = await paymentsDir(t)
  const file = join(dir, 'payments.jsonl')
  await writeFile(file, jsonLines(PAYMENTS))
  const run = await freshetProcess(
    'produce',
    '--topic',
    topic,
    '--schema',
    schemaPath,
    '--file',
    file,
    '--key-field',
    'payment_id',
    '--json',
    '--log-format',
    'json',
    '--registry-url',
    url,
    '--bootstrap',
    bootstrap(),
  )
  assert.equal(run.code, 0, run.stderr)
  const summary = JSON.parse(run.stdout) as Record<string, number>
  assert.deepEqual([summary.read, summary.bad, summary.sent, summary.failed], [3, 0, 3, 0])

  const records = await readToEnd(topic)
  const deserializer = new AvroDeserializer({ registry: client })
  const values = await Promise.all(records.map((r) => deserializer.deserialize(r.value)))
  assert.deepEqual(JSON.parse(JSON.stringify(values)), PAYMENTS)
  assert.deepEqual(
    records.map((r) => r.key?.toString()),
    PAYMENTS.map((p) => p.payment_id),
  )
  const registered = await client.getLatest(`${topic}-value`)
  assert.deepEqual(JSON.parse(registered.schema), PAYMENT_SCHEMA)
})

test('produce --subject S reads the lines from stdin and sends them with the schema registered there', async (t) => {
  const { url, client } = await testRegistry(t)
  const topic = await randomTopic(t, 'payments-stdin')
  const subject = randomName('payments-value')
  await client.register(subject, JSON.stringify(PAYMENT_SCHEMA))
  const run = await freshetProcessWithInput(
    jsonLines(PAYMENTS),
    'produce',
    '--topic',
    topic,
    '--subject',
    subject,
    '--log-format',
    'json',
    '--registry-url',
    url,
    '--bootstrap',
    bootstrap(),
  )
  assert.equal(run.code, 0, run.stderr)
  assert.match(run.stdout, /^read 3 {2}bad 0 {2}sent 3 {2}failed 0 /)
  const records = await readToEnd(topic)
  const deserializer = new AvroDeserializer({ registry: client })
  assert.deepEqual(
    JSON.parse(JSON.stringify(await Promise.all(records.map((r) => deserializer.deserialize(r.value))))),
    PAYMENTS,
  )
  assert.deepEqual(
    records.map((r) => r.key),
    [null, null, null],
    'no key without --key-field',
  )
})

test('a line that does not match the schema stops produce with its line number and field; nothing after it is sent', async (t) => {
  const { url } = await testRegistry(t)
  const topic = await randomTopic(t, 'payments-bad')
  const { schemaPath } = await paymentsDir(t)
  const lines = jsonLines([PAYMENTS[0], PAYMENTS[1], { ...PAYMENTS[2], amount_cents: '410000' }, PAYMENTS[0]])
  const args = ['--topic', topic, '--schema', schemaPath, '--json', '--log-format', 'json']
  const run = await freshetProcessWithInput(
    lines,
    'produce',
    ...args,
    '--registry-url',
    url,
    '--bootstrap',
    bootstrap(),
  )
  assert.equal(run.code, 1, run.stderr)
  const error = run.logs.find((l) => l.code === 'FRESHET_INPUT_INVALID')
  assert.ok(error !== undefined, run.stderr)
  assert.match(String(error.msg), /line 3: .*field amount_cents must be "long", got a string/)
  const summary = JSON.parse(run.stdout) as Record<string, number>
  assert.deepEqual([summary.read, summary.bad, summary.sent], [3, 1, 2])
  assert.equal((await readToEnd(topic)).length, 2)

  // With --skip-bad-lines the line is reported, counted and left out; so is a line that is not JSON.
  const skipping = await freshetProcessWithInput(
    lines.replace(/\n/, '\n{not json\n'),
    'produce',
    ...args,
    '--skip-bad-lines',
    '--registry-url',
    url,
    '--bootstrap',
    bootstrap(),
  )
  assert.equal(skipping.code, 0, skipping.stderr)
  const skipped = skipping.logs.filter((l) => l.code === 'FRESHET_INPUT_INVALID').map((l) => String(l.msg))
  assert.equal(skipped.length, 2, skipping.stderr)
  assert.match(skipped[0]!, /line 2 is not JSON/)
  assert.match(skipped[1]!, /line 4: .*field amount_cents/)
  const again = JSON.parse(skipping.stdout) as Record<string, number>
  assert.deepEqual([again.read, again.bad, again.sent], [5, 2, 3])
  assert.equal((await readToEnd(topic)).length, 5)
})
