/**
 * How far a registry instance has read its log, and whether it reaches the end of it: the tail
 * applies every record once, in offset order, tells waiters when an offset is applied, and keeps
 * the instance's availability (availability.ts) current, whether requests come or not.
 */
import type { FreshetError } from '../errors/index.ts'
import { Availability, type AvailabilityChange, type RegistryAvailability } from './availability.ts'
import { RegistryErrorCodes as E, registryError, storeError } from './errors.ts'
import { backoffMs, MAX_RETRY_DELAY_MS, RETRY_DELAY_MS, withDeadline } from './retry.ts'
import type { LogEntry, RegistryLog } from './types.ts'

export interface LogTailOptions {
  /** Applies one record to the state; called once per offset, in order. */
  apply: (entry: LogEntry) => void
  /** Default timeout of catchUp() and waitApplied(). */
  timeoutMs: number
  /** Called once when the instance starts waiting for Kafka, and once when it serves again. */
  onAvailabilityChange?: (change: AvailabilityChange) => void
  /** How often a serving instance checks that it still reaches the end of its log. */
  checkIntervalMs?: number
  /** First wait between attempts while waiting for Kafka; doubled per failure up to `maxRetryDelayMs`. */
  retryDelayMs?: number
  maxRetryDelayMs?: number
}

/** Longest the watch waits for one catch-up (for the end offset, then as long for the tail). */
const CHECK_TIMEOUT_MS = 10_000
const CHECK_INTERVAL_MS = 5_000

interface Waiter {
  offset: bigint
  resolve: () => void
  reject: (error: Error) => void
}

export class LogTail {
  readonly #log: RegistryLog
  readonly #options: LogTailOptions
  readonly #availability: Availability
  /** Offset after the last entry applied: every record below it is in the state. */
  #applied = 0n
  #waiters: Waiter[] = []
  readonly #closing = new AbortController()
  #watching: Promise<void> | undefined
  /** Set by a failure the watch should look into now rather than at its next check. */
  #suspected = false
  #wakeWatch: (() => void) | undefined
  /** The log's latest read failure, named when the tail stalls. */
  #readError: unknown

  constructor(log: RegistryLog, options: LogTailOptions) {
    this.#log = log
    this.#options = options
    this.#availability = new Availability(options.onAvailabilityChange ?? (() => undefined))
  }

  get applied(): bigint {
    return this.#applied
  }

  get availability(): RegistryAvailability {
    return this.#availability.status
  }

  get waitingForKafka(): boolean {
    return this.#availability.state === 'WAITING_FOR_KAFKA'
  }

  /** Starts reading the log and resolves once every record written before is applied. */
  async start(): Promise<void> {
    await this.#log.start(
      (entries) => this.#onEntries(entries),
      (error) => {
        this.#readError = error
        this.suspect()
      },
    )
    await this.catchUp()
    this.#watching = this.#watch()
  }

  /**
   * Fails what still waits (nobody is left to answer) and stops the watch. The log itself is the
   * caller's to close, after its own writes; then `stopped()` resolves once the watch has ended.
   */
  close(): void {
    this.#availability.close()
    this.#closing.abort()
    const waiters = this.#waiters
    this.#waiters = []
    for (const w of waiters) w.reject(registryError(E.STORE_ERROR, 'The registry is shutting down'))
  }

  async stopped(): Promise<void> {
    await this.#watching
  }

  #onEntries(entries: LogEntry[]): void {
    for (const entry of entries) {
      if (entry.offset < this.#applied) continue
      this.#options.apply(entry)
      this.#applied = entry.offset + 1n
    }
    const ready = this.#waiters.filter((w) => w.offset <= this.#applied)
    this.#waiters = this.#waiters.filter((w) => w.offset > this.#applied)
    for (const w of ready) w.resolve()
  }

  /** Resolves once every record below `offset` is applied; 50002 after `timeoutMs`. */
  waitApplied(offset: bigint, timeoutMs = this.#options.timeoutMs): Promise<void> {
    if (offset <= this.#applied) return Promise.resolve()
    if (this.#closing.signal.aborted) {
      return Promise.reject(registryError(E.STORE_ERROR, 'The registry is shutting down'))
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter)
        reject(
          registryError(
            E.OPERATION_TIMEOUT,
            `Timed out after ${timeoutMs} ms waiting for the registry log to reach offset ${offset}`,
          ),
        )
      }, timeoutMs)
      const waiter: Waiter = {
        offset,
        resolve: () => {
          clearTimeout(timer)
          resolve()
        },
        reject: (error) => {
          clearTimeout(timer)
          reject(error)
        },
      }
      this.#waiters.push(waiter)
    })
  }

  /**
   * Waits until every record in the log when called is applied: `timeoutMs` for the end offset,
   * then as long again for the tail. Records the outcome: reaching the end means the instance
   * serves; an end offset that cannot be read, or a tail that did not move at all towards it, means
   * it waits for Kafka (and a stalled tail reads again on new connections). A tail that moves but
   * has not arrived yet only fails this call.
   */
  async catchUp(timeoutMs = this.#options.timeoutMs): Promise<void> {
    let end: bigint
    try {
      end = await withDeadline(this.#log.endOffset(), timeoutMs, 'reading the registry log end offset')
    } catch (error) {
      this.#availability.lost(error instanceof Error ? error.message : String(error), error)
      throw storeError(error, 'reading the registry log end offset')
    }
    const from = this.#applied
    try {
      await this.waitApplied(end, timeoutMs)
    } catch (error) {
      if (this.#applied === from && !this.#closing.signal.aborted) {
        this.#log.reconnect?.()
        const read = this.#readError
        this.#availability.lost(
          `the registry log was not read past offset ${from} towards its end ${end} in ${timeoutMs} ms` +
            (read instanceof Error ? ` (last read error: ${read.message})` : ''),
          read ?? error,
        )
      }
      throw error
    }
    this.#availability.reached()
  }

  /** 50002 for a request that needs the log while the instance waits for Kafka. */
  unavailable(): FreshetError {
    const status = this.#availability.status
    const detail =
      status.state === 'WAITING_FOR_KAFKA'
        ? ` since ${new Date(status.sinceMs).toISOString()} (${status.reason})`
        : ''
    return registryError(
      E.OPERATION_TIMEOUT,
      `Kafka is unreachable: the registry has been waiting for its log${detail}; try again later`,
    )
  }

  /** A failure of the log's reads or of a write: the watch checks at once, not at its next turn. */
  suspect(): void {
    this.#suspected = true
    this.#wakeWatch?.()
  }

  /** Resolves after `ms`, at close(), or (when `wakeable`) at the next suspect(). */
  #pause(ms: number, wakeable: boolean): Promise<void> {
    return new Promise((resolve) => {
      const signal = this.#closing.signal
      const done = (): void => {
        clearTimeout(timer)
        signal.removeEventListener('abort', done)
        if (this.#wakeWatch === done) this.#wakeWatch = undefined
        resolve()
      }
      // The watch alone does not keep a process alive; the server using the store does.
      const timer = setTimeout(done, ms).unref()
      signal.addEventListener('abort', done, { once: true })
      if (wakeable) this.#wakeWatch = done
    })
  }

  /**
   * The watch, until close():
   *   1. Wait: the check interval while serving (not at all after a failure was reported); while
   *      waiting for Kafka, 250 ms doubled per failed attempt up to 5 s, with no limit on the
   *      attempts: a registry is a server, and comes back whenever Kafka does.
   *   2. Catch up; catchUp() records the outcome. Go back to step 1.
   */
  async #watch(): Promise<void> {
    const firstMs = this.#options.retryDelayMs ?? RETRY_DELAY_MS
    const maxMs = this.#options.maxRetryDelayMs ?? MAX_RETRY_DELAY_MS
    const timeoutMs = Math.min(this.#options.timeoutMs, CHECK_TIMEOUT_MS)
    let attempt = 0
    while (!this.#closing.signal.aborted) {
      // Step 1
      if (this.waitingForKafka) {
        await this.#pause(backoffMs(attempt++, firstMs, maxMs), false)
      } else {
        attempt = 0
        if (!this.#suspected) await this.#pause(this.#options.checkIntervalMs ?? CHECK_INTERVAL_MS, true)
      }
      if (this.#closing.signal.aborted) return
      this.#suspected = false
      // Step 2
      await this.catchUp(timeoutMs).catch(() => undefined)
    }
  }
}
