// The DSL end to end on the test driver: each operator as a pipeline sees it.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { pipeline, valueStore, type LateRecord, type WindowResult } from '../../src/stream/index.ts'
import { TestDriver } from '../../src/testing/index.ts'
import { fromRecordTimestamp } from '../../src/time/index.ts'
import { hopping, session, tumbling } from '../../src/windows/index.ts'

interface Order {
  user: string
  amount: number
  timestamp: number
}

const order = (user: string, amount: number, timestamp: number): Order => ({ user, amount, timestamp })

test('filter, map, flatMap and peek run in order; keys and timestamps pass through', () => {
  const app = pipeline({ applicationId: 'stateless' })
  const seen: number[] = []
  app
    .stream<Order>('orders')
    .filter((o) => o.amount > 0)
    .peek((o) => seen.push(o.amount))
    .map((o) => `${o.user}:${o.amount}`)
    .flatMap((s) => [s, s.toUpperCase()])
    .to('out')
  const driver = new TestDriver(app.build())
  const input = driver.input<Order, string>('orders')
  input.pipe(order('ann', 3, 10), { key: 'k1' })
  input.pipe(order('bob', 0, 11), { key: 'k2' })
  input.pipe(order('cid', 5, 12), { key: 'k3' })
  assert.deepEqual(seen, [3, 5])
  assert.deepEqual(
    driver
      .output<string, string>('out')
      .readAll()
      .map((r) => [r.key, r.value, r.timestampMs]),
    [
      ['k1', 'ann:3', 10],
      ['k1', 'ANN:3', 10],
      ['k3', 'cid:5', 12],
      ['k3', 'CID:5', 12],
    ],
  )
})

test('branch routes to the first matching branch or default; merge joins streams back', () => {
  const app = pipeline({ applicationId: 'branches' })
  const {
    big,
    small,
    default: zero,
  } = app.stream<Order>('orders').branch({
    big: (o) => o.amount >= 100,
    small: (o) => o.amount > 0,
  })
  big.map((o) => `big ${o.user}`).to('big')
  small
    .map((o) => `small ${o.user}`)
    .merge(zero.map((o) => `zero ${o.user}`))
    .to('rest')
  const driver = new TestDriver(app.build())
  driver
    .input<Order>('orders')
    .pipeMany([order('a', 100, 1), order('b', 5, 2), order('c', 0, 3), order('d', 500, 4)])
  assert.deepEqual(driver.output('big').readValues(), ['big a', 'big d'])
  assert.deepEqual(driver.output('rest').readValues(), ['small b', 'zero c'])
})

test('keyBy writes to the repartition topic, partitioned by murmur2 of the new key', () => {
  const app = pipeline({ applicationId: 'rekey' })
  app
    .stream<Order>('orders')
    .keyBy((o) => o.user, { name: 'by-user' })
    .map((o) => o.amount)
    .to('amounts')
  const driver = new TestDriver(app.build(), { partitions: 4 })
  const input = driver.input<Order>('orders')
  for (const [i, user] of ['ann', 'bob', 'cid', 'dan', 'eve', 'ann'].entries())
    input.pipe(order(user, i, i), { partition: i % 4 })
  const repartitioned = driver.output<Order, string>('rekey-by-user-repartition').records()
  assert.equal(driver.partitionsOf('rekey-by-user-repartition'), 4)
  const partitionOfUser = new Map<string, number>()
  for (const record of repartitioned) {
    const known = partitionOfUser.get(record.key)
    assert.ok(known === undefined || known === record.partition, 'one key, one partition')
    partitionOfUser.set(record.key, record.partition)
  }
  assert.ok(new Set(partitionOfUser.values()).size > 1, 'keys spread over partitions')
  assert.deepEqual(
    driver
      .output<number, string>('amounts')
      .readAll()
      .map((r) => [r.key, r.value])
      .sort(),
    [
      ['ann', 0],
      ['ann', 5],
      ['bob', 1],
      ['cid', 2],
      ['dan', 3],
      ['eve', 4],
    ],
  )
})

test('byRecordKey keys by the Kafka key without a repartition topic', () => {
  const app = pipeline({ applicationId: 'bykey' })
  app
    .stream<number>('n', { timestamp: fromRecordTimestamp() })
    .byRecordKey()
    .window(tumbling({ sizeMs: 10 }))
    .count()
    .map((r) => `${r.key}=${r.value}`)
    .to('counts')
  const topology = app.build()
  assert.deepEqual(topology.description.topics.repartition, [])
  const driver = new TestDriver(topology, { maxOutOfOrdernessMs: 0, partitions: 2 })
  const input = driver.input<number, string>('n')
  for (let t = 0; t < 10; t++) input.pipe(t, { key: t % 3 === 0 ? 'x' : 'y', timestampMs: t })
  driver.advanceWatermark(Infinity)
  assert.deepEqual(driver.output('counts').readValues().sort(), ['x=4', 'y=6'])
})

test('process keeps typed state per key and forwards what it returns', () => {
  const app = pipeline({ applicationId: 'firsts' })
  app
    .stream<Order>('orders')
    .keyBy((o) => o.user)
    .process(
      (record, context) => {
        const total = (context.stores.totals.get(record.key) ?? 0) + record.value.amount
        context.stores.totals.put(record.key, total)
        return total >= 10 ? { user: record.key, total } : undefined
      },
      { stores: { totals: valueStore<number>() } },
    )
    .to('big-spenders')
  const driver = new TestDriver(app.build())
  driver.input<Order>('orders').pipeMany([order('a', 4, 1), order('b', 20, 2), order('a', 7, 3)])
  assert.deepEqual(driver.output('big-spenders').readValues(), [
    { user: 'b', total: 20 },
    { user: 'a', total: 11 },
  ])
  assert.equal(driver.store('totals').get('a'), 11)
  assert.deepEqual(
    driver
      .store('totals')
      .entries()
      .map((e) => [e.key, e.value])
      .sort(),
    [
      ['a', 11],
      ['b', 20],
    ],
  )
})

test('windowed results and late records on the DSL: late() carries lateByMs, window and provenance', () => {
  const app = pipeline({ applicationId: 'late' })
  const totals = app
    .stream<Order>('orders')
    .keyBy((o) => o.user)
    .window(tumbling({ sizeMs: 1_000, graceMs: 100 }))
    .sum((o) => o.amount, { name: 'sums' })
  totals.to('totals')
  totals.late().to('late-orders')
  const driver = new TestDriver(app.build(), { maxOutOfOrdernessMs: 0 })
  const input = driver.input<Order>('orders')
  input.pipe(order('a', 1, 500))
  input.pipe(order('a', 2, 999))
  input.pipe(order('a', 4, 1_100)) // watermark 1 100 closes [0, 1000)
  input.pipe(order('a', 8, 900)) // late by 1 100 - 100 - 900 = 100
  driver.advanceWatermark(Infinity)
  const totalsOut = driver.output<WindowResult<string, number>, string>('totals').readValues()
  assert.deepEqual(
    totalsOut.map((r) => [r.window.startMs, r.value]),
    [
      [0, 3],
      [1_000, 4],
    ],
  )
  const late = driver.output<LateRecord<Order, string>, string>('late-orders').readValues()
  assert.equal(late.length, 1)
  assert.deepEqual(
    [late[0]?.lateByMs, late[0]?.window, late[0]?.source],
    [100, { startMs: 0, endMs: 1_000 }, { topic: 'orders', partition: 0, offset: 3n }],
  )
  assert.deepEqual(driver.late(), late, 'the driver sees every late record too')
  assert.equal(driver.metrics().sums?.recordsLate, 1)
})

test('hopping and session windows through the driver, with updates mode', () => {
  const app = pipeline({ applicationId: 'modes' })
  const keyed = app.stream<Order>('orders').keyBy((o) => o.user)
  keyed
    .window(hopping({ sizeMs: 20, advanceMs: 10, emit: 'updates' }))
    .count()
    .to('hopping')
  keyed
    .window(session({ gapMs: 10 }))
    .aggregate({ init: () => 0, add: (n, o) => n + o.amount, merge: (a, b) => a + b })
    .to('sessions')
  const driver = new TestDriver(app.build(), { maxOutOfOrdernessMs: 0 })
  driver.input<Order>('orders').pipeMany([order('a', 1, 5), order('a', 2, 12), order('a', 4, 40)])
  driver.advanceWatermark(Infinity)
  // The watermark crosses the repartition topic behind the records: the record at 40 updates its
  // windows before the marker of watermark 40 closes [0, 20) and [10, 30).
  assert.deepEqual(
    driver
      .output<WindowResult<string, number>>('hopping')
      .readValues()
      .map((r) => [r.window.startMs, r.value, r.final]),
    [
      [0, 1, false],
      [0, 2, false],
      [10, 1, false],
      [30, 1, false],
      [40, 1, false],
      [0, 2, true],
      [10, 1, true],
      [30, 1, true],
      [40, 1, true],
    ],
  )
  assert.deepEqual(
    driver
      .output<WindowResult<string, number>>('sessions')
      .readValues()
      .map((r) => [r.window, r.value]),
    [
      [{ startMs: 5, endMs: 12 }, 3],
      [{ startMs: 40, endMs: 40 }, 4],
    ],
  )
})

test('deduplicate on the DSL drops repeats within the range; the store is inspectable', () => {
  const app = pipeline({ applicationId: 'dedup' })
  app
    .stream<Order>('orders')
    .keyBy((o) => o.user)
    .deduplicate({ withinMs: 100, id: (o) => o.amount, name: 'once' })
    .to('unique')
  const driver = new TestDriver(app.build(), { maxOutOfOrdernessMs: 50 })
  driver
    .input<Order>('orders')
    .pipeMany([order('a', 1, 1_000), order('a', 1, 1_050), order('a', 2, 1_060), order('b', 1, 1_070)])
  assert.deepEqual(
    driver
      .output<Order>('unique')
      .readValues()
      .map((o) => `${o.user}${o.amount}`),
    ['a1', 'a2', 'b1'],
  )
  assert.deepEqual(
    driver
      .store('once-store')
      .entries()
      .map((e) => [e.key, e.id, e.value])
      .sort(),
    [
      ['a', 1, 1_000],
      ['a', 2, 1_060],
      ['b', 1, 1_070],
    ],
  )
})

test('stream-table join and left join on the DSL; table updates do not move the watermark', () => {
  const app = pipeline({ applicationId: 'fx' })
  const rates = app.table<number>('rates')
  const orders = app
    .stream<{ currency: string; amount: number; timestamp: number }>('orders')
    .keyBy((o) => o.currency)
  orders.join(rates, (o, rate) => o.amount * rate).to('inner')
  orders.leftJoin(rates, (o, rate) => (rate === undefined ? null : o.amount * rate)).to('left')
  const driver = new TestDriver(app.build())
  const rateInput = driver.input<number | null, string>('rates')
  const orderInput = driver.input<{ currency: string; amount: number; timestamp: number }>('orders')
  orderInput.pipe({ currency: 'EUR', amount: 10, timestamp: 1 })
  rateInput.pipe(2, { key: 'EUR', timestampMs: 999_999 })
  orderInput.pipe({ currency: 'EUR', amount: 10, timestamp: 2 })
  rateInput.pipe(null, { key: 'EUR' })
  orderInput.pipe({ currency: 'EUR', amount: 10, timestamp: 3 })
  assert.deepEqual(driver.output('inner').readValues(), [20])
  assert.deepEqual(driver.output('left').readValues(), [null, 20, null])
  assert.ok(Object.values(driver.watermarks()).every((w) => w < 999_999))
})

test('interval join on the DSL: clicks attributed to views of the same ad up to 10 s before', () => {
  interface Click {
    ad: string
    timestamp: number
  }
  interface View {
    ad: string
    page: string
    timestamp: number
  }
  const app = pipeline({ applicationId: 'ads' })
  const clicks = app.stream<Click>('clicks').keyBy((c) => c.ad)
  const views = app.stream<View>('views').keyBy((v) => v.ad)
  const attributed = clicks.intervalJoin(views, { beforeMs: 10_000, afterMs: 0 }, (click, view) => ({
    ad: click.ad,
    page: view.page,
    delayMs: click.timestamp - view.timestamp,
  }))
  attributed.to('attributed')
  attributed.late().to('unattributed')
  const driver = new TestDriver(app.build(), { maxOutOfOrdernessMs: 1_000 })
  driver.input<View>('views').pipe({ ad: 'x', page: 'home', timestamp: 1_000 })
  driver.input<View>('views').pipe({ ad: 'y', page: 'cart', timestamp: 2_000 })
  driver.input<Click>('clicks').pipe({ ad: 'x', timestamp: 5_000 })
  driver.input<Click>('clicks').pipe({ ad: 'x', timestamp: 20_000 })
  // The join's watermark is the minimum over both inputs: views must move on too.
  assert.equal(driver.watermarks()['2_0'], 1_000)
  driver.input<View>('views').pipe({ ad: 'z', page: 'home', timestamp: 20_000 })
  driver.input<Click>('clicks').pipe({ ad: 'x', timestamp: 3_000 }) // behind the watermark 19 000: late
  assert.deepEqual(driver.output('attributed').readValues(), [{ ad: 'x', page: 'home', delayMs: 4_000 }])
  const late = driver.output<LateRecord<Click | View, string>>('unattributed').readValues()
  assert.deepEqual(
    late.map((l) => [l.value, l.lateByMs]),
    [[{ ad: 'x', timestamp: 3_000 }, 16_000]],
  )
})
