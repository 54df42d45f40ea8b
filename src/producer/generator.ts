/**
 * Synthetic shop traffic for demos and load tests: `UserEvent`s from a population of users who
 * browse in sessions, search, fill carts and check out, plus the `TransactionEvent` of every
 * checkout. Everything random comes from one seeded generator and timestamps from an injectable
 * clock, so a seed and a fixed clock always give the same events.
 *
 * The model, per session:
 * - a user without an account starts with `signup`; others start with `login` (35%) or land on a
 *   page straight away (remembered login);
 * - each next action is drawn from weights that depend on the previous one (a search is mostly
 *   followed by a product page view, an add_to_cart often by a checkout, and so on); add_to_cart
 *   needs a product being viewed, remove_from_cart and checkout need a non-empty cart;
 * - a checkout builds a transaction from the cart. Declined payments (4%) show as a `form_submit`
 *   and keep the cart; otherwise one `purchase` per line item follows, carrying the transaction id,
 *   and the cart empties;
 * - a session lasts an exponentially distributed number of events and sometimes ends with
 *   `logout`; carts left at the end are abandoned. Its user then rests while another one starts.
 */
import { randomInt } from 'node:crypto'
import { FreshetError } from '../errors/index.ts'
import { validateOptions } from '../options/index.ts'
import {
  EventTypeSymbols,
  type LineItem,
  type PaymentMethod,
  type TransactionEvent,
  type TransactionStatus,
  type UserEvent,
} from '../schemas/index.ts'
import {
  DEFAULT_MEAN_SESSION_EVENTS,
  DEFAULT_PRODUCTS,
  DEFAULT_USERS,
  eventGeneratorSpec,
  type EventGeneratorOptions,
} from './generator-options.ts'

export type { EventGeneratorOptions } from './generator-options.ts'

/** mulberry32: a tiny, fast 32-bit generator, good enough for synthetic data (not for secrets). */
export class Mulberry32 {
  private state: number

  constructor(seed: number) {
    this.state = seed >>> 0
  }

  /** A uniformly distributed unsigned 32-bit integer. */
  nextUint32(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) | 0)
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return (t ^ (t >>> 14)) >>> 0
  }

  /** A float in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296
  }
}

/** Cumulative weights, normalised to end at 1. */
function cumulative(weights: readonly number[]): Float64Array {
  const total = weights.reduce((a, b) => a + b, 0)
  const out = new Float64Array(weights.length)
  let sum = 0
  for (const [i, w] of weights.entries()) out[i] = sum += w / total
  out[out.length - 1] = 1
  return out
}

function pick(table: Float64Array, u: number): number {
  let i = 0
  while (u >= table[i]) i++
  return i
}

// Event types by their index in the schema's enum.
const PAGE_VIEW = 0
const FORM_SUBMIT = 2
const PURCHASE = 3
const ADD_TO_CART = 4
const REMOVE_FROM_CART = 5
const SEARCH = 6
const LOGIN = 7
const LOGOUT = 8
const SIGNUP = 9
const TYPES = EventTypeSymbols
const KINDS = TYPES.length

/**
 * Weights of the next action (columns, in enum order; the purchase column means "check out") after
 * the previous one (rows). Login, logout and signup are never drawn: sessions start and end them.
 */
// prettier-ignore
const TRANSITIONS: readonly (readonly number[])[] = [
  //  view click form  buy  add  rm   search login logout signup
  [   30,  14,   3,    6,   18,  3,   12,    0,    0,     0], // page_view
  [   45,  12,   10,   4,   15,  2,   10,    0,    0,     0], // button_click
  [   60,  20,   0,    3,   0,   0,   17,    0,    0,     0], // form_submit
  [   60,  20,   0,    0,   0,   0,   20,    0,    0,     0], // purchase
  [   40,  10,   2,    25,  5,   8,   10,    0,    0,     0], // add_to_cart
  [   50,  15,   0,    20,  5,   5,   15,    0,    0,     0], // remove_from_cart
  [   70,  10,   0,    0,   0,   0,   20,    0,    0,     0], // search
  [   70,  10,   0,    0,   0,   0,   20,    0,    0,     0], // login
  [   70,  10,   0,    0,   0,   0,   20,    0,    0,     0], // logout (never followed)
  [   70,  10,   0,    0,   0,   0,   20,    0,    0,     0], // signup
]
const TRANSITION_WEIGHTS = Float64Array.from(TRANSITIONS.flat())

const DEVICES = ['mobile', 'desktop', 'tablet'] as const
const DEVICE_WEIGHTS = cumulative([55, 38, 7])
const BROWSERS = ['chrome', 'safari', 'firefox', 'edge'] as const
/** Browser weights per device, in DEVICES order. */
const BROWSER_WEIGHTS = [cumulative([45, 50, 2, 3]), cumulative([62, 12, 12, 14]), cumulative([35, 60, 2, 3])]

/** Currencies with the rate from USD and the number of decimals prices have. */
const CURRENCIES = [
  { code: 'USD', rate: 1, decimals: 2, weight: 55 },
  { code: 'EUR', rate: 0.92, decimals: 2, weight: 20 },
  { code: 'GBP', rate: 0.79, decimals: 2, weight: 10 },
  { code: 'JPY', rate: 150, decimals: 0, weight: 6 },
  { code: 'CAD', rate: 1.36, decimals: 2, weight: 5 },
  { code: 'AUD', rate: 1.52, decimals: 2, weight: 4 },
] as const
const CURRENCY_WEIGHTS = cumulative(CURRENCIES.map((c) => c.weight))

const STATUSES: readonly TransactionStatus[] = ['completed', 'pending', 'failed', 'refunded']
const STATUS_WEIGHTS = cumulative([92, 3, 4, 1])
const PAYMENT_METHODS: readonly PaymentMethod[] = [
  'credit_card',
  'debit_card',
  'paypal',
  'apple_pay',
  'google_pay',
  'bank_transfer',
]
const PAYMENT_WEIGHTS = cumulative([45, 20, 15, 10, 7, 3])

const SEARCH_QUERIES = [
  'running shoes',
  'wireless headphones',
  'coffee maker',
  'yoga mat',
  'usb-c cable',
  'winter jacket',
  'phone case',
  'desk lamp',
  'backpack',
  'water bottle',
  'mechanical keyboard',
  'sunglasses',
  'air fryer',
  'gift card',
  'bluetooth speaker',
  'office chair',
  'board games',
  'kids toys',
  'face cream',
  'laptop stand',
  'hiking boots',
  'smart watch',
  'bed sheets',
  'kitchen knives',
  'dog food',
  'running shorts',
  'sale',
  'new arrivals',
  'espresso beans',
  'monitor 27 inch',
] as const

const STARTS_WITH_LOGIN = 0.35
const ENDS_WITH_LOGOUT = 0.35
const UNREGISTERED_AT_START = 0.2
const SAME_DEVICE = 0.8
/** Share of page views that show a product (after a search: most of them). */
const PRODUCT_PAGE = 0.6
const PRODUCT_PAGE_AFTER_SEARCH = 0.9

interface Session {
  user: number
  userId: string
  sessionId: string
  device: string
  browser: string
  currency: number
  /** Events left before the session ends. */
  remaining: number
  last: number
  /** Product on screen, or -1. */
  viewing: number
  /** Product indices in the cart, one entry per unit. */
  cart: number[]
  /** Purchase events of a checkout still to be returned. */
  pending: UserEvent[]
  started: boolean
  /** Set once the session is over; the next draw replaces it. */
  ended: boolean
  /** `userId` as UTF-8 bytes, made at the session's first keyed event. */
  key: Buffer | undefined
}

/**
 * Generates `UserEvent`s. Deterministic for a given `seed` and `clock`. Fast enough to never be
 * the bottleneck of a producer (millions of events per second on one core): per event it draws a
 * few random numbers and allocates only the event objects.
 */
export class EventGenerator {
  /** The seed in use (the given one, or the random one picked when none was given). */
  readonly seed: number
  private readonly random: Mulberry32
  private readonly clock: () => number
  private readonly meanSessionEvents: number
  private readonly onTransaction: ((transaction: TransactionEvent) => void) | undefined
  private readonly userIds: string[]
  private lastSession: Session | undefined
  private readonly registered: Uint8Array
  private readonly userCurrency: Uint8Array
  private readonly userDevice: Uint8Array
  private readonly userBrowser: Uint8Array
  private readonly active: Uint8Array
  private readonly productIds: string[]
  /** Price of product p in currency c at [p * CURRENCIES.length + c]. */
  private readonly prices: Float64Array
  private readonly sessions: Session[]
  private readonly weights = new Float64Array(KINDS)

  constructor(options: EventGeneratorOptions = {}) {
    const o = validateOptions('EventGenerator', options, eventGeneratorSpec)
    const users = o.users ?? DEFAULT_USERS
    const products = o.products ?? DEFAULT_PRODUCTS
    this.seed = o.seed ?? randomInt(0, 2 ** 32)
    this.random = new Mulberry32(this.seed)
    this.clock = o.clock ?? Date.now
    this.meanSessionEvents = o.meanSessionEvents ?? DEFAULT_MEAN_SESSION_EVENTS
    this.onTransaction = o.onTransaction

    const userDigits = Math.max(6, String(users - 1).length)
    this.userIds = Array.from({ length: users }, (_, i) => `user_${String(i).padStart(userDigits, '0')}`)
    this.registered = new Uint8Array(users)
    this.userCurrency = new Uint8Array(users)
    this.userDevice = new Uint8Array(users)
    this.userBrowser = new Uint8Array(users)
    this.active = new Uint8Array(users)
    for (let u = 0; u < users; u++) {
      this.registered[u] = this.random.next() < UNREGISTERED_AT_START ? 0 : 1
      this.userCurrency[u] = pick(CURRENCY_WEIGHTS, this.random.next())
      const device = pick(DEVICE_WEIGHTS, this.random.next())
      this.userDevice[u] = device
      this.userBrowser[u] = pick(BROWSER_WEIGHTS[device], this.random.next())
    }

    const productDigits = Math.max(5, String(products - 1).length)
    this.productIds = Array.from(
      { length: products },
      (_, i) => `prod_${String(i).padStart(productDigits, '0')}`,
    )
    this.prices = new Float64Array(products * CURRENCIES.length)
    for (let p = 0; p < products; p++) {
      // Log-normal prices around $30 (Box-Muller), ending in .99 like shop prices do.
      const normal =
        Math.sqrt(-2 * Math.log(1 - this.random.next())) * Math.cos(2 * Math.PI * this.random.next())
      const usd = Math.min(2999, Math.max(1, Math.floor(Math.exp(3.4 + 0.9 * normal)))) + 0.99
      for (const [c, currency] of CURRENCIES.entries()) {
        this.prices[p * CURRENCIES.length + c] = roundTo(usd * currency.rate, currency.decimals)
      }
    }

    const activeSessions = o.activeSessions ?? Math.max(1, Math.min(1000, Math.floor(users / 10)))
    if (activeSessions > users) {
      throw new FreshetError(
        'INVALID_OPTION',
        `EventGenerator: option "activeSessions" (${activeSessions}) must not exceed users (${users})`,
        {
          details: { option: 'activeSessions', expected: `an integer in [1, ${users}]` },
        },
      )
    }
    this.sessions = []
    for (let i = 0; i < activeSessions; i++) this.sessions.push(this.startSession())
  }

  /** The next event of a randomly chosen session in progress. */
  next(): UserEvent {
    for (;;) {
      const index = Math.floor(this.random.next() * this.sessions.length)
      const session = this.sessions[index]
      const event = this.step(session)
      if (event !== undefined) {
        this.lastSession = session
        return event
      }
      // The session ended without a final event: another user's session takes its place.
      this.active[session.user] = 0
      this.sessions[index] = this.startSession()
    }
  }

  /**
   * The user_id of the event `next()` returned last, as UTF-8 bytes: the record key, encoded once
   * per session rather than once per event.
   */
  get lastUserKey(): Buffer {
    const session = this.lastSession
    if (session === undefined) {
      throw new FreshetError('INVALID_STATE', 'EventGenerator.lastUserKey: no event generated yet')
    }
    return (session.key ??= Buffer.from(session.userId))
  }

  /** The next `count` events. */
  batch(count: number): UserEvent[] {
    const out = new Array<UserEvent>(count)
    for (let i = 0; i < count; i++) out[i] = this.next()
    return out
  }

  private startSession(): Session {
    const user = this.idleUser()
    this.active[user] = 1
    const random = this.random
    let device = this.userDevice[user]
    let browser = this.userBrowser[user]
    if (random.next() >= SAME_DEVICE) {
      device = pick(DEVICE_WEIGHTS, random.next())
      browser = pick(BROWSER_WEIGHTS[device], random.next())
    }
    return {
      user,
      userId: this.userIds[user],
      sessionId: `sess_${hex8(random.nextUint32())}${hex8(random.nextUint32())}`,
      device: DEVICES[device],
      browser: BROWSERS[browser],
      currency: this.userCurrency[user],
      remaining: 1 + Math.floor(-Math.log(1 - random.next()) * this.meanSessionEvents),
      last: PAGE_VIEW,
      viewing: -1,
      cart: [],
      pending: [],
      started: false,
      ended: false,
      key: undefined,
    }
  }

  /** A user without a session in progress (there is one: sessions never outnumber users). */
  private idleUser(): number {
    const users = this.userIds.length
    for (let attempt = 0; attempt < 8; attempt++) {
      const user = Math.floor(this.random.next() * users)
      if (this.active[user] === 0) return user
    }
    const start = Math.floor(this.random.next() * users)
    for (let i = 0; i < users; i++) {
      const user = (start + i) % users
      if (this.active[user] === 0) return user
    }
    throw new FreshetError('INVALID_STATE', 'EventGenerator: no idle user (sessions outnumber users)')
  }

  /** The session's next event, or undefined when it ends without one. */
  private step(s: Session): UserEvent | undefined {
    const pending = s.pending.shift()
    if (pending !== undefined) return this.restamp(pending)
    if (s.ended) return undefined
    const random = this.random
    if (!s.started) {
      s.started = true
      if (this.registered[s.user] === 0) {
        this.registered[s.user] = 1
        return this.emit(s, SIGNUP)
      }
      if (random.next() < STARTS_WITH_LOGIN) return this.emit(s, LOGIN)
      return this.pageView(s)
    }
    if (s.remaining <= 0) {
      s.ended = true
      return random.next() < ENDS_WITH_LOGOUT ? this.emit(s, LOGOUT) : undefined
    }
    s.remaining--

    // Draw the next action from the row of the previous one, leaving out what is not possible.
    const weights = this.weights
    const row = s.last * KINDS
    let total = 0
    for (let k = 0; k < KINDS; k++) {
      const possible =
        k === ADD_TO_CART
          ? s.viewing >= 0
          : k === PURCHASE || k === REMOVE_FROM_CART
            ? s.cart.length > 0
            : true
      weights[k] = total += possible ? TRANSITION_WEIGHTS[row + k] : 0
    }
    const u = random.next() * total
    let kind = 0
    while (u >= weights[kind]) kind++

    switch (kind) {
      case PAGE_VIEW:
        return this.pageView(s)
      case ADD_TO_CART: {
        s.cart.push(s.viewing)
        return this.emit(s, ADD_TO_CART, s.viewing, this.price(s, s.viewing))
      }
      case REMOVE_FROM_CART: {
        const at = Math.floor(random.next() * s.cart.length)
        const product = s.cart[at]
        s.cart.splice(at, 1)
        return this.emit(s, REMOVE_FROM_CART, product, this.price(s, product))
      }
      case PURCHASE:
        return this.checkout(s)
      case SEARCH:
        s.viewing = -1
        return this.emit(
          s,
          SEARCH,
          -1,
          null,
          SEARCH_QUERIES[Math.floor(random.next() * SEARCH_QUERIES.length)],
        )
      default:
        // button_click (1) and form_submit: interactions with the page in view.
        return this.emit(s, kind)
    }
  }

  private pageView(s: Session): UserEvent {
    const random = this.random
    const share = s.last === SEARCH ? PRODUCT_PAGE_AFTER_SEARCH : PRODUCT_PAGE
    if (random.next() < share) {
      // Squaring skews views towards the first products of the catalog, the best sellers.
      const u = random.next()
      s.viewing = Math.floor(u * u * this.productIds.length)
    } else s.viewing = -1
    return this.emit(s, PAGE_VIEW, s.viewing)
  }

  /** Pays for the cart: one transaction, then a purchase per line item (or a declined form). */
  private checkout(s: Session): UserEvent {
    const random = this.random
    const currency = CURRENCIES[s.currency]
    const quantities = new Map<number, number>()
    for (const product of s.cart) quantities.set(product, (quantities.get(product) ?? 0) + 1)
    const items: LineItem[] = []
    let total = 0
    for (const [product, quantity] of quantities) {
      const unitPrice = this.price(s, product)
      items.push({ product_id: this.productIds[product], quantity, unit_price: unitPrice })
      total += unitPrice * quantity
    }
    const transaction: TransactionEvent = {
      transaction_id: `txn_${hex8(random.nextUint32())}${hex8(random.nextUint32())}`,
      user_id: s.userId,
      session_id: s.sessionId,
      timestamp: this.clock(),
      amount: roundTo(total, currency.decimals),
      currency: currency.code,
      status: STATUSES[pick(STATUS_WEIGHTS, random.next())],
      payment_method: PAYMENT_METHODS[pick(PAYMENT_WEIGHTS, random.next())],
      items,
    }
    this.onTransaction?.(transaction)
    if (transaction.status === 'failed') return this.emit(s, FORM_SUBMIT)

    s.cart.length = 0
    s.viewing = -1
    const [first, ...rest] = [...quantities].map(([product, quantity]) =>
      this.event(
        s,
        PURCHASE,
        product,
        roundTo(this.price(s, product) * quantity, currency.decimals),
        null,
        transaction.transaction_id,
      ),
    )
    s.pending.push(...rest)
    s.last = PURCHASE
    return first as UserEvent
  }

  private price(s: Session, product: number): number {
    return this.prices[product * CURRENCIES.length + s.currency]
  }

  private emit(
    s: Session,
    kind: number,
    product = -1,
    amount: number | null = null,
    query: string | null = null,
  ): UserEvent {
    s.last = kind
    return this.event(s, kind, product, amount, query, null)
  }

  private event(
    s: Session,
    kind: number,
    product: number,
    amount: number | null,
    query: string | null,
    transactionId: string | null,
  ): UserEvent {
    return {
      timestamp: this.clock(),
      event_type: TYPES[kind],
      user_id: s.userId,
      version: '1.0',
      data: {
        product_id: product < 0 ? null : this.productIds[product],
        amount,
        currency: amount === null ? null : CURRENCIES[s.currency].code,
        session_id: s.sessionId,
        device: s.device,
        browser: s.browser,
        search_query: query,
        transaction_id: transactionId,
      },
    }
  }

  /** A queued purchase gets the time it is returned at, so timestamps never go backwards. */
  private restamp(event: UserEvent): UserEvent {
    event.timestamp = this.clock()
    return event
  }
}

/**
 * Generates the `TransactionEvent`s of an EventGenerator's checkouts (the user events themselves
 * are generated and dropped). With the same options it yields the transactions whose purchases
 * an EventGenerator with those options emits.
 */
export class TransactionGenerator {
  private readonly queue: TransactionEvent[] = []
  private readonly events: EventGenerator

  constructor(options: Omit<EventGeneratorOptions, 'onTransaction'> = {}) {
    this.events = new EventGenerator({
      ...options,
      onTransaction: (transaction) => this.queue.push(transaction),
    })
  }

  get seed(): number {
    return this.events.seed
  }

  next(): TransactionEvent {
    while (this.queue.length === 0) this.events.next()
    return this.queue.shift()!
  }

  batch(count: number): TransactionEvent[] {
    const out = new Array<TransactionEvent>(count)
    for (let i = 0; i < count; i++) out[i] = this.next()
    return out
  }
}

function roundTo(value: number, decimals: number): number {
  const scale = decimals === 0 ? 1 : 10 ** decimals
  return Math.round(value * scale) / scale
}

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0')
}
