import { Producer, stringSerializer } from '@platformatic/kafka'
import { checks, validateOptions, type Spec } from '../options/index.ts'
import { BatchSender } from './batch-sender.ts'
import { SKIP_SEQUENCES, splitBySize } from './record-batch.ts'
import { baseClientOptions, connectionSpec, type ConnectionOptions } from './connection.ts'
import { kafkaError } from './errors.ts'
import { javaCompatiblePartitioner } from './murmur2.ts'
import type { Compression, OutRecord, SendStats, TopicPartitionOffset } from './types.ts'
import './varint64.ts'

export { recordBytes, splitBySize } from './record-batch.ts'

export interface ProducerOptions extends ConnectionOptions {
  /** Idempotent producer (acks=all, sequence numbers): no duplicates from retries. */
  idempotent?: boolean
  /** 'all' waits for the in-sync replicas; required when idempotent. */
  acks?: 'all' | 'leader' | 'none'
  compression?: Compression
  /**
   * Upper bound of one produce request's record bytes (Kafka's max.request.size); a larger send is
   * split into requests sent one after another, in order. Keep it under the broker's
   * message.max.bytes (1 MiB by default): one partition's records of a request form one batch.
   */
  maxRequestBytes?: number
}

/** Default and bounds of `maxRequestBytes`, shared with the transactional producer. */
export const maxRequestBytesOption = { check: checks.int(1_024, 100 * 1024 * 1024), default: 1_000_000 }

const producerSpec: Spec<ProducerOptions> = {
  ...connectionSpec,
  idempotent: { check: checks.boolean(), default: true },
  acks: { check: checks.oneOf(['all', 'leader', 'none'] as const), default: 'all' },
  compression: { check: checks.oneOf(['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const), default: 'none' },
  maxRequestBytes: maxRequestBytesOption,
}

const ACKS = { all: -1, leader: 1, none: 0 } as const

/**
 * A record as the client library takes it (its `MessageToProduce`); header keys are strings,
 * values bytes. Spelled out, so that freshet's declarations name no type of the client library.
 */
export interface Message {
  topic: string
  key?: Buffer
  value?: Buffer
  partition?: number
  timestamp?: bigint
  headers?: Map<string, Buffer>
}

export function toMessage(record: OutRecord): Message {
  const message: Message = { topic: record.topic }
  if (record.key != null) message.key = record.key
  if (record.value != null) message.value = record.value
  if (record.partition !== undefined) message.partition = record.partition
  if (record.timestampMs !== undefined) message.timestamp = BigInt(record.timestampMs)
  if (record.headers) {
    const headers = new Map<string, Buffer>()
    for (const [k, v] of Object.entries(record.headers))
      headers.set(k, typeof v === 'string' ? Buffer.from(v) : v)
    message.headers = headers
  }
  return message
}

/** The offsets the client reports for a send, in freshet's shape. */
export function sentOffsets(result: {
  offsets?: Array<{ topic: string; partition: number; offset: bigint }>
}): TopicPartitionOffset[] {
  return (result.offsets ?? []).map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset }))
}

/**
 * Sends batches of records. Keys are partitioned with Kafka's Java-compatible murmur2, so a key
 * lands on the same partition as when produced by the Java client, kcat or Kafka Streams.
 *
 * An idempotent producer (the default) encodes its record batches itself and keeps its producer
 * id and sequence numbers (`BatchSender`); a producer with idempotence off sends through the
 * client library.
 */
export class KafkaProducer {
  readonly #producer: Producer<Buffer, Buffer, string, Buffer>
  readonly #options: ProducerOptions
  readonly #sender: BatchSender | undefined

  constructor(options: ProducerOptions) {
    const resolved = validateOptions('KafkaProducer', options, producerSpec)
    if (resolved.idempotent && resolved.acks !== 'all') {
      throw kafkaError(new Error('an idempotent producer needs acks=all'), 'KafkaProducer')
    }
    this.#options = resolved
    this.#producer = new Producer({
      ...baseClientOptions(resolved),
      idempotent: resolved.idempotent ?? true,
      acks: ACKS[resolved.acks ?? 'all'],
      compression: resolved.compression ?? 'none',
      partitioner: javaCompatiblePartitioner,
      autocreateTopics: false,
      serializers: { headerKey: stringSerializer },
    })
    if (resolved.idempotent !== false) {
      this.#sender = new BatchSender(this.#producer, {
        requestTimeoutMs: resolved.requestTimeoutMs ?? 30_000,
        retries: resolved.retries ?? 5,
        compression: resolved.compression ?? 'none',
        maxRequestBytes: resolved.maxRequestBytes ?? maxRequestBytesOption.default,
      })
    }
  }

  get options(): Readonly<ProducerOptions> {
    return this.#options
  }

  /**
   * Sends the records as requests of at most `maxRequestBytes`, one after another so that each
   * partition keeps their order; resolves when all are acknowledged, with the base offset of each
   * partition's batch per request.
   */
  async send(records: OutRecord[]): Promise<TopicPartitionOffset[]> {
    if (records.length === 0) return []
    try {
      if (this.#sender) return await this.#sender.send(records)
      const written: TopicPartitionOffset[] = []
      for (const run of splitBySize(
        records,
        this.#options.maxRequestBytes ?? maxRequestBytesOption.default,
      )) {
        written.push(...sentOffsets(await this.#producer.send({ messages: run.map(toMessage) })))
      }
      return written
    } catch (error) {
      throw kafkaError(error, `produce ${records.length} records to ${records[0]?.topic}`, {
        ...(records[0] ? { topic: records[0].topic } : {}),
      })
    }
  }

  async close(): Promise<void> {
    await this.#producer.close()
  }

  /** Retries and producer ids of the idempotent send path; zeros for a non-idempotent producer. */
  get sendStats(): Readonly<SendStats> {
    return this.#sender?.stats ?? { retriedBatches: 0, producerIds: 0 }
  }

  /** Testing seam: the next batch of a partition skips `count` sequence numbers. */
  [SKIP_SEQUENCES](topic: string, partition: number, count: number): void {
    this.#sender?.[SKIP_SEQUENCES](topic, partition, count)
  }
}
