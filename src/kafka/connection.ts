import { FreshetError } from '../errors/index.ts'
import { checks, type Spec } from '../options/index.ts'
import { brokerErrors } from './errors.ts'

/** How to reach the cluster; shared by the producer, consumer and admin. */
export interface ConnectionOptions {
  /** host:port list of bootstrap brokers. */
  bootstrapBrokers: string[]
  clientId?: string
  /** Per-request timeout. */
  requestTimeoutMs?: number
  /** Retries of retriable request errors before giving up. */
  retries?: number
}

export const connectionSpec: Spec<ConnectionOptions> = {
  bootstrapBrokers: {
    check: (where, key, value) => {
      const list = checks.stringList()(where, key, value)
      if (list.length === 0 || list.some((b) => !/^[^:\s]+:\d+$/.test(b))) {
        throw new FreshetError(
          'INVALID_OPTION',
          `${where}: option "${key}" must list host:port brokers, got ${JSON.stringify(value)}`,
        )
      }
      return list
    },
  },
  clientId: { check: checks.string(), default: 'freshet' },
  requestTimeoutMs: { check: checks.int(100, 600_000), default: 30_000 },
  retries: { check: checks.int(0, 100_000), default: 5 },
}

/** Splits "a:1,b:2" (CLI and env form) into a broker list. */
export function parseBrokers(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
}

/** The wait before retrying a retriable request error. */
export const RETRY_DELAY_MS = 250
// The coordinator answers CONCURRENT_TRANSACTIONS while it still writes the markers of the previous
// transaction, which takes milliseconds: the Java client retries it after 20 ms, not its usual
// backoff. Doubling from there keeps the retries' total wait near the usual one.
const CONCURRENT_TRANSACTIONS_FIRST_DELAY_MS = 20

/** The wait before a retry of a failed request, by the error (the client's `retryDelay` hook). */
export function retryDelayMs(
  _client: unknown,
  _operation: string,
  attempt: number,
  _retries: number,
  error: unknown,
): number {
  if (!brokerErrors(error).has('CONCURRENT_TRANSACTIONS')) return RETRY_DELAY_MS
  return Math.min(CONCURRENT_TRANSACTIONS_FIRST_DELAY_MS * 2 ** (attempt - 1), RETRY_DELAY_MS)
}

export function baseClientOptions(options: ConnectionOptions): {
  clientId: string
  bootstrapBrokers: string[]
  timeout: number
  retries: number
  retryDelay: typeof retryDelayMs
} {
  return {
    clientId: options.clientId ?? 'freshet',
    bootstrapBrokers: options.bootstrapBrokers,
    timeout: options.requestTimeoutMs ?? 30_000,
    retries: options.retries ?? 5,
    retryDelay: retryDelayMs,
  }
}
