import assert from 'node:assert/strict'
import { test } from 'node:test'
import { UserEventSchema } from '../../src/schemas/index.ts'
import { pipeline, valueStore } from '../../src/stream/index.ts'
import { session, tumbling } from '../../src/windows/index.ts'

function shop() {
  const app = pipeline({ applicationId: 'shop' })
  const events = app.stream('user-events', { schema: UserEventSchema })
  const { purchases, default: others } = events.branch(
    { purchases: (e) => e.event_type === 'purchase' },
    { name: 'split' },
  )
  const rates = app.table<number>('fx-rates')
  const revenue = purchases
    .keyBy((e) => e.data.currency ?? 'none', { name: 'by-currency' })
    .leftJoin(rates, (e, rate) => (e.data.amount ?? 0) * (rate ?? 1), { name: 'to-usd' })
    .window(tumbling({ sizeMs: 60_000 }))
    .sum((usd) => usd, { name: 'revenue' })
  revenue.to('revenue-per-minute')
  revenue.late().to('revenue-late')
  others
    .byRecordKey()
    .window(session({ gapMs: 1_800_000 }))
    .count({ name: 'sessions' })
    .to('sessions')
  return app
}

test('describe() prints sub-topologies with nodes and edges, then stores and topics', () => {
  assert.equal(
    shop().describe(),
    `Topology: shop
  Sub-topology: 0
    Source: source-user-events (source; topic: user-events; schema: dev.freshet.events.UserEvent)
      --> split
    Processor: split (branch; branches: purchases, default)
      --> by-currency [purchases], sessions [default]
      <-- source-user-events
    Processor: by-currency (key-by)
      --> by-currency-repartition-sink
      <-- split [purchases]
    Sink: by-currency-repartition-sink (repartition-sink; topic: shop-by-currency-repartition)
      <-- by-currency
    Processor: sessions (window-aggregate; session gapMs: 1800000, graceMs: 0, emit: final; stores: sessions-store)
      --> sink-sessions
      <-- split [default]
    Sink: sink-sessions (sink; topic: sessions)
      <-- sessions
  Sub-topology: 1
    Source: table-fx-rates (table; topic: fx-rates; stores: table-fx-rates-store)
    Source: by-currency-repartition-source (repartition-source; topic: shop-by-currency-repartition)
      --> to-usd
    Processor: to-usd (stream-table-join; left join with table table-fx-rates; stores: table-fx-rates-store)
      --> revenue
      <-- by-currency-repartition-source
    Processor: revenue (window-aggregate; tumbling sizeMs: 60000, graceMs: 0, emit: final; stores: revenue-store)
      --> sink-revenue-per-minute, sink-revenue-late [late]
      <-- to-usd
    Sink: sink-revenue-per-minute (sink; topic: revenue-per-minute)
      <-- revenue
    Sink: sink-revenue-late (sink; topic: revenue-late)
      <-- revenue [late]
  Stores:
    table-fx-rates-store (table, json; changelog: fx-rates (source topic); nodes: table-fx-rates, to-usd)
    revenue-store (window, json; changelog: shop-revenue-store-changelog; nodes: revenue)
    sessions-store (session, json; changelog: shop-sessions-store-changelog; nodes: sessions)
  Topics:
    sources: user-events
    tables: fx-rates
    sinks: revenue-late, revenue-per-minute, sessions
    repartition: shop-by-currency-repartition
    changelog: shop-revenue-store-changelog, shop-sessions-store-changelog
`,
  )
})

test('the description is plain, frozen data: sub-topologies split at the repartition topic', () => {
  const { description } = shop().build()
  assert.deepEqual(JSON.parse(JSON.stringify(description)), description, 'survives JSON')
  assert.ok(Object.isFrozen(description) && Object.isFrozen(description.nodes[0]))
  assert.deepEqual(
    description.subtopologies.map((s) => [s.id, s.sourceTopics, s.sinkTopics, s.stores]),
    [
      [0, ['user-events'], ['shop-by-currency-repartition', 'sessions'], ['sessions-store']],
      [
        1,
        ['fx-rates', 'shop-by-currency-repartition'],
        ['revenue-per-minute', 'revenue-late'],
        ['table-fx-rates-store', 'revenue-store'],
      ],
    ],
  )
  const revenue = description.nodes.find((n) => n.name === 'revenue')
  assert.deepEqual(revenue?.outputs, ['main', 'late'])
  assert.equal(revenue?.subtopology, 1)
  assert.deepEqual(
    description.stores.map((s) => [s.name, s.owner, s.changelogTopic]),
    [
      ['table-fx-rates-store', 'table-fx-rates', 'fx-rates'],
      ['revenue-store', 'revenue', 'shop-revenue-store-changelog'],
      ['sessions-store', 'sessions', 'shop-sessions-store-changelog'],
    ],
  )
})

test('a topology is immutable: building more afterwards does not change it', () => {
  const app = pipeline({ applicationId: 'grow' })
  const s = app.stream<number>('in')
  s.to('a')
  const before = app.build()
  s.map((v) => v + 1).to('b')
  assert.deepEqual(before.description.topics.sinks, ['a'])
  assert.deepEqual(app.build().description.topics.sinks, ['a', 'b'])
})

test('sub-topologies are numbered upstream first even when a downstream one starts with an older node', () => {
  const app = pipeline({ applicationId: 'order' })
  const table = app.table<string>('names') // node 0, joined downstream of a repartition
  app
    .stream<{ id: string }>('ids')
    .keyBy((v) => v.id)
    .join(table, (v, name) => `${v.id}=${name}`)
    .to('out')
  const { subtopologies } = app.build().description
  assert.deepEqual(
    subtopologies.map((s) => s.sourceTopics),
    [['ids'], ['names', 'order-key-by-2-repartition']],
  )
})

test('interval joins own one buffer per side and open the other side’s; both sides are one sub-topology', () => {
  const app = pipeline({ applicationId: 'ads' })
  const clicks = app.stream<{ ad: string }>('clicks').keyBy((c) => c.ad, { name: 'clicks-by-ad' })
  const views = app.stream<{ ad: string }>('views').keyBy((v) => v.ad, { name: 'views-by-ad' })
  clicks.intervalJoin(views, { beforeMs: 10, afterMs: 0, name: 'attribution' }, (c) => c).to('attributed')
  const { description } = app.build()
  assert.deepEqual(
    description.stores.map((s) => [s.name, s.nodes]),
    [
      ['attribution-left-store', ['attribution-left', 'attribution-right']],
      ['attribution-right-store', ['attribution-right', 'attribution-left']],
    ],
  )
  assert.deepEqual(description.subtopologies.at(-1)?.sourceTopics, [
    'ads-clicks-by-ad-repartition',
    'ads-views-by-ad-repartition',
  ])
})

test('the builder rejects what a runtime could not run, naming the problem', () => {
  const app = pipeline({ applicationId: 'bad' })
  const s = app.stream<number>('in')
  assert.throws(() => app.stream('in'), { code: 'FRESHET_TOPOLOGY_INVALID' }, 'a topic read twice')
  assert.throws(() => s.to('in'), { code: 'FRESHET_TOPOLOGY_INVALID' }, 'writing what it reads')
  s.map((v) => v, { name: 'twice' })
  assert.throws(
    () => s.map((v) => v, { name: 'twice' }),
    { code: 'FRESHET_TOPOLOGY_INVALID' },
    'a name taken',
  )
  const keyed = s.byRecordKey()
  keyed.process(() => 1, { stores: { st: valueStore<number>() } })
  assert.throws(() => keyed.process(() => 1, { stores: { st: valueStore<number>() } }), {
    code: 'FRESHET_TOPOLOGY_INVALID',
  })
  assert.throws(
    () => keyed.process(() => 1, { stores: { st2: 5 as never } }),
    /must be declared with valueStore/,
  )
  assert.throws(() => keyed.process(() => 1, { expand: 'yes' as never }), { code: 'FRESHET_INVALID_OPTION' })
  assert.throws(() => keyed.process(() => 1, { stors: {} } as never), /unknown option "stors"/)
  assert.throws(
    () => s.branch({ default: () => true }),
    { code: 'FRESHET_INVALID_OPTION' },
    'reserved branch name',
  )
  assert.throws(() => s.map((v) => v, { name: 'has space' }), { code: 'FRESHET_INVALID_OPTION' })
  assert.throws(() => s.map((v) => v, { nmae: 'x' } as never), /unknown option "nmae"/)
  assert.throws(() => s.to('out', { serde: {} as never }), { code: 'FRESHET_INVALID_OPTION' })
  assert.throws(() => keyed.window({} as never), { code: 'FRESHET_INVALID_OPTION' })
  assert.throws(
    () => keyed.window(session({ gapMs: 5 })).aggregate({ init: () => 0, add: (n: number) => n } as never),
    {
      code: 'FRESHET_INVALID_OPTION',
    },
  )
  assert.throws(() => keyed.window(tumbling({ sizeMs: 5 })).topN(0, { by: () => 1 }), {
    code: 'FRESHET_INVALID_OPTION',
  })
  assert.throws(() => keyed.deduplicate({ withinMs: 0 }), { code: 'FRESHET_INVALID_OPTION' })
  assert.throws(() => keyed.intervalJoin(keyed, { beforeMs: -1, afterMs: 0 }, (a) => a), {
    code: 'FRESHET_INVALID_OPTION',
  })
  assert.throws(() => pipeline({ applicationId: 'a b' }), { code: 'FRESHET_INVALID_OPTION' })
  assert.throws(() => pipeline({} as never), /"applicationId" is required/)
  const other = pipeline({ applicationId: 'other' }).stream<number>('in')
  assert.throws(() => s.merge(other), { code: 'FRESHET_TOPOLOGY_INVALID' }, 'streams of two pipelines')
})

test('a table read from a topic uses the topic as its changelog: no changelog topic is created', () => {
  // Restoring a table from a copy of its own topic doubles the writes and the storage for nothing:
  // the source topic holds the same records, and the committed offset says how far to replay.
  const app = pipeline({ applicationId: 'reuse' })
  const merchants = app.table<string>('merchants', { name: 'merchants' })
  app
    .stream<{ merchant: string }>('payments')
    .keyBy((p) => p.merchant)
    .process(() => 1, { stores: { seen: valueStore<number>() }, name: 'count' })
    .join(merchants, (n, name) => `${name}: ${n}`)
    .to('out')
  const { description } = app.build()
  assert.deepEqual(
    description.stores.map((s) => [s.name, s.changelogTopic, s.sourceChangelog]),
    [
      ['merchants-store', 'merchants', true],
      ['seen', 'reuse-seen-changelog', false],
    ],
  )
  assert.deepEqual(description.topics.changelog, ['reuse-seen-changelog'])
  assert.doesNotMatch(app.describe(), /merchants-store-changelog/)
})

test('a global table stands outside the sub-topologies: listed apart, no co-partitioning, no changelog', () => {
  const app = pipeline({ applicationId: 'enrich' })
  const merchants = app.globalTable<{ name: string }>('merchants', { name: 'merchants' })
  const payments = app.stream<{ merchant: string; amount: number }>('payments')
  payments
    .join(
      merchants,
      (p) => p.merchant,
      (p, m) => `${m.name} ${p.amount}`,
      {
        name: 'named',
      },
    )
    .to('out')
  payments
    .byRecordKey()
    .leftJoin(
      merchants,
      (p) => p.merchant,
      (_p, m) => m?.name ?? '?',
      { name: 'maybe-named' },
    )
    .to('out-2')
  const topology = app.build()
  const { description } = topology
  assert.equal(description.subtopologies.length, 1, 'one sub-topology: the global table adds none')
  assert.deepEqual(description.subtopologies[0]?.sourceTopics, ['payments'])
  assert.deepEqual(description.subtopologies[0]?.stores, [])
  assert.deepEqual(description.stores, [])
  assert.deepEqual(description.globalTables, [
    {
      node: 'merchants',
      topic: 'merchants',
      store: 'merchants-store',
      format: 'json',
      nodes: ['named', 'maybe-named'],
      details: '',
    },
  ])
  assert.deepEqual(description.topics.globalTables, ['merchants'])
  assert.deepEqual(description.topics.repartition, [])
  assert.deepEqual(description.topics.changelog, [])
  assert.deepEqual(
    topology.globalSources().map((g) => [g.node, g.topic, g.store]),
    [['merchants', 'merchants', 'merchants-store']],
  )
  assert.equal(
    app.describe(),
    `Topology: enrich
  Sub-topology: 0
    Source: source-payments (source; topic: payments)
      --> named, maybe-named
    Processor: named (global-table-join; inner join with global table merchants; stores: merchants-store)
      --> sink-out
      <-- source-payments
    Sink: sink-out (sink; topic: out)
      <-- named
    Processor: maybe-named (global-table-join; left join with global table merchants; stores: merchants-store)
      --> sink-out-2
      <-- source-payments
    Sink: sink-out-2 (sink; topic: out-2)
      <-- maybe-named
  Global tables (every worker reads every partition; no tasks):
    Source: merchants (global-table; topic: merchants; stores: merchants-store)
  Stores:
    merchants-store (global-table, json; changelog: merchants (source topic); nodes: merchants, named, maybe-named)
  Topics:
    sources: payments
    global tables: merchants
    sinks: out, out-2
`,
  )
})

test('globalTable options and joins are checked where they enter', () => {
  const app = pipeline({ applicationId: 'checks' })
  const global = app.globalTable<number>('g')
  const table = app.table<number>('t')
  const s = app.stream<{ k: string }>('s')
  assert.throws(() => app.globalTable('g2', { nmae: 'x' } as never), /unknown option "nmae"/)
  assert.throws(() => app.globalTable('g'), { code: 'FRESHET_TOPOLOGY_INVALID' }, 'a topic read twice')
  assert.throws(() => s.to('g'), { code: 'FRESHET_TOPOLOGY_INVALID' }, 'writing a global table’s topic')
  assert.throws(() => s.join(global, 'k' as never, (v) => v), {
    code: 'FRESHET_INVALID_OPTION',
    message: /keySelector must be a function/,
  })
  assert.throws(
    () =>
      s.join(
        table as never,
        (v) => v.k,
        (v) => v,
      ),
    {
      code: 'FRESHET_TOPOLOGY_INVALID',
      message: /expected a global table/,
    },
  )
  const other = pipeline({ applicationId: 'other' }).globalTable<number>('g')
  assert.throws(
    () =>
      s.join(
        other,
        (v) => v.k,
        (v) => v,
      ),
    { code: 'FRESHET_TOPOLOGY_INVALID' },
  )
})
