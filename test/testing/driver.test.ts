import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { TypedSchema } from '../../src/schemas/index.ts'
import { pipeline, valueStore, type WindowResult } from '../../src/stream/index.ts'
import { AvroSerializer } from '../../src/serde/index.ts'
import { MemoryRegistry, partitionFor, TestDriver } from '../../src/testing/index.ts'
import { fromRecordTimestamp } from '../../src/time/index.ts'
import { hopping, session, tumbling } from '../../src/windows/index.ts'
import { random } from '../operators/harness.ts'

interface Reading {
  sensor: string
  value: number
  timestamp: number
}

const reading = (sensor: string, value: number, timestamp: number): Reading => ({ sensor, value, timestamp })

function perSensorCounts(options: { sizeMs?: number } = {}) {
  const app = pipeline({ applicationId: 'sensors' })
  app
    .stream<Reading>('readings')
    .byRecordKey()
    .window(tumbling({ sizeMs: options.sizeMs ?? 100 }))
    .count({ name: 'counts' })
    .map((r) => `${String(r.key)}@${r.window.startMs}=${r.value}`)
    .to('counts')
  return app.build()
}

test('a keyed record goes to the partition murmur2 gives its key; explicit and keyless partitions too', () => {
  const driver = new TestDriver(perSensorCounts(), { partitions: 3 })
  const input = driver.input<Reading, string>('readings')
  for (const sensor of ['a', 'b', 'c', 'd', 'e']) {
    const record = input.pipe(reading(sensor, 1, 10), { key: sensor })
    assert.equal(record.partition, partitionFor(sensor, 3))
  }
  assert.equal(input.pipe(reading('x', 1, 10), { key: 'x', partition: 2 }).partition, 2)
  // Without a key: partition 0, and the keyed count refuses the record (bad input, here dead-lettered).
  const keyless = new TestDriver(perSensorCounts(), { partitions: 3, onBadRecord: 'dlq' })
  assert.equal(keyless.input<Reading, string>('readings').pipe(reading('x', 1, 10)).partition, 0)
  assert.deepEqual(
    keyless.deadLetters().map((d) => d.error.code),
    ['FRESHET_RECORD_KEY_NULL'],
  )
  assert.throws(() => input.pipe(reading('x', 1, 10), { partition: 3 }), { code: 'FRESHET_INVALID_OPTION' })
})

test('each task has its own watermark: the minimum over its partitions; a quiet partition holds it back until idle', () => {
  const driver = new TestDriver(perSensorCounts(), {
    topics: { readings: { partitions: 2 } },
    maxOutOfOrdernessMs: 0,
    idleTimeoutMs: 1_000,
  })
  const input = driver.input<Reading, string>('readings')
  // Both partitions of `readings` are read by one sub-topology: two tasks, one partition each.
  assert.deepEqual(Object.keys(driver.watermarks()), ['0_0', '0_1'])
  for (let t = 0; t < 300; t += 10) input.pipe(reading('a', 1, t), { key: 'a', partition: 0 })
  assert.equal(driver.watermarks()['0_0'], 290)
  assert.equal(driver.watermarks()['0_1'], -Infinity, 'partition 1 has seen nothing')
  assert.deepEqual(
    driver.output('counts').readValues(),
    ['"a"@0=10', '"a"@100=10'].map((s) => s.replaceAll('"', '')),
  )
})

test('with one task over two partitions, the quiet one holds the watermark until the wall clock makes it idle', () => {
  const app = pipeline({ applicationId: 'merge' })
  app
    .stream<Reading>('left')
    .merge(app.stream<Reading>('right'))
    .byRecordKey()
    .window(tumbling({ sizeMs: 100 }))
    .count()
    .map((r) => r.value)
    .to('counts')
  const driver = new TestDriver(app.build(), { maxOutOfOrdernessMs: 0, idleTimeoutMs: 5_000 })
  const left = driver.input<Reading, string>('left')
  for (let t = 0; t < 300; t += 10) left.pipe(reading('a', 1, t), { key: 'a' })
  assert.equal(driver.watermarks()['0_0'], -Infinity, "'right' has delivered nothing")
  assert.deepEqual(driver.output('counts').readValues(), [])
  driver.advanceWallClock(4_999)
  assert.deepEqual(driver.output('counts').readValues(), [], 'not idle yet')
  driver.advanceWallClock(1)
  assert.equal(driver.watermarks()['0_0'], 290)
  assert.deepEqual(driver.output('counts').readValues(), [10, 10])
})

test('advanceWatermark closes windows upstream first: results cross a repartition topic before the watermark', () => {
  // Two windowed stages: per-sensor counts, then the top sensor per window over a global key.
  const app = pipeline({ applicationId: 'two-stage' })
  app
    .stream<Reading>('readings')
    .keyBy((r) => r.sensor, { name: 'by-sensor' })
    .window(tumbling({ sizeMs: 100 }))
    .count()
    .keyBy(() => 'all', { name: 'global' })
    .window(tumbling({ sizeMs: 100 }))
    .topN(1, { by: (r) => r.value })
    .map((r) => r.value.map((c) => `${r.window.startMs}:${String(c.key)}=${c.value}`))
    .to('top')
  const driver = new TestDriver(app.build(), { partitions: 3, maxOutOfOrdernessMs: 0 })
  const input = driver.input<Reading>('readings')
  for (let t = 0; t < 100; t++) input.pipe(reading(t % 3 === 0 ? 'hot' : `s${t}`, 1, t), { partition: t % 3 })
  for (let t = 100; t < 200; t++)
    input.pipe(reading(t % 2 === 0 ? 'warm' : `s${t}`, 1, t), { partition: t % 3 })
  driver.advanceWatermark(Infinity)
  assert.deepEqual(driver.output('top').readValues(), [['0:hot=34'], ['100:warm=50']])
  assert.deepEqual(driver.late(), [])
})

test('bad records: fail throws with provenance, skip counts, dlq sets aside; all leave state untouched', () => {
  const build = () => {
    const app = pipeline({ applicationId: 'bad' })
    app
      .stream<Reading>('readings')
      .byRecordKey()
      .window(tumbling({ sizeMs: 100 }))
      .count({ name: 'c' })
      .to('out')
    return app.build()
  }
  const broken = { sensor: 'a', value: 1 } as unknown as Reading
  const failing = new TestDriver(build())
  failing.input<Reading>('readings').pipe(reading('a', 1, 5), { key: 'a' })
  assert.throws(() => failing.input<Reading>('readings').pipe(reading('a', 1, 6)), {
    code: 'FRESHET_RECORD_KEY_NULL',
    topic: 'readings',
    partition: 0,
  })
  assert.throws(
    () => failing.input<Reading>('readings').pipe(broken),
    (error: unknown) => {
      const e = error as { code: string; topic: string; partition: number; offset: string }
      assert.deepEqual(
        [e.code, e.topic, e.partition, e.offset],
        ['FRESHET_TIMESTAMP_INVALID', 'readings', 0, '2'],
      )
      return true
    },
  )

  const skipping = new TestDriver(build(), { onBadRecord: 'skip' })
  skipping.input<Reading>('readings').pipe(broken)
  assert.equal(skipping.metrics()['source-readings']?.recordsSkipped, 1)
  skipping.input<Reading>('readings').pipe(reading('a', 1, 6))
  assert.equal(skipping.metrics()['c']?.recordsSkipped, 1, 'the keyless record, at the count')
  assert.equal(skipping.store('c-store').size, 0)

  const dlq = new TestDriver(build(), { onBadRecord: 'dlq', maxFutureSkewMs: 1_000, startMs: 10_000 })
  dlq.input<Reading>('readings').pipe(broken)
  dlq.input<Reading>('readings').pipe(reading('a', 1, 20_000)) // 10 s ahead of the wall clock
  dlq.input<Reading>('readings').pipe(reading('a', 1, 9_000)) // no key
  assert.deepEqual(
    dlq.deadLetters().map((d) => [d.error.code, d.record.offset]),
    [
      ['FRESHET_TIMESTAMP_INVALID', 0n],
      ['FRESHET_TIMESTAMP_FUTURE', 1n],
      ['FRESHET_RECORD_KEY_NULL', 2n],
    ],
  )
  assert.equal(dlq.metrics()['source-readings']?.recordsDeadLettered, 2)
  assert.equal(dlq.metrics()['c']?.recordsDeadLettered, 1)
})

// A failed record must leave nothing behind, as on the runtime (test/task/failed-record-state.test.ts).
// Root cause: the driver kept what operators ahead of the failing one had written to their stores
// and their changelogs, and the records they had sent, when the policy skipped or dead-lettered
// the record. The oracle is the same input without the bad record.
test('skip and dlq: a record that updates stores and sends, then throws, leaves stores, changelogs and outputs as without it', () => {
  const build = () => {
    const app = pipeline({ applicationId: 'undo' })
    const readings = app.stream<Reading>('readings').byRecordKey<string>()
    readings
      .window(tumbling({ sizeMs: 100, graceMs: 0, emit: 'updates' }))
      .count({ name: 'c' })
      .map((r) => `${String(r.key)}@${r.window.startMs}=${r.value}`)
      .to('counts')
    readings
      .process(
        (r, context) => {
          const total = (context.stores.total.get(r.key) ?? 0) + r.value.value
          context.stores.total.put(r.key, total)
          return total
        },
        { stores: { total: valueStore<number>() }, name: 'sum' },
      )
      .map(
        (total) => {
          if (total < 0) throw new Error(`negative total ${total}`)
          return total
        },
        { name: 'check' },
      )
      .to('totals')
    return app.build()
  }
  // The first bad record is counted (an update is sent) before it fails; the second is late for
  // the count (a late record and a late count) before it fails.
  const bad = [reading('a', -100, 30), reading('a', -100, 35)]
  const inputs = [
    reading('a', 1, 10),
    reading('b', 2, 20),
    bad[0] as Reading,
    reading('a', 3, 40),
    reading('b', 4, 150),
    bad[1] as Reading,
    reading('a', 5, 160),
  ]
  const run = (policy: 'skip' | 'dlq', withBad: boolean) => {
    const driver = new TestDriver(build(), { onBadRecord: policy, maxOutOfOrdernessMs: 0 })
    const input = driver.input<Reading>('readings')
    for (const [i, r] of inputs.entries()) {
      if (withBad || !bad.includes(r)) input.pipe(r, { key: r.sensor })
      if (i === 1) driver.commit()
    }
    driver.commit()
    const { check, ...metrics } = driver.metrics()
    return {
      driver,
      observed: {
        counts: driver
          .output('counts')
          .records()
          .map((r) => r.value),
        totals: driver
          .output('totals')
          .records()
          .map((r) => r.value),
        countState: driver.store('c-store').entries(),
        totalState: driver.store('total').entries(),
        changelogs: ['c-store', 'total'].map((name) =>
          driver
            .output(driver.store(name).changelogTopic)
            .records()
            .map(
              (r) =>
                `${(r.key as Buffer).toString('hex')}=${(r.value as Buffer | null)?.toString('hex') ?? null}`,
            ),
        ),
        metrics,
        late: driver.late().map((r) => r.value),
      },
      check,
    }
  }
  for (const policy of ['skip', 'dlq'] as const) {
    const expected = run(policy, false).observed
    const actual = run(policy, true)
    assert.deepEqual(expected.totals, [1, 2, 4, 6, 9], 'the good records are applied')
    // Updates, the final results of [0, 100) when b@150 closes it, updates of [100, 200).
    assert.deepEqual(expected.counts, ['a@0=1', 'b@0=1', 'a@0=2', 'a@0=2', 'b@0=1', 'b@100=1', 'a@100=1'])
    assert.deepEqual(actual.observed, expected, policy)
    assert.deepEqual(actual.check, policy === 'skip' ? { recordsSkipped: 2 } : { recordsDeadLettered: 2 })
    assert.deepEqual(
      actual.driver.deadLetters().map((d) => d.record.value),
      policy === 'dlq' ? bad : [],
    )
  }
})

/** A pipeline with every kind of state, run straight through or with restarts in between. */
async function statefulRun(restartEvery: number | undefined): Promise<unknown[]> {
  const app = pipeline({ applicationId: 'restore' })
  const readings = app.stream<Reading>('readings').keyBy((r) => r.sensor)
  readings
    .window(hopping({ sizeMs: 50, advanceMs: 20 }))
    .avg((r) => r.value)
    .to('avg')
  readings
    .window(session({ gapMs: 15 }))
    .count()
    .to('sessions')
  readings
    .deduplicate({ withinMs: 30, id: (r) => r.value })
    .map((r) => r.value)
    .to('unique')
  readings
    .intervalJoin(
      readings.filter((r) => r.value % 2 === 0),
      { beforeMs: 5, afterMs: 5 },
      (a, b) => a.value * 1000 + b.value,
    )
    .to('pairs')
  const driver = new TestDriver(app.build(), { partitions: 2, maxOutOfOrdernessMs: 10 })
  const input = driver.input<Reading>('readings')
  const next = random(17)
  for (let i = 0; i < 400; i++) {
    const t = i * 3 - Math.floor(next() * 9)
    input.pipe(reading(`s${Math.floor(next() * 4)}`, Math.floor(next() * 7), Math.max(0, t)), {
      partition: i % 2,
    })
    if (restartEvery !== undefined && i % restartEvery === restartEvery - 1) await driver.restart()
  }
  driver.advanceWatermark(Infinity)
  return ['avg', 'sessions', 'unique', 'pairs'].map((topic) =>
    driver
      .output(topic)
      .records()
      .map((r) => JSON.stringify([r.key, r.value, r.timestampMs, r.partition]))
      .sort(),
  )
}

test('restart (crash and restore of every store from its changelog) changes nothing in the output', async () => {
  const straight = await statefulRun(undefined)
  assert.ok((straight as string[][]).every((records) => records.length > 10))
  assert.deepEqual(await statefulRun(37), straight)
  assert.deepEqual(await statefulRun(1), straight)
})

test('commits append every store change to the changelog topic of the store and partition', async () => {
  const driver = new TestDriver(perSensorCounts({ sizeMs: 10 }), { maxOutOfOrdernessMs: 0, partitions: 2 })
  const input = driver.input<Reading, string>('readings')
  input.pipe(reading('a', 1, 1), { key: 'a' })
  input.pipe(reading('a', 1, 2), { key: 'a' })
  const changelog = driver.output<Buffer | null, Buffer>('sensors-counts-store-changelog')
  assert.equal(changelog.size, 0, 'nothing before the commit')
  driver.commit()
  const [put] = changelog.readAll()
  assert.equal(changelog.size, 0)
  assert.ok(put !== undefined)
  assert.equal(put.partition, partitionFor('a', 2))
  assert.equal(put.value?.toString(), '2', 'one entry per key: the latest value')
  input.pipe(reading('a', 1, 15), { key: 'a' }) // closes [0, 10): its state is deleted
  driver.advanceWallClock(100) // the commit interval passed
  assert.deepEqual(
    changelog.readAll().map((r) => r.value?.toString() ?? null),
    [null, '1'],
    'a tombstone for the emitted window, the new window',
  )
  await driver.close()
})

test('outputs: readAll consumes, records keeps everything; timestamps are event times of the results', () => {
  const driver = new TestDriver(perSensorCounts({ sizeMs: 10 }), { maxOutOfOrdernessMs: 0 })
  const input = driver.input<Reading, string>('readings')
  input.pipe(reading('a', 1, 1), { key: 'a' })
  input.pipe(reading('a', 1, 12), { key: 'a' })
  const out = driver.output<string, string>('counts')
  assert.equal(out.size, 1)
  assert.deepEqual(
    out.readAll().map((r) => [r.key, r.value, r.timestampMs]),
    [['a', 'a@0=1', 9]],
  )
  assert.ok(out.isEmpty)
  driver.advanceWatermark(Infinity)
  assert.deepEqual(out.readValues(), ['a@10=1'])
  assert.equal(out.records().length, 2)
})

test('the driver checks its inputs: unknown topics, options, closed state, co-partitioning', async () => {
  const topology = perSensorCounts()
  assert.throws(() => new TestDriver(topology, { partitons: 2 } as never), /unknown option "partitons"/)
  const driver = new TestDriver(topology)
  assert.throws(() => driver.input('nope'), { code: 'FRESHET_TOPIC_NOT_FOUND' })
  assert.throws(() => driver.output('readings'), { code: 'FRESHET_TOPIC_NOT_FOUND' })
  assert.throws(() => driver.store('nope'), { code: 'FRESHET_INVALID_OPTION' })
  await driver.close()
  assert.throws(() => driver.input('readings'), { code: 'FRESHET_INVALID_STATE' })

  const app = pipeline({ applicationId: 'copart' })
  app
    .stream<Reading>('readings')
    .byRecordKey()
    .join(app.table<number>('calibration'), (r, c) => r.value * c)
    .to('calibrated')
  assert.throws(() => new TestDriver(app.build(), { topics: { readings: { partitions: 2 } } }), {
    code: 'FRESHET_TOPOLOGY_INVALID',
  })
  assert.doesNotThrow(() => new TestDriver(app.build(), { partitions: 2 }))
})

test('store views decode window and session stores, with their size in bytes', () => {
  const app = pipeline({ applicationId: 'views' })
  const keyed = app.stream<number>('n', { timestamp: fromRecordTimestamp() }).byRecordKey<string>()
  keyed.window(tumbling({ sizeMs: 10 })).sum((v) => v, { name: 'sums' })
  keyed.window(session({ gapMs: 5 })).count({ name: 'sessions' })
  const driver = new TestDriver(app.build(), { maxOutOfOrdernessMs: 100 })
  const input = driver.input<number, string>('n')
  for (const t of [1, 2, 13]) input.pipe(t, { key: 'k', timestampMs: t })
  assert.deepEqual(
    driver
      .store('sums-store')
      .entries()
      .map((e) => [e.key, e.startMs, e.value]),
    [
      ['k', 0, 3],
      ['k', 10, 13],
    ],
  )
  assert.deepEqual(
    driver
      .store('sessions-store')
      .entries()
      .map((e) => [e.key, e.startMs, e.endMs, e.value]),
    [
      ['k', 1, 2, 2],
      ['k', 13, 13, 1],
    ],
  )
  const view = driver.store('sums-store')
  assert.equal(view.changelogTopic, 'views-sums-store-changelog')
  assert.equal(
    view.sizeBytes,
    view.entries().reduce((sum, e) => sum + e.bytes, 0),
  )
})

test('advanceWallClock commits on the commit interval and rejects negative time', () => {
  const driver = new TestDriver(perSensorCounts(), { startMs: 1_000 })
  driver.advanceWallClock(250)
  assert.equal(driver.nowMs, 1_250)
  assert.throws(() => driver.advanceWallClock(-1), { code: 'FRESHET_INVALID_OPTION' })
  const record = driver.input<Reading>('readings').pipe(reading('a', 1, 5), { key: 'a' })
  assert.equal(record.timestampMs, 1_250, 'the record timestamp defaults to the wall clock')
})

test('window results satisfy the closed form through the driver over several partitions', () => {
  const app = pipeline({ applicationId: 'closed-form' })
  app
    .stream<number>('seq', { timestamp: (v) => v })
    .keyBy((v) => v % 5)
    .window(tumbling({ sizeMs: 50 }))
    .aggregate({
      init: () => [0, 0],
      add: (acc: number[], v) => [(acc[0] as number) + 1, (acc[1] as number) + v],
    })
    .to('windows')
  const driver = new TestDriver(app.build(), { partitions: 4, maxOutOfOrdernessMs: 0 })
  const n = 1_000
  // One input partition: the repartitioned records reach each task in order, so nothing is late.
  for (let i = 0; i < n; i++) driver.input<number>('seq').pipe(i)
  driver.advanceWatermark(Infinity)
  const results = driver.output<WindowResult<number, number[]>, number>('windows').readValues()
  assert.equal(results.length, (n / 50) * 5)
  for (const r of results) {
    // Values v in [start, start + 50) with v % 5 === key: 10 of them, an arithmetic series.
    const first = r.window.startMs + r.key
    assert.deepEqual(
      r.value,
      [10, 10 * first + (5 * (9 * 10)) / 2],
      `key ${r.key} window ${r.window.startMs}`,
    )
  }
  assert.deepEqual(driver.late(), [])
})

/** Counts per sensor behind a keyBy: the counting tasks read a repartition topic. */
function keyedCounts() {
  const app = pipeline({ applicationId: 'rekeyed' })
  app
    .stream<Reading>('readings')
    .keyBy((r) => r.sensor, { name: 'by-sensor' })
    .window(tumbling({ sizeMs: 100 }))
    .count()
    .map((r) => `${String(r.key)}@${r.window.startMs}=${r.value}`)
    .to('counts')
  return app.build()
}

// Root cause of the old behaviour: the driver moved the watermark of a repartition partition with
// the timestamps of its records, which interleave the progress of every upstream task, so a task
// running ahead made the records of a slower one late downstream. The runtime carries the upstream
// tasks' watermarks instead (src/task/records.ts), and so does the driver now.
test('behind a keyBy the watermark is the slowest upstream task’s: a task running ahead makes nothing late', () => {
  const driver = new TestDriver(keyedCounts(), { partitions: 2, maxOutOfOrdernessMs: 0 })
  const input = driver.input<Reading>('readings')
  // Both partitions count the same sensor, so its records meet in one repartition partition.
  for (let t = 0; t < 300; t += 10) input.pipe(reading('a', 1, t), { partition: 0 })
  for (let t = 0; t < 100; t += 10) input.pipe(reading('a', 1, t), { partition: 1 })
  assert.deepEqual(driver.watermarks(), { '0_0': 290, '0_1': 90, '1_0': 90, '1_1': 90 })
  assert.deepEqual(driver.output('counts').readValues(), [], '[0, 100) waits for partition 1')
  assert.deepEqual(driver.late(), [], 'under record timestamps partition 1 would have been late')

  input.pipe(reading('a', 1, 100), { partition: 1 })
  assert.deepEqual(driver.output('counts').readValues(), ['a@0=20'], 'every upstream task passed 100')
  input.pipe(reading('a', 1, 199), { partition: 1 })
  assert.deepEqual(driver.output('counts').readValues(), [], '[100, 200) closes at 200, not before')
  input.pipe(reading('a', 1, 200), { partition: 1 })
  assert.deepEqual(driver.output('counts').readValues(), ['a@100=12'])
  assert.deepEqual(driver.late(), [])
})

test('an upstream task whose partitions are all idle stops holding the repartition topic back', () => {
  const driver = new TestDriver(keyedCounts(), {
    partitions: 2,
    maxOutOfOrdernessMs: 0,
    idleTimeoutMs: 1_000,
  })
  const input = driver.input<Reading>('readings')
  for (let t = 0; t < 300; t += 10) input.pipe(reading('a', 1, t), { partition: 0 })
  assert.equal(driver.watermarks()['1_0'], -Infinity, 'partition 1 has said nothing yet')
  driver.advanceWallClock(999)
  assert.deepEqual(driver.output('counts').readValues(), [], 'not idle yet')
  driver.advanceWallClock(1)
  // Both upstream tasks are idle now (neither partition had a record for a second): the largest
  // watermark, as every upstream task has delivered all it had.
  assert.equal(driver.watermarks()['1_0'], 290)
  assert.deepEqual(driver.output('counts').readValues(), ['a@0=10', 'a@100=10'])

  // Partition 0 is active again and runs ahead alone; partition 1, still idle, does not hold it.
  for (let t = 300; t < 500; t += 10) input.pipe(reading('a', 1, t), { partition: 0 })
  assert.equal(driver.watermarks()['1_0'], 490)
  assert.deepEqual(driver.output('counts').readValues(), ['a@200=10', 'a@300=10'])

  // Partition 1 comes back: its task holds the topic back again from where it is, but the
  // watermark never goes back: its record at 450 is on time, and one at 50 late.
  input.pipe(reading('a', 1, 450), { partition: 1 })
  input.pipe(reading('a', 1, 510), { partition: 0 })
  assert.equal(driver.watermarks()['1_0'], 490, 'held at 450 by partition 1, and never back')
  input.pipe(reading('a', 1, 500), { partition: 1 })
  assert.equal(driver.watermarks()['1_0'], 500)
  assert.deepEqual(driver.output('counts').readValues(), ['a@400=11'])
  assert.deepEqual(driver.late(), [])
  input.pipe(reading('a', 1, 50), { partition: 1 })
  assert.deepEqual(
    driver.late().map((l) => [l.timestampMs, l.lateByMs]),
    [[50, 450]],
  )
})

test('records piped into a repartition topic do not move its watermark; only the upstream tasks do', () => {
  const driver = new TestDriver(keyedCounts(), { maxOutOfOrdernessMs: 0 })
  driver.input<Reading>('readings').pipe(reading('a', 1, 50))
  driver
    .input<Reading>('rekeyed-by-sensor-repartition')
    .pipe(reading('b', 1, 5_000), { key: 'b', timestampMs: 5_000 })
  assert.deepEqual(driver.watermarks(), { '0_0': 50, '1_0': 50 })
  assert.deepEqual(driver.output('counts').readValues(), [])
  driver.input<Reading>('readings').pipe(reading('a', 1, 150))
  assert.deepEqual(driver.output('counts').readValues(), ['a@0=1'])
})

test('restart keeps the repartition watermark: the latest marker of every upstream task, idle ones too', async () => {
  const run = async (restart: boolean) => {
    const driver = new TestDriver(keyedCounts(), {
      partitions: 2,
      maxOutOfOrdernessMs: 0,
      idleTimeoutMs: 1_000,
    })
    const input = driver.input<Reading>('readings')
    const seen: unknown[] = []
    const step = async (pipe: () => void) => {
      pipe()
      const before = driver.watermarks()
      if (restart) await driver.restart()
      assert.deepEqual(driver.watermarks(), before, 'a restart moves no watermark')
      seen.push(driver.watermarks(), driver.output('counts').readValues())
    }
    await step(() => {
      for (let t = 0; t < 300; t += 10) input.pipe(reading('a', 1, t), { partition: 0 })
      input.pipe(reading('a', 1, 120), { partition: 1 })
    })
    await step(() => driver.advanceWallClock(1_000)) // both idle: the larger watermark, 290
    await step(() => input.pipe(reading('a', 1, 390), { partition: 0 })) // partition 1 stays idle
    await step(() => input.pipe(reading('a', 1, 395), { partition: 1 }))
    await step(() => driver.advanceWatermark(Infinity))
    seen.push(driver.late())
    return seen
  }
  const straight = await run(false)
  assert.deepEqual(straight[4], { '0_0': 390, '0_1': 120, '1_0': 390, '1_1': 390 })
  assert.deepEqual(await run(true), straight)
})

test('TestDriver.create initializes the sinks’ serdes: an Avro sink writes registry-framed bytes', async () => {
  const registry = new MemoryRegistry(40)
  const schema = {
    type: 'record',
    name: 'Total',
    fields: [
      { name: 'sensor', type: 'string' },
      { name: 'total', type: 'double' },
    ],
  }
  const serde = new AvroSerializer<{ sensor: string; total: number }>({ registry, topic: 'totals', schema })
  const topology = (): ReturnType<typeof perSensorCounts> => {
    const app = pipeline({ applicationId: 'totals' })
    app
      .stream<Reading>('readings')
      .map((r) => ({ sensor: r.sensor, total: r.value }))
      .to('totals', { serde })
    return app.build()
  }
  const driver = await TestDriver.create(topology())
  driver.input<Reading, string>('readings').pipe(reading('a', 2.5, 10), { key: 'a' })
  const [written] = driver.output<{ sensor: string; total: number }>('totals').readAll()
  assert.deepEqual(written?.value, { sensor: 'a', total: 2.5 })
  assert.deepEqual(
    registry.registerCalls.map((c) => c.subject),
    ['totals-value'],
  )
  // Magic byte 0 and the id the in-memory registry gave the schema.
  assert.deepEqual([...(written?.bytes ?? Buffer.alloc(0)).subarray(0, 5)], [0, 0, 0, 0, 40])

  // Built without create(), the first record fails the test setup, not the record: nothing is
  // dead-lettered even under dlq.
  const unready = new AvroSerializer<{ sensor: string; total: number }>({
    registry,
    topic: 'totals',
    schema,
  })
  const app = pipeline({ applicationId: 'totals' })
  app
    .stream<Reading>('readings')
    .map((r) => ({ sensor: r.sensor, total: r.value }))
    .to('totals', { serde: unready })
  const plain = new TestDriver(app.build(), { onBadRecord: 'dlq' })
  assert.throws(() => plain.input<Reading, string>('readings').pipe(reading('a', 1, 10), { key: 'a' }), {
    code: 'FRESHET_INVALID_STATE',
    message:
      /the serde of sink .* \(topic totals\) is not initialized; create the driver with `await TestDriver\.create/,
  })
  assert.deepEqual(plain.deadLetters(), [])
  assert.deepEqual(plain.output('totals').readAll(), [])
})

test('the testing kit is the package’s `freshet/testing` export', async () => {
  // Resolved through package.json's exports, as a project that installed freshet resolves it.
  const kit = (await import('freshet/testing')) as Record<string, unknown>
  for (const name of ['TestDriver', 'MemoryRegistry', 'StoreView', 'partitionFor'])
    assert.equal(typeof kit[name], 'function', name)
})

test('a sink with a schema: values that match pass; one that does not is a bad record naming the field', () => {
  const TotalSchema: TypedSchema<{ sensor: string; total: number }> = {
    name: 'Total',
    source: 'total.avsc',
    schema: {
      type: 'record',
      name: 'Total',
      fields: [
        { name: 'sensor', type: 'string' },
        { name: 'total', type: 'double' },
      ],
    },
  }
  const app = pipeline({ applicationId: 'totals' })
  app
    .stream<Reading>('readings')
    // A reading without a value yields a total the schema refuses (a double, not undefined).
    .map((r) => ({ sensor: r.sensor, total: r.value }))
    .to('totals', { schema: TotalSchema })
  const driver = new TestDriver(app.build(), { onBadRecord: 'dlq' })
  const input = driver.input<Partial<Reading>, string>('readings')
  input.pipe(reading('a', 2.5, 10), { key: 'a' })
  input.pipe({ sensor: 'b', timestamp: 20 }, { key: 'b' })
  assert.deepEqual(
    driver
      .output('totals')
      .readAll()
      .map((r) => r.value),
    [{ sensor: 'a', total: 2.5 }],
  )
  const [dead] = driver.deadLetters()
  assert.equal(dead?.error.code, 'FRESHET_SERDE_ENCODE_FAILED')
  assert.match(dead?.error.message ?? '', /does not match schema Total: field total must be/)
  assert.throws(
    () =>
      pipeline({ applicationId: 'x' })
        .stream<Reading>('readings')
        .to('out', {
          schema: TotalSchema as never,
          serde: new AvroSerializer({
            registry: new MemoryRegistry(),
            topic: 'out',
            schema: TotalSchema.schema,
          }),
        }),
    /to: give "schema" or "serde", not both/,
  )
})

test('a source with a schema reads piped values as a worker decodes Avro: an older writer schema gets the defaults', () => {
  interface Order {
    id: string
    cents: number
    channel: string
  }
  const OrderSchema: TypedSchema<Order> = {
    name: 'Order',
    source: 'order.avsc',
    schema: {
      type: 'record',
      name: 'Order',
      fields: [
        { name: 'id', type: 'string' },
        { name: 'cents', type: 'long' },
        { name: 'channel', type: 'string', default: 'web' },
      ],
    },
  }
  // Version 1 of the topic's schema: no channel, and cents an int (promoted to long).
  const v1 = {
    type: 'record',
    name: 'Order',
    fields: [
      { name: 'id', type: 'string' },
      { name: 'cents', type: 'int' },
    ],
  }
  const app = pipeline({ applicationId: 'orders' })
  app
    .stream('orders', { schema: OrderSchema, timestamp: () => 0 })
    .map((o) => `${o.id} ${o.cents} ${o.channel}`)
    .to('lines')
  const driver = new TestDriver(app.build())
  const orders = driver.input<Order, string>('orders')
  orders.pipe({ id: 'a', cents: 100, channel: 'app' })
  orders.pipe({ id: 'b', cents: 250 } as Order, { writerSchema: v1 })
  assert.deepEqual(driver.output('lines').readValues(), ['a 100 app', 'b 250 web'])

  // A value no producer could have written, and a writer schema the source cannot read, are the
  // test's mistakes: they throw, naming the field.
  assert.throws(() => orders.pipe({ id: 'c', cents: 'many' } as unknown as Order), {
    code: 'FRESHET_SERDE_ENCODE_FAILED',
    message: /the value for "orders" does not match schema Order: field cents must be/,
  })
  const v3 = { ...v1, fields: [{ name: 'id', type: 'int' }] }
  assert.throws(() => orders.pipe({ id: 1 } as unknown as Order, { writerSchema: v3 }), {
    code: 'FRESHET_SCHEMA_INCOMPATIBLE',
    message: /the schema of "orders", Order, cannot read values written with Order: at Order\.id/,
  })
})

interface Payment {
  merchant: string
  amount: number
  timestamp: number
}

function enrichment(): ReturnType<typeof pipeline> {
  const app = pipeline({ applicationId: 'enrich' })
  const merchants = app.globalTable<{ name: string }>('merchants', { name: 'merchants' })
  const payments = app.stream<Payment>('payments')
  payments
    .join(
      merchants,
      (p) => p.merchant,
      (p, m) => `${m.name} ${p.amount}`,
      { name: 'name' },
    )
    .to('named')
  payments
    .leftJoin(
      merchants,
      (p) => p.merchant,
      (p, m) => `${m?.name ?? '?'} ${p.amount}`,
    )
    .to('all')
  return app
}

test('a global table: piping into its topic updates the one table every task looks up', () => {
  // Payments on 4 partitions, merchants on 3: no co-partitioning, every task sees every merchant.
  const driver = new TestDriver(enrichment().build(), {
    topics: { payments: { partitions: 4 }, merchants: { partitions: 3 } },
  })
  const merchants = driver.input<{ name: string } | null, string>('merchants')
  const payments = driver.input<Payment, string>('payments')
  for (const [id, name] of [
    ['m1', 'Tea House'],
    ['m2', 'Bakery'],
    ['m3', 'Books'],
  ] as const) {
    merchants.pipe({ name }, { key: id })
  }
  assert.equal(
    new Set(
      driver
        .output('named')
        .records()
        .map((r) => r.partition),
    ).size,
    0,
  )
  for (let partition = 0; partition < 4; partition++) {
    payments.pipe({ merchant: `m${(partition % 3) + 1}`, amount: partition, timestamp: 0 }, { partition })
  }
  assert.deepEqual(driver.output('named').readValues(), ['Tea House 0', 'Bakery 1', 'Books 2', 'Tea House 3'])
  merchants.pipe({ name: 'Tea Room' }, { key: 'm1' }) // an update
  merchants.pipe(null, { key: 'm2' }) // a tombstone
  payments.pipe({ merchant: 'm1', amount: 5, timestamp: 0 }, { partition: 2 })
  payments.pipe({ merchant: 'm2', amount: 6, timestamp: 0 }, { partition: 1 })
  payments.pipe({ merchant: 'nobody', amount: 7, timestamp: 0 }, { partition: 0 })
  assert.deepEqual(driver.output('named').readValues(), ['Tea Room 5'])
  assert.deepEqual(driver.output('all').readValues().slice(-3), ['Tea Room 5', '? 6', '? 7'])
  assert.equal(driver.metrics()['name']?.joinMisses, 2)
  assert.deepEqual(
    driver
      .store('merchants-store')
      .entries()
      .map((e) => [e.key, e.value]),
    [
      ['m1', { name: 'Tea Room' }],
      ['m3', { name: 'Books' }],
    ],
  )
  assert.throws(() => driver.output('merchants'), { code: 'FRESHET_TOPIC_NOT_FOUND' })
})

test('a global table record without a key meets the bad-record policy and changes nothing', () => {
  const failing = new TestDriver(enrichment().build())
  assert.throws(() => failing.input('merchants').pipe({ name: 'x' }), { code: 'FRESHET_RECORD_KEY_NULL' })
  const skipping = new TestDriver(enrichment().build(), { onBadRecord: 'skip' })
  skipping.input('merchants').pipe({ name: 'x' })
  assert.equal(skipping.store('merchants-store').size, 0)
  assert.equal(skipping.metrics()['merchants']?.recordsSkipped, 1)
})

test('restart() rebuilds a global table from every partition of its topic, and a table from its own', async () => {
  const app = pipeline({ applicationId: 'rebuild' })
  const names = app.globalTable<string>('names', { name: 'names' })
  const rates = app.table<number>('rates', { name: 'rates' })
  app
    .stream<Payment>('payments')
    .byRecordKey<string>()
    .join(rates, (p, rate) => p.amount * rate)
    .join(
      names,
      (_amount, key) => key,
      (amount, name) => `${name}: ${amount}`,
    )
    .to('out')
  const topology = app.build()
  assert.deepEqual(topology.description.topics.changelog, [], 'no changelog topic to copy either table')
  const run = async (restarts: boolean): Promise<string[]> => {
    const driver = new TestDriver(topology, { partitions: 2 })
    assert.throws(() => driver.output('rebuild-rates-store-changelog'), { code: 'FRESHET_TOPIC_NOT_FOUND' })
    driver.input<string, string>('names').pipe('Ann', { key: 'a' })
    driver.input<number, string>('rates').pipe(2, { key: 'a' })
    driver.input<number, string>('rates').pipe(3, { key: 'b' })
    if (restarts) await driver.restart()
    driver.input<Payment, string>('payments').pipe({ merchant: '', amount: 10, timestamp: 0 }, { key: 'a' })
    driver.input<string, string>('names').pipe('Bob', { key: 'b' })
    driver.input<number | null, string>('rates').pipe(null, { key: 'a' })
    if (restarts) await driver.restart()
    driver.input<Payment, string>('payments').pipe({ merchant: '', amount: 10, timestamp: 0 }, { key: 'a' })
    driver.input<Payment, string>('payments').pipe({ merchant: '', amount: 5, timestamp: 0 }, { key: 'b' })
    assert.deepEqual(driver.store('rates-store').get('b'), 3)
    assert.equal(driver.store('rates-store').get('a'), undefined)
    assert.equal(driver.store('names-store').get('b'), 'Bob')
    return driver.output<string>('out').readValues()
  }
  const straight = await run(false)
  assert.deepEqual(straight, ['Ann: 20', 'Bob: 15'])
  assert.deepEqual(await run(true), straight)
})

test('restart() rebuilds a table from its source topic: the table has no changelog topic', async () => {
  const app = pipeline({ applicationId: 'rebuild' })
  const rates = app.table<number>('rates', { name: 'rates' })
  app
    .stream<Payment>('payments')
    .byRecordKey<string>()
    .join(rates, (p, rate, key) => `${key}: ${p.amount * rate}`)
    .to('out')
  const topology = app.build()
  assert.deepEqual(topology.description.topics.changelog, [], 'no changelog topic copies the table')
  const run = async (restarts: boolean): Promise<string[]> => {
    const driver = new TestDriver(topology, { partitions: 2 })
    assert.throws(() => driver.output('rebuild-rates-store-changelog'), { code: 'FRESHET_TOPIC_NOT_FOUND' })
    driver.input<number, string>('rates').pipe(2, { key: 'a' })
    driver.input<number, string>('rates').pipe(3, { key: 'b' })
    if (restarts) await driver.restart()
    driver.input<Payment, string>('payments').pipe({ merchant: '', amount: 10, timestamp: 0 }, { key: 'a' })
    driver.input<number | null, string>('rates').pipe(null, { key: 'a' })
    driver.input<number, string>('rates').pipe(4, { key: 'b' })
    if (restarts) await driver.restart()
    driver.input<Payment, string>('payments').pipe({ merchant: '', amount: 10, timestamp: 0 }, { key: 'a' })
    driver.input<Payment, string>('payments').pipe({ merchant: '', amount: 5, timestamp: 0 }, { key: 'b' })
    assert.equal(driver.store('rates-store').get('b'), 4)
    assert.equal(driver.store('rates-store').get('a'), undefined)
    return driver.output<string>('out').readValues()
  }
  const straight = await run(false)
  assert.deepEqual(straight, ['a: 20', 'b: 20'])
  assert.deepEqual(await run(true), straight)
})

test("a sink with recordTimestamp 'processing-time' writes the wall clock as the records' timestamp", () => {
  const app = pipeline({ applicationId: 'stamps' })
  const readings = app.stream<Reading>('readings')
  readings.to('by-event-time')
  readings.to('by-processing-time', { recordTimestamp: 'processing-time' })
  const topology = app.build()
  assert.match(
    topology.describe(),
    /Sink: sink-by-processing-time \(sink; topic: by-processing-time; record timestamp: processing time\)/,
  )
  const driver = new TestDriver(topology, { startMs: 5_000_000 })
  driver.input<Reading, string>('readings').pipe(reading('a', 1, 10), { key: 'a' })
  assert.deepEqual(
    driver
      .output('by-event-time')
      .readAll()
      .map((r) => r.timestampMs),
    [10],
  )
  assert.deepEqual(
    driver
      .output('by-processing-time')
      .readAll()
      .map((r) => r.timestampMs),
    [5_000_000],
  )
  assert.throws(
    () => readings.to('x', { recordTimestamp: 'wall' as never }),
    /"recordTimestamp" must be one of/,
  )
})
