import { setTimeout as sleep } from 'node:timers/promises'
import {
  Admin,
  Connection,
  Consumer,
  FetchIsolationLevels,
  heartbeatV4,
  MessagesStreamFallbackModes,
  MessagesStreamModes,
  stringDeserializer,
  type CallbackWithPromise,
  type ConsumerGroupJoinPayload,
  type GroupOptions,
  type GroupPartitionsAssigner,
  type Message,
  type MessagesStream,
} from '@platformatic/kafka'
import { FreshetError } from '../errors/index.ts'
import { checks, validateOptions, type Check, type Spec } from '../options/index.ts'
import { baseClientOptions, connectionSpec, type ConnectionOptions } from './connection.ts'
import { brokerErrors, kafkaError } from './errors.ts'
import { ReadCommittedConsumer } from './read-committed.ts'
import type { InRecord, IsolationLevel, PartitionAssigner, TopicPartitionOffset } from './types.ts'

/** Partitions of one topic, as `assignments` and the rebalance callbacks name them. */
export interface TopicPartitions {
  topic: string
  partitions: number[]
}

/** A rebalance callback; the rebalance waits for its promise. */
export type RebalanceCallback = (partitions: TopicPartitions[]) => Promise<void>

export interface ConsumerOptions extends ConnectionOptions {
  groupId: string
  topics: string[]
  /** Where to start on partitions the group has no committed offset for. */
  fromBeginning?: boolean
  /** read_committed hides aborted transactions and stops at the last stable offset. */
  isolationLevel?: IsolationLevel
  sessionTimeoutMs?: number
  heartbeatIntervalMs?: number
  /**
   * Static membership (KIP-345, Kafka's `group.instance.id`): a member that joins under the id of
   * one that crashed takes its place at once, instead of the group waiting `sessionTimeoutMs` for
   * the dead member. A member that stops cleanly still leaves the group at once.
   */
  groupInstanceId?: string
  /** How long the group waits for every member to rejoin; bounds `onPartitionsRevoked`. */
  rebalanceTimeoutMs?: number
  /** Longest a fetch waits on the broker for data. */
  maxWaitMs?: number
  /**
   * Upper bound of one fetch's record bytes, all partitions together (Kafka's fetch.max.bytes; the
   * broker still returns a first batch larger than it). The client decodes a fetch into a message
   * object per record at once, about ten times the record's bytes: this bounds what waits decoded.
   */
  maxBytes?: number
  maxBytesPerPartition?: number
  /**
   * Runs before this member's partitions are released, in a rebalance and in close(): commit (or
   * abort) what was processed of them here. The rebalance waits for it, and no record of them is
   * handed out once it has started.
   */
  onPartitionsRevoked?: RebalanceCallback
  /**
   * Runs after partitions are assigned and before any record of them is handed out: restore their
   * state here. Records then start at the group's committed offsets.
   */
  onPartitionsAssigned?: RebalanceCallback
  /**
   * Runs instead of `onPartitionsRevoked` when the group has already removed this member, so its
   * partitions may be someone else's and a commit would be refused: abort here. Defaults to
   * `onPartitionsRevoked`.
   */
  onPartitionsLost?: RebalanceCallback
  /**
   * Computes the assignment when this member leads the group (Kafka's client-side assignor).
   * Defaults to round robin over every subscribed partition. It must give every member only what
   * the members subscribed to; see src/runtime/assignor.ts for the one that keeps tasks together.
   */
  partitionAssigner?: PartitionAssigner
  /**
   * The user data of this member's subscription, sent with every JoinGroup: the leader's assignor
   * and `describeMembers()` see it (a worker's query endpoint, src/query). Empty by default.
   */
  subscriptionUserData?: Buffer
}

/** A member of the group as the coordinator describes it: its subscription's user data and assignment. */
export interface DescribedMember {
  readonly memberId: string
  readonly userData: Buffer
  readonly assignments: TopicPartitions[]
}

function callback(): Check<RebalanceCallback> {
  return checks.func<RebalanceCallback>()
}

const consumerSpec: Spec<ConsumerOptions> = {
  ...connectionSpec,
  groupId: { check: checks.string() },
  topics: { check: checks.stringList() },
  fromBeginning: { check: checks.boolean(), default: false },
  isolationLevel: {
    check: checks.oneOf(['read_committed', 'read_uncommitted'] as const),
    default: 'read_committed',
  },
  sessionTimeoutMs: { check: checks.int(1_000, 600_000), default: 30_000 },
  heartbeatIntervalMs: { check: checks.int(100, 60_000), default: 3_000 },
  groupInstanceId: { check: checks.string() },
  rebalanceTimeoutMs: { check: checks.int(1_000, 600_000), default: 60_000 },
  maxWaitMs: { check: checks.int(0, 60_000), default: 500 },
  maxBytes: { check: checks.int(1024, 1 << 30), default: 1024 * 1024 },
  maxBytesPerPartition: { check: checks.int(1024, 1 << 30), default: 1024 * 1024 },
  onPartitionsRevoked: { check: callback() },
  onPartitionsAssigned: { check: callback() },
  onPartitionsLost: { check: callback() },
  partitionAssigner: { check: callback() as unknown as Check<PartitionAssigner> },
  subscriptionUserData: {
    check: (where, key, value) => {
      if (!Buffer.isBuffer(value)) {
        throw new FreshetError('INVALID_OPTION', `${where}: option "${key}" must be a Buffer`, {
          details: { option: key },
        })
      }
      return value
    },
  },
}

/**
 * Where a member stands in its group. Records are handed out only in CONSUMING.
 *
 * - JOINING: between releasing its partitions (or starting) and the group's answer.
 * - ASSIGNING: the group assigned partitions; onPartitionsAssigned runs, then a stream opens.
 * - REVOKING: a rebalance began; onPartitionsRevoked (or onPartitionsLost) runs.
 */
export type MembershipState =
  'CREATED' | 'JOINING' | 'ASSIGNING' | 'CONSUMING' | 'REVOKING' | 'CLOSING' | 'CLOSED'

export const MEMBERSHIP_TRANSITIONS: Readonly<Record<MembershipState, readonly MembershipState[]>> = {
  CREATED: ['JOINING', 'CLOSING'],
  JOINING: ['ASSIGNING', 'CLOSING'],
  ASSIGNING: ['CONSUMING', 'REVOKING', 'CLOSING'],
  CONSUMING: ['REVOKING', 'CLOSING'],
  REVOKING: ['JOINING', 'CLOSING'],
  CLOSING: ['CLOSED'],
  CLOSED: [],
}

/** Broker errors meaning the coordinator no longer counts this member in its generation. */
const MEMBERSHIP_LOST = ['UNKNOWN_MEMBER_ID', 'ILLEGAL_GENERATION', 'FENCED_INSTANCE_ID']
const UNSTABLE_OFFSETS = 'UNSTABLE_OFFSET_COMMIT'

/** Refusal of a rejoin the client attempts on its own (see the constructor). */
class RejoinRefused extends Error {}

type RawMessage = Message<Buffer, Buffer, string, Buffer>
type RawStream = MessagesStream<Buffer, Buffer, string, Buffer>
type ListedGroupOffsets = Awaited<ReturnType<Admin['listConsumerGroupOffsets']>>

function toInRecord(m: RawMessage): InRecord {
  return {
    topic: m.topic,
    partition: m.partition,
    offset: m.offset,
    timestampMs: Number(m.timestamp),
    key: m.key ?? null,
    value: m.value ?? null,
    headers: m.headers,
    leaderEpoch: m.leaderEpoch,
  }
}

function copyPartitions(list: readonly TopicPartitions[]): TopicPartitions[] {
  return list.map((a) => ({ topic: a.topic, partitions: [...a.partitions] }))
}

/**
 * A member of a consumer group that hands out records in batches (everything already fetched,
 * up to a limit) and commits offsets only when told to.
 *
 * Rebalances follow the classic group protocol with eager revocation, the protocol under which
 * the client lets a member hold a rebalance up (docs/decisions/0001, "Rebalances"): before every
 * JoinGroup the member releases everything it owns, and after the group's answer it takes over
 * its new partitions from their committed offsets.
 */
export class GroupConsumer {
  readonly #consumer: Consumer<Buffer, Buffer, string, Buffer>
  readonly #options: ConsumerOptions
  #state: MembershipState = 'CREATED'
  #stream: RawStream | undefined
  #ended = false
  #error: Error | undefined
  /** A rebalance callback's failure, thrown once by the next nextBatch(). */
  #callbackError: Error | undefined
  #waiter: (() => void) | undefined
  readonly #leaderEpochs = new Map<string, number>()
  /** Only for stable offsets: the consumer itself cannot ask for them. */
  #admin: Admin | undefined
  /** What this member owns as far as its callbacks are concerned; see `assignments`. */
  #assigned: TopicPartitions[] = []
  /** `#assigned` by topic, for the per-record check in nextBatch(). */
  #handOut = new Map<string, Set<number>>()
  /** Bumped whenever a stream being opened must not become the current one any more. */
  #streamEpoch = 0
  /**
   * Bumped, synchronously, whenever records already handed out stop being the member's position:
   * a release begins, or a rewind. A batch carries the value it was read under; see `handOutEpoch`.
   */
  #handOutEpoch = 0
  /** Batches handed out by `nextTaggedBatch()` since the member started. */
  #handedOut = 0
  /** Streams replaced by a rewind that has not finished: nothing is read from them. */
  readonly #retired = new Set<RawStream>()
  /** The take-over of the latest assignment (onPartitionsAssigned, stream), while under way. */
  #assigning: Promise<void> = Promise.resolve()
  /** The release of the owned partitions (onPartitionsRevoked), while under way. */
  #releasing: Promise<void> | undefined
  #closing: Promise<void> | undefined
  /** Only while start() joins: see the constructor. */
  #joinAllowed = false

  constructor(options: ConsumerOptions) {
    const resolved = validateOptions('GroupConsumer', options, consumerSpec)
    const sessionTimeoutMs = resolved.sessionTimeoutMs ?? 30_000
    const rebalanceTimeoutMs = resolved.rebalanceTimeoutMs ?? 60_000
    if (rebalanceTimeoutMs < sessionTimeoutMs) {
      throw new FreshetError(
        'INVALID_OPTION',
        `GroupConsumer: option "rebalanceTimeoutMs" (${rebalanceTimeoutMs}) must be at least "sessionTimeoutMs" (${sessionTimeoutMs})`,
        { details: { option: 'rebalanceTimeoutMs' } },
      )
    }
    this.#options = resolved
    const readCommitted = resolved.isolationLevel !== 'read_uncommitted'
    const clientOptions = {
      ...baseClientOptions(resolved),
      groupId: resolved.groupId,
      ...(resolved.groupInstanceId === undefined ? {} : { groupInstanceId: resolved.groupInstanceId }),
      autocommit: false,
      sessionTimeout: sessionTimeoutMs,
      heartbeatInterval: resolved.heartbeatIntervalMs ?? 3_000,
      rebalanceTimeout: rebalanceTimeoutMs,
      maxWaitTime: resolved.maxWaitMs ?? 500,
      maxBytes: resolved.maxBytes ?? 1024 * 1024,
      maxBytesPerPartition: resolved.maxBytesPerPartition ?? 1024 * 1024,
      isolationLevel: readCommitted
        ? FetchIsolationLevels.READ_COMMITTED
        : FetchIsolationLevels.READ_UNCOMMITTED,
      deserializers: { headerKey: stringDeserializer as (data?: Buffer) => string },
      // The classic protocol with an eager assignor: the only one in which the client awaits
      // anything of ours before partitions move (the hook below). Under the cooperative assignor
      // it revokes after SyncGroup without waiting, under KIP-848 on a heartbeat answer.
      groupProtocol: 'classic' as const,
      protocols: [{ name: 'roundrobin', version: 1 }],
      ...(resolved.partitionAssigner === undefined
        ? {}
        : { partitionAssigner: resolved.partitionAssigner as GroupPartitionsAssigner }),
      // Called, and awaited, before every JoinGroup the client sends.
      protocolsMetadata: (): Promise<Buffer> => this.#beforeJoin(),
    }
    // The client's own read_committed filtering lets some aborted records through (decision 0001).
    const client = readCommitted
      ? new ReadCommittedConsumer<Buffer, Buffer, string, Buffer>(clientOptions)
      : new Consumer<Buffer, Buffer, string, Buffer>(clientOptions)
    this.#consumer = client

    // The member joins through start() and rejoins only through the heartbeat path, which runs
    // #beforeJoin. The client's public joinGroup has two other callers, both refused here: a
    // commit that failed because the group moved on (it would rejoin and commit the same offsets
    // again under the new generation, for partitions that may now be another member's: the very
    // commit generation fencing exists to refuse), and opening a stream while the member id is
    // unknown (a join from there would run #beforeJoin inside a take-over it then waits for).
    const joinGroup = client.joinGroup as (
      options: GroupOptions,
      done?: CallbackWithPromise<string>,
    ) => unknown
    client.joinGroup = ((groupOptions: GroupOptions = {}, done?: CallbackWithPromise<string>) => {
      if (!this.#joinAllowed) {
        const refused = new RejoinRefused('the group has moved on to a new generation')
        if (done) {
          done(refused)
          return
        }
        return Promise.reject(refused)
      }
      return done ? joinGroup.call(client, groupOptions, done) : joinGroup.call(client, groupOptions)
    }) as typeof client.joinGroup

    client.on('consumer:group:join', (payload: ConsumerGroupJoinPayload) => this.#onJoined(payload))
    // The client reports a failed rejoin only as an 'error' event (unhandled, it would end the
    // process): the member is then out of the group, which nextBatch() reports.
    client.on('error', (error: Error) => {
      if (this.#state === 'CLOSING' || this.#state === 'CLOSED') return
      this.#error ??= kafkaError(error, `stay in group ${this.#options.groupId}`)
      this.#wake()
    })
  }

  get groupId(): string {
    return this.#options.groupId
  }

  /** Generation of the group this member last joined; 0 before it joined. */
  get generationId(): number {
    return this.#consumer.generationId
  }

  /** Member id the group coordinator gave this member; null before it joined. */
  get memberId(): string | null {
    return this.#consumer.memberId
  }

  /** Broker id of the group coordinator; null before it is known. */
  get coordinatorId(): number | null {
    return this.#consumer.coordinatorId
  }

  get state(): MembershipState {
    return this.#state
  }

  /**
   * The hand-out epoch: it changes, synchronously, when a release (rebalance, close) or
   * `rewindToCommitted()` begins. A batch from `nextTaggedBatch()` whose epoch is no longer the
   * current one came from a position the member has left: its records come again (or belong to
   * another member now), so a caller that has not yet processed it drops it.
   */
  get handOutEpoch(): number {
    return this.#handOutEpoch
  }

  /**
   * Partitions this member owns, consistent with the callbacks: the new ones from the moment
   * onPartitionsAssigned is called, the revoked ones until onPartitionsRevoked has returned.
   */
  get assignments(): TopicPartitions[] {
    return copyPartitions(this.#assigned)
  }

  #moveTo(next: MembershipState): void {
    if (!MEMBERSHIP_TRANSITIONS[this.#state].includes(next)) {
      throw new FreshetError('INVALID_STATE', `GroupConsumer: cannot go from ${this.#state} to ${next}`, {
        details: { state: this.#state, next },
      })
    }
    this.#state = next
  }

  /** Joins the group; resolves once the first assignment is taken over (onPartitionsAssigned ran). */
  async start(): Promise<void> {
    if (this.#state !== 'CREATED') {
      throw new FreshetError('INVALID_STATE', `GroupConsumer.start: already started (${this.#state})`)
    }
    this.#moveTo('JOINING')
    this.#joinAllowed = true
    // The subscription belongs to the member, not to a stream: streams come and go with
    // assignments and rewinds, and the client subscribes the next JoinGroup to what is tracked.
    this.#consumer.topics.trackAll(...this.#options.topics)
    const joined = this.#consumer.joinGroup({})
    this.#joinAllowed = false
    try {
      await joined
    } catch (error) {
      throw kafkaError(error, `join group ${this.#options.groupId}`)
    }
    // The join emitted 'consumer:group:join' before resolving, which started the take-over.
    await this.#assigning
    if (this.#error) throw this.#error
  }

  /**
   * The client's protocolsMetadata hook: it runs before every JoinGroup and the client sends the
   * request only once it resolves, which holds the rebalance (for up to the rebalance timeout)
   * until this member has released its partitions.
   *
   *   1. Keep the membership alive. The client stopped heartbeating when it began to rejoin, and
   *      the coordinator removes a member that neither heartbeats nor rejoins within the session
   *      timeout; heartbeats go out on a connection of our own until this hook returns. The
   *      first answer also tells whether this member is still in its generation.
   *   2. Stop a take-over still under way (onPartitionsAssigned running, stream being opened)
   *      and wait for it.
   *   3. Release the partitions (`#release`).
   *   4. Let the client send JoinGroup with the subscription's user data (`subscriptionUserData`;
   *      the round-robin assignor ignores it). Once close() has begun, never: a JoinGroup would race
   *      the LeaveGroup, and a rejoin failing on the closed client arms a heartbeat-stall timer
   *      (of the rebalance timeout) that nothing clears and that keeps the process alive. The
   *      client's abandoned join holds nothing else.
   */
  async #beforeJoin(): Promise<Buffer> {
    const state = this.#state
    const userData = this.#options.subscriptionUserData ?? Buffer.alloc(0)
    if (state === 'CREATED' || state === 'JOINING') return userData
    if (state === 'CLOSED') return new Promise<Buffer>(() => {})
    // Before any await: not one more record is handed out once a rebalance has begun, and what
    // was handed out is of the old position.
    if (state === 'CONSUMING') {
      this.#moveTo('REVOKING')
      this.#handOutEpoch++
    }
    // Step 1
    const keepAlive = this.#keepAlive()
    try {
      // Step 2
      this.#streamEpoch++
      await this.#assigning
      // Step 3
      if (this.#state === 'CONSUMING' || this.#state === 'ASSIGNING') this.#moveTo('REVOKING')
      await this.#release(keepAlive.member)
      if (this.#state === 'REVOKING') this.#moveTo('JOINING')
    } finally {
      await keepAlive.stop()
    }
    // Step 4
    if (this.#state !== 'JOINING') return new Promise<Buffer>(() => {})
    return userData
  }

  /**
   * Gives up the owned partitions; a release already under way is joined, not repeated.
   *
   *   1. Hand out nothing more: the caller left CONSUMING, and the stream stops fetching. What
   *      it has buffered is never handed out; the next stream starts at the committed offsets.
   *   2. Run onPartitionsRevoked, or onPartitionsLost when the coordinator no longer counts this
   *      member in its generation. A failure is kept for nextBatch() and the release goes on:
   *      the group must not wait for a member that cannot commit.
   *   3. Own nothing.
   */
  #release(stillMember: Promise<boolean>): Promise<void> {
    if (this.#releasing) return this.#releasing
    // Step 1
    this.#handOutEpoch++
    this.#handOut = new Map()
    this.#stream?.pause()
    const owned = this.#assigned
    if (owned.length === 0) return Promise.resolve()
    const release = async (): Promise<void> => {
      // Step 2
      const lost = !(await stillMember)
      const run = lost
        ? (this.#options.onPartitionsLost ?? this.#options.onPartitionsRevoked)
        : this.#options.onPartitionsRevoked
      try {
        await run?.(copyPartitions(owned))
      } catch (error) {
        this.#keepCallbackError(error, lost ? 'onPartitionsLost' : 'onPartitionsRevoked')
      }
      // Step 3
      this.#assigned = []
    }
    this.#releasing = release().finally(() => {
      this.#releasing = undefined
    })
    return this.#releasing
  }

  /**
   * Heartbeats of the current generation every heartbeat interval, on a connection of its own,
   * until stopped. `member` resolves with the first answer: false once the coordinator no longer
   * counts this member in the generation, true otherwise (REBALANCE_IN_PROGRESS is the expected
   * answer; without one within a heartbeat interval the member is taken to be still in).
   */
  #keepAlive(): { member: Promise<boolean>; stop: () => Promise<void> } {
    const memberId = this.#consumer.memberId
    const generationId = this.#consumer.generationId
    const coordinatorId = this.#consumer.coordinatorId
    if (memberId === null) return { member: Promise.resolve(false), stop: async () => {} }
    const intervalMs = this.#options.heartbeatIntervalMs ?? 3_000
    const stopped = new AbortController()
    let answered: (member: boolean) => void = () => {}
    const member = new Promise<boolean>((resolve) => {
      answered = resolve
    })
    void sleep(intervalMs, undefined, { signal: stopped.signal }).then(
      () => answered(true),
      () => answered(true),
    )
    const connection = new Connection(this.#options.clientId ?? 'freshet', {
      requestTimeout: this.#options.requestTimeoutMs ?? 30_000,
    })
    const loop = async (): Promise<void> => {
      if (coordinatorId === null) return
      const broker = (await this.#consumer.metadata({ topics: [] })).brokers.get(coordinatorId)
      if (!broker) return
      await connection.connect(broker.host, broker.port)
      while (!stopped.signal.aborted) {
        try {
          await heartbeatV4.api.async(connection, this.#options.groupId, generationId, memberId, null)
        } catch (error) {
          if (MEMBERSHIP_LOST.some((name) => brokerErrors(error).has(name))) {
            answered(false)
            return
          }
          // REBALANCE_IN_PROGRESS, or a network failure: try again at the next beat.
        }
        answered(true)
        await sleep(intervalMs, undefined, { signal: stopped.signal }).catch(() => {})
      }
    }
    const running = loop().catch(() => answered(true))
    return {
      member,
      stop: async () => {
        stopped.abort()
        await running
        await connection.close().catch(() => {})
      },
    }
  }

  /** The client's 'consumer:group:join': the group's answer to this member's JoinGroup. */
  #onJoined(payload: ConsumerGroupJoinPayload): void {
    if (this.#state === 'CLOSING' || this.#state === 'CLOSED') return
    if (this.#state !== 'JOINING') {
      // Only #beforeJoin leads to JOINING, so partitions moved without being released first.
      this.#error ??= new FreshetError(
        'INVALID_STATE',
        `GroupConsumer: group ${this.#options.groupId} assigned partitions to a member in ${this.#state}, which had not released its own`,
        { details: { state: this.#state } },
      )
      this.#wake()
      return
    }
    this.#moveTo('ASSIGNING')
    const assignment = copyPartitions(payload.assignments ?? this.#consumer.assignments ?? [])
    this.#assigning = this.#takeOver(assignment).catch((error: unknown) => {
      this.#error ??= kafkaError(error, `take over partitions in group ${this.#options.groupId}`)
      this.#wake()
    })
  }

  /**
   * Takes over a new assignment.
   *
   *   1. Own it: `assignments` shows it from here on.
   *   2. Run onPartitionsAssigned; nothing of the assignment is handed out before it returns.
   *   3. Wait until the group's offsets for it are stable: the previous owner may have committed
   *      them in a transaction whose markers are still being written, and reading from the
   *      offsets before it would process its input twice.
   *   4. Open a stream that starts at the committed offsets and drop the previous one, with
   *      whatever it buffered or still fetches for partitions of the old generation.
   *   5. Hand out records.
   *
   * A rebalance or close() that begins meanwhile bumps the stream epoch: the take-over stops
   * after the step under way, and the release that follows revokes what step 1 owned.
   */
  async #takeOver(assignment: TopicPartitions[]): Promise<void> {
    const epoch = ++this.#streamEpoch
    const current = (): boolean => epoch === this.#streamEpoch && this.#state === 'ASSIGNING'
    // Step 1
    this.#assigned = assignment
    // Step 2
    try {
      await this.#options.onPartitionsAssigned?.(copyPartitions(assignment))
    } catch (error) {
      this.#keepCallbackError(error, 'onPartitionsAssigned')
    }
    // Step 3
    if (!(await this.awaitStableOffsets(current))) return
    // Step 4. Without a member id the client is rejoining: a new assignment follows.
    if (!current() || this.#consumer.memberId === null) return
    const stream = await this.#openStream(`consume as a member of group ${this.#options.groupId}`)
    if (!current()) {
      await stream.close().catch(() => {})
      return
    }
    const previous = this.#stream
    this.#attach(stream)
    // Step 5
    this.#handOut = new Map(assignment.map((a) => [a.topic, new Set(a.partitions)]))
    this.#moveTo('CONSUMING')
    this.#wake()
    await previous?.close().catch(() => {})
    await this.#closeRetired()
  }

  #keepCallbackError(error: unknown, name: string): void {
    this.#callbackError ??=
      error instanceof Error ? error : new FreshetError('KAFKA_ERROR', `${name} failed: ${String(error)}`)
    this.#wake()
  }

  /** A messages stream over the subscription that starts at the group's committed offsets. */
  async #openStream(what: string): Promise<RawStream> {
    try {
      return await this.#consumer.consume({
        topics: this.#options.topics,
        mode: MessagesStreamModes.COMMITTED,
        fallbackMode: this.#options.fromBeginning
          ? MessagesStreamFallbackModes.EARLIEST
          : MessagesStreamFallbackModes.LATEST,
      })
    } catch (error) {
      throw kafkaError(error, what)
    }
  }

  /** Makes `stream` the one batches are read from; events of a replaced stream are ignored. */
  #attach(stream: RawStream): void {
    this.#stream = stream
    const current = (): boolean => this.#stream === stream
    // A 'readable' listener stays attached for the stream's life: removing the last one would put
    // the stream back in neither-paused-nor-flowing mode, where the client stops fetching.
    stream.on('readable', () => {
      if (current()) this.#wake()
    })
    const ended = (): void => {
      if (!current()) return
      if (this.#state === 'CLOSING' || this.#state === 'CLOSED') {
        this.#ended = true
      } else {
        // The client gave the stream up on its own (after a failure it does not retry): a member
        // that goes on needs a new stream, or new clients. Never an end of input.
        this.#error ??= new FreshetError(
          'KAFKA_ERROR',
          `GroupConsumer: the stream of group ${this.#options.groupId} ended while consuming`,
          { retriable: true, details: { state: this.#state } },
        )
      }
      this.#wake()
    }
    stream.once('end', ended)
    stream.once('close', ended)
    stream.on('error', (error: Error) => {
      if (!current()) return
      this.#error = kafkaError(error, `consume from ${this.#options.topics.join(',')}`)
      this.#wake()
    })
  }

  #wake(): void {
    const waiter = this.#waiter
    this.#waiter = undefined
    waiter?.()
  }

  /**
   * Resolves with the next batch: every record already fetched, at most `maxRecords`. Empty once
   * closed. During a rebalance it waits; it never hands out a record of a partition after the
   * release of that partition has begun. Throws, once, what a rebalance callback threw.
   */
  async nextBatch(maxRecords = 10_000): Promise<InRecord[]> {
    return (await this.nextTaggedBatch(maxRecords)).records
  }

  /**
   * `nextBatch()`, with the hand-out epoch the records were read under (`handOutEpoch`), taken
   * in the same synchronous step as the records themselves: a rewind or release that begins
   * after the read, even before the caller resumes, shows as a newer epoch.
   */
  async nextTaggedBatch(maxRecords = 10_000): Promise<{ records: InRecord[]; epoch: number }> {
    if (this.#state === 'CREATED') {
      throw new FreshetError('INVALID_STATE', 'GroupConsumer.nextBatch: call start() first')
    }
    for (;;) {
      if (this.#callbackError) {
        const error = this.#callbackError
        this.#callbackError = undefined
        throw error
      }
      // Read anew each time: a rebalance or rewindToCommitted() may have replaced the stream.
      const stream = this.#stream
      const batch: InRecord[] = []
      if (this.#state === 'CONSUMING' && stream) {
        let m: RawMessage | null
        while (batch.length < maxRecords && (m = stream.read() as RawMessage | null) !== null) {
          if (this.#handOut.get(m.topic)?.has(m.partition) !== true) continue
          this.#leaderEpochs.set(`${m.topic}\u0000${m.partition}`, m.leaderEpoch)
          batch.push(toInRecord(m))
        }
      }
      if (batch.length > 0) {
        this.#handedOut++
        return { records: batch, epoch: this.#handOutEpoch }
      }
      if (this.#error) throw this.#error
      if (this.#ended) return { records: batch, epoch: this.#handOutEpoch }
      await new Promise<void>((resolve) => {
        this.#waiter = resolve
      })
    }
  }

  /** How many non-empty batches `nextTaggedBatch()` has handed out. */
  get batchesHandedOut(): number {
    return this.#handedOut
  }

  /**
   * The offset up to which everything of `topic`/`partition` has been handed out: the next fetch
   * offset, when no fetched record waits in the buffer; otherwise, and before the first fetch,
   * undefined. Unlike the offset after the last record handed out, it moves past what a consumer
   * never hands out (transaction markers, aborted records), so a reader knows it has reached an end
   * offset that lies behind a transaction marker.
   */
  handedOutThrough(topic: string, partition: number): bigint | undefined {
    const stream = this.#stream
    if (this.#state !== 'CONSUMING' || stream === undefined || stream.readableLength > 0) return undefined
    return stream.offsetsToFetch.get(`${topic}:${partition}`)
  }

  /**
   * Forgets every record read or fetched since the group's last committed offsets and reads them
   * again: what a transactional consume-process-produce loop does after an abort, whose offsets
   * the group never committed.
   *
   *   1. Before anything is awaited: hand out nothing more of the current stream, and bump the
   *      hand-out epoch, so that a batch read before the call (even one its caller has not yet
   *      received) is told apart from the records of the new position.
   *   2. Wait until the group's offsets are stable: a transaction that committed offsets for the
   *      group may not have written them yet (its commit returns before its markers are written),
   *      and the consumer's own offset fetch would then answer with the older offsets.
   *   3. Open a second stream on the same subscription. The member keeps its assignment (no
   *      rejoin), and the stream starts each assigned partition at its committed offset.
   *   4. Read from the new stream and close the old one: the records it buffered and whatever
   *      its fetches in flight bring are dropped with it.
   *
   * Records handed out before the call stay handed out; the caller discards its own copies.
   * During a rebalance (also from inside a rebalance callback) there is nothing to do: the stream
   * of the next assignment starts at the committed offsets anyway. A failed rewind (the cluster
   * unreachable) hands out nothing until a later rewind or rebalance succeeds.
   */
  async rewindToCommitted(): Promise<void> {
    if (this.#state === 'CREATED' || this.#state === 'CLOSING' || this.#state === 'CLOSED' || this.#ended) {
      throw new FreshetError(
        'INVALID_STATE',
        `GroupConsumer.rewindToCommitted: not consuming (${this.#state})`,
      )
    }
    if (this.#state !== 'CONSUMING') return
    const epoch = ++this.#streamEpoch
    const current = (): boolean => epoch === this.#streamEpoch && this.#state === 'CONSUMING'
    // Step 1
    this.#handOutEpoch++
    if (this.#stream !== undefined) {
      this.#stream.pause()
      this.#retired.add(this.#stream)
      this.#stream = undefined
    }
    // Step 2
    await this.#awaitStableOffsets()
    // Step 3
    const stream = await this.#openStream(`rewind group ${this.#options.groupId} to its committed offsets`)
    if (!current()) {
      await stream.close().catch(() => {})
      return
    }
    // Step 4
    this.#attach(stream)
    this.#error = undefined
    this.#wake()
    await this.#closeRetired()
  }

  /** Closes the streams earlier rewinds replaced; nothing more is read from them. */
  async #closeRetired(): Promise<void> {
    const retired = [...this.#retired]
    this.#retired.clear()
    // A retired stream's failure does not concern the current one.
    await Promise.all(retired.map((stream) => stream.close().catch(() => {})))
  }

  /**
   * Waits until no transaction holds offsets of the group for the partitions this member owns
   * pending, so that the committed offsets (and whatever that transaction wrote besides) are
   * final: what a task must wait for before it restores state a zombie's transaction may still
   * add to. Returns false if `keepWaiting` said to stop first.
   */
  async awaitStableOffsets(keepWaiting: () => boolean = () => true): Promise<boolean> {
    for (;;) {
      if (!keepWaiting()) return false
      try {
        await this.#awaitStableOffsets()
        return true
      } catch (error) {
        // The client gave up retrying while a transaction is still open (its producer may have
        // crashed; the coordinator aborts it at its timeout): keep waiting.
        if (!brokerErrors(error).has(UNSTABLE_OFFSETS)) throw error
      }
    }
  }

  /**
   * The group's committed offsets of this member's partitions, with their metadata; a partition
   * without a committed offset is left out. Waits, as `awaitStableOffsets`, for pending
   * transactional offsets to settle, and fails with the broker's error if they do not in time.
   */
  async committedOffsets(): Promise<TopicPartitionOffset[]> {
    const committed: TopicPartitionOffset[] = []
    for (const group of await this.#awaitStableOffsets()) {
      for (const topic of group.topics) {
        for (const p of topic.partitions) {
          if (p.committedOffset < 0n) continue
          const metadata = p.metadata
          committed.push({
            topic: topic.name,
            partition: p.partitionIndex,
            offset: p.committedOffset,
            ...(typeof metadata === 'string' && metadata !== '' ? { metadata } : {}),
          })
        }
      }
    }
    return committed
  }

  async #awaitStableOffsets(): Promise<ListedGroupOffsets> {
    const topics = this.#assigned.filter((a) => a.partitions.length > 0)
    if (topics.length === 0) return []
    this.#admin ??= new Admin(baseClientOptions(this.#options))
    try {
      // The broker answers UNSTABLE_OFFSET_COMMIT while a transaction's offsets are pending; the
      // client retries that error.
      return await this.#admin.listConsumerGroupOffsets({
        groups: [
          {
            groupId: this.#options.groupId,
            topics: topics.map((a) => ({ name: a.topic, partitionIndexes: a.partitions })),
          },
        ],
        requireStable: true,
      })
    } catch (error) {
      throw kafkaError(error, `wait for stable offsets of group ${this.#options.groupId}`)
    }
  }

  /**
   * Every member of the group with its subscription's user data and its assignment, as the
   * coordinator holds them; undefined unless the group is Stable (during a rebalance the
   * coordinator describes members without either). Every member of a Stable group has its
   * assignment of the current generation.
   */
  async describeMembers(): Promise<DescribedMember[] | undefined> {
    // close() closes the admin client: one made after it would stay open.
    if (this.#state === 'CLOSING' || this.#state === 'CLOSED') {
      throw new FreshetError('INVALID_STATE', `GroupConsumer.describeMembers: ${this.#state}`)
    }
    this.#admin ??= new Admin(baseClientOptions(this.#options))
    let groups: Awaited<ReturnType<Admin['describeGroups']>>
    try {
      groups = await this.#admin.describeGroups({ groups: [this.#options.groupId] })
    } catch (error) {
      throw kafkaError(error, `describe group ${this.#options.groupId}`)
    }
    const group = groups.get(this.#options.groupId)
    if (group === undefined || String(group.state).toUpperCase() !== 'STABLE') return undefined
    return [...group.members.values()].map((member) => ({
      memberId: member.id,
      userData: Buffer.from(member.metadata?.metadata ?? Buffer.alloc(0)),
      assignments: [...(member.assignments?.values() ?? [])].map((a) => ({
        topic: a.topic,
        partitions: [...a.partitions],
      })),
    }))
  }

  /** Async iteration over batches until the consumer is closed. */
  async *batches(maxRecords = 10_000): AsyncGenerator<InRecord[]> {
    for (;;) {
      const batch = await this.nextBatch(maxRecords)
      if (batch.length === 0) return
      yield batch
    }
  }

  /**
   * Commits the next offsets to read, per partition, under this member's generation. Once the
   * group has moved on (rebalancing, or this member removed) the broker refuses the commit and it
   * fails; it is never repeated under a later generation.
   */
  async commit(offsets: TopicPartitionOffset[]): Promise<void> {
    if (offsets.length === 0) return
    const generationId = this.#consumer.generationId
    try {
      await this.#consumer.commit({
        offsets: offsets.map((o) => ({
          topic: o.topic,
          partition: o.partition,
          offset: o.offset,
          leaderEpoch: this.#leaderEpochs.get(`${o.topic}\u0000${o.partition}`) ?? -1,
        })),
      })
    } catch (error) {
      const what = `commit offsets of group ${this.#options.groupId}`
      if (error instanceof RejoinRefused) {
        throw new FreshetError(
          'KAFKA_ERROR',
          `${what}: generation ${generationId} is over (the group is rebalancing or removed this member); not committed`,
          { cause: error, retriable: false, details: { reason: 'STALE_GENERATION', generationId } },
        )
      }
      throw kafkaError(error, what)
    }
  }

  /**
   * Stops consuming and leaves the group.
   *
   *   1. Hand out nothing more; nextBatch() resolves empty.
   *   2. Stop a take-over under way and wait for it.
   *   3. Release the partitions (onPartitionsRevoked) while still a member, so that what it
   *      commits counts; a release already under way (a rebalance) is waited for instead.
   *   4. Close the stream and leave the group: the other members take over at once, from the
   *      offsets step 3 committed. Leaving through the client's leaveGroup first ends its
   *      membership, so that a JoinGroup still in flight (a rebalance that began before close)
   *      is dropped when it is answered; the client's close alone would let that answer restart
   *      heartbeats on the closed client, failing and rescheduled forever.
   */
  async close(): Promise<void> {
    this.#closing ??= this.#close()
    return this.#closing
  }

  async #close(): Promise<void> {
    const started = this.#state !== 'CREATED'
    // Step 1
    this.#moveTo('CLOSING')
    this.#ended = true
    this.#wake()
    try {
      if (started) {
        // Step 2
        this.#streamEpoch++
        await this.#assigning
        // Step 3
        await this.#release(Promise.resolve(true))
      }
    } finally {
      // Step 4
      try {
        await this.#closeRetired()
        if (this.#stream) await this.#stream.close()
      } finally {
        try {
          // Forced: it closes any stream a stopped take-over may still be opening.
          // On failure the client's close tries again; a member that cannot leave times out.
          await new Promise<void>((resolve) => this.#consumer.leaveGroup(true, () => resolve()))
          await this.#consumer.close()
        } finally {
          await this.#admin?.close()
          this.#moveTo('CLOSED')
        }
      }
    }
  }
}

/** The offsets to commit after processing `records`: last offset + 1 per partition. */
export function nextOffsets(records: readonly InRecord[]): TopicPartitionOffset[] {
  const last = new Map<string, TopicPartitionOffset>()
  for (const r of records) {
    const key = `${r.topic}\u0000${r.partition}`
    const current = last.get(key)
    if (!current || current.offset <= r.offset)
      last.set(key, { topic: r.topic, partition: r.partition, offset: r.offset + 1n })
  }
  return [...last.values()]
}
