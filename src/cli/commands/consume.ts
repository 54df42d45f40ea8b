import { EventConsumer, formatStats } from '../../consumer/index.ts'
import { DEFAULT_OUTPUT_TOPIC } from '../../jobs/index.ts'
import { RegistryClient } from '../../registry/index.ts'
import { knownSchemaNames, loadSchema } from '../../schemas/index.ts'
import { COMMON_HELP, common, durationFlag, intFlag, parse } from '../args.ts'
import { shutdownSignal } from '../signals.ts'

export const consumeHelp = `freshet consume: read events as a member of a consumer group (read_committed) and print
statistics periodically. Records that cannot be decoded go to <topic>.dlq with provenance headers
and are counted; nothing is dropped silently. SIGINT/SIGTERM: commit, leave the group, exit.

  --topic NAME           default user-events
  --group G              consumer group (default freshet-consumer)
  --from-beginning       start at the earliest offset where the group has none committed
  --max-messages N       stop after N records
  --format avro|json     default avro
  --schema NAME          reader schema: ${knownSchemaNames().join(', ')} (default analytics_result
                         for ${DEFAULT_OUTPUT_TOPIC}, the jobs' results; user_event otherwise)
  --stats-interval D     how often to print statistics (default 5s)
  --print                print every event as a JSON line (stdout) instead of statistics

Statistics count the most frequent event types and users (user_event), or jobs and keys
(analytics_result).

${COMMON_HELP}`

export async function consumeCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    topic: { type: 'string' },
    group: { type: 'string' },
    'from-beginning': { type: 'boolean' },
    'max-messages': { type: 'string' },
    format: { type: 'string' },
    schema: { type: 'string' },
    'stats-interval': { type: 'string' },
    print: { type: 'boolean' },
  })
  if (values.help) return (console.log(consumeHelp), 0)
  const c = common(values)
  const format = ((values.format as string | undefined) ?? 'avro') as 'avro' | 'json'
  const maxMessages = intFlag('max-messages', values['max-messages'], 1)
  const statsIntervalMs = durationFlag('stats-interval', values['stats-interval']) ?? 5_000
  const topic = (values.topic as string | undefined) ?? 'user-events'
  const schemaName =
    (values.schema as string | undefined) ??
    (topic === DEFAULT_OUTPUT_TOPIC ? 'analytics_result' : 'user_event')
  const consumer = new EventConsumer<unknown>({
    bootstrapBrokers: c.brokers,
    topic,
    schema: loadSchema(schemaName),
    groupId: (values.group as string | undefined) ?? 'freshet-consumer',
    fromBeginning: values['from-beginning'] === true,
    format,
    ...(format === 'avro' ? { registry: new RegistryClient({ url: c.registryUrl }) } : {}),
    ...(maxMessages === undefined ? {} : { maxMessages }),
  })
  const out = values.print ? console.error : console.log
  const signal = shutdownSignal((name) => console.error(`${name}: committing and leaving the group`))
  const timer = setInterval(() => {
    const snapshot = consumer.stats.snapshot()
    out(c.json ? JSON.stringify(snapshot) : `\n${formatStats(snapshot)}`)
  }, statsIntervalMs)
  let dlqWarnedMs = 0
  try {
    const final = await consumer.run({
      signal,
      ...(values.print
        ? {
            onEvents: (events) =>
              void process.stdout.write(events.map((e) => JSON.stringify(e)).join('\n') + '\n'),
          }
        : {}),
      onDeadLetter: (record, error) => {
        // Logged at a limited rate; every one is counted in the statistics.
        if (Date.now() - dlqWarnedMs < 1_000) return
        dlqWarnedMs = Date.now()
        console.error(
          `dead-lettered ${record.topic}/${record.partition}@${record.offset} to ${consumer.dlqTopic}: ${error.code}: ${error.message}`,
        )
      },
      onRetry: (error, backoffMs) =>
        console.error(`${error.code}: ${error.message}; retrying in ${backoffMs} ms`),
    })
    clearInterval(timer)
    if (c.json) console.log(JSON.stringify(final))
    else out(`\n${formatStats(final)}`)
    return 0
  } finally {
    clearInterval(timer)
    await consumer.close()
  }
}
