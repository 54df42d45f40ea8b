import { checks, type Spec } from '../options/index.ts'
import type { TransactionEvent } from '../schemas/index.ts'

export interface EventGeneratorOptions {
  /** Size of the user population (`user_000000` ...). */
  users?: number
  /** Seed of the random sequence; the same seed and clock give the same events. Random when absent. */
  seed?: number
  /** Source of event timestamps, in milliseconds since the epoch. */
  clock?: () => number
  /** Sessions in progress at any time (at most `users`). Default: a tenth of the users, at most 1,000. */
  activeSessions?: number
  /** Average events per session (exponentially distributed). */
  meanSessionEvents?: number
  /** Size of the product catalog (`prod_00000` ...). */
  products?: number
  /** Called with the transaction of every checkout, before its purchase events are returned. */
  onTransaction?: (transaction: TransactionEvent) => void
}

const fn = checks.func

export const DEFAULT_USERS = 10_000
export const DEFAULT_MEAN_SESSION_EVENTS = 25
export const DEFAULT_PRODUCTS = 1_000

export const eventGeneratorSpec: Spec<EventGeneratorOptions> = {
  users: { check: checks.int(1, 10_000_000), default: DEFAULT_USERS },
  seed: { check: checks.int(0, 0xffffffff) },
  clock: { check: fn<() => number>(), default: Date.now },
  activeSessions: { check: checks.int(1, 10_000_000) },
  meanSessionEvents: { check: checks.number(1, 10_000), default: DEFAULT_MEAN_SESSION_EVENTS },
  products: { check: checks.int(1, 1_000_000), default: DEFAULT_PRODUCTS },
  onTransaction: { check: fn<(transaction: TransactionEvent) => void>() },
}
