// A worker's metrics scraped over HTTP while it runs a windowed count against the test broker:
// the figures agree with what the pipeline did, and promtool accepts the exposition.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { KafkaAdmin, KafkaProducer, type OutRecord } from '../../src/kafka/index.ts'
import { MetricsServer, processRegistry, WorkerMetrics } from '../../src/metrics/index.ts'
import { Worker } from '../../src/runtime/index.ts'
import { pipeline } from '../../src/stream/index.ts'
import { isWatermarkMarker } from '../../src/task/records.ts'
import { tumbling } from '../../src/windows/index.ts'
import {
  awaitRecords,
  brokers,
  randomName,
  randomTopic,
  readToEnd,
  readToSentinel,
} from '../helpers/kafka.ts'
import { parseExposition, promtoolCheck, sample, type Sample } from './exposition.ts'

const PARTITIONS = 3
const EVENTS = 3_000
const TYPES = ['view', 'click', 'buy']

test('worker metrics: records per topic, commits, end-to-end latency, lag, watermarks and stores', async (t) => {
  const input = await randomTopic(t, 'metrics-in', PARTITIONS)
  const output = await randomTopic(t, 'metrics-out', PARTITIONS)
  const applicationId = randomName('metrics-app')
  const app = pipeline({ applicationId })
  app
    .stream<{ type: string; timestamp: number }>(input)
    .keyBy((e) => e.type, { name: 'by-type' })
    .window(tumbling({ sizeMs: 1_000 }))
    .count({ name: 'counts' })
    .map((r) => ({ type: r.key, start: r.window.startMs, count: r.value }))
    .to(output)

  // Event time = sequence number; three closing records (one per partition) at 10 s close every
  // window of the events: 3 types x 3 windows.
  const records: OutRecord[] = Array.from({ length: EVENTS }, (_, seq) => ({
    topic: input,
    key: Buffer.from(`user-${seq % 11}`),
    value: Buffer.from(JSON.stringify({ type: TYPES[seq % 3], timestamp: seq })),
  }))
  for (let partition = 0; partition < PARTITIONS; partition++) {
    records.push({
      topic: input,
      partition,
      key: null,
      value: Buffer.from('{"type":"end","timestamp":10000}'),
    })
  }
  const producer = new KafkaProducer({ bootstrapBrokers: brokers() })
  await producer.send(records)
  await producer.close()
  const rows = 9

  const registry = processRegistry('run')
  const admin = new KafkaAdmin({ bootstrapBrokers: brokers() })
  t.after(() => admin.close())
  // The metrics read the worker's status only when scraped, after the worker exists.
  const observe = new WorkerMetrics({ registry }).add({
    application: applicationId,
    status: () => worker.status(),
    lag: () => admin.groupLag(applicationId, input),
  })
  const worker = new Worker({
    bootstrapBrokers: brokers(),
    topology: app.build(),
    maxOutOfOrdernessMs: 0,
    // The repartition topic is read back below, whole.
    repartitionPurgeIntervalMs: Infinity,
    onEvent: observe,
  })
  t.after(() => worker.stop().catch(() => {}))
  const server = new MetricsServer({
    registry,
    readiness: () => (worker.state === 'RUNNING' ? { ready: true } : { ready: false, reason: worker.state }),
  })
  t.after(() => server.close())
  const url = await server.start()
  assert.equal((await fetch(`${url}/ready`)).status, 503, 'not ready before it runs')
  await worker.start()
  assert.equal((await fetch(`${url}/ready`)).status, 200)

  await awaitRecords(output, rows)
  const scrape = async (): Promise<{ text: string; samples: Sample[] }> => {
    const text = await (await fetch(`${url}/metrics`)).text()
    return { text, samples: parseExposition(text) }
  }
  const app1 = { application: applicationId }
  const { text, samples } = await scrape()
  const aborts = sample(samples, 'freshet_worker_aborts_total', app1)
  assert.equal(aborts, 0, 'the oracle figures below hold for a run without aborts')
  assert.equal(
    sample(samples, 'freshet_worker_consumed_records_total', { ...app1, topic: input }),
    EVENTS + 3,
  )
  assert.equal(sample(samples, 'freshet_worker_produced_records_total', { ...app1, topic: output }), rows)
  const inBytes = sample(samples, 'freshet_worker_consumed_bytes_total', { ...app1, topic: input })
  const expectedBytes = records.reduce((sum, r) => sum + (r.key?.length ?? 0) + (r.value?.length ?? 0), 0)
  assert.equal(inBytes, expectedBytes)
  // Every row's latency was observed once, at the commit that made it visible.
  assert.equal(sample(samples, 'freshet_worker_end_to_end_latency_seconds_count', app1), rows)
  // Every row is a window's final result: its delay after the window could close too.
  assert.equal(sample(samples, 'freshet_worker_window_result_delay_seconds_count', app1), rows)
  assert.ok(sample(samples, 'freshet_worker_commits_total', app1) > 0)
  assert.ok(sample(samples, 'freshet_worker_commit_duration_seconds_count', app1) > 0)
  assert.ok(sample(samples, 'freshet_worker_batch_processing_seconds_count', app1) > 0)
  assert.equal(sample(samples, 'freshet_worker_tasks', app1), 2 * PARTITIONS)
  assert.equal(sample(samples, 'freshet_worker_up', { ...app1, state: 'RUNNING' }), 1)
  assert.equal(sample(samples, 'freshet_worker_late_records_total', app1), 0)
  // The closing records moved every source task's watermark to 10 s.
  assert.equal(sample(samples, 'freshet_task_watermark_seconds', { ...app1, task: '0_0' }), 10)
  assert.ok(samples.some((s) => s.name === 'freshet_state_store_keys' && s.labels.store === 'counts-store'))
  // Every window of the events closed; the closing records' own window (key "end") is the one open.
  const open = samples.filter(
    (s) => s.name === 'freshet_task_open_windows' && s.labels.application === applicationId,
  )
  assert.equal(open.length, 2 * PARTITIONS, 'one series per task')
  assert.equal(
    open.reduce((sum, s) => sum + s.value, 0),
    1,
  )
  for (let partition = 0; partition < PARTITIONS; partition++) {
    assert.equal(
      sample(samples, 'freshet_worker_lag_records', {
        ...app1,
        topic: input,
        partition: String(partition),
      }),
      0,
    )
  }
  const check = await promtoolCheck(text)
  assert.equal(check.code, 0, check.output)

  await worker.stop()
  assert.equal((await readToSentinel(output)).length, rows, 'no row twice')
  // The count is pre-aggregated: partials crossed the repartition topic rather than every event,
  // and the watermark markers went with them (as many as the run's length made). The figure counts
  // exactly what the topic holds.
  const repartition = `${applicationId}-by-type-repartition`
  const crossed = await readToEnd(repartition)
  const data = crossed.filter((r) => !isWatermarkMarker(r)).length
  assert.ok(data > 0 && data < EVENTS / 10, `${data} records crossed the repartition topic`)
  const after = (await scrape()).samples
  assert.equal(
    sample(after, 'freshet_worker_produced_records_total', { ...app1, topic: repartition }),
    crossed.length,
  )
})
