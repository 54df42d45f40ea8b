import assert from 'node:assert/strict'
import { test } from 'node:test'
import { countAggregator } from '../../src/operators/index.ts'
import { pipeline, type Topology } from '../../src/stream/index.ts'
import { TestDriver } from '../../src/testing/index.ts'
import { hopping, session, tumbling } from '../../src/windows/index.ts'
import { random } from '../operators/harness.ts'

interface Click {
  page: string
  user: string
  timestamp: number
}

const combiners = (topology: Topology) =>
  topology.description.nodes.filter((n) => n.kind === 'window-combine').map((n) => [n.name, n.subtopology])

test('a combinable window aggregation after a keyBy gets a combiner before its repartition, in the upstream sub-topology', () => {
  const app = pipeline({ applicationId: 'clicks' })
  app
    .stream<Click>('clicks')
    .keyBy((c) => c.page, { name: 'by-page' })
    .window(tumbling({ sizeMs: 60_000 }))
    .count({ name: 'counts' })
    .to('counts')
  const topology = app.build()
  assert.deepEqual(combiners(topology), [['counts-combine', 0]])
  assert.match(
    topology.describe(),
    /Processor: by-page \(key-by\)\n {6}--> counts-combine\n[^]*Processor: counts-combine \(window-combine; partials of counts\)\n {6}--> by-page-repartition-sink/,
  )
  const off = pipeline({ applicationId: 'clicks', preAggregate: false })
  off
    .stream<Click>('clicks')
    .keyBy((c) => c.page)
    .window(tumbling({ sizeMs: 60_000 }))
    .count()
    .to('counts')
  assert.deepEqual(combiners(off.build()), [], 'preAggregate: false')
  assert.throws(() => pipeline({ applicationId: 'x', preAggregate: 'yes' as never }), {
    code: 'FRESHET_INVALID_OPTION',
  })
})

test('no combiner where the results could tell: updates, sessions, an order-dependent aggregator, a read late stream, a second reader, no repartition', () => {
  const cases: Record<string, (app: ReturnType<typeof pipeline>) => void> = {
    updates: (app) =>
      app
        .stream<Click>('clicks')
        .keyBy((c) => c.page)
        .window(tumbling({ sizeMs: 10, emit: 'updates' }))
        .count()
        .to('out'),
    sessions: (app) =>
      app
        .stream<Click>('clicks')
        .keyBy((c) => c.user)
        .window(session({ gapMs: 10 }))
        .count()
        .to('out'),
    'not combinable': (app) =>
      app
        .stream<Click>('clicks')
        .keyBy((c) => c.page)
        .window(tumbling({ sizeMs: 10 }))
        .aggregate({ init: () => '', add: (a, c) => a + c.user, merge: (a, b) => a + b })
        .to('out'),
    'late read': (app) => {
      const counts = app
        .stream<Click>('clicks')
        .keyBy((c) => c.page)
        .window(tumbling({ sizeMs: 10 }))
        .count()
      counts.to('out')
      counts.late().to('late')
    },
    'second reader': (app) => {
      const keyed = app.stream<Click>('clicks').keyBy((c) => c.page)
      keyed
        .window(tumbling({ sizeMs: 10 }))
        .count()
        .to('out')
      keyed.to('keyed')
    },
    'record key': (app) =>
      app
        .stream<Click>('clicks')
        .byRecordKey()
        .window(tumbling({ sizeMs: 10 }))
        .count()
        .to('out'),
  }
  for (const [name, build] of Object.entries(cases)) {
    const app = pipeline({ applicationId: 'x' })
    build(app)
    assert.deepEqual(combiners(app.build()), [], name)
  }
  const custom = pipeline({ applicationId: 'x' })
  custom
    .stream<Click>('clicks')
    .keyBy((c) => c.page)
    .window(tumbling({ sizeMs: 10 }))
    .aggregate({ ...countAggregator(), combinable: true })
    .to('out')
  assert.equal(combiners(custom.build()).length, 1, 'an aggregator of the user that says it is combinable')
  assert.throws(
    () =>
      pipeline({ applicationId: 'x' })
        .stream<Click>('clicks')
        .keyBy((c) => c.page)
        .window(tumbling({ sizeMs: 10 }))
        .aggregate({ init: () => 0, add: (n: number) => n + 1, combinable: true }),
    { code: 'FRESHET_INVALID_OPTION' },
  )
})

test('the driver gives the same results and late records with and without pre-aggregation', () => {
  const build = (preAggregate: boolean) => {
    const app = pipeline({ applicationId: 'clicks', preAggregate })
    app
      .stream<Click>('clicks')
      .keyBy((c) => c.page, { name: 'by-page' })
      .window(hopping({ sizeMs: 300, advanceMs: 100, graceMs: 20 }))
      .count({ name: 'counts' })
      .map((r) => `${r.key}@${r.window.startMs}=${r.value}`)
      .to('counts')
    return app.build()
  }
  const run = (preAggregate: boolean) => {
    const driver = new TestDriver(build(preAggregate), {
      partitions: 3,
      maxOutOfOrdernessMs: 30,
      onBadRecord: 'dlq',
    })
    const input = driver.input<Click, string>('clicks')
    const next = random(11)
    for (let n = 0; n < 4000; n++) {
      const late = next() < 0.05 ? 200 : 0
      const timestamp = Math.max(0, Math.floor(n / 2 + next() * 40 - 20 - late))
      const user = `u${Math.floor(next() * 50)}`
      input.pipe({ page: `p${Math.floor(next() * 4)}`, user, timestamp }, { key: user })
      if (next() < 0.02) driver.commit()
    }
    driver.advanceWatermark(Infinity)
    return {
      counts: driver.output('counts').readValues().sort(),
      late: driver.late().length,
      partials: driver.metrics()['counts-combine']?.partialsSent ?? 0,
    }
  }
  const combined = run(true)
  const plain = run(false)
  assert.ok(plain.late > 0, 'the data has late records')
  assert.ok(combined.partials > 0, 'partials were sent')
  assert.deepEqual(combined.counts, plain.counts)
  assert.equal(combined.late, plain.late)
})
