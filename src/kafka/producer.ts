import { Producer, stringSerializer, type MessageToProduce } from '@platformatic/kafka'
import { checks, validateOptions, type Spec } from '../options/index.ts'
import { baseClientOptions, connectionSpec, type ConnectionOptions } from './connection.ts'
import { kafkaError } from './errors.ts'
import { javaCompatiblePartitioner } from './murmur2.ts'
import type { Compression, OutRecord, TopicPartitionOffset } from './types.ts'

export interface ProducerOptions extends ConnectionOptions {
  /** Idempotent producer (acks=all, sequence numbers): no duplicates from retries. */
  idempotent?: boolean
  /** 'all' waits for the in-sync replicas; required when idempotent. */
  acks?: 'all' | 'leader' | 'none'
  compression?: Compression
}

const producerSpec: Spec<ProducerOptions> = {
  ...connectionSpec,
  idempotent: { check: checks.boolean(), default: true },
  acks: { check: checks.oneOf(['all', 'leader', 'none'] as const), default: 'all' },
  compression: { check: checks.oneOf(['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const), default: 'none' },
}

const ACKS = { all: -1, leader: 1, none: 0 } as const

/** A record as the client library takes it; header keys are strings, values bytes. */
export type Message = MessageToProduce<Buffer, Buffer, string, Buffer>

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

/**
 * Sends batches of records. Keys are partitioned with Kafka's Java-compatible murmur2, so a key
 * lands on the same partition as when produced by the Java client, kcat or Kafka Streams.
 */
export class KafkaProducer {
  readonly #producer: Producer<Buffer, Buffer, string, Buffer>
  readonly #options: ProducerOptions

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
  }

  get options(): Readonly<ProducerOptions> {
    return this.#options
  }

  /** Sends the records as one request per broker; resolves when all are acknowledged. */
  async send(records: OutRecord[]): Promise<TopicPartitionOffset[]> {
    if (records.length === 0) return []
    try {
      const result = await this.#producer.send({ messages: records.map(toMessage) })
      return (result.offsets ?? []).map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset }))
    } catch (error) {
      throw kafkaError(error, `produce ${records.length} records to ${records[0]?.topic}`, {
        ...(records[0] ? { topic: records[0].topic } : {}),
      })
    }
  }

  async close(): Promise<void> {
    await this.#producer.close()
  }
}
