import assert from 'node:assert/strict'
import { test } from 'node:test'
import avro from 'avsc'
import { ErrorCodes, FreshetError } from '../../src/errors/index.ts'
import { EventGenerator, Mulberry32, TransactionGenerator } from '../../src/producer/generator.ts'
import {
  EventTypeSymbols,
  TransactionEventSchema,
  UserEventSchema,
  type TransactionEvent,
  type UserEvent,
} from '../../src/schemas/index.ts'

const userEventType = avro.Type.forSchema(UserEventSchema.schema as avro.Schema)
const transactionType = avro.Type.forSchema(TransactionEventSchema.schema as avro.Schema)

function ticking(start = 1_700_000_000_000): () => number {
  let now = start
  return () => now++
}

/** 100k events with their transactions, shared by the distribution tests. */
function sample(count = 100_000): { events: UserEvent[]; transactions: TransactionEvent[] } {
  const transactions: TransactionEvent[] = []
  const generator = new EventGenerator({
    seed: 7,
    clock: ticking(),
    onTransaction: (t) => transactions.push(t),
  })
  return { events: generator.batch(count), transactions }
}
const { events, transactions } = sample()

test('the same seed and clock give the same events; another seed does not', () => {
  const a = new EventGenerator({ seed: 123, clock: ticking() }).batch(5_000)
  const b = new EventGenerator({ seed: 123, clock: ticking() }).batch(5_000)
  const c = new EventGenerator({ seed: 124, clock: ticking() }).batch(5_000)
  assert.deepEqual(a, b)
  assert.notDeepEqual(a, c)
  const t1 = new TransactionGenerator({ seed: 5, clock: () => 0 }).batch(50)
  const t2 = new TransactionGenerator({ seed: 5, clock: () => 0 }).batch(50)
  assert.deepEqual(t1, t2)
})

test('without a seed one is picked and reported, and replays the events', () => {
  const first = new EventGenerator({ clock: () => 1 })
  const replay = new EventGenerator({ seed: first.seed, clock: () => 1 })
  assert.deepEqual(first.batch(100), replay.batch(100))
})

test('timestamps come from the clock', () => {
  const generator = new EventGenerator({ seed: 1, clock: ticking(1000) })
  const stamps = generator.batch(1000).map((e) => e.timestamp)
  assert.equal(stamps[0], 1000)
  for (let i = 1; i < stamps.length; i++)
    assert.ok(stamps[i]! > stamps[i - 1]!, `timestamp ${i} goes forward`)
})

test('every event and transaction is valid for its Avro schema', () => {
  for (const event of events) {
    const errors: string[] = []
    userEventType.isValid(event, { errorHook: (path) => errors.push(path.join('.')) })
    assert.deepEqual(errors, [], JSON.stringify(event))
  }
  assert.ok(transactions.length > 1000, `${transactions.length} transactions`)
  for (const transaction of transactions)
    assert.ok(transactionType.isValid(transaction), JSON.stringify(transaction))
})

test('all ten event types appear in 100k events, page views most', () => {
  const counts = new Map<string, number>()
  for (const e of events) counts.set(e.event_type, (counts.get(e.event_type) ?? 0) + 1)
  assert.deepEqual([...counts.keys()].sort(), [...EventTypeSymbols].sort())
  const pageViews = counts.get('page_view') ?? 0
  for (const [type, count] of counts)
    assert.ok(type === 'page_view' || count < pageViews, `${type}: ${count}`)
})

test('fields are set by event type', () => {
  for (const { event_type: type, data } of events) {
    const money = type === 'purchase' || type === 'add_to_cart' || type === 'remove_from_cart'
    assert.equal(data.amount !== null, money, `${type} amount`)
    assert.equal(data.currency !== null, money, `${type} currency`)
    if (money) {
      assert.ok(data.product_id !== null && data.amount! > 0, `${type} has a product and a positive amount`)
      assert.match(data.currency!, /^[A-Z]{3}$/)
    }
    if (type !== 'page_view' && !money) assert.equal(data.product_id, null, `${type} has no product`)
    assert.equal(data.search_query !== null, type === 'search', `${type} search_query`)
    assert.equal(data.transaction_id !== null, type === 'purchase', `${type} transaction_id`)
    assert.ok(['mobile', 'desktop', 'tablet'].includes(data.device))
    assert.ok(['chrome', 'safari', 'firefox', 'edge'].includes(data.browser))
  }
})

test('funnel: every purchase follows an add_to_cart of its product in the same session', () => {
  const added = new Map<string, Set<string>>()
  let purchases = 0
  for (const { event_type: type, data } of events) {
    const session = added.get(data.session_id) ?? new Set<string>()
    added.set(data.session_id, session)
    if (type === 'add_to_cart') session.add(data.product_id!)
    if (type === 'purchase') {
      purchases++
      assert.ok(
        session.has(data.product_id!),
        `purchase of ${data.product_id} in ${data.session_id} without add_to_cart`,
      )
    }
  }
  assert.ok(purchases > 1000, `${purchases} purchases`)
})

test('sessions: one user each, signup and login only first, logout only last', () => {
  const bySession = new Map<string, UserEvent[]>()
  for (const e of events) {
    const list = bySession.get(e.data.session_id) ?? []
    list.push(e)
    bySession.set(e.data.session_id, list)
  }
  let loggedOut = 0
  for (const [session, list] of bySession) {
    assert.equal(new Set(list.map((e) => e.user_id)).size, 1, `${session} has one user`)
    assert.equal(
      new Set(list.map((e) => `${e.data.device}/${e.data.browser}`)).size,
      1,
      `${session} has one device`,
    )
    for (const [i, e] of list.entries()) {
      if (e.event_type === 'signup' || e.event_type === 'login')
        assert.equal(i, 0, `${e.event_type} starts ${session}`)
      if (e.event_type === 'logout') {
        assert.equal(i, list.length - 1, `logout ends ${session}`)
        loggedOut++
      }
    }
  }
  assert.ok(
    loggedOut > 100 && loggedOut < bySession.size,
    `${loggedOut} of ${bySession.size} sessions end with logout`,
  )
  const users = new Set(events.map((e) => e.user_id))
  assert.ok(users.size > 2_000 && users.size <= 10_000, `${users.size} users`)
  for (const user of users) assert.match(user, /^user_\d{6}$/)
})

test('transactions match their purchase events', () => {
  const purchases = new Map<string, UserEvent[]>()
  for (const e of events) {
    if (e.event_type !== 'purchase') continue
    const list = purchases.get(e.data.transaction_id!) ?? []
    list.push(e)
    purchases.set(e.data.transaction_id!, list)
  }
  const statuses = new Set<string>()
  let complete = 0
  for (const t of transactions) {
    statuses.add(t.status)
    const lines = purchases.get(t.transaction_id) ?? []
    const sum = t.items.reduce((total, item) => total + item.quantity * item.unit_price, 0)
    assert.ok(Math.abs(sum - t.amount) < 0.01, `${t.transaction_id}: items add up to the amount`)
    assert.ok(t.items.length > 0)
    if (t.status === 'failed') {
      assert.equal(lines.length, 0, 'a declined payment has no purchases')
      continue
    }
    // Checkouts near the end of the sample may still have purchases queued.
    const products = t.items.map((i) => i.product_id)
    assert.equal(new Set(products).size, products.length, 'one line item per product')
    if (lines.length === t.items.length) complete++
    for (const line of lines) {
      assert.ok(
        products.includes(line.data.product_id!),
        `${line.data.product_id} is an item of ${t.transaction_id}`,
      )
      assert.equal(line.user_id, t.user_id)
      assert.equal(line.data.session_id, t.session_id)
      assert.equal(line.data.currency, t.currency)
      const item = t.items.find((i) => i.product_id === line.data.product_id)!
      assert.ok(Math.abs(line.data.amount! - item.quantity * item.unit_price) < 0.01)
    }
  }
  assert.deepEqual([...statuses].sort(), ['completed', 'failed', 'pending', 'refunded'])
  const paid = transactions.filter((t) => t.status !== 'failed').length
  assert.ok(complete > paid * 0.95, `${complete} of ${paid} paid transactions have all their purchases`)
})

test('plausible mixes: mobile leads devices, USD leads currencies, JPY has no cents', () => {
  const devices = new Map<string, number>()
  const currencies = new Map<string, number>()
  for (const { data } of events) {
    devices.set(data.device, (devices.get(data.device) ?? 0) + 1)
    if (data.currency !== null) currencies.set(data.currency, (currencies.get(data.currency) ?? 0) + 1)
    if (data.currency === 'JPY') assert.equal(data.amount! % 1, 0)
  }
  const top = (m: Map<string, number>): string => [...m].sort((a, b) => b[1] - a[1])[0]![0]
  assert.equal(top(devices), 'mobile')
  assert.equal(top(currencies), 'USD')
  assert.ok(currencies.size >= 5, `${currencies.size} currencies`)
})

test('the population size is respected', () => {
  const small = new EventGenerator({ users: 50, activeSessions: 50, seed: 3, clock: () => 0 }).batch(20_000)
  const ids = new Set(small.map((e) => e.user_id))
  assert.ok(ids.size <= 50)
  for (const id of ids) assert.ok(Number(id.slice('user_'.length)) < 50, id)
})

test('options are validated', () => {
  const code = (fn: () => unknown): string => {
    try {
      fn()
    } catch (error) {
      assert.ok(error instanceof FreshetError)
      return error.code
    }
    return 'none'
  }
  const invalid = ErrorCodes.INVALID_OPTION.code
  assert.equal(
    code(() => new EventGenerator({ users: 0 })),
    invalid,
  )
  assert.equal(
    code(() => new EventGenerator({ users: 10, activeSessions: 11 })),
    invalid,
  )
  assert.equal(
    code(() => new EventGenerator({ seed: -1 })),
    invalid,
  )
  assert.equal(
    code(() => new EventGenerator({ clock: 5 as never })),
    invalid,
  )
  assert.equal(
    code(() => new EventGenerator({ speed: 1 } as never)),
    invalid,
  )
})

test('Mulberry32 is deterministic and roughly uniform', () => {
  const a = new Mulberry32(99)
  const b = new Mulberry32(99)
  const buckets = new Array<number>(10).fill(0)
  for (let i = 0; i < 100_000; i++) {
    const x = a.next()
    assert.equal(x, b.next())
    assert.ok(x >= 0 && x < 1)
    buckets[Math.floor(x * 10)]!++
  }
  for (const count of buckets) assert.ok(count > 9_000 && count < 11_000, `bucket of ${count}`)
})
