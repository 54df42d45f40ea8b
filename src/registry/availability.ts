/**
 * Whether a registry instance can do its job, as an explicit state machine:
 *
 *   STARTING           reading the log to its end for the first time (startRegistry has not resolved)
 *   SERVING            the last catch-up reached the end of the log
 *   WAITING_FOR_KAFKA  a catch-up could not: the end offset could not be read (Kafka unreachable,
 *                      the topic gone) or the tail stopped short of it. Reads answer from memory,
 *                      writes fail at once, and the store tries again after a capped backoff for as
 *                      long as it takes; the first catch-up that succeeds leads back to SERVING.
 *   CLOSED             close() was called
 *
 * A failure during STARTING makes the start fail instead: nothing was served yet.
 */
import { FreshetError } from '../errors/index.ts'

export type AvailabilityState = 'STARTING' | 'SERVING' | 'WAITING_FOR_KAFKA' | 'CLOSED'

export const AVAILABILITY_TRANSITIONS: Readonly<Record<AvailabilityState, readonly AvailabilityState[]>> = {
  STARTING: ['SERVING', 'CLOSED'],
  SERVING: ['WAITING_FOR_KAFKA', 'CLOSED'],
  WAITING_FOR_KAFKA: ['SERVING', 'CLOSED'],
  CLOSED: [],
}

/** What `status()` says of the registry's log. */
export type RegistryAvailability =
  | { state: 'STARTING' | 'SERVING' | 'CLOSED' }
  | {
      state: 'WAITING_FOR_KAFKA'
      /** When the wait began (epoch ms). */
      sinceMs: number
      /** The latest failure to reach the end of the log. */
      reason: string
    }

/** A change worth one log record: the wait begins, or it is over. */
export type AvailabilityChange =
  | { state: 'WAITING_FOR_KAFKA'; sinceMs: number; reason: string; cause: unknown }
  | { state: 'SERVING'; waitedMs: number }

export class Availability {
  #state: AvailabilityState = 'STARTING'
  #sinceMs = 0
  #reason = ''
  readonly #onChange: (change: AvailabilityChange) => void

  constructor(onChange: (change: AvailabilityChange) => void) {
    this.#onChange = onChange
  }

  get state(): AvailabilityState {
    return this.#state
  }

  get status(): RegistryAvailability {
    if (this.#state === 'WAITING_FOR_KAFKA') {
      return { state: this.#state, sinceMs: this.#sinceMs, reason: this.#reason }
    }
    return { state: this.#state }
  }

  #moveTo(next: AvailabilityState): void {
    if (!AVAILABILITY_TRANSITIONS[this.#state].includes(next)) {
      throw new FreshetError('INVALID_STATE', `registry: cannot go from ${this.#state} to ${next}`, {
        details: { state: this.#state, next },
      })
    }
    this.#state = next
  }

  /** A catch-up reached the end of the log. */
  reached(): void {
    if (this.#state === 'STARTING') return this.#moveTo('SERVING')
    if (this.#state !== 'WAITING_FOR_KAFKA') return
    this.#moveTo('SERVING')
    this.#notify({ state: 'SERVING', waitedMs: Date.now() - this.#sinceMs })
  }

  /** A catch-up failed; reported once when the wait begins, the reason kept up to date after. */
  lost(reason: string, cause: unknown): void {
    if (this.#state === 'WAITING_FOR_KAFKA') {
      this.#reason = reason
      return
    }
    if (this.#state !== 'SERVING') return
    this.#moveTo('WAITING_FOR_KAFKA')
    this.#sinceMs = Date.now()
    this.#reason = reason
    this.#notify({ state: 'WAITING_FOR_KAFKA', sinceMs: this.#sinceMs, reason, cause })
  }

  #notify(change: AvailabilityChange): void {
    try {
      this.#onChange(change)
    } catch {
      // A failing listener must not stop the registry from serving or from recovering.
    }
  }

  close(): void {
    if (this.#state !== 'CLOSED') this.#moveTo('CLOSED')
  }
}
