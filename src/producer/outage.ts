/**
 * Waiting out a lost cluster, for `EventProducer` and `EventConsumer` (the job workers do the same
 * in src/runtime/worker.ts): which failures a new client may get past, the backoff between
 * attempts, the limit, and what is reported while waiting.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { ErrorCodes, FreshetError } from '../errors/index.ts'
import { checks, type Check } from '../options/index.ts'

/** Between two attempts while the cluster cannot be reached: 250 ms, doubling up to 5 s. */
export const OUTAGE_BACKOFF_MS = { first: 250, max: 5_000 } as const

/** How long an outage is waited out before the run fails, by default: 5 minutes. */
export const DEFAULT_OUTAGE_TIMEOUT_MS = 300_000

/** `outageTimeoutMs`: milliseconds (0: fail when the client's own retries give up) or Infinity. */
export const outageTimeoutCheck: Check<number> = (where, key, value) =>
  value === Infinity ? Infinity : checks.int(0)(where, key, value)

/** What a producer or consumer waits for, while it does. */
export interface OutageWaiting {
  for: 'kafka'
  /** When the outage began: the first failure that the client's own retries did not get past. */
  sinceMs: number
  reason: string
  code: string
}

export interface OutageWaitingEvent extends OutageWaiting {
  type: 'waiting'
}

export interface OutageResumedEvent {
  type: 'resumed'
  for: 'kafka'
  waitedMs: number
  /** Attempts made during the wait, the one that succeeded included. */
  attempts: number
}

/** `/ready`'s reason while waiting. */
export function waitingReason(waiting: OutageWaiting): string {
  return `waiting for Kafka since ${new Date(waiting.sinceMs).toISOString()} (${waiting.reason})`
}

// The client library's error codes of mistakes that no retry corrects: a record it cannot
// serialize, an unknown topic (auto-creation is off), credentials, a feature the cluster lacks.
const PERMANENT_CLIENT_CODES = [
  'PLT_KFK_USER',
  'PLT_KFK_AUTHENTICATION',
  'PLT_KFK_UNSUPPORTED',
  'PLT_KFK_UNSUPPORTED_API',
  'PLT_KFK_UNSUPPORTED_COMPRESSION',
  'PLT_KFK_UNSUPPORTED_FORMAT',
]

// Broker errors the client does not retry but a new client gets past: a new producer id (the
// broker lost or rejected the old one's sequence state) or a new member of the group (the old
// one was removed while the cluster was away).
const NEW_CLIENT_FIXES = [
  'UNKNOWN_PRODUCER_ID',
  'OUT_OF_ORDER_SEQUENCE_NUMBER',
  'INVALID_PRODUCER_EPOCH',
  'UNKNOWN_MEMBER_ID',
  'ILLEGAL_GENERATION',
  'REBALANCE_IN_PROGRESS',
  'MEMBER_ID_REQUIRED',
]

/**
 * Whether a client error, with everything nested in it (the client aggregates one error per
 * attempt), is one a new client may get past: nothing in it is a permanent mistake.
 */
function mayPassWithNewClient(error: unknown, depth = 0): boolean {
  if (depth > 8 || !(error instanceof Error)) return true
  const { code, apiId, canRetry } = error as { code?: unknown; apiId?: unknown; canRetry?: unknown }
  if (typeof code === 'string' && PERMANENT_CLIENT_CODES.includes(code)) return false
  if (typeof apiId === 'string' && canRetry === false && !NEW_CLIENT_FIXES.includes(apiId)) return false
  if (error instanceof AggregateError && !error.errors.every((e) => mayPassWithNewClient(e, depth + 1))) {
    return false
  }
  const cause = (error as { cause?: unknown }).cause
  return cause === error || mayPassWithNewClient(cause, depth + 1)
}

/**
 * Whether `error` is an outage to wait out with a new client: Kafka unreachable, or a Kafka error
 * that a new client may get past (the retries of an unreachable cluster can end on a refusal no
 * client gets past, so both are looked into). Not once an outage was waited out to its limit.
 */
export function isOutage(error: unknown): error is FreshetError {
  if (!(error instanceof FreshetError)) return false
  if (error.details?.['outageTimeoutMs'] !== undefined) return false
  switch (error.code) {
    case ErrorCodes.KAFKA_UNREACHABLE.code:
    case ErrorCodes.KAFKA_ERROR.code:
    case ErrorCodes.PRODUCE_FAILED.code:
    case ErrorCodes.DLQ_WRITE_FAILED.code:
      return error.cause === undefined ? error.retriable : mayPassWithNewClient(error.cause)
    default:
      return false
  }
}

/**
 * One outage being waited out: when it began, the backoff before the next attempt, the attempts
 * made. The limit counts from the first failure.
 */
export class Outage {
  readonly sinceMs: number
  readonly limitMs: number
  readonly #what: string
  #backoffMs: number = OUTAGE_BACKOFF_MS.first
  #last: FreshetError
  attempts = 0

  /** `what`: who waits, for the error at the limit ("produce to user-events"). */
  constructor(first: FreshetError, limitMs: number, what: string, sinceMs = Date.now()) {
    this.#last = first
    this.limitMs = limitMs
    this.#what = what
    this.sinceMs = sinceMs
  }

  get waiting(): OutageWaiting {
    return { for: 'kafka', sinceMs: this.sinceMs, reason: this.#last.message, code: this.#last.code }
  }

  waitingEvent(): OutageWaitingEvent {
    return { type: 'waiting', ...this.waiting }
  }

  resumedEvent(): OutageResumedEvent {
    return { type: 'resumed', for: 'kafka', waitedMs: Date.now() - this.sinceMs, attempts: this.attempts }
  }

  /** Keeps the latest failure: the one the limit reports. */
  failed(error: FreshetError): void {
    this.#last = error
  }

  /**
   * Waits before the next attempt (never past the limit) and counts it; false when there is no
   * time left for one, or the signal aborted the wait.
   */
  async beforeAttempt(signal?: AbortSignal): Promise<boolean> {
    const leftMs = this.sinceMs + this.limitMs - Date.now()
    if (leftMs <= 0 || signal?.aborted) return false
    await sleep(Math.min(this.#backoffMs, leftMs), undefined, signal ? { signal } : {}).catch(() => {})
    this.#backoffMs = Math.min(this.#backoffMs * 2, OUTAGE_BACKOFF_MS.max)
    if (signal?.aborted) return false
    this.attempts++
    return true
  }

  /** The failure that ends the run: the outage outlasted the limit, or a signal ended the wait. */
  giveUp(aborted = false): FreshetError {
    const last = this.#last
    const why = aborted
      ? 'stopped while waiting for Kafka'
      : `Kafka did not answer within outageTimeoutMs (${this.limitMs} ms)`
    return new FreshetError(
      last.code === ErrorCodes.KAFKA_UNREACHABLE.code ? 'KAFKA_UNREACHABLE' : 'KAFKA_ERROR',
      `${this.#what}: ${why}: ${last.message}`,
      {
        cause: last,
        retriable: false,
        details: { outageTimeoutMs: this.limitMs, sinceMs: this.sinceMs },
        ...(last.topic === undefined ? {} : { topic: last.topic }),
      },
    )
  }
}
