/**
 * Consumes records as a member of a consumer group, read_committed. Avro values are decoded with
 * their writer's schema (by the id each carries, as Confluent's deserializer does) unless a reader
 * schema is given. A record that cannot be decoded is never dropped silently: by the bad-record
 * policy it is counted and reported (`skip`, the default), goes to the dead-letter topic with its
 * original bytes and provenance (`dlq`), or ends the run (`fail`). An unreachable registry is
 * waited out (with backoff), never taken for a bad record.
 *
 * Each batch, as numbered steps:
 *   1. Fetch the next batch (everything already fetched, up to the message limit).
 *   2. Load the writer schemas the batch needs; while the registry is unreachable, wait and retry.
 *   3. Decode each record; a record that fails permanently is a bad record.
 *   4. The bad records, by the policy: `fail` throws the first; `dlq` produces them (creating the
 *      dead-letter topic on first use) and waits for their acknowledgement; only then are they
 *      reported (skipped or dead-lettered).
 *   5. Hand the events to the caller, update the statistics.
 *   6. Commit the batch's offsets: only after its dead letters are safely written, so a crash
 *      between 4 and 6 re-delivers rather than loses.
 *
 * An outage of the cluster that the client's own retries do not get past is waited out, for up
 * to `outageTimeoutMs`, with a new member of the same group (`#resume`): it reads on from the
 * group's committed offsets, so a batch handed on whose commit did not land comes again.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { dlqTopicFor, toDeadLetter } from '../dlq/index.ts'
import { FreshetError, isConfigurationError, isFreshetError, toFreshetError } from '../errors/index.ts'
import {
  GroupConsumer,
  KafkaAdmin,
  KafkaProducer,
  nextOffsets,
  type InRecord,
  type TopicPartitions,
} from '../kafka/index.ts'
import { validateOptions } from '../options/index.ts'
import {
  isOutage,
  Outage,
  type OutageResumedEvent,
  type OutageWaiting,
  type OutageWaitingEvent,
} from '../producer/index.ts'
import type { TypedSchema, UserEvent } from '../schemas/index.ts'
import { AvroDeserializer, createDeserializer, readSchemaId, type Deserializer } from '../serde/index.ts'
import { eventConsumerSpec, type EventConsumerOptions } from './options.ts'
import { ConsumerStats, type CountedRecord, type StatsSnapshot } from './stats.ts'

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
  /** Records that could not be decoded, counted and skipped, by error code. */
  skipped?: Record<string, number>
  /** Offset commits, one per batch. */
  commits: number
  /** Waits for an unreachable registry. */
  retries: number
  // The outage figures are always there in `EventConsumer.status()`; optional for statuses made
  // elsewhere (a consumer of another kind reporting through ConsumerMetrics).
  /** While an outage of the cluster is waited out: since when, and the latest failure. */
  waiting?: OutageWaiting | undefined
  /** Outages waited out. */
  resumes?: number
  /** Records handed on whose commit did not land before an outage: they were handed on again. */
  redeliveredRecords?: number
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
  /** Called for a record that could not be decoded and was skipped (the policy `skip`). */
  onSkipped?: (record: InRecord, error: FreshetError) => void
  /** Called when the registry cannot be reached and the consumer waits. */
  onRetry?: (error: FreshetError, backoffMs: number) => void
  /** Called once per batch after its commit (metrics). */
  onBatch?: (batch: ConsumedBatch) => void
  /** Called once when the consumer begins to wait out an outage, and once when it carries on. */
  onOutage?: (event: ConsumerOutageEvent) => void
  /** Aborting ends the run after the current batch is committed, or ends a wait for the cluster. */
  signal?: AbortSignal
}

/** The end of an outage the consumer waited out. */
export interface ConsumerResumedEvent extends OutageResumedEvent {
  /**
   * Records of the batch handed on last whose commit did not land: the group hands them out
   * again, and they are handed on a second time (see `ConsumerStatus.redeliveredRecords`).
   */
  redeliveredRecords: number
}

export type ConsumerOutageEvent = OutageWaitingEvent | ConsumerResumedEvent

/** The group's session timeout: a member that can no longer leave is dropped after it. */
const SESSION_TIMEOUT_MS = 30_000

function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`
}

/** What the statistics call values read as JSON without a schema. */
export const JSON_WITHOUT_SCHEMA = '(json)'

/**
 * `T`: the type of the values under `options.schema`; without one, whatever the writers wrote
 * (UserEvent by default, as on freshet's own topics).
 */
export class EventConsumer<T = UserEvent> {
  readonly #options: EventConsumerOptions
  #consumer: GroupConsumer
  readonly #deserializer: Deserializer<T>
  /** The deserializer again when it is Avro: it names each record's schema. */
  readonly #avro: AvroDeserializer<T> | undefined
  readonly #dlqTopic: string
  #dlqProducer: KafkaProducer | undefined
  /** Closes of the clients dropped in outages, still running. */
  readonly #dropped: Array<Promise<void>> = []
  /** The batch handed on (step 5) and not yet committed (step 6). */
  #handedOn: InRecord[] | undefined
  readonly stats: ConsumerStats
  /** The running figures but `decoded`, which the statistics count already. */
  readonly #status: Required<Omit<ConsumerStatus, 'decoded'>>

  constructor(options: EventConsumerOptions) {
    const o = validateOptions('EventConsumer', options, eventConsumerSpec)
    this.#options = o
    this.#dlqTopic = o.dlqTopic ?? dlqTopicFor(o.topic!)
    this.#consumer = this.#newConsumer()
    this.stats = new ConsumerStats()
    this.#status = {
      topic: o.topic!,
      group: o.groupId!,
      records: 0,
      bytes: 0,
      deadLetters: {},
      skipped: {},
      commits: 0,
      retries: 0,
      waiting: undefined,
      resumes: 0,
      redeliveredRecords: 0,
    }
    this.#deserializer = createDeserializer<T>({
      format: o.format!,
      ...(o.schema === undefined ? {} : { schema: o.schema as TypedSchema<T> }),
      topic: o.topic!,
      ...(o.registry ? { registry: o.registry } : {}),
    })
    this.#avro = this.#deserializer instanceof AvroDeserializer ? this.#deserializer : undefined
  }

  /** A member of the group; without `fromBeginning`, it pins where new partitions start. */
  #newConsumer(): GroupConsumer {
    const o = this.#options
    const consumer: GroupConsumer = new GroupConsumer({
      bootstrapBrokers: o.bootstrapBrokers,
      clientId: o.clientId!,
      groupId: o.groupId!,
      topics: [o.topic!],
      fromBeginning: o.fromBeginning!,
      isolationLevel: 'read_committed',
      sessionTimeoutMs: SESSION_TIMEOUT_MS,
      ...(o.fromBeginning ? {} : { onPartitionsAssigned: (assigned) => this.#pinStart(consumer, assigned) }),
    })
    return consumer
  }

  #joined = false

  /** Whether the consumer is a member of its group: joined, not closed, not waiting out an outage. */
  get joined(): boolean {
    return this.#joined
  }

  /** What the consumer read so far (a copy). */
  status(): ConsumerStatus {
    const status = this.#status
    return {
      ...status,
      decoded: this.stats.total,
      deadLetters: { ...status.deadLetters },
      skipped: { ...status.skipped },
      waiting: status.waiting === undefined ? undefined : { ...status.waiting },
    }
  }

  get dlqTopic(): string {
    return this.#dlqTopic
  }

  async run(run: ConsumeRunOptions<T> = {}): Promise<StatsSnapshot> {
    const max = this.#options.maxMessages ?? Infinity
    // Records of this run whose offsets are committed: what maxMessages counts.
    let consumed = 0
    let outage: FreshetError | undefined
    try {
      await this.#consumer.start()
      this.#joined = true
    } catch (error) {
      outage = this.#outageOrThrow(error, run)
    }
    while (consumed < max && !run.signal?.aborted) {
      if (outage !== undefined) {
        const committed = await this.#resume(outage, run)
        outage = undefined
        if (committed === null) break
        consumed += committed
        continue
      }
      try {
        const committed = await this.#batch(Math.min(10_000, max - consumed), run)
        if (committed === null) break
        consumed += committed
      } catch (error) {
        outage = this.#outageOrThrow(error, run)
      }
    }
    return this.stats.snapshot()
  }

  /** `error` as an outage to wait out; throws it when it is not one (or waiting is off). */
  #outageOrThrow(error: unknown, run: ConsumeRunOptions<T>): FreshetError {
    if (run.signal?.aborted || this.#options.outageTimeoutMs === 0 || !isOutage(error)) throw error
    return error
  }

  /** Steps 1-6 for one batch: how many records it committed; null once the signal aborted. */
  async #batch(maxRecords: number, run: ConsumeRunOptions<T>): Promise<number | null> {
    const consumer = this.#consumer
    // Step 1
    const next = consumer.nextBatch(maxRecords)
    const batch = await unlessAborted(next, run.signal)
    if (batch === null) {
      void next.catch(() => {})
      return null
    }
    // Only a closed consumer hands out nothing, and only the caller closes it, after the run.
    if (batch.length === 0) {
      throw new FreshetError(
        'KAFKA_ERROR',
        `group ${this.#options.groupId}: the consumer stopped handing out records (its stream ended)`,
        { retriable: true },
      )
    }
    const deliveredMs = performance.now()
    const status = this.#status
    status.records += batch.length
    for (const record of batch) status.bytes += (record.key?.length ?? 0) + (record.value?.length ?? 0)

    // Step 2
    await this.#prepare(batch, run)

    // Step 3
    const { events, good, counted, bad } = this.#decode(batch)

    // Step 4
    if (bad.length > 0) await this.#badRecords(bad, run)

    // Step 5
    this.#handedOn = batch
    if (run.onEvents && events.length > 0) await run.onEvents(events, good)
    this.stats.add(counted)

    // Step 6
    await consumer.commit(nextOffsets(batch))
    this.#handedOn = undefined
    status.commits++
    run.onBatch?.({
      group: status.group,
      records: batch.length,
      durationMs: performance.now() - deliveredMs,
    })
    return batch.length
  }

  /** Step 3: decodes each record; one that fails permanently is a bad record. */
  #decode(batch: InRecord[]): {
    events: T[]
    good: InRecord[]
    counted: CountedRecord[]
    bad: Array<{ record: InRecord; error: FreshetError }>
  } {
    const events: T[] = []
    const good: InRecord[] = []
    const counted: CountedRecord[] = []
    const bad: Array<{ record: InRecord; error: FreshetError }> = []
    for (const record of batch) {
      const location = { topic: record.topic, partition: record.partition, offset: record.offset }
      try {
        const value = this.#deserializer.deserializeSync(record.value, location)
        events.push(value)
        good.push(record)
        counted.push({ schema: this.#schemaOf(record), key: record.key, value })
      } catch (error) {
        const e = toFreshetError(error, 'SERDE_SCHEMA_MISMATCH', 'decoding failed', location)
        // A reader schema that cannot read the topic's own schema is the consumer's setup, not bad data.
        if (isConfigurationError(e)) throw e
        bad.push({ record, error: e })
        this.stats.errors++
      }
    }
    return { events, good, counted, bad }
  }

  /** The full name of the schema a decoded record's value is in. */
  #schemaOf(record: InRecord): string {
    const reader = this.#options.schema
    if (reader !== undefined) return reader.name
    if (this.#avro === undefined) return JSON_WITHOUT_SCHEMA
    return this.#avro.schemaName(readSchemaId(record.value)) ?? 'unknown'
  }

  /** Step 4: the bad records of a batch, by the policy; nothing of the batch is committed before. */
  async #badRecords(
    bad: Array<{ record: InRecord; error: FreshetError }>,
    run: ConsumeRunOptions<T>,
  ): Promise<void> {
    const status = this.#status
    const policy = this.#options.onBadRecord!
    if (policy === 'fail') throw bad[0]!.error
    if (policy === 'skip') {
      this.stats.skipped += bad.length
      for (const { record, error } of bad) {
        status.skipped[error.code] = (status.skipped[error.code] ?? 0) + 1
        run.onSkipped?.(record, error)
      }
      return
    }
    await this.#ensureDlqTopic()
    this.#dlqProducer ??= new KafkaProducer({
      bootstrapBrokers: this.#options.bootstrapBrokers,
      clientId: `${this.#options.clientId}-dlq`,
    })
    await this.#dlqProducer.send(
      bad.map(({ record, error }) => toDeadLetter(record, error, this.#dlqTopic, 'decode')),
    )
    this.stats.deadLettered += bad.length
    for (const { record, error } of bad) {
      status.deadLetters[error.code] = (status.deadLetters[error.code] ?? 0) + 1
      run.onDeadLetter?.(record, error)
    }
  }

  /**
   * Waits out an outage with a new member of the same group, as a restarted `consume` would start;
   * returns how many records of the batch whose commit failed were committed after all, or null
   * when the signal ended the wait.
   *
   *   1. WAITING, reported once; not `joined` (so not ready) until step 5.
   *   2. Drop the member and the dead-letter producer. Their close runs in the background: it
   *      ends with the outage or fails, and the member leaves the group if it still can.
   *   3. With capped exponential backoff until the cluster answers: a new member joins the same
   *      group after the old one has left (or for at most a session timeout), and reads from the
   *      group's committed offsets; with `fromBeginning`, from the earliest offset only where the
   *      group has none, as at a first start. Fails once the outage has lasted `outageTimeoutMs`.
   *   4. Settle the batch handed on whose commit failed, if any (`#settle`).
   *   5. RESUMED, reported once; joined again.
   */
  async #resume(failure: FreshetError, run: ConsumeRunOptions<T>): Promise<number | null> {
    const o = this.#options
    const outage = new Outage(failure, o.outageTimeoutMs!, `consume from ${o.topic} in group ${o.groupId}`)
    const status = this.#status
    // Step 1
    this.#joined = false
    status.waiting = outage.waiting
    run.onOutage?.(outage.waitingEvent())
    let settled: { committed: number; redelivered: number }
    try {
      // Step 2
      let dropped = this.#dropClients()
      // Step 3
      for (;;) {
        if (!(await outage.beforeAttempt(run.signal))) {
          if (run.signal?.aborted) return null
          throw outage.giveUp()
        }
        await this.#untilClosed(dropped, run.signal)
        if (run.signal?.aborted) return null
        const consumer = this.#consumer
        try {
          await consumer.start()
          // Step 4
          settled = await this.#settle(consumer)
          break
        } catch (error) {
          if (!isOutage(error)) throw error
          outage.failed(error)
          status.waiting = outage.waiting
          dropped = this.#dropClients()
        }
      }
    } finally {
      status.waiting = undefined
    }
    // Step 5
    this.#joined = true
    status.resumes++
    status.redeliveredRecords += settled.redelivered
    run.onOutage?.({ ...outage.resumedEvent(), redeliveredRecords: settled.redelivered })
    return settled.committed
  }

  /** Waits until `dropped` is closed, for at most a session timeout, or until the signal aborts. */
  async #untilClosed(dropped: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
    const done = new AbortController()
    const timeout = sleep(SESSION_TIMEOUT_MS, undefined, {
      signal: signal === undefined ? done.signal : AbortSignal.any([done.signal, signal]),
    }).catch(() => {})
    try {
      await Promise.race([dropped, timeout])
    } finally {
      done.abort()
    }
  }

  /**
   * Replaces the member by a new one, not started, and forgets the dead-letter producer (a new
   * one is made when needed); closes them in the background. Resolves once they are closed.
   */
  #dropClients(): Promise<void> {
    const consumer = this.#consumer
    const dlq = this.#dlqProducer
    this.#consumer = this.#newConsumer()
    this.#dlqProducer = undefined
    const closed = Promise.allSettled([consumer.close(), dlq?.close()]).then(() => {})
    this.#dropped.push(closed)
    return closed
  }

  /**
   * The batch handed on whose commit did not land, after a resume: the group's committed offsets
   * (`consumer` now owns the partitions) say which of its records were committed after all (the
   * request failed after the broker wrote it) and which come again. Records of a partition now
   * another member's are neither: that member reads them.
   */
  async #settle(consumer: GroupConsumer): Promise<{ committed: number; redelivered: number }> {
    const handedOn = this.#handedOn
    if (handedOn === undefined) return { committed: 0, redelivered: 0 }
    const offsets = new Map(
      (await consumer.committedOffsets()).map((o) => [partitionKey(o.topic, o.partition), o.offset]),
    )
    const owned = new Set(
      consumer.assignments.flatMap((a) => a.partitions.map((p) => partitionKey(a.topic, p))),
    )
    let committed = 0
    let redelivered = 0
    for (const record of handedOn) {
      const key = partitionKey(record.topic, record.partition)
      const next = offsets.get(key)
      if (next !== undefined && record.offset < next) committed++
      else if (owned.has(key)) redelivered++
    }
    this.#handedOn = undefined
    if (committed > 0) this.#status.commits++
    return { committed, redelivered }
  }

  /**
   * onPartitionsAssigned without `fromBeginning`: commits the end of each assigned partition the
   * group has no offset for, where a consumer without `fromBeginning` starts. The member's stream
   * then starts there, and so does a member that joins later (after an outage): from the end as of
   * that later join, it would skip what was written to the partition in between.
   */
  async #pinStart(consumer: GroupConsumer, assigned: TopicPartitions[]): Promise<void> {
    const known = new Set((await consumer.committedOffsets()).map((o) => partitionKey(o.topic, o.partition)))
    const missing = assigned.flatMap((a) =>
      a.partitions
        .filter((p) => !known.has(partitionKey(a.topic, p)))
        .map((p) => ({ topic: a.topic, partition: p })),
    )
    if (missing.length === 0) return
    const admin = new KafkaAdmin({
      bootstrapBrokers: this.#options.bootstrapBrokers,
      clientId: `${this.#options.clientId}-admin`,
    })
    try {
      const ends = new Map<string, Map<number, bigint>>()
      for (const topic of new Set(missing.map((m) => m.topic))) {
        ends.set(topic, await admin.endOffsets(topic, 'read_committed'))
      }
      await consumer.commit(missing.map((m) => ({ ...m, offset: ends.get(m.topic)?.get(m.partition) ?? 0n })))
    } finally {
      await admin.close()
    }
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
      try {
        await this.#dlqProducer?.close()
      } finally {
        await Promise.all(this.#dropped)
      }
    }
  }
}

/**
 * `pending`, or null as soon as `signal` aborts. The listener goes when `pending` settles: racing
 * each batch against one promise that lives as long as the run would keep every batch reachable
 * from that promise's reactions until the run ends.
 */
function unlessAborted<T>(pending: Promise<T>, signal: AbortSignal | undefined): Promise<T | null> {
  if (signal === undefined) return pending
  if (signal.aborted) return Promise.resolve(null)
  return new Promise<T | null>((resolve, reject) => {
    const onAbort = (): void => resolve(null)
    signal.addEventListener('abort', onAbort, { once: true })
    pending.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(error as Error)
      },
    )
  })
}
