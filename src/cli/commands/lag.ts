/**
 * `freshet lag G` (or `--group G`): how far a consumer group is behind, per partition and in total. The
 * committed offsets come from the group coordinator, the ends from the partition leaders (high
 * watermarks), the lag in records from reading what lies between (src/runtime/record-lag.ts); a
 * partition the group has committed nothing for counts from offset 0. A topic the
 * group has committed offsets for that no longer exists is named after the total, not counted.
 */
import { FreshetError } from '../../errors/index.ts'
import { KafkaAdmin } from '../../kafka/index.ts'
import { inRecords, RECORD_LAG_SCAN_OFFSETS } from '../../runtime/index.ts'
import { COMMON_HELP, common, parse } from '../args.ts'
import { table } from '../table.ts'

export const lagHelp = `freshet lag GROUP [--topic T]: lag of a consumer group per partition, and in total.

  GROUP        the consumer group (a job's group is its application id, e.g. freshet-event-counts);
               --group GROUP says the same
  --topic T    only this topic (default: every topic the group has committed offsets for)
  --json       one JSON object: the partitions and the total

The lag is in records: the records the group's members would still be handed (read_committed).
Offsets that hold no such record are not counted: a transaction's commit marker, aborted records
and the watermark markers of repartition topics, so a caught-up job shows 0 where
kafka-consumer-groups shows a few. A partition more than ${RECORD_LAG_SCAN_OFFSETS} offsets behind
is counted in offsets (in JSON, "offsetLag" is always the offset difference).
A topic the group has committed offsets for that no longer exists is named after the total and left
out of it (in JSON: "deletedTopics").

${COMMON_HELP}`

export async function lagCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { group: { type: 'string' }, topic: { type: 'string' } }, true)
  if (values.help) return (console.log(lagHelp), 0)
  const c = common(values)
  const named = typeof values.group === 'string' && values.group !== '' ? [values.group] : []
  const groups = [...new Set([...positionals, ...named])]
  if (groups.length !== 1 || positionals.length > 1) {
    throw new FreshetError(
      'INVALID_OPTION',
      groups.length === 0
        ? 'give the consumer group: freshet lag GROUP'
        : `give one consumer group, got ${groups.map((g) => JSON.stringify(g)).join(', ')}`,
      { details: { option: 'group' } },
    )
  }
  const group = groups[0] as string
  const topic = typeof values.topic === 'string' && values.topic !== '' ? values.topic : undefined
  const admin = new KafkaAdmin({ bootstrapBrokers: c.brokers })
  try {
    const report = await admin.groupLagReport(group, topic)
    const { deletedTopics } = report
    const lags = await inRecords(report.partitions, { bootstrapBrokers: c.brokers })
    const total = lags.reduce((sum, p) => sum + p.lag, 0n)
    if (c.json) {
      console.log(
        JSON.stringify({
          group,
          partitions: lags.map((p) => ({
            topic: p.topic,
            partition: p.partition,
            committedOffset: p.committedOffset === null ? null : Number(p.committedOffset),
            endOffset: Number(p.endOffset),
            lag: Number(p.lag),
            offsetLag: Number(p.endOffset - (p.committedOffset ?? 0n)),
          })),
          total: Number(total),
          deletedTopics,
        }),
      )
      return 0
    }
    if (lags.length === 0) {
      console.log(
        deletedTopics.length > 0
          ? `group ${group} has committed offsets only for topics that no longer exist`
          : `group ${group} has committed no offsets${topic === undefined ? '' : ` for ${topic}`}`,
      )
    } else {
      console.log(
        table(
          ['TOPIC', 'PARTITION', 'COMMITTED', 'END', 'LAG'],
          lags.map((p) => [p.topic, p.partition, p.committedOffset, p.endOffset, p.lag]),
        ),
      )
      console.log(`total lag of group ${group}: ${total}`)
    }
    for (const name of deletedTopics) {
      console.log(`topic ${name} no longer exists (its committed offsets are left out of the lag)`)
    }
    return 0
  } finally {
    await admin.close()
  }
}
