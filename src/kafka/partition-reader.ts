import { setTimeout as sleep } from 'node:timers/promises'
import {
  Consumer,
  FetchIsolationLevels,
  findErrorBy,
  IS_CONTROL,
  ListOffsetTimestamps,
  type fetchV17,
  type FetchOptions,
  type RecordsBatch,
} from '@platformatic/kafka'
import { FreshetError } from '../errors/index.ts'
import { checks, validateOptions, type Spec } from '../options/index.ts'
import { baseClientOptions, connectionSpec, RETRY_DELAY_MS, type ConnectionOptions } from './connection.ts'
import { kafkaError } from './errors.ts'
import { ReadCommittedConsumer } from './read-committed.ts'
import type { InRecord, IsolationLevel } from './types.ts'

export interface PartitionReaderOptions extends ConnectionOptions {
  /**
   * read_committed (the default) hides aborted transactions and never reads past the last stable
   * offset; read_uncommitted reads everything up to the high watermark.
   */
  isolationLevel?: IsolationLevel
  /** Longest a fetch waits on the broker for data that is not there yet. */
  maxWaitMs?: number
  /** Most bytes one fetch returns; a single larger record batch is still returned whole. */
  maxBytesPerPartition?: number
}

const partitionReaderSpec: Spec<PartitionReaderOptions> = {
  ...connectionSpec,
  isolationLevel: {
    check: checks.oneOf(['read_committed', 'read_uncommitted'] as const),
    default: 'read_committed',
  },
  maxWaitMs: { check: checks.int(0, 60_000), default: 500 },
  maxBytesPerPartition: { check: checks.int(1024, 1 << 30), default: 4 * 1024 * 1024 },
}

type Client = Consumer<Buffer, Buffer, Buffer, Buffer>
type FetchResponse = fetchV17.FetchResponse
type FetchRequest = FetchOptions<Buffer, Buffer, Buffer, Buffer>

/** Group id the client requires; the reader never joins, commits or asks the coordinator anything. */
const UNUSED_GROUP_ID = 'freshet-partition-reader'

/** Batch attribute bit 3: the broker stamped the records on append, the batch's max timestamp. */
const LOG_APPEND_TIME = 1 << 3

/** Broker errors meaning the partition's leader is elsewhere or not elected yet: ask again. */
const LEADER_ERRORS = [
  'NOT_LEADER_OR_FOLLOWER',
  'LEADER_NOT_AVAILABLE',
  'FENCED_LEADER_EPOCH',
  'UNKNOWN_LEADER_EPOCH',
  'REPLICA_NOT_AVAILABLE',
  'KAFKA_STORAGE_ERROR',
  'UNKNOWN_TOPIC_OR_PARTITION',
  'UNKNOWN_TOPIC_ID',
] as const

function leaderError(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined
  return LEADER_ERRORS.find((apiId) => findErrorBy(error, 'apiId', apiId) !== null)
}

/** How often `settledEndOffset` asks for the last stable offset again. */
const SETTLE_BACKOFF_MS = { first: 20, max: 500 }

/** The metadata names no live leader for the partition. */
class NoLeader extends Error {}

function isOffsetOutOfRange(error: unknown): boolean {
  return error instanceof Error && findErrorBy(error, 'apiId', 'OFFSET_OUT_OF_RANGE') !== null
}

function invalidArgument(what: string, message: string, details: Record<string, unknown>): FreshetError {
  return new FreshetError('INVALID_OPTION', `PartitionReader.${what}: ${message}`, { details })
}

function checkTopic(what: string, topic: unknown): void {
  if (typeof topic !== 'string' || topic.length === 0) {
    throw invalidArgument(what, `topic must be a non-empty string, got ${JSON.stringify(topic)}`, {
      option: 'topic',
    })
  }
}

function checkPartition(what: string, partition: unknown): void {
  if (typeof partition !== 'number' || !Number.isInteger(partition) || partition < 0) {
    throw invalidArgument(what, `partition must be an integer >= 0, got ${JSON.stringify(partition)}`, {
      option: 'partition',
    })
  }
}

/**
 * The records of one fetched partition that lie in [position, toOffset), and the position after
 * the last batch. Control batches (transaction markers) are never records; batches the
 * read_committed filter emptied still move the position past them.
 */
function recordsOf(
  topic: string,
  partition: number,
  batches: readonly RecordsBatch[],
  position: bigint,
  toOffset: bigint,
): { records: InRecord[]; next: bigint } {
  const records: InRecord[] = []
  let next = position
  for (const batch of batches) {
    const end = batch.firstOffset + BigInt(batch.lastOffsetDelta) + 1n
    if (end > next) next = end
    if (batch.attributes & IS_CONTROL) continue
    const logAppendTime = (batch.attributes & LOG_APPEND_TIME) !== 0
    for (const record of batch.records) {
      const offset = batch.firstOffset + BigInt(record.offsetDelta)
      // A fetch returns the whole batch holding the position, so its first records may lie before
      // it (a read from the middle of a batch, or from a log start that deleteRecords moved).
      if (offset < position || offset >= toOffset) continue
      const headers = new Map<string, Buffer>()
      for (const [key, value] of record.headers) {
        if (key === null) continue
        // InRecord has no null header value: a null one reads as empty.
        headers.set(key.toString('utf8'), value ?? Buffer.alloc(0))
      }
      records.push({
        topic,
        partition,
        offset,
        timestampMs: Number(
          logAppendTime ? batch.maxTimestamp : batch.firstTimestamp + record.timestampDelta,
        ),
        key: record.key,
        value: record.value,
        headers,
        leaderEpoch: batch.partitionLeaderEpoch,
      })
    }
  }
  return { records, next }
}

/**
 * Reads explicit partitions from explicit offsets, outside any consumer group (the Java
 * consumer's assign() and seek()): nothing is joined or committed, and readers of the same
 * partitions never affect one another. It is how state stores are restored from their changelog
 * topics: `read(changelog, p, checkpoint, (await endOffsets(changelog, [p])).get(p))`.
 */
export class PartitionReader {
  readonly #client: Client
  readonly #options: PartitionReaderOptions
  readonly #isolationLevel: number
  /** The tail of the fetches in flight, one at a time: see read(), step 2. */
  #fetchTail: Promise<unknown> = Promise.resolve()
  #closed = false
  #closing: Promise<void> | undefined

  constructor(options: PartitionReaderOptions) {
    const resolved = validateOptions('PartitionReader', options, partitionReaderSpec)
    this.#options = resolved
    const readCommitted = resolved.isolationLevel !== 'read_uncommitted'
    this.#isolationLevel = readCommitted
      ? FetchIsolationLevels.READ_COMMITTED
      : FetchIsolationLevels.READ_UNCOMMITTED
    const clientOptions = {
      ...baseClientOptions(resolved),
      groupId: UNUSED_GROUP_ID,
      autocommit: false,
      groupProtocol: 'classic' as const,
      isolationLevel: this.#isolationLevel,
      maxWaitTime: resolved.maxWaitMs ?? 500,
      minBytes: 1,
    }
    // The client's own read_committed filtering lets some aborted records through (decision 0001).
    this.#client = readCommitted
      ? new ReadCommittedConsumer<Buffer, Buffer, Buffer, Buffer>(clientOptions)
      : new Consumer<Buffer, Buffer, Buffer, Buffer>(clientOptions)
  }

  get isolationLevel(): IsolationLevel {
    return this.#options.isolationLevel ?? 'read_committed'
  }

  /**
   * End offsets per partition: under read_committed the last stable offset (below the first
   * record of any open transaction), else the high watermark. A read up to it ends without
   * waiting for anything.
   */
  async endOffsets(topic: string, partitions: number[]): Promise<Map<number, bigint>> {
    return this.#listOffsets('endOffsets', topic, partitions, ListOffsetTimestamps.LATEST)
  }

  /**
   * The end of what is decided in one partition: its last stable offset, once every transaction
   * that had written to the partition when this was called is committed or aborted and its marker
   * written. Where a restore that must see a just-committed transaction reads to: the coordinator
   * writes a transaction's markers to each of its partitions independently, so the group's offsets
   * can show a transaction committed while the last stable offset of another of its partitions is
   * still held back by it (docs/reliability.md, "Broker behaviour to know").
   *
   *   1. Read the high watermark: every record written so far lies below it.
   *   2. Read the last stable offset until it reaches that high watermark, with backoff. A
   *      transaction that began after step 1 does not hold it back.
   *
   * Fails with a retriable FRESHET_KAFKA_ERROR when a transaction stays undecided for `timeoutMs`
   * (the coordinator aborts an open one at its transaction timeout). Under read_uncommitted the
   * high watermark is the end, at once.
   */
  async settledEndOffset(topic: string, partition: number, timeoutMs: number): Promise<bigint> {
    const what = 'settledEndOffset'
    this.#checkOpen(what)
    checkTopic(what, topic)
    checkPartition(what, partition)
    // Step 1
    const highWatermark = await this.#highWatermark(topic, partition)
    // Step 2
    const deadlineMs = Date.now() + timeoutMs
    let backoffMs = SETTLE_BACKOFF_MS.first
    for (;;) {
      const end = (await this.#listOffsets(what, topic, [partition], ListOffsetTimestamps.LATEST)).get(
        partition,
      ) as bigint
      if (end >= highWatermark) return end
      if (Date.now() + backoffMs > deadlineMs) {
        throw new FreshetError(
          'KAFKA_ERROR',
          `PartitionReader.${what}: a transaction on ${topic}[${partition}] stayed undecided for ${timeoutMs} ms (last stable offset ${end}, high watermark ${highWatermark})`,
          { topic, partition, retriable: true },
        )
      }
      await sleep(backoffMs)
      backoffMs = Math.min(backoffMs * 2, SETTLE_BACKOFF_MS.max)
    }
  }

  /** Start (log start) offsets per partition: the first offset retention and deleteRecords left. */
  async startOffsets(topic: string, partitions: number[]): Promise<Map<number, bigint>> {
    return this.#listOffsets('startOffsets', topic, partitions, ListOffsetTimestamps.EARLIEST)
  }

  async #listOffsets(
    what: string,
    topic: string,
    partitions: number[],
    timestamp: bigint,
  ): Promise<Map<number, bigint>> {
    this.#checkOpen(what)
    checkTopic(what, topic)
    if (!Array.isArray(partitions)) {
      throw invalidArgument(what, 'partitions must be a list of partition numbers', { option: 'partitions' })
    }
    for (const p of partitions) checkPartition(what, p)
    const out = new Map<number, bigint>()
    // The client reads an empty partition list as "every partition".
    if (partitions.length === 0) return out
    let listed
    try {
      listed = await this.#client.listOffsets({
        topics: [topic],
        partitions: { [topic]: [...new Set(partitions)] },
        timestamp,
        isolationLevel: this.#isolationLevel,
      })
    } catch (error) {
      throw kafkaError(error, `${what} of ${topic} partitions ${partitions.join(', ')}`, { topic })
    }
    const offsets = listed.get(topic) ?? []
    for (const p of partitions) {
      const offset = offsets[p]
      if (typeof offset !== 'bigint' || offset < 0n) {
        throw new FreshetError(
          'KAFKA_ERROR',
          `${what} of ${topic}: the broker listed no offset for partition ${p}`,
          {
            topic,
            partition: p,
          },
        )
      }
      out.set(p, offset)
    }
    return out
  }

  /**
   * Yields the records of one partition from `fromOffset` (inclusive) until `toOffset`
   * (exclusive), in offset order, in batches of what each fetch returned. Offsets may have gaps
   * (compaction, transaction markers, aborted records); the read ends once the next fetch position
   * reaches `toOffset`, so `toOffset` need not be the offset of a record. Under read_committed a
   * fetch never returns anything at or past the last stable offset, so a `toOffset` past it (or past
   * the high watermark) waits for the log to grow: take `toOffset` from endOffsets().
   *
   *   1. Look up the partition's leader and the topic id (both from cached metadata, refreshed
   *      after a leader error).
   *   2. Fetch the partition from the position. Fetches of one reader go out one at a time: the
   *      client keeps one incremental fetch session per broker, holding the partitions of its last
   *      fetch, and two fetches in flight on one session make the broker refuse the second
   *      (INVALID_FETCH_SESSION_EPOCH), which the client only retries after a delay.
   *   3. OFFSET_OUT_OF_RANGE below the log start (retention or deleteRecords removed the start of
   *      the range): go on from the log start. Past the end, fail: the log is shorter than the
   *      caller knows it to be (truncated, or the topic recreated), and nothing read from it would
   *      continue what the caller holds.
   *   4. A leader error (leadership moved, or metadata not yet current): refresh the metadata and
   *      go back to step 1, at most `retries` times in a row.
   *   5. Hand out the records in [position, toOffset), without control records and, under
   *      read_committed, without those of aborted transactions (`ReadCommittedConsumer`).
   *   6. Move the position past the last batch of the response, whether its records were handed
   *      out, hidden or a transaction marker. Go back to step 1 until it reaches `toOffset`.
   */
  async *read(
    topic: string,
    partition: number,
    fromOffset: bigint,
    toOffset: bigint,
  ): AsyncGenerator<InRecord[]> {
    this.#checkOpen('read')
    checkTopic('read', topic)
    checkPartition('read', partition)
    for (const [name, value] of [
      ['fromOffset', fromOffset],
      ['toOffset', toOffset],
    ] as const) {
      if (typeof value !== 'bigint' || value < 0n) {
        throw invalidArgument('read', `${name} must be a bigint >= 0, got ${String(value)}`, { option: name })
      }
    }
    if (fromOffset >= toOffset) return
    const where = `read ${topic}[${partition}]`
    // Tracked topics are what the client keeps metadata for: it resolves the fetch's topic id and
    // leader from them, and refreshes them itself when the leader moves.
    this.#client.topics.track(topic)
    try {
      let position = fromOffset
      let refresh = false
      let failures = 0
      while (position < toOffset) {
        let response: FetchResponse
        let topicId: string
        try {
          // Step 1
          const target = await this.#leader(topic, partition, refresh)
          topicId = target.topicId
          // Step 2
          response = await this.#fetch({
            node: target.node,
            topics: [
              {
                topicId,
                partitions: [
                  {
                    partition,
                    fetchOffset: position,
                    partitionMaxBytes: this.#options.maxBytesPerPartition ?? 4 * 1024 * 1024,
                    currentLeaderEpoch: -1,
                    lastFetchedEpoch: -1,
                  },
                ],
              },
            ],
            maxWaitTime: this.#options.maxWaitMs ?? 500,
            minBytes: 1,
            maxBytes: this.#options.maxBytesPerPartition ?? 4 * 1024 * 1024,
            isolationLevel: this.#isolationLevel,
          })
        } catch (error) {
          if (this.#closed) {
            throw new FreshetError('INVALID_STATE', `${where}: the reader was closed during the read`, {
              topic,
              partition,
              offset: position,
              cause: error,
            })
          }
          let reason: string | undefined
          if (isOffsetOutOfRange(error)) {
            // Step 3
            const start = (await this.startOffsets(topic, [partition])).get(partition) ?? 0n
            if (position < start) {
              position = start
              continue
            }
            const end = await this.#highWatermark(topic, partition)
            if (position > end) {
              throw new FreshetError(
                'KAFKA_ERROR',
                `${where}: offset ${position} is past the end of the log (log start ${start}, high watermark ${end})`,
                {
                  topic,
                  partition,
                  offset: position,
                  cause: error,
                  details: { reason: 'OFFSET_OUT_OF_RANGE', logStartOffset: start, highWatermark: end },
                },
              )
            }
            // In range by now (the broker answered before a follower caught up): as step 4.
            reason = 'OFFSET_OUT_OF_RANGE'
          } else {
            reason = error instanceof NoLeader ? 'LEADER_NOT_AVAILABLE' : leaderError(error)
          }
          if (reason === undefined) {
            throw kafkaError(error, `${where} at offset ${position}`, { topic, partition, offset: position })
          }
          // Step 4
          if (++failures > (this.#options.retries ?? 5)) {
            throw new FreshetError(
              'KAFKA_ERROR',
              `${where} at offset ${position}: still ${reason} after ${failures - 1} metadata refreshes`,
              { topic, partition, offset: position, cause: error, retriable: true, details: { reason } },
            )
          }
          refresh = true
          await sleep(RETRY_DELAY_MS)
          continue
        }
        refresh = false
        failures = 0
        // An incremental fetch session leaves out partitions with nothing new, and may answer for
        // partitions of an earlier fetch: only this partition's answer counts.
        const answer = response.responses
          .find((t) => t.topicId === topicId)
          ?.partitions.find((p) => p.partitionIndex === partition)
        if (!answer?.records || answer.records.length === 0) continue
        // Steps 5 and 6
        const { records, next } = recordsOf(topic, partition, answer.records, position, toOffset)
        position = next
        if (records.length > 0) yield records
      }
    } finally {
      this.#client.topics.untrack(topic)
    }
  }

  async #leader(
    topic: string,
    partition: number,
    refresh: boolean,
  ): Promise<{ node: number; topicId: string }> {
    let metadata
    try {
      metadata = await this.#client.metadata({ topics: [topic], forceUpdate: refresh })
    } catch (error) {
      throw kafkaError(error, `look up topic ${topic}`, { topic, partition })
    }
    const described = metadata.topics.get(topic)
    if (!described) throw new FreshetError('TOPIC_NOT_FOUND', `topic ${topic} does not exist`, { topic })
    if (partition >= described.partitionsCount) {
      throw new FreshetError(
        'KAFKA_ERROR',
        `topic ${topic} has ${described.partitionsCount} partitions, there is no partition ${partition}`,
        { topic, partition, details: { reason: 'UNKNOWN_PARTITION', partitions: described.partitionsCount } },
      )
    }
    const leader = described.partitions[partition]?.leader ?? -1
    // No leader elected yet: a fetch could only be refused, and step 4 asks again.
    if (leader < 0 || !metadata.brokers.has(leader))
      throw new NoLeader(`no leader for ${topic}[${partition}]`)
    return { node: leader, topicId: described.id }
  }

  #fetch(request: FetchRequest): Promise<FetchResponse> {
    const fetched = this.#fetchTail.then(() => this.#client.fetch(request))
    this.#fetchTail = fetched.catch(() => {})
    return fetched
  }

  /** The high watermark whatever the isolation level: where a fetch stops being in range. */
  async #highWatermark(topic: string, partition: number): Promise<bigint> {
    let listed
    try {
      listed = await this.#client.listOffsets({
        topics: [topic],
        partitions: { [topic]: [partition] },
        timestamp: ListOffsetTimestamps.LATEST,
        isolationLevel: FetchIsolationLevels.READ_UNCOMMITTED,
      })
    } catch (error) {
      throw kafkaError(error, `list the high watermark of ${topic}[${partition}]`, { topic, partition })
    }
    return listed.get(topic)?.[partition] ?? -1n
  }

  #checkOpen(what: string): void {
    if (this.#closed) throw new FreshetError('INVALID_STATE', `PartitionReader.${what}: the reader is closed`)
  }

  /** Closes the connections; a read still under way fails with FRESHET_INVALID_STATE. */
  async close(): Promise<void> {
    this.#closing ??= this.#close()
    return this.#closing
  }

  async #close(): Promise<void> {
    this.#closed = true
    try {
      await this.#client.close()
    } catch (error) {
      throw kafkaError(error, 'close PartitionReader')
    }
  }
}
