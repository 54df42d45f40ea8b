// `freshet status` against the test broker, with no registry beside it (so it exits 3): the jobs
// part, for a job whose input topic was deleted. Other test files' jobs share the broker; the test
// reads only its own job's lines.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { GroupConsumer, KafkaProducer } from '../../src/kafka/index.ts'
import { freePort } from '../../src/stack/processes.ts'
import { freshet } from '../helpers/cli.ts'
import { bootstrap, brokers, createTopics, randomName, randomTopic } from '../helpers/kafka.ts'
import { offsetsOutliveTopic } from '../helpers/admin-races.ts'

test('freshet status lists a job whose input topic was deleted, with a note, instead of failing', async (t) => {
  // Root cause: the jobs' lag was asked over every topic a job's group had committed offsets on,
  // and a topic deleted since (its offsets are dropped by the coordinator only moments later,
  // longer on a busy broker) failed the whole command with FRESHET_TOPIC_NOT_FOUND.
  const kept = await randomTopic(t, 'status-kept', 1)
  const gone = await randomTopic(t, 'status-gone', 1)
  const applicationId = randomName('status-job')
  await createTopics(t, [{ topic: `${applicationId}.dlq` }])
  const producer = new KafkaProducer({ bootstrapBrokers: brokers() })
  await producer.send(
    [kept, gone].flatMap((topic) =>
      Array.from({ length: 3 }, (_, i) => ({ topic, partition: 0, value: Buffer.from(`${i}`) })),
    ),
  )
  await producer.close()
  const consumer = new GroupConsumer({
    bootstrapBrokers: brokers(),
    groupId: applicationId,
    topics: [kept, gone],
  })
  t.after(() => consumer.close())
  await consumer.start()
  await consumer.commit([
    { topic: kept, partition: 0, offset: 1n },
    { topic: gone, partition: 0, offset: 1n },
  ])
  await consumer.close()
  await offsetsOutliveTopic(t, applicationId, gone)
  const stateDir = mkdtempSync(join(tmpdir(), 'freshet-status-'))
  t.after(() => rmSync(stateDir, { recursive: true, force: true }))
  const [host, kafkaPort] = bootstrap().split(':') as [string, string]
  const args = ['status', '--state-dir', stateDir, '--host', host, '--kafka-port', kafkaPort]
  args.push('--registry-port', String(await freePort()))
  const note = `topic ${gone} no longer exists (its committed offsets are left out of the lag)`

  const text = await freshet(t, args)
  assert.equal(text.code, 3, 'Kafka up, the registry down')
  const [row, ...rest] = text.stdout.split('\n').filter((line) => line.includes(applicationId))
  // The jobs table's row: job, state, workers, and the lag of `kept` alone; then the note.
  assert.deepEqual(row?.split(/ +/), [applicationId, 'Empty', '0', '2'])
  assert.deepEqual(rest, [`  ${applicationId} note: ${note}`])

  const json = await freshet(t, [...args, '--json'])
  assert.equal(json.code, 3)
  const jobs = (JSON.parse(json.stdout) as { jobs: Array<{ applicationId: string }> }).jobs
  assert.deepEqual(
    jobs.find((job) => job.applicationId === applicationId),
    { applicationId, state: 'Empty', lag: 2, workers: [], notes: [note] },
  )
})
