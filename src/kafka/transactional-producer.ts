import { findErrorBy, Producer, stringSerializer, txnOffsetCommitV4 } from '@platformatic/kafka'

type TxnOffsetCommitRequestTopic = Parameters<typeof txnOffsetCommitV4.createRequest>[7][number]
import { FreshetError, type ErrorName } from '../errors/index.ts'
import { checks, validateOptions, type Spec } from '../options/index.ts'
import { baseClientOptions, connectionSpec, retryDelayMs, type ConnectionOptions } from './connection.ts'
import { brokerErrors, kafkaError } from './errors.ts'
import { javaCompatiblePartitioner } from './murmur2.ts'
import { BatchSender } from './batch-sender.ts'
import { partitionKey } from './record-batch.ts'
import { maxRequestBytesOption } from './producer.ts'
import type { Compression, OutRecord, TopicPartitionOffset } from './types.ts'
import './varint64.ts'

export interface TransactionalProducerOptions extends ConnectionOptions {
  /**
   * Stable across restarts of the same producing unit: a new instance with the same id fences the
   * old one and resolves the transaction it left open.
   */
  transactionalId: string
  compression?: Compression
  /** As for `KafkaProducer`: a larger send is split into requests sent one after another. */
  maxRequestBytes?: number
  /**
   * How long the coordinator lets a transaction stay open before it aborts it (Kafka's
   * `transaction.timeout.ms`): also how long a crashed producer's open transaction holds
   * read_committed readers back. At most the broker's `transaction.max.timeout.ms` (15 min).
   */
  transactionTimeoutMs?: number
}

export const TRANSACTION_TIMEOUT_MS = { default: 60_000, min: 1_000, max: 900_000 }

const transactionalProducerSpec: Spec<TransactionalProducerOptions> = {
  ...connectionSpec,
  transactionalId: { check: checks.string() },
  compression: { check: checks.oneOf(['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const), default: 'none' },
  maxRequestBytes: maxRequestBytesOption,
  transactionTimeoutMs: {
    check: checks.int(TRANSACTION_TIMEOUT_MS.min, TRANSACTION_TIMEOUT_MS.max),
    default: TRANSACTION_TIMEOUT_MS.default,
  },
}

/**
 * What a transaction needs from the group member whose consumed offsets it commits. The broker
 * accepts the offsets only from the member of the current generation, so a consumer that lost its
 * partitions in a rebalance cannot commit them (KIP-447). A `GroupConsumer` is one.
 */
export interface GroupMember {
  readonly groupId: string
  readonly generationId: number
  readonly memberId: string | null
  /** Broker id of the group coordinator; the offsets go to it. */
  readonly coordinatorId: number | null
}

export type TransactionState =
  | 'UNINITIALIZED'
  | 'INITIALIZING'
  | 'READY'
  | 'IN_TRANSACTION'
  | 'COMMITTING'
  | 'ABORTING'
  | 'ABORTABLE'
  | 'FENCED'
  | 'FATAL'
  | 'CLOSED'

/**
 * Every legal move. ABORTABLE is an open transaction that must be aborted (a send, an offset commit
 * or the commit itself failed); FENCED and FATAL refuse everything but close().
 */
export const TRANSACTION_TRANSITIONS: Readonly<Record<TransactionState, readonly TransactionState[]>> = {
  UNINITIALIZED: ['INITIALIZING', 'CLOSED'],
  INITIALIZING: ['READY', 'UNINITIALIZED', 'FENCED', 'FATAL'],
  READY: ['IN_TRANSACTION', 'CLOSED'],
  IN_TRANSACTION: ['COMMITTING', 'ABORTING', 'ABORTABLE', 'FENCED', 'FATAL', 'CLOSED'],
  COMMITTING: ['READY', 'ABORTABLE', 'FENCED', 'FATAL'],
  ABORTING: ['READY', 'ABORTABLE', 'FENCED', 'FATAL'],
  ABORTABLE: ['ABORTING', 'FENCED', 'FATAL', 'CLOSED'],
  FENCED: ['CLOSED'],
  FATAL: ['CLOSED'],
  CLOSED: [],
}

type ClientProducer = Producer<Buffer, Buffer, string, Buffer>
// The client does not export its Transaction class; its producer's getter names the type.
type ClientTransaction = NonNullable<ClientProducer['transaction']>
// PRODUCER_FENCED comes from the coordinator, INVALID_PRODUCER_EPOCH from partition leaders that
// already saw a newer epoch. A newer epoch has two origins: another instance took the
// transactional id over (fencing), or the coordinator aborted this instance's transaction at its
// timeout and bumped the epoch itself (a broker outage, a long stall). Only InitProducerId with
// the current producer id and epoch tells them apart (KIP-588): the coordinator grants a new epoch
// after its own bump and refuses it after a takeover. So these errors make a transaction
// abortable, and the abort's InitProducerId decides whether the producer is fenced.
const FENCING_ERRORS = ['PRODUCER_FENCED', 'INVALID_PRODUCER_EPOCH', 'TRANSACTION_COORDINATOR_FENCED']
// Errors after which no call on this transactional id can succeed from this instance.
const FATAL_ERRORS = [
  'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
  'CLUSTER_AUTHORIZATION_FAILED',
  'INVALID_PRODUCER_ID_MAPPING',
  'INVALID_TXN_STATE',
  'FENCED_INSTANCE_ID',
  'UNSUPPORTED_VERSION',
  'UNSUPPORTED_FOR_MESSAGE_FORMAT',
]

/**
 * A producer whose records and consumed offsets become visible atomically, or not at all: the
 * write side of exactly-once consume-process-produce (Kafka Streams' EOS v2 design).
 *
 * The transaction flow:
 *   1. init(): find the transaction coordinator of the transactional id and get its producer id
 *      with a new epoch (InitProducerId). The coordinator aborts the transaction a previous holder
 *      of the id left open, and fences that holder: its next request fails.
 *   2. begin(): open a transaction locally; nothing reaches the broker before the first send.
 *   3. send(): register partitions new to the transaction with the coordinator
 *      (AddPartitionsToTxn), then produce with the producer id, epoch and sequence numbers.
 *   4. sendOffsets(): register the consumer group with the coordinator (AddOffsetsToTxn), then
 *      send the offsets to the group coordinator (TxnOffsetCommit) with the member id and
 *      generation; they stay pending until the transaction ends.
 *   5. commit() / abort(): end the transaction (EndTxn). The coordinator writes a marker into
 *      every partition of the transaction and makes the pending offsets the group's committed
 *      offsets (commit) or drops them (abort). read_committed readers see records only once
 *      their commit marker is written. A transaction nothing was sent in ends locally.
 *   6. On failure: a fence moves to FENCED for good. A failed send, sendOffsets or commit leaves
 *      an ABORTABLE transaction that only abort() ends, by taking a new epoch (step 1 again): the
 *      coordinator aborts whatever of the transaction reached it, and no sequence number of the
 *      failed attempt lingers. Whether a failed commit took effect is unknown, so after any abort
 *      the caller resumes from the group's committed offsets, never from its own position
 *      (`GroupConsumer.rewindToCommitted()`).
 *
 * Calls run one after another in the order they were made: the client registers partitions and
 * offsets with requests that must not overlap within a transaction.
 */
export class TransactionalProducer {
  readonly #producer: ClientProducer
  readonly #options: TransactionalProducerOptions
  #state: TransactionState = 'UNINITIALIZED'
  #transaction: ClientTransaction | undefined
  /** Whether the open transaction may have reached the coordinator. */
  #touched = false
  readonly #sender: BatchSender
  /** Partitions registered with the coordinator in the open transaction ("topic\0partition"). */
  readonly #registered = new Set<string>()
  #queue: Promise<unknown> = Promise.resolve()

  constructor(options: TransactionalProducerOptions) {
    const resolved = validateOptions('TransactionalProducer', options, transactionalProducerSpec)
    this.#options = resolved
    this.#producer = new Producer({
      ...baseClientOptions(resolved),
      idempotent: true,
      acks: -1,
      transactionalId: resolved.transactionalId,
      // The client sends `timeout` as InitProducerId's transaction timeout (and as the produce
      // requests' acknowledgement timeout, which no longer than this is fine).
      timeout: resolved.transactionTimeoutMs ?? TRANSACTION_TIMEOUT_MS.default,
      // Left unset, the client sends InitProducerId with producer id 0 and epoch 0 instead of
      // -1/-1, and the coordinator fences the new instance of any transactional id that holds
      // another producer id than 0.
      producerId: -1n,
      producerEpoch: -1,
      compression: resolved.compression ?? 'none',
      partitioner: javaCompatiblePartitioner,
      autocreateTopics: false,
      serializers: { headerKey: stringSerializer },
    })
    this.#sender = new BatchSender(this.#producer, {
      requestTimeoutMs: resolved.requestTimeoutMs ?? 30_000,
      retries: resolved.retries ?? 5,
      compression: resolved.compression ?? 'none',
      maxRequestBytes: resolved.maxRequestBytes ?? maxRequestBytesOption.default,
      transactional: {
        transactionalId: resolved.transactionalId,
        identity: () => this.#identity(),
        register: (partitions) => this.#register(partitions),
      },
    })
  }

  get transactionalId(): string {
    return this.#options.transactionalId
  }

  get state(): TransactionState {
    return this.#state
  }

  /** Step 1: takes the transactional id over from any previous instance. */
  async init(): Promise<void> {
    await this.#run('init', ['UNINITIALIZED'], async () => {
      this.#moveTo('INITIALIZING')
      try {
        // Step 1
        await this.#initProducerId()
      } catch (error) {
        throw this.#fail(error, 'init', 'UNINITIALIZED', true)
      }
      this.#moveTo('READY')
    })
  }

  /** Step 2 */
  async begin(): Promise<void> {
    await this.#run('begin', ['READY'], async () => {
      try {
        // Step 2
        this.#transaction = await this.#beginClientTransaction()
      } catch (error) {
        throw this.#fail(error, 'begin', 'READY', true)
      }
      this.#touched = false
      this.#registered.clear()
      this.#moveTo('IN_TRANSACTION')
    })
  }

  /** Step 3: resolves with the offsets of the (not yet committed) records. */
  async send(records: OutRecord[]): Promise<TopicPartitionOffset[]> {
    return this.#run('send', ['IN_TRANSACTION'], async () => {
      if (records.length === 0) return []
      this.#touched = true
      try {
        // Step 3, in requests of at most maxRequestBytes, encoded by freshet (`BatchSender`).
        this.#open()
        return await this.#sender.send(records)
      } catch (error) {
        throw this.#fail(
          error,
          `send ${records.length} records to ${records[0]?.topic}`,
          'ABORTABLE',
          false,
          {
            ...(records[0] ? { topic: records[0].topic } : {}),
          },
        )
      }
    })
  }

  /**
   * Step 4: commits `offsets` (the next offsets to read, per partition, with their metadata) for
   * the member's group when the transaction commits, and only then.
   */
  async sendOffsets(member: GroupMember, offsets: TopicPartitionOffset[]): Promise<void> {
    await this.#run('sendOffsets', ['IN_TRANSACTION'], async () => {
      if (offsets.length === 0) return
      const { groupId, memberId, coordinatorId } = member
      if (memberId === null || coordinatorId === null) {
        throw new FreshetError(
          'INVALID_STATE',
          `TransactionalProducer.sendOffsets: the consumer of group ${groupId} has not joined it yet`,
        )
      }
      const transaction = this.#open()
      this.#touched = true
      try {
        // Step 4. The client sends AddOffsetsToTxn once per group and transaction; of the
        // consumer it only reads groupId.
        await transaction.addConsumer({ groupId } as Parameters<ClientTransaction['addConsumer']>[0])
        // Then one TxnOffsetCommit for all partitions (the client's own sends one request per
        // partition, one after another).
        await this.#commitOffsets(member, memberId, offsets)
      } catch (error) {
        throw this.#fail(error, `send offsets of group ${groupId}`, 'ABORTABLE', false)
      }
    })
  }

  /** Step 5: makes the records and offsets of the transaction visible. */
  async commit(): Promise<void> {
    await this.#run('commit', ['IN_TRANSACTION'], async () => {
      this.#moveTo('COMMITTING')
      try {
        // Step 5. The coordinator rejects ending a transaction it never saw.
        if (this.#touched) await this.#open().commit()
        else await this.#open().cancel()
      } catch (error) {
        throw this.#fail(error, 'commit transaction', 'ABORTABLE', false)
      }
      this.#transaction = undefined
      this.#moveTo('READY')
    })
  }

  /** Step 5, the other way: drops the records and offsets of the transaction. */
  async abort(): Promise<void> {
    await this.#run('abort', ['IN_TRANSACTION', 'ABORTABLE'], async () => {
      const afterFailure = this.#state === 'ABORTABLE'
      this.#moveTo('ABORTING')
      try {
        if (afterFailure) {
          // Step 6: a new epoch aborts whatever of the transaction reached the coordinator (if
          // anything did: a failed call leaves that unknown) and drops the sequence numbers a
          // failed attempt may have used.
          await this.#transaction?.cancel()
          this.#transaction = undefined
          await this.#initProducerId()
        } else if (this.#touched) {
          // Step 5
          await this.#open().abort()
        } else {
          await this.#open().cancel()
        }
      } catch (error) {
        // InitProducerId's refusal is the one authoritative word on fencing (FENCING_ERRORS).
        throw this.#fail(error, 'abort transaction', 'ABORTABLE', true, {}, afterFailure)
      }
      this.#transaction = undefined
      this.#moveTo('READY')
    })
  }

  /**
   * Releases the connections. An open transaction is left as a crash would leave it: the next
   * instance's init() or the broker's transaction timeout aborts it; call abort() first to end it
   * at once.
   */
  async close(): Promise<void> {
    await this.#run('close', Object.keys(TRANSACTION_TRANSITIONS) as TransactionState[], async () => {
      if (this.#state === 'CLOSED') return
      this.#state = 'CLOSED'
      this.#transaction = undefined
      await this.#producer.close()
    })
  }

  /**
   * Step 4's TxnOffsetCommit: the offsets of every partition in one request to the group
   * coordinator, retried after retriable errors (a coordinator moving or loading) with the
   * member's current coordinator, always for the generation the offsets were read in.
   */
  async #commitOffsets(
    member: GroupMember,
    memberId: string,
    offsets: TopicPartitionOffset[],
  ): Promise<void> {
    const { groupId, generationId } = member
    const byTopic = new Map<string, TxnOffsetCommitRequestTopic>()
    for (const o of offsets) {
      let topic = byTopic.get(o.topic)
      if (topic === undefined) byTopic.set(o.topic, (topic = { name: o.topic, partitions: [] }))
      // Leader epoch -1: the broker skips the fencing check it would use it for.
      topic.partitions.push({
        partitionIndex: o.partition,
        committedOffset: o.offset,
        committedLeaderEpoch: -1,
        committedMetadata: o.metadata ?? null,
      })
    }
    const { producerId, producerEpoch } = this.#producer
    if (producerId === undefined || producerEpoch === undefined) {
      throw new FreshetError('INVALID_STATE', `TransactionalProducer ${this.transactionalId}: no producer id`)
    }
    const retries = this.#options.retries ?? 5
    for (let attempt = 0; ; attempt++) {
      try {
        const coordinatorId = member.coordinatorId
        const broker =
          coordinatorId === null ? undefined : this.#producer.currentMetadata?.brokers.get(coordinatorId)
        if (broker === undefined) {
          throw new FreshetError(
            'KAFKA_ERROR',
            `TransactionalProducer ${this.transactionalId}: the coordinator of group ${groupId} is unknown`,
          )
        }
        const connection = await this.#producer.connections.get(broker)
        await txnOffsetCommitV4.api.async(
          connection,
          this.transactionalId,
          groupId,
          producerId,
          producerEpoch,
          generationId,
          memberId,
          null,
          [...byTopic.values()],
        )
        return
      } catch (error) {
        // As the client decides: retriable when no error in the chain says otherwise.
        const retriable =
          error instanceof Error &&
          !(error instanceof FreshetError) &&
          findErrorBy(error, 'canRetry', false) === null
        if (!retriable || attempt >= retries) throw error
        await new Promise((resolve) =>
          setTimeout(resolve, retryDelayMs(undefined, 'TxnOffsetCommit', attempt + 1, retries, error)),
        )
      }
    }
  }

  /**
   * Step 1, also after an abortable failure: a new epoch for the transactional id. After a failure
   * the request carries the current producer id and epoch, so that the coordinator refuses it
   * (PRODUCER_FENCED) if another instance took the id over, and grants it if the newer epoch was
   * its own, from aborting a transaction at its timeout.
   */
  async #initProducerId(): Promise<void> {
    // The client gets the producer id when its first transaction is prepared and reuses it for
    // later ones, so a new epoch needs an explicit InitProducerId while a transaction object exists.
    const { producerId, producerEpoch } = this.#producer
    const first = producerId === undefined
    const transaction = await this.#beginClientTransaction()
    try {
      if (!first) {
        await this.#producer.initIdempotentProducer({
          producerId,
          ...(producerEpoch === undefined ? {} : { producerEpoch }),
        })
      }
    } finally {
      // Local only: the client forgets the transaction object, the broker never heard of it.
      await transaction.cancel()
    }
  }

  /** The producer id and epoch the open transaction's batches carry. */
  #identity(): { id: bigint; epoch: number } {
    const { producerId, producerEpoch } = this.#producer
    if (producerId === undefined || producerEpoch === undefined) {
      throw new FreshetError('INVALID_STATE', `TransactionalProducer ${this.transactionalId}: no producer id`)
    }
    return { id: producerId, epoch: producerEpoch }
  }

  /** Step 3's AddPartitionsToTxn, for partitions new to the open transaction. */
  async #register(partitions: ReadonlyArray<{ topic: string; partition: number }>): Promise<void> {
    const added = partitions.filter((p) => !this.#registered.has(partitionKey(p.topic, p.partition)))
    if (added.length === 0) return
    const transaction = this.#open()
    const metadata = await this.#producer.metadata({ topics: [...new Set(added.map((p) => p.topic))] })
    // The client takes the partitions as messages; it reads their topic and partition only.
    await transaction.addPartitions(
      metadata,
      added.map((p) => ({ topic: p.topic, partition: p.partition })) as Parameters<
        ClientTransaction['addPartitions']
      >[1],
    )
    for (const p of added) this.#registered.add(partitionKey(p.topic, p.partition))
  }

  async #beginClientTransaction(): Promise<ClientTransaction> {
    try {
      return await this.#producer.beginTransaction()
    } catch (error) {
      // A failed begin leaves the client's transaction object behind, and every later begin
      // would fail with "There is already an active transaction".
      await this.#producer.transaction?.cancel()
      throw error
    }
  }

  #open(): ClientTransaction {
    const transaction = this.#transaction
    if (!transaction) {
      throw new FreshetError(
        'INVALID_STATE',
        `TransactionalProducer: no open transaction in state ${this.#state}`,
      )
    }
    return transaction
  }

  #moveTo(next: TransactionState): void {
    if (!TRANSACTION_TRANSITIONS[this.#state].includes(next)) {
      throw new FreshetError(
        'INVALID_STATE',
        `TransactionalProducer ${this.transactionalId}: no transition from ${this.#state} to ${next}`,
        { details: { state: this.#state, next } },
      )
    }
    this.#state = next
  }

  /**
   * Classifies a failure, moves to the state it leaves the producer in and returns the error to
   * throw. `onFailure` is the state for an ordinary failure; `sameCallAgain` says whether the
   * failed call is allowed again from there (so a network failure may be retried);
   * `initProducerId` whether the failed call sent InitProducerId, whose fencing errors alone mean
   * that another instance owns the transactional id.
   */
  #fail(
    error: unknown,
    what: string,
    onFailure: TransactionState,
    sameCallAgain: boolean,
    location: { topic?: string } = {},
    initProducerId = onFailure === 'UNINITIALIZED',
  ): FreshetError {
    if (error instanceof FreshetError && error.code === 'FRESHET_INVALID_STATE') return error
    const names = brokerErrors(error)
    // Outside InitProducerId a newer epoch may be the coordinator's own (see FENCING_ERRORS): the
    // transaction becomes abortable, and the abort's InitProducerId finds out.
    const fenced = FENCING_ERRORS.some((n) => names.has(n)) && initProducerId
    const fatal = !fenced && FATAL_ERRORS.some((n) => names.has(n))
    const next: TransactionState = fenced ? 'FENCED' : fatal ? 'FATAL' : onFailure
    if (next !== this.#state) this.#moveTo(next)
    if (next === 'FENCED' || next === 'FATAL') this.#transaction = undefined
    const mapped = kafkaError(error, `TransactionalProducer ${this.transactionalId}: ${what}`, location)
    const name: ErrorName =
      mapped.code === 'FRESHET_KAFKA_UNREACHABLE'
        ? 'KAFKA_UNREACHABLE'
        : mapped.code === 'FRESHET_RECORD_TOO_LARGE'
          ? 'RECORD_TOO_LARGE'
          : 'KAFKA_ERROR'
    const reason = fenced ? 'fenced by a newer producer with the same transactional id; ' : ''
    return new FreshetError(name, `${mapped.message} (${reason}now ${next})`, {
      ...location,
      cause: error,
      retriable: mapped.retriable && sameCallAgain && next === onFailure,
      details: { transactionalId: this.transactionalId, state: next, brokerErrors: [...names] },
    })
  }

  /** Runs `op` after every earlier call, if the state then allows it. */
  #run<T>(name: string, allowed: readonly TransactionState[], op: () => Promise<T>): Promise<T> {
    const result = this.#queue.then(() => {
      if (!allowed.includes(this.#state)) {
        throw new FreshetError(
          'INVALID_STATE',
          `TransactionalProducer.${name}: not allowed in state ${this.#state} (transactional id ${this.transactionalId}); allowed in ${allowed.join(', ')}`,
          { details: { state: this.#state, allowed } },
        )
      }
      return op()
    })
    this.#queue = result.catch(() => undefined)
    return result
  }
}
