/**
 * Produces records idempotently (acks=all), in batches with a bounded number of requests in
 * flight. They come from a `RecordSource`: by default generated user events, keyed by user_id,
 * Avro through the registry; or any other source (`JsonLines`: a file of JSON values). An outage of the
 * cluster is waited out, for up to `outageTimeoutMs`, by sending again the batches that failed in
 * it (`#recover`).
 *
 * What a resend can and cannot promise. The brokers drop a retried batch that they already wrote
 * only when it comes with the same producer id and sequence numbers, and the client keeps them
 * only for its own retries of a request. Once those give up, the client forgets its producer id
 * and sequences (it takes a new id at the next send), and a batch resent after that is a new
 * batch to the brokers. So a batch whose request failed may have been written, and its resend
 * writes it again: delivery is at least once for those records (`resentRecords` counts them), and
 * exactly once for all others. Order is kept: nothing new is sent before the failed batches are
 * acknowledged, and they are resent in the order they were made. A batch in flight beside a
 * failed one could still be acknowledged after it and so land before its resend; dropping the
 * failed batch's client at once ends its retries of the others, and such a batch is counted
 * (`overtakenRecords`).
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { FreshetError, toFreshetError } from '../errors/index.ts'
import { KafkaProducer, type OutRecord } from '../kafka/index.ts'
import { validateOptions } from '../options/index.ts'
import { UserEventSchema, type UserEvent } from '../schemas/index.ts'
import { createSerializer } from '../serde/index.ts'
import { eventProducerSpec, type EventProducerOptions } from './options.ts'
import {
  isOutage,
  Outage,
  type OutageResumedEvent,
  type OutageWaiting,
  type OutageWaitingEvent,
} from './outage.ts'
import { GeneratedEvents, type RecordSource } from './source.ts'

export interface ProduceProgress {
  sent: number
  failed: number
  bytes: number
  elapsedMs: number
  ratePerSec: number
  target: number | null
}

export interface ProduceSummary extends ProduceProgress {
  /** The first error that stopped the run, if any. */
  error?: FreshetError
}

/** Everything the producer sent since it was made, over all its runs. */
export interface ProducerStatus {
  topic: string
  /** Records the brokers acknowledged. */
  records: number
  /** Their key and value bytes. */
  bytes: number
  /** Records given up on (never acknowledged), by error code. */
  failed: Record<string, number>
  requestsInFlight: number
  /** While an outage of the cluster is waited out: since when, and the latest failure. */
  waiting: OutageWaiting | undefined
  /** Outages waited out. */
  resumes: number
  /**
   * Records sent again after a request of theirs failed, once per resend. The failed request may
   * have been written all the same: the topic holds at most this many duplicates.
   */
  resentRecords: number
}

/** One produce request (a batch), at its acknowledgement or failure. */
export interface ProducerRequest {
  topic: string
  records: number
  bytes: number
  durationMs: number
  error?: FreshetError
}

/** The end of an outage the producer waited out. */
export interface ProducerResumedEvent extends OutageResumedEvent {
  /** Records sent again during the wait (see `ProducerStatus.resentRecords`). */
  resentRecords: number
  /**
   * Records of batches in flight when the outage began that were acknowledged after an earlier
   * batch had failed: the earlier batch's records land after them. The client of the failed batch
   * is dropped at once, so this takes a broker answering again within that moment; normally 0.
   */
  overtakenRecords: number
}

export type ProducerOutageEvent = OutageWaitingEvent | ProducerResumedEvent

export interface RunOptions {
  onProgress?: (progress: ProduceProgress) => void
  /** Called once per produce request when it is acknowledged or fails (metrics). */
  onRequest?: (request: ProducerRequest) => void
  /** Called once when the producer begins to wait out an outage, and once when it carries on. */
  onOutage?: (event: ProducerOutageEvent) => void
  /**
   * Aborting stops after the requests in flight are acknowledged; during an outage it ends the
   * wait, and the batches not acknowledged count as failed.
   */
  signal?: AbortSignal
}

/** The records of one produce request, and where they stand among the run's. */
interface Batch {
  /** The order the batch was made in: resends go by it. */
  readonly index: number
  readonly records: OutRecord[]
  readonly bytes: number
  /** How its first request ended. */
  settled?: 'acknowledged' | 'failed'
  /** Acknowledged while an earlier batch failed, to be written after it. */
  overtook?: boolean
}

/** One run's batches in flight, and the outage they met, if any. */
interface RunState {
  readonly run: RunOptions
  readonly inFlight: Set<Promise<void>>
  /** The batches sent since the oldest one not yet settled, in order. */
  readonly window: Batch[]
  /** Batches whose request failed in the outage under way, to be sent again. */
  readonly failed: Batch[]
  outage: Outage | undefined
  /** The first batch that failed in the outage under way. */
  firstFailedIndex: number
  /** Records of batches that overtook a failed one in the outage under way. */
  overtakenRecords: number
  /** The first error the run cannot get past; it ends the run. */
  error: FreshetError | undefined
}

export class EventProducer {
  readonly #options: EventProducerOptions
  readonly #source: RecordSource
  #producer: KafkaProducer
  /** Closes of the clients dropped in outages, still running. */
  readonly #dropped: Array<Promise<void>> = []
  readonly #status: ProducerStatus

  constructor(options: EventProducerOptions) {
    const o = validateOptions('EventProducer', options, eventProducerSpec)
    this.#options = o
    this.#status = {
      topic: o.topic!,
      records: 0,
      bytes: 0,
      failed: {},
      requestsInFlight: 0,
      waiting: undefined,
      resumes: 0,
      resentRecords: 0,
    }
    this.#source =
      o.source ??
      new GeneratedEvents(
        o.topic!,
        {
          users: o.users!,
          ...(o.seed === undefined ? {} : { seed: o.seed }),
          ...(o.clock === undefined ? {} : { clock: o.clock }),
        },
        createSerializer<UserEvent>({
          format: o.format!,
          topic: o.topic!,
          schema: UserEventSchema,
          ...(o.registry ? { registry: o.registry } : {}),
        }),
      )
    this.#producer = this.#newClient()
  }

  #newClient(): KafkaProducer {
    const o = this.#options
    return new KafkaProducer({
      bootstrapBrokers: o.bootstrapBrokers,
      clientId: o.clientId!,
      idempotent: true,
      acks: 'all',
      compression: o.compression!,
    })
  }

  /**
   * Replaces the client. Closing the old one (in the background) ends its retries of the requests
   * still in flight on it at once: they fail, and are sent again in order.
   */
  #dropClient(): void {
    const old = this.#producer
    this.#producer = this.#newClient()
    this.#dropped.push(old.close().catch(() => {}))
  }

  /**
   * Produces until `count` records, `durationMs`, the end of the source, or the signal aborts,
   * whichever comes first. A source that fails (a bad input line) ends the run as a failed request
   * does: nothing more is sent, and the summary carries the error.
   */
  async run(run: RunOptions = {}): Promise<ProduceSummary> {
    const o = this.#options
    const source = this.#source
    if (o.count === undefined && o.durationMs === undefined && run.signal === undefined && !source.finite) {
      throw new FreshetError(
        'INVALID_OPTION',
        'EventProducer.run: give "count", "durationMs" or a signal to stop it',
      )
    }
    await source.init()
    const startMs = performance.now()
    const target = o.count ?? null
    const deadlineMs = o.durationMs === undefined ? Infinity : startMs + o.durationMs
    // With a rate limit, small batches spaced in time keep the rate smooth (about 20 sends/s).
    const batchSize =
      o.ratePerSec === undefined
        ? o.batchSize!
        : Math.max(1, Math.min(o.batchSize!, Math.ceil(o.ratePerSec / 20)))
    // Where the rate's schedule starts; an outage's wait moves it on, so the run never bursts to
    // catch up on what it could not send meanwhile.
    let scheduleMs = startMs
    let queued = 0
    const state: RunState = {
      run,
      inFlight: new Set(),
      window: [],
      failed: [],
      outage: undefined,
      firstFailedIndex: Infinity,
      overtakenRecords: 0,
      error: undefined,
    }
    // This run's figures: the producer's totals less those at its start.
    const status = this.#status
    const failedTotal = (): number => Object.values(status.failed).reduce((sum, n) => sum + n, 0)
    const before = { records: status.records, bytes: status.bytes, failed: failedTotal() }

    const progress = (): ProduceProgress => {
      const elapsedMs = performance.now() - startMs
      const sent = status.records - before.records
      return {
        sent,
        failed: failedTotal() - before.failed,
        bytes: status.bytes - before.bytes,
        elapsedMs,
        ratePerSec: elapsedMs > 0 ? (sent * 1000) / elapsedMs : 0,
        target,
      }
    }
    const timer = run.onProgress ? setInterval(() => run.onProgress!(progress()), 250) : undefined

    try {
      while (!state.error) {
        if (state.failed.length > 0 || state.outage) {
          // Nothing new goes out before the failed batches are acknowledged.
          const pausedMs = performance.now()
          await Promise.all(state.inFlight)
          await this.#recover(state)
          scheduleMs += performance.now() - pausedMs
          continue
        }
        if (run.signal?.aborted) break
        const remaining = target === null ? batchSize : Math.min(batchSize, target - queued)
        if (remaining <= 0 || performance.now() >= deadlineMs) break
        if (o.ratePerSec !== undefined) {
          const dueMs = scheduleMs + (queued / o.ratePerSec) * 1000
          // A batch due at or after the deadline belongs to a run that has ended.
          if (dueMs >= deadlineMs) break
          const waitMs = dueMs - performance.now()
          if (waitMs > 1) await sleep(waitMs)
          if (performance.now() >= deadlineMs || run.signal?.aborted) break
          // An outage that began meanwhile comes first.
          if (state.outage || state.error) continue
        }
        let records: OutRecord[]
        try {
          records = await source.next(remaining)
        } catch (error) {
          state.error ??= toFreshetError(error, 'INVALID_STATE', 'the record source failed')
          break
        }
        if (records.length === 0) break
        this.#launch(this.#makeBatch(queued, records), state)
        queued += records.length
        if (state.inFlight.size >= o.maxInFlight!) await Promise.race(state.inFlight)
      }
      await Promise.all(state.inFlight)
      if (state.outage && !state.error) await this.#recover(state)
      // A failure the run cannot get past came during the outage: the failed batches stay failed.
      if (state.outage) this.#endOutage(state, state.failed.splice(0))
    } finally {
      if (timer) clearInterval(timer)
    }
    const summary: ProduceSummary = progress()
    if (state.error) summary.error = state.error
    run.onProgress?.(summary)
    return summary
  }

  /** `records` as a batch; `index`: records made before it in this run. */
  #makeBatch(index: number, records: OutRecord[]): Batch {
    let bytes = 0
    for (const r of records) bytes += (r.key?.length ?? 0) + (r.value?.length ?? 0)
    return { index, records, bytes }
  }

  /**
   * Sends a batch through `client` and counts it once acknowledged; reports the request either
   * way. Rejects with the failure.
   */
  async #send(client: KafkaProducer, batch: Batch, run: RunOptions): Promise<void> {
    const status = this.#status
    const sentMs = performance.now()
    const request = { topic: status.topic, records: batch.records.length, bytes: batch.bytes }
    status.requestsInFlight++
    try {
      await client.send(batch.records)
    } catch (cause) {
      const error = toFreshetError(cause, 'PRODUCE_FAILED', `producing to ${status.topic}`, {
        topic: status.topic,
      })
      run.onRequest?.({ ...request, durationMs: performance.now() - sentMs, error })
      throw error
    } finally {
      status.requestsInFlight--
    }
    status.records += batch.records.length
    status.bytes += batch.bytes
    run.onRequest?.({ ...request, durationMs: performance.now() - sentMs })
  }

  /** Sends a batch among the run's others in flight; a failure goes to `state`. */
  #launch(batch: Batch, state: RunState): void {
    const client = this.#producer
    state.window.push(batch)
    const request: Promise<void> = this.#send(client, batch, state.run).then(
      () => {
        batch.settled = 'acknowledged'
        if (batch.index > state.firstFailedIndex) this.#overtook(batch, state)
      },
      (error: FreshetError) => {
        batch.settled = 'failed'
        // A batch on a dropped client failed because an outage had begun: it waits with the others.
        const dropped = client !== this.#producer
        if (!dropped && !(isOutage(error) && this.#options.outageTimeoutMs! > 0)) {
          this.#giveUp([batch], error)
          state.error ??= error
          return
        }
        state.failed.push(batch)
        state.firstFailedIndex = Math.min(state.firstFailedIndex, batch.index)
        for (const b of state.window) {
          if (b.settled === 'acknowledged' && b.index > batch.index) this.#overtook(b, state)
        }
        if (!dropped) this.#dropClient()
        if (state.outage === undefined) {
          state.outage = new Outage(error, this.#options.outageTimeoutMs!, `produce to ${this.#status.topic}`)
          this.#status.waiting = state.outage.waiting
          state.run.onOutage?.(state.outage.waitingEvent())
        }
      },
    )
    state.inFlight.add(request)
    void request.finally(() => {
      state.inFlight.delete(request)
      // Only a batch sent before every unsettled one can no longer be overtaken, nor overtake.
      while (state.window[0]?.settled !== undefined) state.window.shift()
    })
  }

  #overtook(batch: Batch, state: RunState): void {
    if (batch.overtook) return
    batch.overtook = true
    state.overtakenRecords += batch.records.length
  }

  /**
   * Waits out the outage `state` met, once no request is in flight any more:
   *   1. The client of the failed batches was dropped at the first failure, which ended its
   *      retries of the other batches at once: they failed too, or were acknowledged before it
   *      (`overtakenRecords` counts those acknowledged after an earlier batch had failed).
   *      WAITING was reported then: `status().waiting` says since when and why.
   *   2. Send the failed batches again, one at a time and in the order they were made, each
   *      through a client of its own after a failure (a new producer id), with capped exponential
   *      backoff between attempts, until each is acknowledged.
   *   3. A failure that is not an outage, the outage outlasting `outageTimeoutMs`, or the signal
   *      ends the run; the batches not acknowledged count as failed.
   *   4. RESUMED, reported once, with the records sent again.
   */
  async #recover(state: RunState): Promise<void> {
    const outage = state.outage as Outage
    const failed = state.failed.sort((a, b) => a.index - b.index)
    const status = this.#status
    const overtakenRecords = state.overtakenRecords
    let resentRecords = 0
    try {
      // Step 2
      while (failed.length > 0 && !state.error) {
        const batch = failed[0] as Batch
        if (!(await outage.beforeAttempt(state.run.signal))) {
          // Step 3
          state.error ??= outage.giveUp(state.run.signal?.aborted === true)
          return
        }
        resentRecords += batch.records.length
        status.resentRecords += batch.records.length
        try {
          await this.#send(this.#producer, batch, state.run)
          failed.shift()
        } catch (error) {
          const e = error as FreshetError
          if (!isOutage(e)) {
            // Step 3
            state.error ??= e
            return
          }
          outage.failed(e)
          status.waiting = outage.waiting
          this.#dropClient()
        }
      }
    } finally {
      // Step 3: whatever is left was not acknowledged.
      this.#endOutage(state, failed.splice(0))
    }
    // Step 4
    status.resumes++
    state.run.onOutage?.({ ...outage.resumedEvent(), resentRecords, overtakenRecords })
  }

  /** The outage is over, by a resume or a failure: what is left of its batches failed for good. */
  #endOutage(state: RunState, unsent: Batch[]): void {
    if (unsent.length > 0) this.#giveUp(unsent, state.error ?? (state.outage as Outage).giveUp())
    this.#status.waiting = undefined
    state.outage = undefined
    state.firstFailedIndex = Infinity
    state.overtakenRecords = 0
  }

  /** Counts batches as failed for good, by the error's code. */
  #giveUp(batches: readonly Batch[], error: FreshetError): void {
    const records = batches.reduce((n, b) => n + b.records.length, 0)
    this.#status.failed[error.code] = (this.#status.failed[error.code] ?? 0) + records
  }

  /** What the producer sent so far (a copy). */
  status(): ProducerStatus {
    const status = this.#status
    return {
      ...status,
      failed: { ...status.failed },
      waiting: status.waiting === undefined ? undefined : { ...status.waiting },
    }
  }

  async close(): Promise<void> {
    try {
      await this.#producer.close()
    } finally {
      await Promise.all(this.#dropped)
    }
  }
}
