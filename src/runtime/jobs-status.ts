/**
 * What is running: the freshet jobs of a cluster, found from Kafka itself. A job is a consumer
 * group with a dead-letter topic `<group>.dlq` beside it (every worker creates one); its workers
 * are the group's members, whose client id is `<application-id>-<worker-id>`.
 */
import { KafkaAdmin } from '../kafka/index.ts'

export interface JobStatus {
  applicationId: string
  /** The group's state: Stable, PreparingRebalance, CompletingRebalance, Empty. */
  state: string
  /** Over every partition the group has committed offsets for (inputs and repartition topics). */
  lag: number
  workers: Array<{
    workerId: string
    host: string
    partitions: Array<{ topic: string; partitions: number[] }>
  }>
}

/** The jobs of the cluster, with their workers and lag, sorted by application id. */
export async function jobsStatus(brokers: string[]): Promise<JobStatus[]> {
  const admin = new KafkaAdmin({ bootstrapBrokers: brokers })
  try {
    const topics = new Set(await admin.listTopics({ includeInternal: true }))
    const jobs: JobStatus[] = []
    for (const group of await admin.consumerGroups()) {
      if (!topics.has(`${group.groupId}.dlq`)) continue
      const lag = (await admin.groupLag(group.groupId)).reduce((sum, p) => sum + p.lag, 0n)
      const prefix = `${group.groupId}-`
      jobs.push({
        applicationId: group.groupId,
        state: group.state,
        lag: Number(lag),
        workers: group.members.map((m) => ({
          workerId: m.clientId.startsWith(prefix) ? m.clientId.slice(prefix.length) : m.clientId,
          host: m.host,
          partitions: m.assignments,
        })),
      })
    }
    return jobs
  } finally {
    await admin.close()
  }
}
