/**
 * The registry log on a Kafka topic: one partition (a single total order for every instance),
 * `cleanup.policy=compact` (the last record per key is the state), written by the idempotent
 * producer with acks=all and tailed from the beginning by every registry instance.
 *
 * The log outlives its brokers. The tail reads the partition outside any consumer group, so there
 * is no membership to lose or to rejoin, and when a read fails it starts again from the offset
 * after the last record it delivered, after a capped exponential backoff, for as long as it takes.
 * The producer and the end-offset client are replaced after a failure, so that no client carries
 * the state of a broker that went away: for the idempotent producer, the sequence numbers of a
 * batch whose fate is unknown.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { FreshetError } from '../errors/index.ts'
import { KafkaAdmin, KafkaProducer, PartitionReader, type InRecord } from '../kafka/index.ts'
import { backoffMs, MAX_RETRY_DELAY_MS, RETRY_DELAY_MS } from './retry.ts'
import type { LogEntry, LogWrite, RegistryLog } from './types.ts'

export interface KafkaLogOptions {
  bootstrapBrokers: string[]
  topic: string
  /** Replication factor used when the topic has to be created. */
  replicas: number
  clientId: string
  /** First wait before the tail reads again after a failure; doubled per failure in a row. */
  retryDelayMs?: number
  /** Longest wait between two attempts of the tail. */
  maxRetryDelayMs?: number
}

/** Topic configs the registry creates its topic with. */
export const REGISTRY_TOPIC_CONFIGS: Record<string, string> = { 'cleanup.policy': 'compact' }

/** The registry's topic has one partition. */
const PARTITION = 0
/** A read up to here never ends by reaching its end: it tails the partition. */
const END_OF_TIME = 2n ** 63n - 1n

function toEntry(r: InRecord): LogEntry {
  return { offset: r.offset, key: r.key, value: r.value }
}

export class KafkaLog implements RegistryLog {
  readonly #options: KafkaLogOptions
  readonly #closed = new AbortController()
  #producer: KafkaProducer | undefined
  /** Lists the end offset; a reader of its own, as it needs no group either. */
  #offsets: PartitionReader | undefined
  /** The tail's reader of the moment, and whether reconnect() ended its read on purpose. */
  #reading: { reader: PartitionReader; abandoned: boolean } | undefined
  /** Offset after the last record the tail delivered: where the next read starts. */
  #next = 0n
  #tail: Promise<void> | undefined
  /** Closes of replaced clients still under way; close() waits for them. */
  readonly #retiring = new Set<Promise<unknown>>()

  constructor(options: KafkaLogOptions) {
    this.#options = options
  }

  /** Creates the topic when missing; refuses a topic with more than one partition. */
  async #ensureTopic(): Promise<void> {
    const { topic, replicas, bootstrapBrokers, clientId } = this.#options
    const admin = new KafkaAdmin({ bootstrapBrokers, clientId })
    try {
      const created = await admin.createTopics([
        { topic, partitions: 1, replicas, configs: REGISTRY_TOPIC_CONFIGS },
      ])
      if (created.length > 0) return
      const description = await admin.describeTopic(topic)
      if (description.partitions.length !== 1) {
        throw new FreshetError(
          'REGISTRY_ERROR',
          `registry topic ${topic} has ${description.partitions.length} partitions; the registry needs exactly 1 to keep one order of writes`,
          { topic },
        )
      }
    } finally {
      await admin.close().catch(() => undefined)
    }
  }

  #newReader(): PartitionReader {
    return new PartitionReader({
      bootstrapBrokers: this.#options.bootstrapBrokers,
      clientId: this.#options.clientId,
      isolationLevel: 'read_uncommitted',
    })
  }

  /** Closes a client in the background; close() waits for it. */
  #retire(client: { close(): Promise<void> } | undefined): void {
    if (client === undefined) return
    const closing = client.close().catch(() => undefined)
    this.#retiring.add(closing)
    void closing.finally(() => this.#retiring.delete(closing))
  }

  async start(
    onEntries: (entries: LogEntry[]) => void,
    onReadError?: (error: unknown) => void,
  ): Promise<void> {
    await this.#ensureTopic()
    this.#tail = this.#run(onEntries, onReadError ?? (() => undefined))
  }

  /**
   * The tail, until close():
   *   1. Open a reader: a client of its own, joining no group.
   *   2. Read from the offset after the last record delivered, handing every batch to the registry.
   *      The read has no end: it stops only by failing, or by reconnect() or close() closing it.
   *   3. Report a failure, close the reader and wait: 250 ms, doubled per failure in a row up to
   *      5 s (a read that delivered records, or lasted longer than the longest wait, starts the
   *      count again). A read reconnect() ended is no failure: go on at once. Go back to step 1.
   */
  async #run(onEntries: (entries: LogEntry[]) => void, onReadError: (error: unknown) => void): Promise<void> {
    const firstMs = this.#options.retryDelayMs ?? RETRY_DELAY_MS
    const maxMs = this.#options.maxRetryDelayMs ?? MAX_RETRY_DELAY_MS
    let failures = 0
    while (!this.#closed.signal.aborted) {
      // Step 1
      const reading = { reader: this.#newReader(), abandoned: false }
      this.#reading = reading
      const startedMs = performance.now()
      try {
        // Step 2
        for await (const records of reading.reader.read(
          this.#options.topic,
          PARTITION,
          this.#next,
          END_OF_TIME,
        )) {
          failures = 0
          const last = records.at(-1)
          if (last !== undefined) this.#next = last.offset + 1n
          onEntries(records.map(toEntry))
        }
      } catch (error) {
        // Step 3
        if (!reading.abandoned && !this.#closed.signal.aborted) onReadError(error)
      } finally {
        if (this.#reading === reading) this.#reading = undefined
        // In the background: a close that waits on an unreachable broker must not hold the tail up.
        this.#retire(reading.reader)
      }
      if (reading.abandoned) {
        failures = 0
        continue
      }
      if (performance.now() - startedMs > maxMs) failures = 0
      await sleep(backoffMs(failures++, firstMs, maxMs), undefined, { signal: this.#closed.signal }).catch(
        () => undefined,
      )
    }
  }

  /**
   * Drops every connection to the cluster: the tail's read starts again (from where it was), and
   * the next endOffset() and append() open new clients. For a store that finds the tail stalled.
   */
  reconnect(): void {
    const reading = this.#reading
    if (reading !== undefined) {
      reading.abandoned = true
      this.#retire(reading.reader)
    }
    this.#retire(this.#offsets)
    this.#offsets = undefined
    this.#retire(this.#producer)
    this.#producer = undefined
  }

  #checkOpen(what: string): void {
    if (this.#tail === undefined)
      throw new FreshetError('INVALID_STATE', `KafkaLog.${what}: call start() first`)
    if (this.#closed.signal.aborted)
      throw new FreshetError('INVALID_STATE', `KafkaLog.${what}: the log is closed`)
  }

  async endOffset(): Promise<bigint> {
    this.#checkOpen('endOffset')
    const offsets = (this.#offsets ??= this.#newReader())
    try {
      const ends = await offsets.endOffsets(this.#options.topic, [PARTITION])
      return ends.get(PARTITION) ?? 0n
    } catch (error) {
      if (this.#offsets === offsets) {
        this.#offsets = undefined
        this.#retire(offsets)
      }
      throw error
    }
  }

  async append(records: LogWrite[]): Promise<bigint> {
    this.#checkOpen('append')
    const producer = (this.#producer ??= new KafkaProducer({
      bootstrapBrokers: this.#options.bootstrapBrokers,
      clientId: this.#options.clientId,
      idempotent: true,
      acks: 'all',
    }))
    let acked
    try {
      acked = await producer.send(
        records.map((r) => ({
          topic: this.#options.topic,
          partition: PARTITION,
          key: r.key,
          value: r.value,
        })),
      )
    } catch (error) {
      // Whether the batch was written is unknown: a new producer (a new producer id) starts clean,
      // and the write protocol finds out from the log what happened to this one.
      if (this.#producer === producer) {
        this.#producer = undefined
        this.#retire(producer)
      }
      throw error
    }
    const base = acked[0]?.offset
    if (base === undefined) {
      throw new FreshetError(
        'REGISTRY_ERROR',
        `no offset acknowledged for the write to ${this.#options.topic}`,
        {
          topic: this.#options.topic,
        },
      )
    }
    // One partition, one produce request: the records sit at consecutive offsets from the base.
    return base + BigInt(records.length - 1)
  }

  async close(): Promise<void> {
    this.#closed.abort()
    const closing: Array<Promise<unknown>> = []
    if (this.#reading) closing.push(this.#reading.reader.close())
    if (this.#offsets) closing.push(this.#offsets.close())
    if (this.#producer) closing.push(this.#producer.close())
    const results = await Promise.allSettled(closing)
    await this.#tail?.catch(() => undefined)
    await Promise.allSettled([...this.#retiring])
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
    if (failed) throw failed.reason
  }
}
