/**
 * The group assignor of a worker: it assigns tasks, not topic partitions (the Kafka Streams
 * model). A task is one partition number of one sub-topology, so every partition a task reads
 * (a stream and the table it joins, two joined streams, a repartition topic) lands on the same
 * worker. Round robin over topic partitions would split them whenever partition counts do not
 * line up with the number of members.
 *
 * The leader of the group runs it:
 *   1. List the tasks: for every sub-topology, one per partition number of its input topics.
 *   2. Sticky first: a task stays with a member that owned one of its partitions before the
 *      rebalance (its state is local there), as long as that member is under its fair share
 *      (ceil(tasks / members)).
 *   3. Every other task goes to the least loaded member, ties broken by member id, so that the
 *      result does not depend on the order members joined in.
 */
import type {
  ClusterMetadata,
  ExtendedGroupProtocolSubscription,
  GroupAssignment,
  GroupPartitionsAssignments,
} from '@platformatic/kafka'
import type { PartitionAssigner } from '../kafka/index.ts'

/** The input topics of one sub-topology. */
export interface TaskInputs {
  readonly subtopology: number
  readonly topics: readonly string[]
}

export interface TaskId {
  readonly subtopology: number
  readonly partition: number
}

export function taskName(task: TaskId): string {
  return `${task.subtopology}_${task.partition}`
}

/** Step 1: every task with the topic partitions it reads. */
export function listTasks(
  inputs: readonly TaskInputs[],
  partitionsOf: (topic: string) => number,
): Array<{ task: TaskId; partitions: Array<{ topic: string; partition: number }> }> {
  const tasks: Array<{ task: TaskId; partitions: Array<{ topic: string; partition: number }> }> = []
  for (const sub of inputs) {
    const count = Math.max(0, ...sub.topics.map(partitionsOf))
    for (let partition = 0; partition < count; partition++) {
      tasks.push({
        task: { subtopology: sub.subtopology, partition },
        partitions: sub.topics
          .filter((topic) => partition < partitionsOf(topic))
          .map((topic) => ({ topic, partition })),
      })
    }
  }
  return tasks
}

/**
 * The task assignment of `members` (member id to the tasks it owned before). Pure: the client
 * glue below feeds it from the JoinGroup subscriptions.
 */
export function assignTasks(
  tasks: readonly TaskId[],
  members: ReadonlyMap<string, readonly TaskId[]>,
): Map<string, TaskId[]> {
  const ids = [...members.keys()].sort()
  const result = new Map<string, TaskId[]>(ids.map((id) => [id, []]))
  if (ids.length === 0) return result
  const fairShare = Math.ceil(tasks.length / ids.length)
  const previousOwner = new Map<string, string>()
  for (const id of ids) {
    for (const task of members.get(id) ?? []) previousOwner.set(taskName(task), id)
  }
  const rest: TaskId[] = []
  // Step 2
  for (const task of tasks) {
    const owner = previousOwner.get(taskName(task))
    const owned = owner === undefined ? undefined : result.get(owner)
    if (owned !== undefined && owned.length < fairShare) owned.push(task)
    else rest.push(task)
  }
  // Step 3
  for (const task of rest) {
    let target = ids[0] as string
    for (const id of ids) {
      if ((result.get(id) as TaskId[]).length < (result.get(target) as TaskId[]).length) target = id
    }
    ;(result.get(target) as TaskId[]).push(task)
  }
  return result
}

/**
 * The client's `partitionAssigner` for a worker whose sub-topologies read `inputs`. A member's
 * previous tasks are read from the partitions it reported owning (JoinGroup's owned partitions).
 */
export function taskAssigner(inputs: readonly TaskInputs[]): PartitionAssigner {
  const subtopologyOf = new Map<string, number>()
  for (const sub of inputs) for (const topic of sub.topics) subtopologyOf.set(topic, sub.subtopology)
  return (
    _current: string,
    members: Map<string, ExtendedGroupProtocolSubscription>,
    _topics: Set<string>,
    metadata: ClusterMetadata,
  ): GroupPartitionsAssignments[] => {
    const partitionsOf = (topic: string): number => metadata.topics.get(topic)?.partitionsCount ?? 0
    const listed = listTasks(inputs, partitionsOf)
    const previous = new Map<string, TaskId[]>()
    for (const [memberId, subscription] of members) {
      const owned = new Map<string, TaskId>()
      for (const assignment of subscription.ownedPartitions ?? []) {
        const subtopology = subtopologyOf.get(assignment.topic)
        if (subtopology === undefined) continue
        for (const partition of assignment.partitions) {
          const task = { subtopology, partition }
          owned.set(taskName(task), task)
        }
      }
      previous.set(memberId, [...owned.values()])
    }
    const byTask = new Map(listed.map((entry) => [taskName(entry.task), entry.partitions]))
    const assigned = assignTasks(
      listed.map((entry) => entry.task),
      previous,
    )
    return [...assigned].map(([memberId, tasks]) => {
      const assignments = new Map<string, GroupAssignment>()
      for (const task of tasks) {
        for (const { topic, partition } of byTask.get(taskName(task)) ?? []) {
          const entry = assignments.get(topic) ?? { topic, partitions: [] }
          entry.partitions.push(partition)
          assignments.set(topic, entry)
        }
      }
      return { memberId, assignments }
    })
  }
}
