/**
 * Produces generated user events: idempotent (acks=all), keyed by user_id, Avro through the
 * registry by default, in batches with a bounded number of requests in flight.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { FreshetError, toFreshetError } from '../errors/index.ts'
import { KafkaProducer, type OutRecord } from '../kafka/index.ts'
import { validateOptions } from '../options/index.ts'
import { UserEventSchema, type UserEvent } from '../schemas/index.ts'
import { createSerializer, type Serializer } from '../serde/index.ts'
import { EventGenerator } from './generator.ts'
import { eventProducerSpec, type EventProducerOptions } from './options.ts'

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
  /** Records whose request failed, by error code. */
  failed: Record<string, number>
  requestsInFlight: number
}

/** One produce request (a batch), at its acknowledgement or failure. */
export interface ProducerRequest {
  topic: string
  records: number
  bytes: number
  durationMs: number
  error?: FreshetError
}

export interface RunOptions {
  onProgress?: (progress: ProduceProgress) => void
  /** Called once per produce request when it is acknowledged or fails (metrics). */
  onRequest?: (request: ProducerRequest) => void
  /** Aborting stops after the requests in flight are acknowledged. */
  signal?: AbortSignal
}

/** Keys kept encoded; beyond this many distinct users, keys are encoded per event. */
const KEY_CACHE_LIMIT = 100_000

export class EventProducer {
  readonly #options: EventProducerOptions
  readonly #generator: EventGenerator
  readonly #serializer: Serializer<UserEvent>
  readonly #producer: KafkaProducer
  /** Each user's key bytes, encoded once: keys repeat for as long as the user population lives. */
  readonly #keys = new Map<string, Buffer>()
  readonly #status: ProducerStatus

  constructor(options: EventProducerOptions) {
    const o = validateOptions('EventProducer', options, eventProducerSpec)
    this.#options = o
    this.#status = { topic: o.topic!, records: 0, bytes: 0, failed: {}, requestsInFlight: 0 }
    this.#generator = new EventGenerator({
      users: o.users!,
      ...(o.seed === undefined ? {} : { seed: o.seed }),
      ...(o.clock === undefined ? {} : { clock: o.clock }),
    })
    this.#serializer = createSerializer<UserEvent>({
      format: o.format!,
      topic: o.topic!,
      schema: UserEventSchema,
      ...(o.registry ? { registry: o.registry } : {}),
    })
    this.#producer = new KafkaProducer({
      bootstrapBrokers: o.bootstrapBrokers,
      clientId: o.clientId!,
      idempotent: true,
      acks: 'all',
      compression: o.compression!,
    })
  }

  /** Produces until `count` events, `durationMs`, or the signal aborts, whichever comes first. */
  async run(run: RunOptions = {}): Promise<ProduceSummary> {
    const o = this.#options
    if (o.count === undefined && o.durationMs === undefined && run.signal === undefined) {
      throw new FreshetError(
        'INVALID_OPTION',
        'EventProducer.run: give "count", "durationMs" or a signal to stop it',
      )
    }
    await this.#serializer.init()
    const startMs = performance.now()
    const target = o.count ?? null
    const deadlineMs = o.durationMs === undefined ? Infinity : startMs + o.durationMs
    // With a rate limit, small batches spaced in time keep the rate smooth (about 20 sends/s).
    const batchSize =
      o.ratePerSec === undefined
        ? o.batchSize!
        : Math.max(1, Math.min(o.batchSize!, Math.ceil(o.ratePerSec / 20)))
    const inFlight = new Set<Promise<void>>()
    let queued = 0
    // This run's figures: the producer's totals less those at its start.
    const status = this.#status
    const failedTotal = (): number => Object.values(status.failed).reduce((sum, n) => sum + n, 0)
    const before = { records: status.records, bytes: status.bytes, failed: failedTotal() }
    let error: FreshetError | undefined

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
      while (!error && !run.signal?.aborted) {
        const remaining = target === null ? batchSize : Math.min(batchSize, target - queued)
        if (remaining <= 0 || performance.now() >= deadlineMs) break
        if (o.ratePerSec !== undefined) {
          const dueMs = startMs + (queued / o.ratePerSec) * 1000
          // A batch due at or after the deadline belongs to a run that has ended.
          if (dueMs >= deadlineMs) break
          const waitMs = dueMs - performance.now()
          if (waitMs > 1) await sleep(waitMs)
          if (performance.now() >= deadlineMs || run.signal?.aborted) break
        }
        const records: OutRecord[] = new Array(remaining)
        let batchBytes = 0
        for (let i = 0; i < remaining; i++) {
          const event = this.#generator.next()
          const value = this.#serializer.serialize(event)
          const key = this.#key(event.user_id)
          batchBytes += key.length + value.length
          records[i] = { topic: o.topic!, key, value, timestampMs: event.timestamp }
        }
        queued += remaining
        const sentMs = performance.now()
        status.requestsInFlight++
        const request: Promise<void> = this.#producer.send(records).then(
          () => {
            status.requestsInFlight--
            status.records += records.length
            status.bytes += batchBytes
            run.onRequest?.({
              topic: status.topic,
              records: records.length,
              bytes: batchBytes,
              durationMs: performance.now() - sentMs,
            })
          },
          (cause: unknown) => {
            status.requestsInFlight--
            const e = toFreshetError(cause, 'PRODUCE_FAILED', `producing to ${o.topic}`, { topic: o.topic! })
            status.failed[e.code] = (status.failed[e.code] ?? 0) + records.length
            error ??= e
            run.onRequest?.({
              topic: status.topic,
              records: records.length,
              bytes: batchBytes,
              durationMs: performance.now() - sentMs,
              error: e,
            })
          },
        )
        inFlight.add(request)
        void request.finally(() => inFlight.delete(request))
        if (inFlight.size >= o.maxInFlight!) await Promise.race(inFlight)
      }
      await Promise.all(inFlight)
    } finally {
      if (timer) clearInterval(timer)
    }
    const summary: ProduceSummary = progress()
    if (error) summary.error = error
    run.onProgress?.(summary)
    return summary
  }

  /** What the producer sent so far (a copy). */
  status(): ProducerStatus {
    return { ...this.#status, failed: { ...this.#status.failed } }
  }

  #key(userId: string): Buffer {
    let key = this.#keys.get(userId)
    if (key === undefined) {
      key = Buffer.from(userId)
      if (this.#keys.size < KEY_CACHE_LIMIT) this.#keys.set(userId, key)
    }
    return key
  }

  async close(): Promise<void> {
    await this.#producer.close()
  }
}
