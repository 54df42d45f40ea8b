// The jobs of a cluster as `freshet status` shows them: found from the consumer groups and their
// dead-letter topics, with each worker's partitions. The broker is shared with other test files,
// whose groups come and go (and whose topics are deleted) meanwhile: each test looks only at its
// own jobs, and jobsStatus must list them whatever the others' groups are doing.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { GroupConsumer, KafkaAdmin, KafkaProducer, type OutRecord } from '../../src/kafka/index.ts'
import { jobsStatus, Worker } from '../../src/runtime/index.ts'
import { pipeline } from '../../src/stream/index.ts'
import { groupEndsAfterListing, offsetsOutliveTopic } from '../helpers/admin-races.ts'
import { brokers, createTopics, randomName, randomTopic } from '../helpers/kafka.ts'

/** Writes `records`, then commits `offsets` as a member of `groupId` and leaves the group empty. */
async function commitOffsets(
  groupId: string,
  records: OutRecord[],
  offsets: Array<{ topic: string; partition: number; offset: bigint }>,
): Promise<void> {
  const producer = new KafkaProducer({ bootstrapBrokers: brokers() })
  try {
    await producer.send(records)
  } finally {
    await producer.close()
  }
  const topics = [...new Set(offsets.map((o) => o.topic))]
  const consumer = new GroupConsumer({ bootstrapBrokers: brokers(), groupId, topics })
  try {
    await consumer.start()
    await consumer.commit(offsets)
  } finally {
    await consumer.close()
  }
}

function values(topic: string, partition: number, count: number): OutRecord[] {
  return Array.from({ length: count }, (_, i) => ({ topic, partition, value: Buffer.from(`${i}`) }))
}

test('jobsStatus: a job with two workers, their partitions and the lag', async (t) => {
  const input = await randomTopic(t, 'jobs-in', 2)
  const output = await randomTopic(t, 'jobs-out', 2)
  const applicationId = randomName('jobs-app')
  const app = pipeline({ applicationId })
  app.stream<unknown>(input).to(output)
  const topology = app.build()
  const workers = ['w1', 'w2'].map((workerId) => {
    const worker = new Worker({ bootstrapBrokers: brokers(), topology, workerId })
    t.after(() => worker.stop().catch(() => {}))
    return worker
  })
  for (const worker of workers) await worker.start()
  const admin = new KafkaAdmin({ bootstrapBrokers: brokers() })
  t.after(() => admin.close())
  // Both hold a partition once the second worker's rebalance is done. The wait asks for the groups
  // only (one listing and one describe, whatever else the broker holds); jobsStatus, which also
  // asks every job's lag, runs once the group is there.
  const deadline = Date.now() + 60_000
  for (;;) {
    const group = (await admin.consumerGroups()).find((g) => g.groupId === applicationId)
    if (
      group?.state === 'Stable' &&
      group.members.length === 2 &&
      group.members.every((m) => m.assignments.length > 0)
    )
      break
    if (Date.now() > deadline) assert.fail(`not two workers with partitions: ${JSON.stringify(group)}`)
    await sleep(200)
  }
  const job = (await jobsStatus(brokers())).find((j) => j.applicationId === applicationId)
  assert.ok(job, `job ${applicationId} is listed`)
  assert.equal(job.state, 'Stable')
  assert.deepEqual(
    job.workers.map((w) => w.workerId),
    ['w1', 'w2'],
  )
  assert.deepEqual(
    job.workers.flatMap((w) => w.partitions.map((p) => `${p.topic}/${p.partitions.join(',')}`)).sort(),
    [`${input}/0`, `${input}/1`],
  )
  assert.equal(job.lag, 0)
  assert.deepEqual(job.notes, [])
  // A consumer group without a dead-letter topic beside it is not a job.
  const plain = new GroupConsumer({
    bootstrapBrokers: brokers(),
    groupId: randomName('plain'),
    topics: [input],
  })
  t.after(() => plain.close())
  await plain.start()
  const groups = await admin.consumerGroups()
  assert.ok(
    groups.some((g) => g.groupId === plain.groupId),
    'the plain group exists',
  )
  assert.ok((await jobsStatus(brokers())).every((j) => j.applicationId !== plain.groupId))
})

test('jobsStatus lists a job whose input topic was deleted, with a note, instead of failing', async (t) => {
  // Root cause: jobsStatus asked the end offsets of every topic a job's group had committed offsets
  // on, and a topic deleted since (its offsets are dropped by the coordinator only moments later,
  // longer on a busy broker) made describeTopic throw FRESHET_TOPIC_NOT_FOUND: one such group
  // anywhere on the cluster failed the whole `freshet status`.
  const kept = await randomTopic(t, 'jobs-kept', 2)
  const gone = await randomTopic(t, 'jobs-gone', 1)
  const applicationId = randomName('jobs-deleted-input')
  await createTopics(t, [{ topic: `${applicationId}.dlq` }])
  // Lag 0 + 3 on `kept`; `gone` would add 3.
  await commitOffsets(
    applicationId,
    [...values(kept, 0, 5), ...values(kept, 1, 5), ...values(gone, 0, 4)],
    [
      { topic: kept, partition: 0, offset: 5n },
      { topic: kept, partition: 1, offset: 2n },
      { topic: gone, partition: 0, offset: 1n },
    ],
  )
  await offsetsOutliveTopic(t, applicationId, gone)

  const job = (await jobsStatus(brokers())).find((j) => j.applicationId === applicationId)
  assert.ok(job, `job ${applicationId} is listed`)
  assert.deepEqual(
    { state: job.state, lag: job.lag, workers: job.workers, notes: job.notes },
    {
      state: 'Empty',
      lag: 3,
      workers: [],
      notes: [`topic ${gone} no longer exists (its committed offsets are left out of the lag)`],
    },
  )
})

test('jobsStatus lists a job whose group ended while the status was taken, with a note', async (t) => {
  const input = await randomTopic(t, 'jobs-in', 1)
  const applicationId = randomName('jobs-ended')
  await createTopics(t, [{ topic: `${applicationId}.dlq` }])
  await commitOffsets(applicationId, values(input, 0, 2), [{ topic: input, partition: 0, offset: 1n }])
  const race = groupEndsAfterListing(t, applicationId)

  const job = (await jobsStatus(brokers())).find((j) => j.applicationId === applicationId)
  assert.ok(race.deleted(), 'the group was deleted between listing and describing it')
  assert.ok(job, `job ${applicationId} is listed`)
  assert.deepEqual(
    { state: job.state, lag: job.lag, workers: job.workers, notes: job.notes },
    {
      state: 'Dead',
      lag: 0,
      workers: [],
      notes: ['the group no longer exists (it was deleted or expired while the status was taken)'],
    },
  )
})
