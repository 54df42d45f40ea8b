/**
 * The idempotent producer's send path: records partitioned and encoded by freshet
 * (`record-batch.ts`), producer id and sequence numbers kept by freshet, requests sent over the
 * client library's connections.
 *
 * A send:
 *   1. Partitions the records (Kafka's murmur2 of the key, as the Java client; unkeyed records to
 *      partition 0) and encodes each partition's records of a request as one batch, at call time,
 *      while earlier sends may still be in flight.
 *   2. Waits for every earlier send: sends go out one at a time, in call order, so a partition's
 *      batches reach the broker in the order they were made.
 *   3. Takes a producer id (InitProducerId) if it has none, and stamps each batch not yet stamped
 *      under it with the id, the epoch and the partition's next sequence number.
 *   4. Sends one Produce request per partition leader, concurrently, and sorts out each
 *      partition's answer:
 *      - written (or DUPLICATE_SEQUENCE_NUMBER: written by an earlier attempt): done;
 *      - a retriable error or a failed request (the broker went away, a leader moved): the same
 *        bytes again, after a pause and with fresh metadata. The same producer id and sequence
 *        let the broker drop a copy it already wrote, so a retry never duplicates;
 *      - OUT_OF_ORDER_SEQUENCE_NUMBER, UNKNOWN_PRODUCER_ID or INVALID_PRODUCER_EPOCH (the broker
 *        lost or never had this producer's state, or a sequence was skipped): a new producer id,
 *        and every unwritten batch stamped again from sequence 0;
 *      - any other error fails the send.
 *   5. After `retries` retries, or on an error that is not retriable, the send fails and the
 *      producer id is dropped: batches of this send may or may not be written, and the next send
 *      starts over with a new producer id, so no sequence gap of the failed send blocks it.
 */
import {
  createAPI,
  produceV8,
  ProtocolError,
  protocolErrors,
  protocolErrorsCodesById,
  ResponseError,
  Writer,
  type Producer,
} from '@platformatic/kafka'
import { setTimeout as sleep } from 'node:timers/promises'
import { FreshetError } from '../errors/index.ts'
import { RETRY_DELAY_MS } from './connection.ts'
import { positiveMurmur2 } from './murmur2.ts'
import { encodeBatch, nextSequence, splitBySize, stampBatch, type EncodedBatch } from './record-batch.ts'
import type { Compression, OutRecord, TopicPartitionOffset } from './types.ts'

type ClientProducer = Producer<Buffer, Buffer, string, Buffer>

export interface BatchSenderOptions {
  requestTimeoutMs: number
  retries: number
  compression: Compression
  maxRequestBytes: number
}

/** What the send path did to get records through, since the producer was made. */
export interface SendStats {
  /** Batches sent again after a failed attempt. */
  retriedBatches: number
  /** Producer ids taken (InitProducerId): one at the start, one after each loss of producer state or failed send. */
  producerIds: number
}

interface ProducerIdentity {
  id: bigint
  epoch: number
}

// Produce v8 (Kafka 2.4 and later; not flexible): transactional_id, acks, timeout_ms, and per
// topic its name and per partition its index and record batch, each length-prefixed.
function produceRequest(acks: number, timeoutMs: number, topics: Array<[string, EncodedBatch[]]>): Writer {
  return Writer.create()
    .appendString(null, false)
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

const produce = createAPI<[number, number, Array<[string, EncodedBatch[]]>], ProduceAnswer>(
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

function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`
}

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

/** Testing seam: skip sequence numbers of a partition, to see the gap handled. */
export const SKIP_SEQUENCES = Symbol('freshet.skipSequences')

export class BatchSender {
  readonly #client: ClientProducer
  readonly #options: BatchSenderOptions
  #producer: ProducerIdentity | undefined
  /** Next sequence number per partition, under the current producer id. */
  readonly #sequences = new Map<string, number>()
  /** The producer a batch was stamped under. */
  readonly #stampedBy = new WeakMap<EncodedBatch, ProducerIdentity>()
  readonly #partitionCounts = new Map<string, number>()
  #queue: Promise<unknown> = Promise.resolve()
  readonly #stats: SendStats = { retriedBatches: 0, producerIds: 0 }

  constructor(client: ClientProducer, options: BatchSenderOptions) {
    this.#client = client
    this.#options = options
  }

  send(records: readonly OutRecord[]): Promise<TopicPartitionOffset[]> {
    // Step 1, now if every topic's partition count is known, else in turn.
    let encoded: EncodedBatch[][] | undefined
    try {
      if (records.every((r) => r.partition !== undefined || this.#partitionCounts.has(r.topic)))
        encoded = this.#encode(records)
    } catch (error) {
      return Promise.reject(error)
    }
    // Step 2
    const result = this.#queue.then(async () => {
      const requests = encoded ?? (await this.#learnPartitionCounts(records), this.#encode(records))
      const written: TopicPartitionOffset[] = []
      for (const batches of requests) written.push(...(await this.#produce(batches)))
      return written
    })
    this.#queue = result.catch(() => undefined)
    return result
  }

  get stats(): Readonly<SendStats> {
    return { ...this.#stats }
  }

  [SKIP_SEQUENCES](topic: string, partition: number, count: number): void {
    const key = partitionKey(topic, partition)
    this.#sequences.set(key, nextSequence(this.#sequences.get(key) ?? 0, count))
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

  /** Step 1: one batch per partition for each request of at most maxRequestBytes. */
  #encode(records: readonly OutRecord[]): EncodedBatch[][] {
    const requests: EncodedBatch[][] = []
    const nowMs = Date.now()
    for (const run of splitBySize(records as OutRecord[], this.#options.maxRequestBytes)) {
      const byPartition = new Map<string, { topic: string; partition: number; records: OutRecord[] }>()
      for (const record of run) {
        let partition = record.partition
        if (partition === undefined) {
          const count = this.#partitionCounts.get(record.topic)!
          partition = record.key ? positiveMurmur2(record.key) % count : 0
        }
        const key = partitionKey(record.topic, partition)
        let group = byPartition.get(key)
        if (group === undefined)
          byPartition.set(key, (group = { topic: record.topic, partition, records: [] }))
        group.records.push(record)
      }
      requests.push(
        [...byPartition.values()].map((g) =>
          encodeBatch(g.topic, g.partition, g.records, { compression: this.#options.compression, nowMs }),
        ),
      )
    }
    return requests
  }

  /** Steps 3 to 5 for the batches of one request. */
  async #produce(batches: EncodedBatch[]): Promise<TopicPartitionOffset[]> {
    const written: TopicPartitionOffset[] = []
    let pending = batches
    let refresh = false
    for (let attempt = 0; ; attempt++) {
      let failure: unknown
      let lost = false
      const retry = new Set<EncodedBatch>()
      try {
        // Step 3
        const producer = (this.#producer ??= await this.#initProducerId())
        for (const batch of pending) {
          if (this.#stampedBy.get(batch) === producer) continue
          const key = partitionKey(batch.topic, batch.partition)
          const sequence = this.#sequences.get(key) ?? 0
          stampBatch(batch, producer.id, producer.epoch, sequence)
          this.#sequences.set(key, nextSequence(sequence, batch.count))
          this.#stampedBy.set(batch, producer)
        }
        // Step 4
        const byLeader = await this.#byLeader(pending, refresh)
        refresh = false
        const answers = await Promise.allSettled(
          [...byLeader].map(async ([leader, sent]) => this.#request(leader, sent)),
        )
        for (const [i, sent] of [...byLeader.values()].entries()) {
          const settled = answers[i]!
          if (settled.status === 'rejected') {
            const { retriable, staleMetadata } = classify(settled.reason)
            if (!retriable) throw this.#giveUp(settled.reason)
            failure = settled.reason
            refresh ||= staleMetadata
            for (const batch of sent) retry.add(batch)
            continue
          }
          for (const batch of sent) {
            const found = settled.value
              .find((t) => t.name === batch.topic)
              ?.partitionResponses.find((p) => p.index === batch.partition)
            const code = protocolErrorsCodesById[found?.errorCode ?? -1] ?? 'UNKNOWN_SERVER_ERROR'
            if (WRITTEN.has(code)) {
              if (found!.baseOffset >= 0n)
                written.push({ topic: batch.topic, partition: batch.partition, offset: found!.baseOffset })
              continue
            }
            const error = new ResponseError(
              0,
              8,
              {
                [`${batch.topic}-${batch.partition}`]: [found?.errorCode ?? -1, found?.errorMessage ?? null],
              },
              settled.value,
            )
            if (STATE_LOST.has(code)) lost = true
            else if (!protocolErrors[code as keyof typeof protocolErrors]?.canRetry) throw this.#giveUp(error)
            else refresh ||= new ProtocolError(code).hasStaleMetadata === true
            failure = error
            retry.add(batch)
          }
        }
      } catch (error) {
        // Before any request went out: InitProducerId or metadata failed.
        if (retry.size > 0 || !classify(error).retriable) throw this.#giveUp(error)
        failure = error
        refresh = true
        for (const batch of pending) retry.add(batch)
      }
      if (retry.size === 0) return written
      // Step 5
      if (attempt >= this.#options.retries) throw this.#giveUp(failure)
      if (lost) {
        this.#producer = undefined
        this.#sequences.clear()
      }
      pending = [...retry]
      this.#stats.retriedBatches += pending.length
      await sleep(RETRY_DELAY_MS)
    }
  }

  #giveUp(error: unknown): unknown {
    this.#producer = undefined
    this.#sequences.clear()
    return error
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

  async #request(leader: number, batches: EncodedBatch[]): Promise<ProduceAnswer['responses']> {
    const broker = this.#client.currentMetadata?.brokers.get(leader)
    if (broker === undefined) {
      throw Object.assign(new Error(`broker ${leader} is not in the cluster metadata`), {
        canRetry: true,
        hasStaleMetadata: true,
      })
    }
    const connection = await this.#client.connections.get(broker)
    const byTopic = new Map<string, EncodedBatch[]>()
    for (const batch of batches) {
      let list = byTopic.get(batch.topic)
      if (list === undefined) byTopic.set(batch.topic, (list = []))
      list.push(batch)
    }
    const answer = await produce.async(connection, ACKS_ALL, this.#options.requestTimeoutMs, [...byTopic])
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
