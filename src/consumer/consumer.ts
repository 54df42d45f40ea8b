/**
 * Consumes events (user events by default, any schema of src/schemas) as a member of a consumer group, read_committed. A record that cannot be
 * decoded goes to the dead-letter topic with its original bytes and provenance, and is counted;
 * nothing is dropped silently. An unreachable registry is waited out (with backoff), never
 * dead-lettered.
 *
 * Each batch, as numbered steps:
 *   1. Fetch the next batch (everything already fetched, up to the message limit).
 *   2. Load the writer schemas the batch needs; while the registry is unreachable, wait and retry.
 *   3. Decode each record; a record that fails permanently becomes a dead letter.
 *   4. Produce the dead letters (creating the dead-letter topic on first use) and wait for their
 *      acknowledgement; only then report them.
 *   5. Hand the events to the caller, update the statistics.
 *   6. Commit the batch's offsets: only after its dead letters are safely written, so a crash
 *      between 4 and 6 re-delivers rather than loses.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { dlqTopicFor, toDeadLetter } from '../dlq/index.ts'
import type { FreshetError } from '../errors/index.ts'
import { isFreshetError, toFreshetError } from '../errors/index.ts'
import {
  GroupConsumer,
  KafkaAdmin,
  KafkaProducer,
  nextOffsets,
  type InRecord,
  type OutRecord,
} from '../kafka/index.ts'
import { validateOptions } from '../options/index.ts'
import type { TypedSchema, UserEvent } from '../schemas/index.ts'
import { createDeserializer, type Deserializer } from '../serde/index.ts'
import { eventConsumerSpec, type EventConsumerOptions } from './options.ts'
import { ConsumerStats, statsFieldsFor, type StatsSnapshot } from './stats.ts'

/** Everything the consumer read since it was made, over all its runs. */
export interface ConsumerStatus {
  topic: string
  group: string
  /** Records fetched. */
  records: number
  /** Their key and value bytes. */
  bytes: number
  /** Records decoded and handed on. */
  decoded: number
  /** Records written to the dead-letter topic, by error code. */
  deadLetters: Record<string, number>
  /** Offset commits, one per batch. */
  commits: number
  /** Waits for an unreachable registry. */
  retries: number
}

/** One batch, once its offsets are committed. */
export interface ConsumedBatch {
  group: string
  records: number
  /** From the batch's delivery to its commit. */
  durationMs: number
}

export interface ConsumeRunOptions<T = UserEvent> {
  /** Called with each batch of decoded events, before its offsets are committed. */
  onEvents?: (events: T[], records: InRecord[]) => void | Promise<void>
  /** Called after a record went to the dead-letter topic. */
  onDeadLetter?: (record: InRecord, error: FreshetError) => void
  /** Called when the registry cannot be reached and the consumer waits. */
  onRetry?: (error: FreshetError, backoffMs: number) => void
  /** Called once per batch after its commit (metrics). */
  onBatch?: (batch: ConsumedBatch) => void
  /** Aborting ends the run after the current batch is committed. */
  signal?: AbortSignal
}

/** `T`: the type of the values under `options.schema` (UserEvent by default). */
export class EventConsumer<T = UserEvent> {
  readonly #options: EventConsumerOptions
  readonly #consumer: GroupConsumer
  readonly #deserializer: Deserializer<T>
  readonly #dlqTopic: string
  #dlqProducer: KafkaProducer | undefined
  readonly stats: ConsumerStats
  /** The running figures but `decoded`, which the statistics count already. */
  readonly #status: Omit<ConsumerStatus, 'decoded'>

  constructor(options: EventConsumerOptions) {
    const o = validateOptions('EventConsumer', options, eventConsumerSpec)
    this.#options = o
    this.#dlqTopic = o.dlqTopic ?? dlqTopicFor(o.topic!)
    this.#consumer = new GroupConsumer({
      bootstrapBrokers: o.bootstrapBrokers,
      clientId: o.clientId!,
      groupId: o.groupId!,
      topics: [o.topic!],
      fromBeginning: o.fromBeginning!,
      isolationLevel: 'read_committed',
    })
    this.stats = new ConsumerStats(statsFieldsFor(o.schema!.name))
    this.#status = {
      topic: o.topic!,
      group: o.groupId!,
      records: 0,
      bytes: 0,
      deadLetters: {},
      commits: 0,
      retries: 0,
    }
    this.#deserializer = createDeserializer<T>({
      format: o.format!,
      schema: o.schema! as TypedSchema<T>,
      ...(o.registry ? { registry: o.registry } : {}),
    })
  }

  #joined = false

  /** Whether the consumer has joined its group (and not closed since). */
  get joined(): boolean {
    return this.#joined
  }

  /** What the consumer read so far (a copy). */
  status(): ConsumerStatus {
    return { ...this.#status, decoded: this.stats.total, deadLetters: { ...this.#status.deadLetters } }
  }

  get dlqTopic(): string {
    return this.#dlqTopic
  }

  async run(run: ConsumeRunOptions<T> = {}): Promise<StatsSnapshot> {
    const max = this.#options.maxMessages ?? Infinity
    let consumed = 0
    await this.#consumer.start()
    this.#joined = true
    const aborted = new Promise<void>((resolve) =>
      run.signal?.addEventListener('abort', () => resolve(), { once: true }),
    )
    while (consumed < max && !run.signal?.aborted) {
      // Step 1
      const next = this.#consumer.nextBatch(Math.min(10_000, max - consumed))
      const batch = await Promise.race([next, aborted.then(() => null)])
      if (batch === null) {
        void next.catch(() => {})
        break
      }
      if (batch.length === 0) break
      const deliveredMs = performance.now()
      const status = this.#status
      status.records += batch.length
      for (const record of batch) status.bytes += (record.key?.length ?? 0) + (record.value?.length ?? 0)

      // Step 2
      await this.#prepare(batch, run)

      // Step 3
      const events: T[] = []
      const good: InRecord[] = []
      const dead: Array<{ record: InRecord; error: FreshetError; letter: OutRecord }> = []
      for (const record of batch) {
        try {
          events.push(
            this.#deserializer.deserializeSync(record.value, {
              topic: record.topic,
              partition: record.partition,
              offset: record.offset,
            }),
          )
          good.push(record)
        } catch (error) {
          const e = toFreshetError(error, 'SERDE_SCHEMA_MISMATCH', 'decoding failed', {
            topic: record.topic,
            partition: record.partition,
            offset: record.offset,
          })
          dead.push({ record, error: e, letter: toDeadLetter(record, e, this.#dlqTopic, 'decode') })
          this.stats.errors++
        }
      }

      // Step 4
      if (dead.length > 0) {
        await this.#ensureDlqTopic()
        this.#dlqProducer ??= new KafkaProducer({
          bootstrapBrokers: this.#options.bootstrapBrokers,
          clientId: `${this.#options.clientId}-dlq`,
        })
        await this.#dlqProducer.send(dead.map((d) => d.letter))
        this.stats.deadLettered += dead.length
        for (const d of dead) {
          status.deadLetters[d.error.code] = (status.deadLetters[d.error.code] ?? 0) + 1
          run.onDeadLetter?.(d.record, d.error)
        }
      }

      // Step 5
      if (run.onEvents && events.length > 0) await run.onEvents(events, good)
      this.stats.addEvents(events)

      // Step 6
      await this.#consumer.commit(nextOffsets(batch))
      status.commits++
      consumed += batch.length
      run.onBatch?.({
        group: status.group,
        records: batch.length,
        durationMs: performance.now() - deliveredMs,
      })
    }
    return this.stats.snapshot()
  }

  #dlqTopicReady = false

  /** Kafka does not create topics on produce here (auto-creation is off), so the DLQ is made on first use. */
  async #ensureDlqTopic(): Promise<void> {
    if (this.#dlqTopicReady) return
    const admin = new KafkaAdmin({
      bootstrapBrokers: this.#options.bootstrapBrokers,
      clientId: `${this.#options.clientId}-admin`,
    })
    try {
      await admin.createTopics([{ topic: this.#dlqTopic, partitions: 1 }])
      this.#dlqTopicReady = true
    } finally {
      await admin.close()
    }
  }

  async #prepare(batch: InRecord[], run: ConsumeRunOptions<T>): Promise<void> {
    let backoffMs = this.#options.retryBackoffMs!
    for (;;) {
      try {
        await this.#deserializer.prepare(batch.map((r) => r.value))
        return
      } catch (error) {
        if (!(isFreshetError(error) && error.retriable)) throw error
        this.#status.retries++
        run.onRetry?.(error, backoffMs)
        await sleep(backoffMs)
        backoffMs = Math.min(backoffMs * 2, this.#options.maxRetryBackoffMs!)
      }
    }
  }

  /** Commits nothing more; leaves the group. */
  async close(): Promise<void> {
    this.#joined = false
    try {
      await this.#consumer.close()
    } finally {
      await this.#dlqProducer?.close()
    }
  }
}
