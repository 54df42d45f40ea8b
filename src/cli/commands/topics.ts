import { FreshetError } from '../../errors/index.ts'
import { KafkaAdmin } from '../../kafka/index.ts'
import { COMMON_HELP, common, intFlag, parse } from '../args.ts'
import { table } from '../table.ts'

export const topicsHelp = `freshet topics <create|list|describe|delete> [TOPIC...]

  create TOPIC... [--partitions N] [--replicas N] [--config key=value]...
  list [--all]                 --all includes internal topics
  describe TOPIC
  delete TOPIC...

${COMMON_HELP}`

export async function topicsCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(
    argv,
    {
      partitions: { type: 'string' },
      replicas: { type: 'string' },
      config: { type: 'string', multiple: true },
      all: { type: 'boolean' },
    },
    true,
  )
  const [action, ...names] = positionals
  if (values.help || action === undefined) return (console.log(topicsHelp), values.help ? 0 : 2)
  const c = common(values)
  const admin = new KafkaAdmin({ bootstrapBrokers: c.brokers })
  try {
    switch (action) {
      case 'create': {
        if (names.length === 0) throw new FreshetError('INVALID_OPTION', 'create: name at least one topic')
        const configs: Record<string, string> = {}
        for (const entry of (values.config as unknown as string[] | undefined) ?? []) {
          const eq = entry.indexOf('=')
          if (eq <= 0)
            throw new FreshetError('INVALID_OPTION', `create: --config must be key=value, got ${entry}`)
          configs[entry.slice(0, eq)] = entry.slice(eq + 1)
        }
        const partitions = intFlag('partitions', values.partitions, 1) ?? 1
        const replicas = intFlag('replicas', values.replicas, 1) ?? 1
        const created = await admin.createTopics(
          names.map((topic) => ({ topic, partitions, replicas, configs })),
        )
        for (const name of names) console.log(created.includes(name) ? `created ${name}` : `exists ${name}`)
        return 0
      }
      case 'list': {
        const topics = await admin.listTopics({ includeInternal: values.all === true })
        console.log(c.json ? JSON.stringify(topics) : topics.join('\n'))
        return 0
      }
      case 'describe': {
        if (names.length !== 1) throw new FreshetError('INVALID_OPTION', 'describe: name one topic')
        const d = await admin.describeTopic(names[0]!)
        const ends = await admin.endOffsets(d.topic)
        if (c.json) {
          const partitions = d.partitions.map((p) => ({
            ...p,
            endOffset: String(ends.get(p.partition) ?? ''),
          }))
          console.log(JSON.stringify({ ...d, partitions }))
          return 0
        }
        console.log(`topic ${d.topic}  id ${d.id}  partitions ${d.partitions.length}`)
        for (const [k, v] of Object.entries(d.configs)) console.log(`  ${k}=${v}`)
        console.log(
          table(
            ['PARTITION', 'LEADER', 'REPLICAS', 'ISR', 'END OFFSET'],
            d.partitions.map((p) => [
              p.partition,
              p.leader,
              p.replicas.join(','),
              p.isr.join(','),
              ends.get(p.partition) ?? null,
            ]),
          ),
        )
        return 0
      }
      case 'delete': {
        if (names.length === 0) throw new FreshetError('INVALID_OPTION', 'delete: name at least one topic')
        await admin.deleteTopics(names)
        for (const name of names) console.log(`deleted ${name}`)
        return 0
      }
      default:
        throw new FreshetError(
          'INVALID_OPTION',
          `unknown action "${action}"; allowed: create, list, describe, delete`,
        )
    }
  } finally {
    await admin.close()
  }
}
