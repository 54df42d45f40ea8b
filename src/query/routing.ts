/**
 * Which partition of a store holds a key, and which worker hosts that partition.
 *
 * A store belongs to one sub-topology and has one instance per partition of its input: the task
 * for partition p holds the keys whose records arrived on partition p. Those records were put
 * there by Kafka's default partitioner over the key's bytes, by a repartition sink
 * (`partitionFor` in src/task) or by a producer using the default partitioner on the input
 * topic. A lookup computes the same function, so it must be given the key as the stream is keyed
 * (the value `keyBy` returned, or the record key as a string).
 */
import type { DescribedMember, TopicPartitions } from '../kafka/index.ts'
import { partitionFor } from '../operators/index.ts'
import type { MemberInfo, TaskHost } from './types.ts'

/** The partition of a store with `partitions` partitions that holds `key`. */
export function partitionOfKey(key: unknown, partitions: number): number {
  return partitionFor(key, partitions)
}

const MEMBER_INFO_VERSION = 1

/**
 * The subscription user data of a worker: a versioned JSON object, readable with any tool that
 * describes the group. A later version may add fields; a reader takes the fields it knows.
 */
export function encodeMemberInfo(info: MemberInfo): Buffer {
  return Buffer.from(
    JSON.stringify({
      version: MEMBER_INFO_VERSION,
      workerId: info.workerId,
      ...(info.endpoint === undefined ? {} : { endpoint: info.endpoint }),
    }),
  )
}

/** The member info in `userData`, or undefined for a member that sent none (or something else). */
export function decodeMemberInfo(userData: Uint8Array): MemberInfo | undefined {
  if (userData.length === 0) return undefined
  let parsed: unknown
  try {
    parsed = JSON.parse(Buffer.from(userData).toString('utf8'))
  } catch {
    return undefined
  }
  if (parsed === null || typeof parsed !== 'object') return undefined
  const { version, workerId, endpoint } = parsed as Record<string, unknown>
  if (typeof version !== 'number' || version < MEMBER_INFO_VERSION || typeof workerId !== 'string') {
    return undefined
  }
  return { workerId, endpoint: typeof endpoint === 'string' ? endpoint : undefined }
}

/**
 * Task name (`<subtopology>_<partition>`) to the worker hosting it, from the members of a Stable
 * group: each member's assigned partitions name its tasks through the sub-topology reading each
 * topic. A member whose user data is not a worker's hosts tasks all the same, without endpoint.
 */
export function hostsOf(
  members: readonly DescribedMember[],
  subtopologyOf: (topic: string) => number | undefined,
): Map<string, TaskHost> {
  const hosts = new Map<string, TaskHost>()
  for (const member of members) {
    const info = decodeMemberInfo(member.userData) ?? { workerId: member.memberId, endpoint: undefined }
    const host: TaskHost = { memberId: member.memberId, ...info }
    for (const task of tasksOf(member.assignments, subtopologyOf)) hosts.set(task, host)
  }
  return hosts
}

function tasksOf(
  assignments: readonly TopicPartitions[],
  subtopologyOf: (topic: string) => number | undefined,
): Set<string> {
  const tasks = new Set<string>()
  for (const { topic, partitions } of assignments) {
    const subtopology = subtopologyOf(topic)
    if (subtopology === undefined) continue
    for (const partition of partitions) tasks.add(`${subtopology}_${partition}`)
  }
  return tasks
}
