// Lag asked at scrape time is bounded: a failed or slow query answers the scrape without it.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { ConsumerStatus } from '../../src/consumer/index.ts'
import { FreshetError } from '../../src/errors/index.ts'
import type { PartitionLag } from '../../src/kafka/index.ts'
import { ConsumerMetrics, processRegistry, WorkerMetrics } from '../../src/metrics/index.ts'
import { boundedLag } from '../../src/metrics/collect.ts'
import { workerStatus } from '../helpers/worker-status.ts'
import { parseExposition, sample } from './exposition.ts'

const LAG: PartitionLag[] = [{ topic: 't', partition: 0, committedOffset: 5n, endOffset: 8n, lag: 3n }]

test('boundedLag: the answer when it comes in time; nothing, counted, when it fails or is late', async (t) => {
  let failures = 0
  const count = (): void => void failures++
  assert.deepEqual(await boundedLag(async () => LAG, count, 100), LAG)
  assert.equal(failures, 0)
  const failing = async (): Promise<PartitionLag[]> => {
    throw new FreshetError('KAFKA_ERROR', 'broker gone')
  }
  assert.deepEqual(await boundedLag(failing, count, 100), [])
  assert.equal(failures, 1)

  // A late answer, on a driven clock: the bound is what ends the wait, never the answer, which
  // comes only after the scrape was answered without it.
  t.mock.timers.enable({ apis: ['setTimeout'] })
  let answer: (lag: PartitionLag[]) => void = () => {}
  const slow = (): Promise<PartitionLag[]> => new Promise((resolve) => (answer = resolve))
  let settled: PartitionLag[] | undefined
  const bounded = boundedLag(slow, count, 50).then((lag) => (settled = lag))
  const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))
  t.mock.timers.tick(49)
  await turn()
  assert.equal(settled, undefined, 'still waiting 1 ms before the bound')
  assert.equal(failures, 1)
  t.mock.timers.tick(1)
  await turn()
  assert.deepEqual(settled, [], 'answered without the lag at the bound')
  assert.equal(failures, 2)
  answer(LAG)
  await bounded
  assert.deepEqual(settled, [], 'the late answer changes nothing')
  assert.equal(failures, 2)
})

test('a worker whose lag query fails still has its figures scraped; the failure is counted', async () => {
  const registry = processRegistry('run')
  const status = workerStatus({ commits: 7, rebalances: 1 })
  let queries = 0
  new WorkerMetrics({ registry }).add({
    application: 'app',
    status: () => status,
    // The first query fails, the next ones answer.
    lag: async () => {
      if (queries++ === 0) throw new FreshetError('KAFKA_ERROR', 'broker gone')
      return LAG
    },
  })
  const samples = parseExposition(await registry.metrics())
  assert.equal(sample(samples, 'freshet_worker_commits_total', { application: 'app' }), 7)
  assert.ok(!samples.some((s) => s.name === 'freshet_worker_lag_records'))
  // The counter is read while the lag is still being asked: a failure shows from the next scrape,
  // which has its lag again.
  const next = parseExposition(await registry.metrics())
  assert.equal(sample(next, 'freshet_worker_lag_query_failures_total', { application: 'app' }), 1)
  assert.equal(
    sample(next, 'freshet_worker_lag_records', { application: 'app', topic: 't', partition: '0' }),
    3,
  )
  assert.equal(queries, 2)
})

test('consumer lag leaves out the partitions the group has not committed: it starts at their end', async () => {
  const registry = processRegistry('consume')
  const status: ConsumerStatus = {
    topic: 't',
    group: 'g',
    records: 0,
    bytes: 0,
    decoded: 0,
    deadLetters: {},
    commits: 0,
    retries: 0,
  }
  new ConsumerMetrics({
    registry,
    status: () => status,
    lag: async () => [
      ...LAG,
      { topic: 't', partition: 1, committedOffset: null, endOffset: 100n, lag: 100n },
    ],
  })
  const samples = parseExposition(await registry.metrics()).filter(
    (s) => s.name === 'freshet_consumer_lag_records',
  )
  assert.deepEqual(
    samples.map((s) => [s.labels.partition, s.value]),
    [['0', 3]],
  )
})
