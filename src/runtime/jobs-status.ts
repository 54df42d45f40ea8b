/**
 * What is running: the freshet jobs of a cluster, found from Kafka itself. A job is a consumer
 * group with a dead-letter topic `<group>.dlq` beside it (every worker creates one); its workers
 * are the group's members, whose client id is `<application-id>-<worker-id>`.
 *
 * The status is read group by group while jobs, topics and groups come and go: a topic a job
 * committed offsets on may be deleted, a group may end between being listed and being described.
 * Neither fails the status; the job is listed with a note saying what was left out.
 */
import { KafkaAdmin } from '../kafka/index.ts'
import { inRecords } from './record-lag.ts'

export interface JobStatus {
  applicationId: string
  /**
   * The group's state: Stable, PreparingRebalance, CompletingRebalance, Empty; Dead for a group
   * that ended between being listed and being described.
   */
  state: string
  /**
   * Over every partition the group has committed offsets for (inputs and repartition topics) of
   * the topics that still exist; in records, not counting transaction and watermark markers
   * (./record-lag.ts).
   */
  lag: number
  workers: Array<{
    workerId: string
    host: string
    partitions: Array<{ topic: string; partitions: number[] }>
  }>
  /** What this status leaves out and why, one sentence each; empty when nothing is. */
  notes: string[]
}

/** The note of a job whose group has committed offsets on `topic`, which no longer exists. */
function deletedTopicNote(topic: string): string {
  return `topic ${topic} no longer exists (its committed offsets are left out of the lag)`
}

const ENDED_GROUP_NOTE = 'the group no longer exists (it was deleted or expired while the status was taken)'

/** The jobs of the cluster, with their workers and lag, sorted by application id. */
export async function jobsStatus(brokers: string[]): Promise<JobStatus[]> {
  const admin = new KafkaAdmin({ bootstrapBrokers: brokers })
  try {
    const topics = new Set(await admin.listTopics({ includeInternal: true }))
    const jobs: JobStatus[] = []
    for (const group of await admin.consumerGroups()) {
      if (!topics.has(`${group.groupId}.dlq`)) continue
      const report = await admin.groupLagReport(group.groupId)
      const partitions = await inRecords(report.partitions, { bootstrapBrokers: brokers })
      const lag = partitions.reduce((sum, p) => sum + p.lag, 0n)
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
        notes: [
          ...(group.state === 'Dead' ? [ENDED_GROUP_NOTE] : []),
          ...report.deletedTopics.map(deletedTopicNote),
        ],
      })
    }
    return jobs
  } finally {
    await admin.close()
  }
}
