import { Producer, stringSerializer } from '@platformatic/kafka'
import { checks, validateOptions, type Spec } from '../options/index.ts'
import { baseClientOptions, connectionSpec, type ConnectionOptions } from './connection.ts'
import { kafkaError } from './errors.ts'
import { javaCompatiblePartitioner } from './murmur2.ts'
import type { Compression, OutRecord, TopicPartitionOffset } from './types.ts'
import './varint64.ts'

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

// Per record in a v2 record batch: length, attributes, timestamp and offset deltas, key and value
// lengths, header count (varints, at most 36 bytes); per header: two lengths (at most 10 bytes).
const RECORD_OVERHEAD_BYTES = 40
const HEADER_OVERHEAD_BYTES = 10

/** The bytes a record takes in a record batch, never less than it really takes. */
export function recordBytes(record: OutRecord): number {
  let bytes = RECORD_OVERHEAD_BYTES + (record.key?.length ?? 0) + (record.value?.length ?? 0)
  if (record.headers) {
    for (const [k, v] of Object.entries(record.headers)) {
      bytes +=
        HEADER_OVERHEAD_BYTES +
        Buffer.byteLength(k) +
        (typeof v === 'string' ? Buffer.byteLength(v) : v.length)
    }
  }
  return bytes
}

/**
 * Splits records, in order, into runs of at most `maxBytes` record bytes (a record larger than
 * that alone forms a run, for the broker to refuse with a clear error). The client packs each
 * partition's records of one send into a single batch, which the broker refuses whole when it is
 * over message.max.bytes: a worker sending thousands of records to a one-partition topic in one
 * send would never get through.
 */
export function splitBySize(records: OutRecord[], maxBytes: number): OutRecord[][] {
  const runs: OutRecord[][] = []
  let run: OutRecord[] = []
  let runBytes = 0
  for (const record of records) {
    const bytes = recordBytes(record)
    if (run.length > 0 && runBytes + bytes > maxBytes) {
      runs.push(run)
      run = []
      runBytes = 0
    }
    run.push(record)
    runBytes += bytes
  }
  if (run.length > 0) runs.push(run)
  return runs
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

  /**
   * Sends the records as requests of at most `maxRequestBytes`, one after another so that each
   * partition keeps their order; resolves when all are acknowledged, with the base offset of each
   * partition's batch per request.
   */
  async send(records: OutRecord[]): Promise<TopicPartitionOffset[]> {
    if (records.length === 0) return []
    try {
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
}
