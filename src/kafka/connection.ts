import { FreshetError } from '../errors/index.ts'
import { checks, type Spec } from '../options/index.ts'

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
  retries: { check: checks.int(0, 100), default: 5 },
}

/** Splits "a:1,b:2" (CLI and env form) into a broker list. */
export function parseBrokers(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
}

export function baseClientOptions(options: ConnectionOptions): {
  clientId: string
  bootstrapBrokers: string[]
  timeout: number
  retries: number
  retryDelay: number
} {
  return {
    clientId: options.clientId ?? 'freshet',
    bootstrapBrokers: options.bootstrapBrokers,
    timeout: options.requestTimeoutMs ?? 30_000,
    retries: options.retries ?? 5,
    retryDelay: 250,
  }
}
