// `freshet dlq inspect` against the test broker and an in-process registry: dead letters with
// Avro, JSON, text and binary values, one of an aborted transaction (not shown), as text and JSON.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { main } from '../../src/cli/main.ts'
import { replayDeadLetters, toDeadLetter, type ReplayProgress } from '../../src/dlq/index.ts'
import { FreshetError } from '../../src/errors/index.ts'
import {
  KafkaProducer,
  PartitionReader,
  TransactionalProducer,
  type InRecord,
} from '../../src/kafka/index.ts'
import { UserEventSchema, type UserEvent } from '../../src/schemas/index.ts'
import { createSerializer } from '../../src/serde/index.ts'
import { freshet } from '../helpers/cli.ts'
import { bootstrap, brokers, randomName, randomTopic, readToSentinel } from '../helpers/kafka.ts'
import { testRegistry } from '../helpers/registry.ts'

/** A line of `dlq inspect --json`, as far as the test reads it. */
interface ShownLetter {
  value: unknown
  valueFormat: string
  headers: Record<string, string>
  provenance: {
    sourceTopic: string
    sourcePartition: number
    sourceOffset: number
    stage: string
    errorCode: string
    deadLetteredAtMs: number
  }
}

const EVENT: UserEvent = {
  timestamp: 1_767_225_600_000,
  event_type: 'purchase',
  user_id: 'user_000042',
  version: '1.0',
  data: {
    product_id: 'prod_00007',
    amount: 12.5,
    currency: 'EUR',
    session_id: 'sess_1',
    device: 'mobile',
    browser: 'firefox',
    search_query: null,
    transaction_id: 'txn_9',
  },
}

/** A record of `source` as a worker read it, to dead-letter. */
function sourceRecord(source: string, offset: bigint, value: Buffer, key = 'k'): InRecord {
  return {
    topic: source,
    partition: 1,
    offset,
    timestampMs: 1_767_225_600_000,
    key: Buffer.from(key),
    value,
    headers: new Map([['trace', Buffer.from('abc')]]),
    leaderEpoch: 0,
  }
}

test('freshet dlq inspect: provenance and decoded values; aborted letters are not shown', async (t) => {
  const registry = await testRegistry(t)
  const topic = await randomTopic(t, 'inspect-dlq', 1)
  const source = randomName('user-events')
  const avro = createSerializer<UserEvent>({
    format: 'avro',
    topic: source,
    schema: UserEventSchema,
    registry: registry.client,
  })
  await avro.init()
  const failure = (code: 'SERDE_SCHEMA_MISMATCH' | 'RECORD_KEY_NULL'): FreshetError =>
    new FreshetError(code, `broken ${code}`)
  const letters = [
    toDeadLetter(
      sourceRecord(source, 10n, await avro.serialize(EVENT), 'user_000042'),
      failure('RECORD_KEY_NULL'),
      topic,
      'process',
      1_767_225_700_000,
    ),
    toDeadLetter(
      sourceRecord(source, 11n, Buffer.from('{not json')),
      failure('SERDE_SCHEMA_MISMATCH'),
      topic,
      'decode',
    ),
    toDeadLetter(
      sourceRecord(source, 12n, Buffer.from([0xff, 0x00, 0x9c, 0x01])),
      failure('SERDE_SCHEMA_MISMATCH'),
      topic,
      'decode',
    ),
  ]
  // An aborted transaction's letter sits between them: read_committed hides it.
  const txn = new TransactionalProducer({ bootstrapBrokers: brokers(), transactionalId: randomName('tid') })
  t.after(() => txn.close())
  await txn.init()
  await txn.begin()
  await txn.send([
    toDeadLetter(
      sourceRecord(source, 99n, Buffer.from('aborted')),
      failure('RECORD_KEY_NULL'),
      topic,
      'process',
    ),
  ])
  await txn.abort()
  const producer = new KafkaProducer({ bootstrapBrokers: brokers() })
  await producer.send(letters)
  await producer.close()
  // The coordinator writes the abort marker after it answers: until then read_committed readers
  // stop at the aborted transaction (its last stable offset), as they would at an open one.
  await untilStable(topic)

  const json = await freshet(t, [
    'dlq',
    'inspect',
    '--topic',
    topic,
    '--json',
    '--registry-url',
    registry.url,
  ])
  assert.equal(json.code, 0)
  const shown = json.stdout.split('\n').map((line) => JSON.parse(line) as ShownLetter)
  assert.deepEqual(
    shown.map((l) => [l.provenance.sourceOffset, l.provenance.stage, l.provenance.errorCode, l.valueFormat]),
    [
      [10, 'process', 'FRESHET_RECORD_KEY_NULL', 'avro'],
      [11, 'decode', 'FRESHET_SERDE_SCHEMA_MISMATCH', 'text'],
      [12, 'decode', 'FRESHET_SERDE_SCHEMA_MISMATCH', 'bytes'],
    ],
  )
  assert.deepEqual(shown[0]?.value, EVENT)
  assert.equal(shown[0]?.provenance.sourceTopic, source)
  assert.equal(shown[0]?.provenance.sourcePartition, 1)
  assert.equal(shown[0]?.provenance.deadLetteredAtMs, 1_767_225_700_000)
  assert.deepEqual(shown[0]?.headers, { trace: 'abc' }, 'the original headers, provenance apart')
  assert.equal(shown[1]?.value, '{not json')
  assert.equal(shown[2]?.value, Buffer.from([0xff, 0x00, 0x9c, 0x01]).toString('base64'))

  const text = await freshet(t, ['dlq', 'inspect', '--topic', topic, '--registry-url', registry.url])
  assert.match(text.stdout, new RegExp(`^  source   ${source}/1@10 \\(2026-01-01T00:00:00\\.000Z\\)$`, 'm'))
  assert.match(
    text.stdout,
    /^ {2}value {4}\{"timestamp":1767225600000,"event_type":"purchase",.*\(avro, schema \d+\)$/m,
  )
  assert.match(text.stdout, /^3 of 3 dead letters in inspect-dlq-\w+ shown$/m)

  const limited = await freshet(t, [
    'dlq',
    'inspect',
    '--topic',
    topic,
    '--limit',
    '1',
    '--json',
    '--registry-url',
    registry.url,
  ])
  assert.equal(
    (JSON.parse(limited.stdout) as ShownLetter).provenance.sourceOffset,
    12,
    'the last letter of the partition',
  )
})

test('freshet dlq replay: letters back to their source partition exactly once; late ones left; a second run sends nothing', async (t) => {
  const topic = await randomTopic(t, 'replay-dlq', 2)
  const source = await randomTopic(t, 'replay-source', 3)
  const failure = new FreshetError('SERDE_SCHEMA_MISMATCH', 'broken')
  const letter = (offset: bigint, value: string, stage: 'decode' | 'late' = 'decode') =>
    toDeadLetter({ ...sourceRecord(source, offset, Buffer.from(value)), partition: 2 }, failure, topic, stage)
  const producer = new KafkaProducer({ bootstrapBrokers: brokers() })
  await producer.send([
    { ...letter(1n, 'one'), partition: 0 },
    { ...letter(2n, 'two'), partition: 1 },
    { ...letter(3n, 'late', 'late'), partition: 1 },
    { topic, partition: 0, key: null, value: Buffer.from('not a dead letter') },
  ])
  const groupId = randomName('replay-group')
  const first = await freshet(t, ['dlq', 'replay', '--topic', topic, '--group', groupId, '--json'])
  assert.equal(first.code, 0)
  assert.deepEqual(JSON.parse(first.stdout), {
    topic,
    replayed: { [source]: 2 },
    skippedLate: 1,
    skippedWithoutProvenance: 1,
    total: 2,
  })
  // The replay's transaction may still be in doubt when it returns: the read waits for its end.
  const back = await readToSentinel(source)
  assert.deepEqual(back.map((r) => [r.partition, r.value?.toString(), r.key?.toString()]).sort(), [
    [2, 'one', 'k'],
    [2, 'two', 'k'],
  ])
  const one = back.find((r) => r.value?.toString() === 'one') as InRecord
  assert.equal(one.headers.get('trace')?.toString(), 'abc', 'its own headers')
  assert.equal(one.headers.get('freshet.dlq.replayed.from')?.toString(), `${topic}/0@0`)
  assert.equal(one.headers.get('freshet.dlq.source.topic'), undefined, 'no provenance headers')
  assert.equal(one.timestampMs, 1_767_225_600_000, 'the original timestamp')

  // Again with the same group: nothing new; one more letter later: only that one.
  const second = await freshet(t, ['dlq', 'replay', '--topic', topic, '--group', groupId])
  assert.match(second.stdout, /^replayed 0 dead letters of /)
  await producer.send([{ ...letter(4n, 'four'), partition: 1 }])
  await producer.close()
  const third = await freshet(t, ['dlq', 'replay', '--topic', topic, '--group', groupId])
  assert.match(
    third.stdout,
    new RegExp(`^replayed 1 dead letter of ${topic} \\(${source} 1\\); left: 0 late`),
  )
  assert.deepEqual((await readToSentinel(source)).map((r) => r.value?.toString()).sort(), [
    'four',
    'one',
    'two',
  ])

  // A fresh group reads the whole topic: its progress ends at every record read, out of as many.
  const elsewhere = await randomTopic(t, 'replay-elsewhere', 3)
  const progress: ReplayProgress[] = []
  const again = await replayDeadLetters({
    bootstrapBrokers: brokers(),
    topic,
    to: elsewhere,
    groupId: randomName('replay-progress'),
    onProgress: (p) => progress.push(p),
  })
  assert.deepEqual(again.replayed, { [elsewhere]: 3 })
  assert.ok(progress.length > 0, 'progress reported')
  assert.deepEqual(progress.at(-1), { read: 5, total: 5 }, 'four letters and one record that is not')
  assert.ok(progress.every((p, i) => i === 0 || p.read > (progress[i - 1] as ReplayProgress).read))
})

/** Waits until no partition of `topic` has a transaction in doubt: each last stable offset is its end. */
async function untilStable(topic: string, partitions = [0]): Promise<void> {
  const committed = new PartitionReader({ bootstrapBrokers: brokers(), isolationLevel: 'read_committed' })
  const uncommitted = new PartitionReader({ bootstrapBrokers: brokers(), isolationLevel: 'read_uncommitted' })
  try {
    const deadline = Date.now() + 20_000
    const ends = async (reader: PartitionReader): Promise<string> =>
      JSON.stringify([...(await reader.endOffsets(topic, partitions))].map(([p, end]) => [p, String(end)]))
    while ((await ends(committed)) !== (await ends(uncommitted))) {
      if (Date.now() > deadline) assert.fail(`${topic}: a transaction stays in doubt`)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  } finally {
    await committed.close()
    await uncommitted.close()
  }
}

test('freshet dlq: a missing action or topic is a usage error; an unknown topic is FRESHET_TOPIC_NOT_FOUND', async (t) => {
  const error = t.mock.method(console, 'error', () => {})
  assert.equal(await main(['dlq', '--bootstrap', bootstrap()]), 2)
  assert.equal(await main(['dlq', 'inspect', '--bootstrap', bootstrap()]), 2)
  assert.equal(await main(['dlq', 'inspect', '--topic', randomName('nosuch'), '--bootstrap', bootstrap()]), 1)
  assert.match(String(error.mock.calls.at(-1)?.arguments[0]), /FRESHET_TOPIC_NOT_FOUND/)
})
