/**
 * The idempotent producer's send path: records partitioned and encoded by freshet
 * (`record-batch.ts`), producer id and sequence numbers kept by freshet, requests sent over the
 * client library's connections.
 *
 * A send:
 *   1. Partitions the records (Kafka's murmur2 of the key, as the Java client; unkeyed records to
 *      partition 0) and encodes them as runs: each run is at most maxRequestBytes of records,
 *      one batch per partition. Encoding happens at call time, while earlier sends are in flight.
 *   2. Dispatches its runs in call order, up to MAX_IN_FLIGHT runs at a time (as the Java client's
 *      max.in.flight.requests.per.connection = 5, the most a broker tracks per partition for
 *      deduplication): each run's batches are stamped with the producer id, the epoch and their
 *      partitions' next sequence numbers, and sent as one Produce request per partition leader.
 *      A connection carries its requests in order and the broker handles them in order, so a
 *      partition's batches are written in the order they were stamped, or refused from the first
 *      one that is missing (OUT_OF_ORDER_SEQUENCE_NUMBER).
 *   3. Takes each run's answers in dispatch order:
 *      - every batch written (or DUPLICATE_SEQUENCE_NUMBER: written by an earlier attempt): done;
 *      - some batch not written after an error a retry may correct (the broker went away, a
 *        leader moved, an earlier batch of the partition is missing): dispatching stops, the runs
 *        in flight are answered, and the unwritten batches are sent again one run at a time, in
 *        dispatch order (4);
 *      - an error no retry corrects (MESSAGE_TOO_LARGE, an authorization failure): the send
 *        fails, and the producer id is dropped, since its sequence numbers now have a gap.
 *   4. Sending again, one run at a time, with a pause between attempts and fresh metadata: the
 *      same bytes with the same producer id and sequence numbers, so that the broker drops a copy
 *      it already wrote and a retry never duplicates. OUT_OF_ORDER_SEQUENCE_NUMBER,
 *      UNKNOWN_PRODUCER_ID or INVALID_PRODUCER_EPOCH for the earliest unwritten batch of a
 *      partition means the broker lost or never had this producer's state (or a sequence number
 *      was skipped): a new producer id, and every unwritten batch stamped again from sequence 0.
 *   5. After `retries` retries, or an error that no retry corrects, the run's send fails, and so
 *      does every later run waiting to be sent again; the producer id is dropped. Their batches
 *      may or may not be written; the next send starts over with a new producer id, so that no
 *      gap in the sequence numbers of the failed ones blocks it.
 */
import {
  createAPI,
  produceV8,
  ProtocolError,
  protocolErrors,
  protocolErrorsCodesById,
  ResponseError,
  Writer,
  type Connection,
  type Producer,
} from '@platformatic/kafka'
import { setTimeout as sleep } from 'node:timers/promises'
import { FreshetError } from '../errors/index.ts'
import { RETRY_DELAY_MS } from './connection.ts'
import { positiveMurmur2 } from './murmur2.ts'
import {
  encodeBatch,
  nextSequence,
  partitionKey,
  SKIP_SEQUENCES,
  splitBySize,
  stampBatch,
  type EncodedBatch,
} from './record-batch.ts'
import type { Compression, OutRecord, SendStats, TopicPartitionOffset } from './types.ts'

type ClientProducer = Producer<Buffer, Buffer, string, Buffer>

export interface BatchSenderOptions {
  requestTimeoutMs: number
  retries: number
  compression: Compression
  maxRequestBytes: number
  /** Sends inside a transaction, whose owner holds the producer id (see `TransactionalSends`). */
  transactional?: TransactionalSends
}

/**
 * What a transactional producer gives the send path: its transactional id, its producer id and
 * epoch (from InitProducerId, which it sends itself), and the registration of partitions new to the
 * open transaction with the coordinator (AddPartitionsToTxn), which must come before their first
 * batch. Within a transaction nothing takes a new producer id: a lost producer state or a fencing
 * error fails the send, and the owner aborts the transaction with a new epoch.
 */
export interface TransactionalSends {
  readonly transactionalId: string
  identity(): ProducerIdentity
  register(partitions: ReadonlyArray<{ topic: string; partition: number }>): Promise<void>
}

export interface ProducerIdentity {
  id: bigint
  epoch: number
}

// Produce v8 (Kafka 2.4 and later; not flexible): transactional_id, acks, timeout_ms, and per
// topic its name and per partition its index and record batch, each length-prefixed.
function produceRequest(
  transactionalId: string | null,
  acks: number,
  timeoutMs: number,
  topics: Array<[string, EncodedBatch[]]>,
): Writer {
  return Writer.create()
    .appendString(transactionalId, false)
    .appendInt16(acks)
    .appendInt32(timeoutMs)
    .appendArray(
      topics,
      (w, [topic, batches]) => {
        w.appendString(topic, false).appendArray(
          batches,
          (w, batch) => {
            w.appendInt32(batch.partition).appendInt32(batch.bytes.length).append(batch.bytes)
          },
          false,
          false,
        )
      },
      false,
      false,
    )
}

interface PartitionAnswer {
  index: number
  errorCode: number
  baseOffset: bigint
  errorMessage: string | null
}

interface ProduceAnswer {
  responses: Array<{ name: string; partitionResponses: PartitionAnswer[] }>
}

const produce = createAPI<[string | null, number, number, Array<[string, EncodedBatch[]]>], ProduceAnswer>(
  0,
  8,
  produceRequest,
  // The library's parser throws on any partition error, with the whole response attached.
  (...args: Parameters<typeof produceV8.parseResponse>) => {
    try {
      return produceV8.parseResponse(...args) as unknown as ProduceAnswer
    } catch (error) {
      if (error instanceof ResponseError) return (error as unknown as { response: ProduceAnswer }).response
      throw error
    }
  },
  false,
  false,
)

const ACKS_ALL = -1
const WRITTEN = new Set(['NONE', 'DUPLICATE_SEQUENCE_NUMBER'])
const STATE_LOST = new Set(['OUT_OF_ORDER_SEQUENCE_NUMBER', 'UNKNOWN_PRODUCER_ID', 'INVALID_PRODUCER_EPOCH'])
// Answers after which a batch may or may not have been appended: the leader wrote it and timed out
// waiting for its followers, or wrote it and then found too few of them in sync.
const OUTCOME_UNKNOWN = new Set([
  'REQUEST_TIMED_OUT',
  'NOT_ENOUGH_REPLICAS_AFTER_APPEND',
  'NETWORK_EXCEPTION',
])
// A newer epoch or another producer owns the transactional id: only the transaction's owner can
// sort that out (by aborting with a new epoch, or learning that it is fenced).
const FENCED = new Set(['INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED', 'TRANSACTION_COORDINATOR_FENCED'])

/** What a retry needs from a failure: whether it may be retried, and whether metadata is stale. */
function classify(error: unknown): { retriable: boolean; staleMetadata: boolean } {
  const flags = error as { canRetry?: unknown; hasStaleMetadata?: unknown; code?: unknown }
  const network = flags.code === 'PLT_KFK_NETWORK' || flags.code === 'PLT_KFK_TIMEOUT'
  if (network) return { retriable: true, staleMetadata: true }
  if (error instanceof AggregateError) {
    const inner = error.errors.map(classify)
    return {
      retriable: inner.length > 0 && inner.every((c) => c.retriable),
      staleMetadata: inner.some((c) => c.staleMetadata),
    }
  }
  if (error instanceof FreshetError) return { retriable: error.retriable, staleMetadata: false }
  return { retriable: flags.canRetry !== false, staleMetadata: flags.hasStaleMetadata === true }
}

/** Beyond any partition count a cluster allows (KRaft's soft limit is in the hundreds of thousands). */
const MAX_PARTITIONS = 1_000_000

/** Runs dispatched and not yet answered, at most (the Java client's limit with idempotence). */
const MAX_IN_FLIGHT = 5

/** One send: its records, encoded into runs, and what became of them. */
interface Send {
  readonly records: readonly OutRecord[]
  runs: EncodedBatch[][] | undefined
  /** Runs dispatched so far; dispatching stops at the send's first failure. */
  dispatched: number
  /** Runs dispatched and not yet written or given up on. */
  unfinished: number
  written: number
  readonly offsets: TopicPartitionOffset[][]
  failure: { error: unknown } | undefined
  settled: boolean
  readonly resolve: (written: TopicPartitionOffset[]) => void
  readonly reject: (error: unknown) => void
}

/** One run of a send: at most one batch per partition. */
interface Run {
  readonly send: Send
  readonly index: number
  readonly batches: EncodedBatch[]
  answer: Promise<Attempt> | undefined
}

/** One attempt's requests, ready to go out: per leader, its connection or why there is none. */
interface Prepared {
  readonly batches: EncodedBatch[]
  /** The leaders could not be found: nothing can go out. */
  readonly failure: { error: unknown } | undefined
  readonly requests: Array<{ batches: EncodedBatch[]; connection: Connection | undefined; error: unknown }>
}

/** The outcome of one attempt at sending batches. */
interface Attempt {
  written: TopicPartitionOffset[]
  unwritten: EncodedBatch[]
  /** The latest failure of an unwritten batch. */
  failure: unknown
  /** An error no retry corrects. */
  fatal: unknown
  /** The broker lost, or never had, this producer's state for some partition. */
  lost: boolean
  staleMetadata: boolean
}

export class BatchSender {
  readonly #client: ClientProducer
  readonly #options: BatchSenderOptions
  readonly #transactional: TransactionalSends | undefined
  #producer: ProducerIdentity | undefined
  /** Next sequence number per partition, under the current producer id. */
  readonly #sequences = new Map<string, number>()
  /** The producer a batch was stamped under. */
  readonly #stampedBy = new WeakMap<EncodedBatch, ProducerIdentity>()
  /** Batches whose last request failed or timed out: they may have been written. */
  readonly #unknown = new WeakSet<EncodedBatch>()
  readonly #partitionCounts = new Map<string, number>()
  /** Sends with runs not yet dispatched, in call order. */
  readonly #sends: Send[] = []
  /** Runs dispatched, in dispatch order. */
  readonly #inFlight: Run[] = []
  /** Runs with unwritten batches, in dispatch order, to send again one at a time. */
  readonly #retrying: Array<{
    run: Run
    unwritten: EncodedBatch[]
    failure: { error: unknown } | undefined
  }> = []
  #driving = false
  readonly #stats: SendStats = { retriedBatches: 0, producerIds: 0 }

  constructor(client: ClientProducer, options: BatchSenderOptions) {
    this.#client = client
    this.#options = options
    this.#transactional = options.transactional
  }

  /** Resolves once every record is written, with the base offset of each batch. */
  send(records: readonly OutRecord[]): Promise<TopicPartitionOffset[]> {
    return new Promise((resolve, reject) => {
      const send: Send = {
        records,
        runs: undefined,
        dispatched: 0,
        unfinished: 0,
        written: 0,
        offsets: [],
        failure: undefined,
        settled: false,
        resolve,
        reject,
      }
      // Step 1, now if every topic's partition count is known, else when the send's turn comes.
      try {
        if (records.every((r) => r.partition !== undefined || this.#partitionCounts.has(r.topic)))
          send.runs = this.#encode(records)
      } catch (error) {
        reject(error)
        return
      }
      if (send.runs?.length === 0) {
        resolve([])
        return
      }
      this.#sends.push(send)
      this.#drive()
    })
  }

  get stats(): Readonly<SendStats> {
    return { ...this.#stats }
  }

  [SKIP_SEQUENCES](topic: string, partition: number, count: number): void {
    const key = partitionKey(topic, partition)
    this.#sequences.set(key, nextSequence(this.#sequences.get(key) ?? 0, count))
  }

  #drive(): void {
    if (this.#driving) return
    this.#driving = true
    this.#loop()
      .catch((error: unknown) => this.#failAll(error))
      .finally(() => {
        this.#driving = false
        if (this.#sends.length > 0) this.#drive()
      })
  }

  /** A failure of the loop itself: every send it holds fails with it, none is left waiting. */
  #failAll(error: unknown): void {
    const failure = { error }
    for (const run of this.#inFlight.splice(0)) this.#finish(run, failure)
    for (const { run } of this.#retrying.splice(0)) this.#finish(run, failure)
    for (const send of this.#sends.splice(0)) {
      send.failure ??= failure
      this.#settle(send)
    }
  }

  /** Steps 2 to 5, while there is work. */
  async #loop(): Promise<void> {
    for (;;) {
      const send = this.#sends[0]
      if (send !== undefined && send.failure !== undefined) {
        this.#sends.shift()
        this.#settle(send)
        continue
      }
      // Step 3: the oldest run's answer, when no run may be dispatched now.
      const blocked =
        send === undefined ||
        this.#inFlight.length >= MAX_IN_FLIGHT ||
        this.#retrying.length > 0 ||
        this.#currentProducer() === undefined
      if (blocked && this.#inFlight.length > 0) {
        await this.#takeAnswer()
        continue
      }
      // Step 4, once nothing is in flight; a send that finds no producer id takes one here too.
      if (this.#retrying.length > 0) {
        await this.#retry()
        continue
      }
      if (send === undefined) return
      try {
        if (send.runs === undefined) {
          await this.#learnPartitionCounts(send.records)
          send.runs = this.#encode(send.records)
        }
        // Partitions new to the transaction, before their first batch.
        const batches = send.runs[send.dispatched]!
        await this.#transactional?.register(batches)
      } catch (error) {
        send.failure = { error }
        continue
      }
      // Step 2
      const index = send.dispatched++
      send.unfinished++
      if (send.dispatched === send.runs.length) this.#sends.shift()
      const run: Run = { send, index, batches: send.runs[index]!, answer: undefined }
      const producer = this.#currentProducer()
      if (producer === undefined) {
        this.#retrying.push({ run, unwritten: run.batches, failure: undefined })
        continue
      }
      this.#stamp(run.batches, producer)
      run.answer = this.#sendPrepared(await this.#prepare(run.batches, false), false)
      this.#inFlight.push(run)
    }
  }

  /** Step 3 for the oldest run in flight. */
  async #takeAnswer(): Promise<void> {
    const run = this.#inFlight.shift()!
    const attempt = await run.answer!
    run.send.offsets[run.index] = attempt.written
    if (attempt.fatal !== undefined) {
      this.#dropProducer()
      this.#finish(run, { error: attempt.fatal })
    } else if (attempt.unwritten.length > 0) {
      this.#retrying.push({ run, unwritten: attempt.unwritten, failure: { error: attempt.failure } })
    } else {
      this.#finish(run, undefined)
    }
  }

  /** Step 4: the runs with unwritten batches, one at a time, in dispatch order. */
  async #retry(): Promise<void> {
    let gaveUp: { error: unknown } | undefined
    for (const { run, unwritten, failure } of this.#retrying.splice(0)) {
      // A run whose send failed already is given up with it, as are all after a run given up on.
      const given = gaveUp ?? run.send.failure
      if (given !== undefined) {
        this.#finish(run, given)
        continue
      }
      try {
        const written = await this.#produce(unwritten, failure)
        run.send.offsets[run.index] = [...(run.send.offsets[run.index] ?? []), ...written]
        this.#finish(run, undefined)
      } catch (error) {
        // Step 5
        this.#dropProducer()
        gaveUp = { error }
        this.#finish(run, gaveUp)
      }
    }
  }

  /** A run is written (`failure` undefined) or given up on; its send settles once all of it has. */
  #finish(run: Run, failure: { error: unknown } | undefined): void {
    const send = run.send
    send.unfinished--
    if (failure !== undefined) send.failure ??= failure
    else send.written++
    this.#settle(send)
  }

  /**
   * Resolves a send once all its runs are written; rejects a failed send once none of its runs is
   * in flight any more (so that a transaction is never ended under a request still in flight).
   */
  #settle(send: Send): void {
    if (send.settled) return
    if (send.failure !== undefined) {
      if (send.unfinished > 0 || this.#sends.includes(send)) return
      send.settled = true
      send.reject(send.failure.error)
    } else if (send.runs !== undefined && send.written === send.runs.length) {
      send.settled = true
      send.resolve(send.offsets.flat())
    }
  }

  async #learnPartitionCounts(records: readonly OutRecord[]): Promise<void> {
    const topics = [...new Set(records.filter((r) => r.partition === undefined).map((r) => r.topic))]
    const missing = topics.filter((t) => !this.#partitionCounts.has(t))
    if (missing.length === 0) return
    const metadata = await this.#withRetries(() => this.#client.metadata({ topics: missing, retries: 0 }))
    for (const topic of missing) {
      const count = metadata.topics.get(topic)?.partitionsCount
      if (count !== undefined && count > 0) this.#partitionCounts.set(topic, count)
    }
  }

  /** Step 1: one batch per partition for each run of at most maxRequestBytes. */
  #encode(records: readonly OutRecord[]): EncodedBatch[][] {
    const runs: EncodedBatch[][] = []
    const nowMs = Date.now()
    const compression = this.#options.compression
    const transactional = this.#transactional !== undefined
    for (const run of splitBySize(records as OutRecord[], this.#options.maxRequestBytes)) {
      // Per topic, each partition's records, in order (indexed by partition: no key per record).
      const byTopic = new Map<string, OutRecord[][]>()
      let lastTopic: string | undefined
      let partitions: OutRecord[][] = []
      let count = 0
      for (const record of run) {
        if (record.topic !== lastTopic) {
          lastTopic = record.topic
          let known = byTopic.get(lastTopic)
          if (known === undefined) byTopic.set(lastTopic, (known = []))
          partitions = known
          count = this.#partitionCounts.get(lastTopic) ?? 0
        }
        const partition = record.partition ?? (record.key ? positiveMurmur2(record.key) % count : 0)
        if (!Number.isInteger(partition) || partition < 0 || partition >= MAX_PARTITIONS) {
          throw new FreshetError('KAFKA_ERROR', `produce to ${record.topic}: no partition ${partition}`, {
            topic: record.topic,
          })
        }
        ;(partitions[partition] ??= []).push(record)
      }
      const batches: EncodedBatch[] = []
      for (const [topic, byPartition] of byTopic) {
        for (const [partition, group] of byPartition.entries()) {
          if (group !== undefined)
            batches.push(encodeBatch(topic, partition, group, { compression, transactional, nowMs }))
        }
      }
      runs.push(batches)
    }
    return runs
  }

  /** Stamps the batches not yet stamped under `producer` with its next sequence numbers. */
  #stamp(batches: EncodedBatch[], producer: ProducerIdentity): void {
    for (const batch of batches) {
      if (this.#stampedBy.get(batch) === producer) continue
      const key = partitionKey(batch.topic, batch.partition)
      const sequence = this.#sequences.get(key) ?? 0
      stampBatch(batch, producer.id, producer.epoch, sequence)
      this.#sequences.set(key, nextSequence(sequence, batch.count))
      this.#stampedBy.set(batch, producer)
    }
  }

  /**
   * Step 4 for one run's unwritten batches: attempts until all are written or it gives up.
   * `previous` is the failure of the attempt that left them unwritten, if one was made.
   */
  async #produce(
    batches: EncodedBatch[],
    previous: { error: unknown } | undefined,
  ): Promise<TopicPartitionOffset[]> {
    const written: TopicPartitionOffset[] = []
    let pending = batches
    let refresh = previous !== undefined
    let failure = previous?.error
    for (let attempt = previous === undefined ? 0 : 1; ; attempt++) {
      if (attempt > 0) {
        if (attempt > this.#options.retries || this.#client.closed) throw failure
        this.#stats.retriedBatches += pending.length
        await sleep(RETRY_DELAY_MS)
      }
      let producer = this.#currentProducer()
      if (producer === undefined) {
        try {
          producer = this.#producer = await this.#initProducerId()
        } catch (error) {
          if (!classify(error).retriable) throw error
          failure = error
          continue
        }
      }
      // A batch that may have been written under an earlier producer id cannot go out under this
      // one: the broker would take it for new records. Its send fails, as after its last retry.
      if (pending.some((b) => this.#unknown.has(b) && this.#stampedBy.get(b) !== producer)) throw failure
      this.#stamp(pending, producer)
      const outcome = await this.#attempt(pending, refresh, true)
      written.push(...outcome.written)
      if (outcome.fatal !== undefined) throw outcome.fatal
      if (outcome.unwritten.length === 0) return written
      // Within a transaction, only its owner can take a new epoch.
      if (outcome.lost && this.#transactional !== undefined) throw outcome.failure
      if (outcome.lost) this.#dropProducer()
      pending = outcome.unwritten
      refresh = outcome.staleMetadata
      failure = outcome.failure
    }
  }

  /**
   * One attempt: a Produce request per leader, and each partition's answer sorted out. `alone`
   * says whether nothing else is in flight, so that a refused sequence number means lost producer
   * state rather than an earlier batch still missing.
   */
  async #attempt(batches: EncodedBatch[], refresh: boolean, alone: boolean): Promise<Attempt> {
    return this.#sendPrepared(await this.#prepare(batches, refresh), alone)
  }

  /**
   * What a request needs before it goes out: the partitions' leaders and their connections. The
   * loop awaits this for one run before it dispatches the next, so that runs reach each
   * connection's queue in the order their sequence numbers were stamped.
   */
  async #prepare(batches: EncodedBatch[], refresh: boolean): Promise<Prepared> {
    let byLeader: Map<number, EncodedBatch[]>
    try {
      byLeader = await this.#byLeader(batches, refresh)
    } catch (error) {
      return { batches, failure: { error }, requests: [] }
    }
    const requests: Prepared['requests'] = []
    for (const [leader, sent] of byLeader) {
      try {
        requests.push({ batches: sent, connection: await this.#connection(leader), error: undefined })
      } catch (error) {
        requests.push({ batches: sent, connection: undefined, error })
      }
    }
    return { batches, failure: undefined, requests }
  }

  /** Puts the prepared requests on their connections now; resolves with their answers sorted out. */
  #sendPrepared(prepared: Prepared, alone: boolean): Promise<Attempt> {
    const outcome: Attempt = {
      written: [],
      unwritten: [],
      failure: undefined,
      fatal: undefined,
      lost: false,
      staleMetadata: false,
    }
    if (prepared.failure !== undefined) {
      // Nothing went out: the leaders or their addresses are unknown.
      const error = prepared.failure.error
      if (classify(error).retriable) {
        outcome.unwritten = prepared.batches
        outcome.failure = error
        outcome.staleMetadata = true
      } else {
        outcome.fatal = error
      }
      return Promise.resolve(outcome)
    }
    const requests = prepared.requests
    const sending = requests.map((r) =>
      r.connection === undefined ? Promise.reject(r.error) : this.#request(r.connection, r.batches),
    )
    return Promise.allSettled(sending).then((answers) => {
      for (const [i, { batches: sent }] of requests.entries()) {
        const settled = answers[i]!
        if (settled.status === 'rejected') {
          const { retriable, staleMetadata } = classify(settled.reason)
          if (!retriable) outcome.fatal ??= settled.reason
          outcome.failure = settled.reason
          outcome.staleMetadata ||= staleMetadata
          for (const batch of sent) {
            // The request may have been written before it failed.
            if (requests[i]!.connection !== undefined) this.#unknown.add(batch)
            outcome.unwritten.push(batch)
          }
          continue
        }
        for (const batch of sent) {
          const found = settled.value
            .find((t) => t.name === batch.topic)
            ?.partitionResponses.find((p) => p.index === batch.partition)
          const code = protocolErrorsCodesById[found?.errorCode ?? -1] ?? 'UNKNOWN_SERVER_ERROR'
          if (WRITTEN.has(code)) {
            if (found!.baseOffset >= 0n)
              outcome.written.push({
                topic: batch.topic,
                partition: batch.partition,
                offset: found!.baseOffset,
              })
            continue
          }
          if (OUTCOME_UNKNOWN.has(code)) this.#unknown.add(batch)
          else this.#unknown.delete(batch)
          const error = new ResponseError(
            0,
            8,
            {
              [`${batch.topic}-${batch.partition}`]: [found?.errorCode ?? -1, found?.errorMessage ?? null],
            },
            settled.value,
          )
          if (this.#transactional !== undefined && FENCED.has(code)) outcome.fatal ??= error
          else if (STATE_LOST.has(code)) outcome.lost ||= alone
          else if (!protocolErrors[code as keyof typeof protocolErrors]?.canRetry) outcome.fatal ??= error
          else outcome.staleMetadata ||= new ProtocolError(code).hasStaleMetadata === true
          outcome.failure = error
          outcome.unwritten.push(batch)
        }
      }
      return outcome
    })
  }

  #dropProducer(): void {
    this.#producer = undefined
    this.#sequences.clear()
  }

  /**
   * The producer id and epoch to stamp batches with: this sender's own, or the transaction
   * owner's. Sequence numbers start over under every new id or epoch.
   */
  #currentProducer(): ProducerIdentity | undefined {
    if (this.#transactional === undefined) return this.#producer
    const { id, epoch } = this.#transactional.identity()
    if (this.#producer?.id !== id || this.#producer.epoch !== epoch) {
      this.#sequences.clear()
      this.#producer = { id, epoch }
    }
    return this.#producer
  }

  async #initProducerId(): Promise<ProducerIdentity> {
    const { producerId, producerEpoch } = await this.#client.initIdempotentProducer({})
    this.#stats.producerIds++
    return { id: producerId, epoch: producerEpoch }
  }

  /** The batches by the broker that leads their partition. */
  async #byLeader(batches: EncodedBatch[], refresh: boolean): Promise<Map<number, EncodedBatch[]>> {
    const topics = [...new Set(batches.map((b) => b.topic))]
    const metadata = await this.#client.metadata({ topics, forceUpdate: refresh, retries: 0 })
    const byLeader = new Map<number, EncodedBatch[]>()
    for (const batch of batches) {
      const topic = metadata.topics.get(batch.topic)
      if (topic !== undefined) this.#partitionCounts.set(batch.topic, topic.partitionsCount)
      const leader = topic?.partitions[batch.partition]?.leader
      if (leader === undefined) {
        throw new FreshetError(
          'KAFKA_ERROR',
          `produce to ${batch.topic}: partition ${batch.partition} does not exist (the topic has ${topic?.partitionsCount ?? 0})`,
          { topic: batch.topic, partition: batch.partition },
        )
      }
      let list = byLeader.get(leader)
      if (list === undefined) byLeader.set(leader, (list = []))
      list.push(batch)
    }
    return byLeader
  }

  /** The connection to a partition leader. */
  async #connection(leader: number): Promise<Connection> {
    const broker = this.#client.currentMetadata?.brokers.get(leader)
    if (broker === undefined) {
      throw Object.assign(new Error(`broker ${leader} is not in the cluster metadata`), {
        canRetry: true,
        hasStaleMetadata: true,
      })
    }
    return this.#client.connections.get(broker)
  }

  /** Puts a Produce request on the connection's queue at once; resolves with its answer. */
  async #request(connection: Connection, batches: EncodedBatch[]): Promise<ProduceAnswer['responses']> {
    const byTopic = new Map<string, EncodedBatch[]>()
    for (const batch of batches) {
      let list = byTopic.get(batch.topic)
      if (list === undefined) byTopic.set(batch.topic, (list = []))
      list.push(batch)
    }
    const answer = await produce.async(
      connection,
      this.#transactional?.transactionalId ?? null,
      ACKS_ALL,
      this.#options.requestTimeoutMs,
      [...byTopic],
    )
    return answer.responses
  }

  async #withRetries<T>(op: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await op()
      } catch (error) {
        if (attempt >= this.#options.retries || !classify(error).retriable) throw error
        await sleep(RETRY_DELAY_MS)
      }
    }
  }
}
