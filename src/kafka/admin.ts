import { setTimeout as sleep } from 'node:timers/promises'
import { Admin, FetchIsolationLevels } from '@platformatic/kafka'
import { FreshetError } from '../errors/index.ts'
import { validateOptions } from '../options/index.ts'
import { baseClientOptions, connectionSpec, type ConnectionOptions } from './connection.ts'
import { kafkaError } from './errors.ts'
import type { IsolationLevel, TopicDescription, TopicPartitionOffset, TopicSpec } from './types.ts'

export interface PartitionLag {
  topic: string
  partition: number
  /** Committed offset of the group, or null when it has committed nothing for the partition. */
  committedOffset: bigint | null
  endOffset: bigint
  lag: bigint
}

export interface GroupLagReport {
  /** Per partition of the topics that exist, by topic then partition. */
  partitions: PartitionLag[]
  /**
   * Topics the group has committed offsets for that no longer exist, sorted: their offsets are
   * left out of `partitions` (the coordinator drops them some moments after the deletion).
   */
  deletedTopics: string[]
}

export interface ConsumerGroupDescription {
  groupId: string
  /** Stable, PreparingRebalance, CompletingRebalance, Empty, Dead. */
  state: string
  members: Array<{
    memberId: string
    clientId: string
    host: string
    assignments: Array<{ topic: string; partitions: number[] }>
  }>
}

const TOPIC_ALREADY_EXISTS = 36
const UNKNOWN_TOPIC = 3

function hasKafkaErrorCode(error: unknown, code: number): boolean {
  if (!(error instanceof Error)) return false
  const e = error as { apiCode?: unknown; errors?: unknown[]; response?: unknown }
  if (e.apiCode === code) return true
  if (Array.isArray(e.errors) && e.errors.some((inner) => hasKafkaErrorCode(inner, code))) return true
  return JSON.stringify(e.response ?? null, (_k, v) => (typeof v === 'bigint' ? String(v) : v)).includes(
    `"errorCode":${code}`,
  )
}

/** Topic and group administration: the few calls freshet needs, with freshet's errors. */
export class KafkaAdmin {
  readonly #admin: Admin

  constructor(options: ConnectionOptions) {
    const resolved = validateOptions('KafkaAdmin', options, connectionSpec)
    this.#admin = new Admin(baseClientOptions(resolved))
  }

  /** Resolves when the cluster answers a metadata request; the broker id list. */
  async clusterInfo(): Promise<{
    clusterId: string
    brokers: Array<{ id: number; host: string; port: number }>
  }> {
    try {
      const metadata = await this.#admin.metadata({ topics: [], forceUpdate: true })
      return {
        clusterId: metadata.id,
        brokers: [...metadata.brokers.entries()].map(([id, b]) => ({ id, host: b.host, port: b.port })),
      }
    } catch (error) {
      throw kafkaError(error, 'metadata request')
    }
  }

  /** Creates the topics that do not exist yet; returns the names it created. */
  async createTopics(specs: TopicSpec[]): Promise<string[]> {
    const created: string[] = []
    for (const spec of specs) {
      try {
        await this.#admin.createTopics({
          topics: [spec.topic],
          partitions: spec.partitions ?? 1,
          replicas: spec.replicas ?? 1,
          configs: Object.entries(spec.configs ?? {}).map(([name, value]) => ({ name, value })),
        })
        created.push(spec.topic)
      } catch (error) {
        if (hasKafkaErrorCode(error, TOPIC_ALREADY_EXISTS)) continue
        throw kafkaError(error, `create topic ${spec.topic}`, { topic: spec.topic })
      }
    }
    await this.#waitVisible(created)
    return created
  }

  /**
   * The controller accepts a topic before every broker's metadata lists it; waiting here means a
   * describe, produce or consume right after creation finds the topic.
   */
  async #waitVisible(topics: string[], timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs
    let missing = topics
    while (missing.length > 0) {
      const known = new Set(await this.listTopics({ includeInternal: true }))
      missing = missing.filter((t) => !known.has(t))
      if (missing.length === 0) return
      if (Date.now() > deadline) {
        throw new FreshetError(
          'KAFKA_ERROR',
          `topics ${missing.join(', ')} were created but are not visible after ${timeoutMs} ms`,
        )
      }
      await sleep(50)
    }
  }

  async listTopics(options: { includeInternal?: boolean } = {}): Promise<string[]> {
    try {
      const topics = await this.#admin.listTopics({ includeInternals: options.includeInternal ?? false })
      return topics.sort()
    } catch (error) {
      throw kafkaError(error, 'list topics')
    }
  }

  /**
   * The topic's partitions, the configs set on the topic itself (`configs`), and every config in
   * force for it, broker defaults included (`effectiveConfigs`).
   */
  async describeTopic(
    topic: string,
  ): Promise<
    TopicDescription & { configs: Record<string, string>; effectiveConfigs: Record<string, string> }
  > {
    // The client reports an unknown topic only in its message text; asking the topic list first
    // keeps the check on data.
    if (!(await this.listTopics({ includeInternal: true })).includes(topic)) {
      throw new FreshetError('TOPIC_NOT_FOUND', `topic ${topic} does not exist`, { topic })
    }
    let metadata
    try {
      metadata = await this.#admin.metadata({ topics: [topic], forceUpdate: true })
    } catch (error) {
      throw kafkaError(error, `describe topic ${topic}`, { topic })
    }
    const t = metadata.topics.get(topic)
    if (!t) throw new FreshetError('TOPIC_NOT_FOUND', `topic ${topic} does not exist`, { topic })
    const configs: Record<string, string> = {}
    const effectiveConfigs: Record<string, string> = {}
    try {
      const described = await this.#admin.describeConfigs({
        resources: [{ resourceType: 2, resourceName: topic }],
      })
      for (const c of described[0]?.configs ?? []) {
        // configSource 1 = DYNAMIC_TOPIC_CONFIG: what was set on this topic, not broker defaults.
        if (c.value != null && c.configSource === 1) configs[c.name] = c.value
        if (c.value != null) effectiveConfigs[c.name] = c.value
      }
    } catch (error) {
      throw kafkaError(error, `describe configs of ${topic}`, { topic })
    }
    return {
      topic,
      id: t.id,
      partitions: t.partitions.map((p, partition) => ({
        partition,
        leader: p.leader,
        replicas: p.replicas,
        isr: p.isr,
      })),
      configs,
      effectiveConfigs,
    }
  }

  async deleteTopics(topics: string[]): Promise<void> {
    if (topics.length === 0) return
    try {
      await this.#admin.deleteTopics({ topics })
    } catch (error) {
      if (hasKafkaErrorCode(error, UNKNOWN_TOPIC)) {
        throw new FreshetError('TOPIC_NOT_FOUND', `topic ${topics.join(', ')} does not exist`)
      }
      throw kafkaError(error, `delete topics ${topics.join(', ')}`)
    }
  }

  /**
   * Deletes every record before `offset` in each partition (the log start moves there), as Kafka
   * Streams purges what its repartition topics' readers committed. Resolves with the new log
   * start offsets.
   */
  async deleteRecords(offsets: readonly TopicPartitionOffset[]): Promise<TopicPartitionOffset[]> {
    if (offsets.length === 0) return []
    const byTopic = new Map<string, Array<{ partition: number; offset: bigint }>>()
    for (const { topic, partition, offset } of offsets) {
      byTopic.set(topic, [...(byTopic.get(topic) ?? []), { partition, offset }])
    }
    try {
      const deleted = await this.#admin.deleteRecords({
        topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })),
      })
      return deleted.flatMap((t) =>
        t.partitions.map((p) => ({ topic: t.name, partition: p.partition, offset: p.lowWatermark })),
      )
    } catch (error) {
      throw kafkaError(error, `delete records of ${[...byTopic.keys()].join(', ')}`)
    }
  }

  /** End offsets (the high watermark, or the last stable offset under read_committed) per partition. */
  async endOffsets(
    topic: string,
    isolation: IsolationLevel = 'read_uncommitted',
  ): Promise<Map<number, bigint>> {
    const description = await this.describeTopic(topic)
    try {
      const listed = await this.#admin.listOffsets({
        topics: [
          {
            name: topic,
            partitions: description.partitions.map((p) => ({ partitionIndex: p.partition, timestamp: -1n })),
          },
        ],
        isolationLevel:
          isolation === 'read_committed'
            ? FetchIsolationLevels.READ_COMMITTED
            : FetchIsolationLevels.READ_UNCOMMITTED,
      })
      const out = new Map<number, bigint>()
      for (const p of listed[0]?.partitions ?? []) out.set(p.partitionIndex, p.offset)
      return out
    } catch (error) {
      throw kafkaError(error, `list offsets of ${topic}`, { topic })
    }
  }

  /**
   * Lag of a consumer group per partition: of `topic`, or of every topic the group has committed
   * offsets for; the partitions of a topic deleted since are left out (`groupLagReport` names
   * them). The end is the high watermark; a transactional topic's end includes the commit
   * marker after the last record, so a group that read all of it shows a lag of 1 per partition
   * written in transactions (as Kafka's own kafka-consumer-groups does).
   *
   * A transaction's offsets become the group's only once the coordinator has written the commit
   * marker, which happens after the commit has returned to the producer. With `stable` (KIP-447's
   * requireStable) the broker refuses to answer while a transaction's offsets are pending for the
   * group, and the client asks again (5 times, 250 ms apart): offsets just committed in a
   * transaction are seen, and a transaction that stays open past those retries makes this throw.
   * Without it, the last offsets already written are returned.
   */
  async groupLag(
    groupId: string,
    topic?: string,
    options: { stable?: boolean } = {},
  ): Promise<PartitionLag[]> {
    return (await this.groupLagReport(groupId, topic, options)).partitions
  }

  /**
   * `groupLag`, and the topics the group has committed offsets for that no longer exist. A topic
   * named in `topic` is never left out: when it does not exist this throws FRESHET_TOPIC_NOT_FOUND.
   *
   * The group's offsets and the topics' ends are read one after the other, and topics and groups
   * come and go in between (other jobs, tests, an operator's `topics delete`):
   *   1. Read the group's committed offsets. A group that no longer exists has none.
   *   2. List the topics. The coordinator drops a deleted topic's offsets only some moments after
   *      the topic leaves the metadata (longer on a busy broker), so step 1 may name a topic that
   *      is gone: it is reported as deleted, not asked for.
   *   3. Ask each remaining topic's end offsets. A topic deleted after step 2 makes that request
   *      fail; when the topic list no longer names it, it is reported as deleted too, and any other
   *      failure is thrown.
   */
  async groupLagReport(
    groupId: string,
    topic?: string,
    options: { stable?: boolean } = {},
  ): Promise<GroupLagReport> {
    // Step 1
    const byTopic = await this.#committedOffsets(groupId, options.stable === true)
    if (topic !== undefined) {
      for (const name of byTopic.keys()) if (name !== topic) byTopic.delete(name)
      if (!byTopic.has(topic)) byTopic.set(topic, new Map())
    }
    // Step 2, not for a topic named by the caller: its absence is an error, not a note.
    const existing = topic === undefined ? new Set(await this.listTopics({ includeInternal: true })) : null
    const partitions: PartitionLag[] = []
    const deletedTopics: string[] = []
    for (const name of [...byTopic.keys()].sort()) {
      if (existing !== null && !existing.has(name)) {
        deletedTopics.push(name)
        continue
      }
      // Step 3
      let ends
      try {
        ends = await this.endOffsets(name)
      } catch (error) {
        if (name === topic || (await this.#stillListed(name))) throw error
        deletedTopics.push(name)
        continue
      }
      const committed = byTopic.get(name) as Map<number, bigint>
      for (const [partition, endOffset] of [...ends.entries()].sort(([a], [b]) => a - b)) {
        const committedOffset = committed.get(partition) ?? null
        partitions.push({
          topic: name,
          partition,
          committedOffset,
          endOffset,
          lag: endOffset - (committedOffset ?? 0n),
        })
      }
    }
    return { partitions, deletedTopics }
  }

  /** The group's committed offsets by topic and partition; a partition without one is absent. */
  async #committedOffsets(groupId: string, stable: boolean): Promise<Map<string, Map<number, bigint>>> {
    let committed
    try {
      committed = await this.#admin.listConsumerGroupOffsets({ groups: [groupId], requireStable: stable })
    } catch (error) {
      throw kafkaError(error, `list offsets of group ${groupId}`)
    }
    const byTopic = new Map<string, Map<number, bigint>>()
    for (const t of committed[0]?.topics ?? []) {
      const partitions = byTopic.get(t.name) ?? new Map<number, bigint>()
      byTopic.set(t.name, partitions)
      for (const p of t.partitions)
        if (p.committedOffset >= 0n) partitions.set(p.partitionIndex, p.committedOffset)
    }
    return byTopic
  }

  /**
   * Whether the metadata still lists `topic`, after a request about it failed: when it does not,
   * the topic was deleted meanwhile. When the listing fails too, the topic counts as listed, so
   * that the first failure is the one reported.
   */
  async #stillListed(topic: string): Promise<boolean> {
    try {
      return (await this.listTopics({ includeInternal: true })).includes(topic)
    } catch {
      return true
    }
  }

  /**
   * Every consumer group of the cluster with its state and members: each member's client id,
   * host and assigned partitions. The groups are listed, then described: a group deleted in
   * between is still in the answer, in state Dead and without members.
   */
  async consumerGroups(): Promise<ConsumerGroupDescription[]> {
    try {
      const ids = [...(await this.#admin.listGroups()).keys()].sort()
      if (ids.length === 0) return []
      const groups = await this.#admin.describeGroups({ groups: ids })
      return [...groups.values()]
        .map((group) => ({
          groupId: group.id,
          state: String(group.state),
          members: [...group.members.values()]
            .map((member) => ({
              memberId: member.id,
              clientId: member.clientId,
              host: member.clientHost,
              assignments: [...(member.assignments?.values() ?? [])].map((a) => ({
                topic: a.topic,
                partitions: [...a.partitions].sort((x, y) => x - y),
              })),
            }))
            .sort((a, b) => (a.clientId < b.clientId ? -1 : a.clientId > b.clientId ? 1 : 0)),
        }))
        .sort((a, b) => (a.groupId < b.groupId ? -1 : 1))
    } catch (error) {
      throw kafkaError(error, 'describe consumer groups')
    }
  }

  /** Deletes consumer groups that have no members (their committed offsets go with them). */
  async deleteGroups(groups: string[]): Promise<void> {
    if (groups.length === 0) return
    try {
      await this.#admin.deleteGroups({ groups })
    } catch (error) {
      throw kafkaError(error, `delete consumer groups ${groups.join(', ')}`)
    }
  }

  async close(): Promise<void> {
    await this.#admin.close()
  }
}
