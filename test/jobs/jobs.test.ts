// The catalog and the topologies buildJob makes: topics, repartitioning where the key changes,
// internal topics under the application id, the serializer on the sink.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { buildJob, isJobName, JOB_NAMES, JOBS, type JobName } from '../../src/jobs/index.ts'
import { JsonSerializer } from '../../src/serde/index.ts'
import { TestDriver } from '../../src/testing/index.ts'

test('JOB_NAMES lists the four jobs; isJobName tells them apart from anything else', () => {
  assert.deepEqual(JOB_NAMES, ['event-counts', 'revenue', 'sessions', 'top-users'])
  assert.ok(Object.isFrozen(JOB_NAMES) && Object.isFrozen(JOBS))
  for (const name of JOB_NAMES) {
    assert.ok(isJobName(name))
    assert.ok(JOBS[name].description.length > 0)
    assert.ok(Object.isFrozen(JOBS[name].defaults))
  }
  for (const other of ['clicks', 'constructor', '', 42, undefined]) assert.equal(isJobName(other), false)
})

test('each job reads user-events, writes event-analytics, and repartitions where its key changes', () => {
  const expected: Record<JobName, { repartition: string[]; changelog: string[] }> = {
    'event-counts': {
      repartition: ['freshet-event-counts-by-event-type-repartition'],
      changelog: ['freshet-event-counts-counts-store-changelog'],
    },
    revenue: {
      repartition: ['freshet-revenue-by-currency-repartition'],
      changelog: ['freshet-revenue-totals-store-changelog'],
    },
    // The input is keyed by user id already.
    sessions: { repartition: [], changelog: ['freshet-sessions-sessions-store-changelog'] },
    'top-users': {
      repartition: ['freshet-top-users-by-user-repartition', 'freshet-top-users-ranking-repartition'],
      changelog: ['freshet-top-users-counts-store-changelog', 'freshet-top-users-top-n-store-changelog'],
    },
  }
  for (const name of JOB_NAMES) {
    const { topics } = buildJob(name).description
    assert.deepEqual(topics.sources, ['user-events'], name)
    assert.deepEqual(topics.sinks, ['event-analytics'], name)
    assert.deepEqual([...topics.repartition].sort(), expected[name].repartition, name)
    assert.deepEqual([...topics.changelog].sort(), expected[name].changelog, name)
  }
})

test('top-users counts in one task per input partition and ranks in one task', () => {
  const topology = buildJob('top-users')
  const text = topology.describe()
  assert.match(text, /topic: freshet-top-users-by-user-repartition\)/, 'as many partitions as the input')
  assert.match(text, /topic: freshet-top-users-ranking-repartition; partitions: 1\)/)
  const driver = new TestDriver(topology, { partitions: 4 })
  assert.equal(driver.partitionsOf('freshet-top-users-by-user-repartition'), 4)
  assert.deepEqual(Object.keys(driver.watermarks()), [
    '0_0',
    '0_1',
    '0_2',
    '0_3',
    '1_0',
    '1_1',
    '1_2',
    '1_3',
    '2_0',
  ])
})

test('the topics, the application id, the windows, the grace and the serializer are the options', () => {
  const options = {
    applicationId: 'shop-2',
    inputTopic: 'events',
    outputTopic: 'figures',
    graceMs: 1_500,
    outputSerde: new JsonSerializer(),
  }
  const windows: Record<JobName, RegExp> = {
    'event-counts': /tumbling sizeMs: 120000, graceMs: 1500/,
    revenue: /hopping sizeMs: 120000, advanceMs: 30000, graceMs: 1500/,
    sessions: /session gapMs: 120000, graceMs: 1500/,
    'top-users': /tumbling sizeMs: 120000, graceMs: 1500[^]*tumbling sizeMs: 120000, graceMs: 1500/,
  }
  const jobs = {
    'event-counts': buildJob('event-counts', { ...options, windowMs: 120_000 }),
    revenue: buildJob('revenue', { ...options, windowMs: 120_000, advanceMs: 30_000 }),
    sessions: buildJob('sessions', { ...options, gapMs: 120_000 }),
    'top-users': buildJob('top-users', { ...options, windowMs: 120_000, topN: 5 }),
  }
  for (const [name, topology] of Object.entries(jobs) as [JobName, (typeof jobs)[JobName]][]) {
    const { description } = topology
    assert.equal(description.applicationId, 'shop-2')
    assert.deepEqual(description.topics.sources, ['events'])
    assert.deepEqual(description.topics.sinks, ['figures'])
    for (const topic of [...description.topics.repartition, ...description.topics.changelog])
      assert.ok(topic.startsWith('shop-2-'), topic)
    const text = topology.describe()
    assert.match(text, windows[name])
    assert.match(text, /Sink: sink-figures \(sink; topic: figures; serde: JsonSerializer\)/)
  }
})
