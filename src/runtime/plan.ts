/**
 * The topics a topology runs on, with their partition counts, as the test driver plans them
 * (src/testing/driver.ts, `#planPartitions`) but from the real topics:
 *
 *   1. Input and output topics must exist; their partition counts are read from the cluster. A
 *      global table's topic is read in full by every worker: it is no task's input, and its
 *      partition count is free.
 *   2. Sub-topologies are planned upstream first. A sub-topology has one task per partition of its
 *      widest input. A repartition topic gets the count asked in `keyBy`, else that of the external
 *      inputs it is joined with, else the task count of the sub-topology writing it.
 *   3. A sub-topology that joins (a table, a stream-table or interval join) needs co-partitioned
 *      inputs: equal counts, or the topology is refused.
 *   4. Internal topics are created when missing: repartition topics (delete policy), changelog
 *      topics (compacted, one partition per task; none for a table read from a topic, whose topic is
 *      its changelog), the dead-letter topic (one partition). An
 *      existing internal topic with another partition count is refused: its data is keyed to the
 *      old count.
 */
import { FreshetError } from '../errors/index.ts'
import type { KafkaAdmin, TopicSpec } from '../kafka/index.ts'
import { requireCoPartitioned, type SinkSpec, type Topology } from '../stream/index.ts'
import type { TaskInputs } from './assignor.ts'

export interface RuntimePlan {
  /** Partition count of every topic the topology reads or writes. */
  readonly partitions: ReadonlyMap<string, number>
  /** Tasks per sub-topology. */
  readonly taskCounts: ReadonlyMap<number, number>
  /** The input topics of each sub-topology, for the assignor. */
  readonly inputs: readonly TaskInputs[]
  /** Repartition, changelog and dead-letter topics. */
  readonly internalTopics: readonly TopicSpec[]
  /**
   * The time-based retention of each output topic (`retention.ms`, broker default included), for
   * the topics that have one: the broker deletes records whose timestamp is older than it.
   */
  readonly outputRetentionMs: ReadonlyMap<string, number>
}

export async function planTopics(
  topology: Topology,
  admin: KafkaAdmin,
  options: { replicas: number; dlqTopic: string },
): Promise<RuntimePlan> {
  const { description } = topology
  const partitions = new Map<string, number>()
  // Step 1
  const external = [
    ...description.topics.sources,
    ...description.topics.tables,
    ...description.topics.globalTables,
    ...description.topics.sinks,
  ]
  const existing = new Set(await admin.listTopics())
  const outputs = new Set(description.topics.sinks)
  const outputRetentionMs = new Map<string, number>()
  for (const topic of new Set(external)) {
    if (!existing.has(topic)) {
      throw new FreshetError(
        'TOPIC_NOT_FOUND',
        `topic ${topic} does not exist; create it first (freshet topics create ${topic})`,
        { topic },
      )
    }
    const described = await admin.describeTopic(topic)
    partitions.set(topic, described.partitions.length)
    const retentionMs = Number(described.effectiveConfigs['retention.ms'] ?? -1)
    const deletes = (described.effectiveConfigs['cleanup.policy'] ?? 'delete').includes('delete')
    if (outputs.has(topic) && deletes && retentionMs > 0) outputRetentionMs.set(topic, retentionMs)
  }
  // Step 2
  const writers = new Map<string, SinkSpec>()
  for (const sink of topology.sinks()) if (sink.kind === 'repartition') writers.set(sink.topic, sink)
  const taskCounts = new Map<number, number>()
  const inputs: TaskInputs[] = []
  for (const sub of description.subtopologies) {
    const sources = topology.sources().filter((s) => s.subtopology === sub.id)
    const externalCounts = sources
      .filter((s) => s.kind !== 'repartition')
      .map((s) => partitions.get(s.topic) as number)
    const joined = description.nodes.some(
      (n) =>
        n.subtopology === sub.id &&
        (n.kind === 'table' || n.kind === 'stream-table-join' || n.kind === 'interval-join-side'),
    )
    for (const source of sources) {
      if (source.kind !== 'repartition') continue
      const writer = writers.get(source.topic) as SinkSpec
      partitions.set(
        source.topic,
        writer.partitions ??
          (joined && externalCounts.length > 0
            ? Math.max(...externalCounts)
            : (taskCounts.get(writer.subtopology) as number)),
      )
    }
    const counts = sources.map((s) => partitions.get(s.topic) as number)
    // Step 3
    if (joined)
      requireCoPartitioned(
        sub.id,
        sources.map((s) => s.topic),
        counts,
      )
    taskCounts.set(sub.id, Math.max(1, ...counts))
    inputs.push({ subtopology: sub.id, topics: [...new Set(sources.map((s) => s.topic))] })
  }
  // Step 4
  const internalTopics: TopicSpec[] = [
    // Repartition records carry their event time as timestamp: time-based retention would delete
    // replayed or historical ones before they are read (Kafka Streams' KIP-284). The worker purges
    // what the group committed instead.
    ...description.topics.repartition.map((topic) => ({
      topic,
      partitions: partitions.get(topic) as number,
      replicas: options.replicas,
      configs: { 'retention.ms': '-1' },
    })),
    ...description.stores
      .filter((store) => !store.sourceChangelog)
      .map((store) => ({
        topic: store.changelogTopic,
        partitions: taskCounts.get(store.subtopology) as number,
        replicas: options.replicas,
        configs: { 'cleanup.policy': 'compact' },
      })),
    { topic: options.dlqTopic, partitions: 1, replicas: options.replicas },
  ]
  for (const spec of internalTopics) partitions.set(spec.topic, spec.partitions as number)
  await admin.createTopics(internalTopics.filter((spec) => !existing.has(spec.topic)))
  for (const spec of internalTopics) {
    if (!existing.has(spec.topic)) continue
    const actual = (await admin.describeTopic(spec.topic)).partitions.length
    if (actual !== spec.partitions) {
      throw new FreshetError(
        'TOPOLOGY_INVALID',
        `internal topic ${spec.topic} has ${actual} partitions, the topology needs ${spec.partitions}; ` +
          'delete it (and reset the application) or keep the input partition counts',
        { topic: spec.topic },
      )
    }
  }
  return { partitions, taskCounts, inputs, internalTopics, outputRetentionMs }
}
