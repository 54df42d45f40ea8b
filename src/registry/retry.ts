/** Waiting for Kafka: backoff between attempts, and a bound on calls that may never answer. */
import { FreshetError } from '../errors/index.ts'

/** First wait of a retry loop, doubled per failed attempt up to `MAX_RETRY_DELAY_MS`. */
export const RETRY_DELAY_MS = 250
export const MAX_RETRY_DELAY_MS = 5_000

/** The wait before attempt `attempt + 1` (0-based): `firstMs`, doubling, never above `maxMs`. */
export function backoffMs(attempt: number, firstMs = RETRY_DELAY_MS, maxMs = MAX_RETRY_DELAY_MS): number {
  return Math.min(maxMs, firstMs * 2 ** Math.min(attempt, 30))
}

/**
 * `call`'s answer, or FRESHET_KAFKA_UNREACHABLE once `timeoutMs` has passed without one. A request
 * to a broker that went away without closing its connections can wait for minutes (the client's
 * request timeout, times its retries); the caller must answer its own client before that.
 */
export function withDeadline<T>(call: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new FreshetError(
            'KAFKA_UNREACHABLE',
            `${what}: Kafka is unreachable (no answer within ${timeoutMs} ms)`,
          ),
        ),
      timeoutMs,
    )
  })
  // The call goes on after the deadline; its late failure is nobody's to handle.
  call.catch(() => undefined)
  return Promise.race([call, expired]).finally(() => clearTimeout(timer))
}
