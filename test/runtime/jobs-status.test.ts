// The jobs of a cluster as `freshet status` shows them: found from the consumer groups and their
// dead-letter topics, with each worker's partitions.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { GroupConsumer, KafkaAdmin } from '../../src/kafka/index.ts'
import { jobsStatus, Worker } from '../../src/runtime/index.ts'
import { pipeline } from '../../src/stream/index.ts'
import { brokers, randomName, randomTopic } from '../helpers/kafka.ts'

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
  // Both hold a partition once the second worker's rebalance is done.
  const deadline = Date.now() + 30_000
  let job
  for (;;) {
    job = (await jobsStatus(brokers())).find((j) => j.applicationId === applicationId)
    if (
      job?.state === 'Stable' &&
      job.workers.every((w) => w.partitions.length > 0) &&
      job.workers.length === 2
    )
      break
    if (Date.now() > deadline) assert.fail(`not two workers with partitions: ${JSON.stringify(job)}`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  assert.deepEqual(
    job.workers.map((w) => w.workerId),
    ['w1', 'w2'],
  )
  assert.deepEqual(
    job.workers.flatMap((w) => w.partitions.map((p) => `${p.topic}/${p.partitions.join(',')}`)).sort(),
    [`${input}/0`, `${input}/1`],
  )
  assert.equal(job.lag, 0)
  // A consumer group without a dead-letter topic beside it is not a job.
  const plain = new GroupConsumer({
    bootstrapBrokers: brokers(),
    groupId: randomName('plain'),
    topics: [input],
  })
  t.after(() => plain.close())
  await plain.start()
  const admin = new KafkaAdmin({ bootstrapBrokers: brokers() })
  t.after(() => admin.close())
  const groups = await admin.consumerGroups()
  assert.ok(
    groups.some((g) => g.groupId === plain.groupId),
    'the plain group exists',
  )
  assert.ok((await jobsStatus(brokers())).every((j) => j.applicationId !== plain.groupId))
})
