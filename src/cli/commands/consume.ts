/**
 * `freshet consume`, as numbered steps:
 *   1. Parse and check every flag (a usage error exits 2 before anything connects); read the
 *      reader schema when --schema names one.
 *   2. Serve the metrics (the group's lag asked of the cluster at each scrape): ready once the
 *      consumer joined its group, and not while an outage of the cluster is waited out.
 *   3. Consume until --max-messages or SIGINT/SIGTERM: statistics on stdout every
 *      --stats-interval (or every event with --print, statistics then as log records); bad records
 *      (skipped or dead-lettered) and registry waits logged at a limited rate, and an outage once when the wait begins and once when it ends.
 *   4. Commit, leave the group, print the final statistics.
 */
import {
  EventConsumer,
  formatStats,
  type ConsumerOutageEvent,
  type StatsSnapshot,
} from '../../consumer/index.ts'
import { FreshetError } from '../../errors/index.ts'
import { KafkaAdmin, type InRecord } from '../../kafka/index.ts'
import { RateLimitedReports } from '../../log/index.ts'
import { ConsumerMetrics, processRegistry } from '../../metrics/index.ts'
import { waitingReason } from '../../producer/index.ts'
import { RegistryClient } from '../../registry/index.ts'
import { knownSchemaNames } from '../../schemas/index.ts'
import { COMMON_HELP, common, durationFlag, intFlag, logger, LOG_HELP, LOG_OPTIONS, parse } from '../args.ts'
import { METRICS_HELP, METRICS_OPTIONS, metricsServer } from '../metrics.ts'
import { schemaFlag } from '../schemas.ts'
import { BAD_RECORD_POLICIES, type BadRecordPolicy } from '../../task/index.ts'
import { closeAll, shutdownSignal } from '../signals.ts'

export const consumeHelp = `freshet consume: read records as a member of a consumer group (read_committed) and print
statistics periodically. Avro values are decoded with the schema they were written with (by the id
each carries, from the registry), so any topic reads without --schema. A record that cannot be
decoded is counted and reported, never dropped silently. consume creates no topic and writes
nothing but its group's offsets, unless --on-bad-record dlq. SIGINT/SIGTERM: commit, leave the
group, exit.

  --topic NAME           default user-events
  --group G              consumer group (default freshet-consumer)
  --from-beginning       start at the earliest offset where the group has none committed
  --max-messages N       stop after N records
  --format avro|json     default avro
  --schema NAME|FILE.avsc
                         optional reader schema: values are resolved to it (Avro) or checked
                         against it (JSON); a bundled one (${knownSchemaNames().join(', ')}) or an .avsc file
  --on-bad-record P      skip|fail|dlq, for a record that cannot be decoded (default skip):
                         skip counts it and logs it with topic/partition/offset and the reason;
                         fail stops (exit 1) before committing its batch; dlq writes it to
                         <topic>.dlq (created if missing) before the commit
  --stats-interval D     how often to print statistics (default 5s)
  --print                print every event as a JSON line (stdout) instead of statistics
  --outage-timeout D|never
                         how long to wait out an unreachable Kafka before failing (default 5m;
                         0 fails at once): a new member of the group then reads on from its
                         committed offsets

Statistics count the records per schema and the most frequent record keys; for freshet's own
schemas, the event types and users (UserEvent) or jobs and keys (AnalyticsResult) instead of keys.

${METRICS_HELP}
${LOG_HELP}

${COMMON_HELP}`

export async function consumeCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    topic: { type: 'string' },
    group: { type: 'string' },
    'from-beginning': { type: 'boolean' },
    'max-messages': { type: 'string' },
    format: { type: 'string' },
    schema: { type: 'string' },
    'on-bad-record': { type: 'string' },
    'stats-interval': { type: 'string' },
    print: { type: 'boolean' },
    'outage-timeout': { type: 'string' },
    ...METRICS_OPTIONS,
    ...LOG_OPTIONS,
  })
  if (values.help) return (console.log(consumeHelp), 0)
  const c = common(values)
  const format = ((values.format as string | undefined) ?? 'avro') as 'avro' | 'json'
  const maxMessages = intFlag('max-messages', values['max-messages'], 1)
  const statsIntervalMs = durationFlag('stats-interval', values['stats-interval']) ?? 5_000
  const topic = (values.topic as string | undefined) ?? 'user-events'
  const onBadRecord = ((values['on-bad-record'] as string | undefined) ?? 'skip') as BadRecordPolicy
  if (!BAD_RECORD_POLICIES.includes(onBadRecord)) {
    throw new FreshetError(
      'INVALID_OPTION',
      `--on-bad-record must be one of ${BAD_RECORD_POLICIES.join(', ')}, got ${JSON.stringify(onBadRecord)}`,
    )
  }
  const schema = values.schema === undefined ? undefined : await schemaFlag(values.schema as string)
  const groupId = (values.group as string | undefined) ?? 'freshet-consumer'
  const outageTimeoutMs =
    values['outage-timeout'] === 'never' ? Infinity : durationFlag('outage-timeout', values['outage-timeout'])
  const log = logger('consume', values)
  const consumer = new EventConsumer<unknown>({
    bootstrapBrokers: c.brokers,
    topic,
    ...(schema === undefined ? {} : { schema }),
    onBadRecord,
    groupId,
    fromBeginning: values['from-beginning'] === true,
    format,
    ...(format === 'avro' ? { registry: new RegistryClient({ url: c.registryUrl }) } : {}),
    ...(maxMessages === undefined ? {} : { maxMessages }),
    ...(outageTimeoutMs === undefined ? {} : { outageTimeoutMs }),
  })
  const admin = new KafkaAdmin({ bootstrapBrokers: c.brokers })
  const registry = processRegistry('consume')
  const metrics = new ConsumerMetrics({
    registry,
    status: () => consumer.status(),
    lag: () => admin.groupLag(groupId, topic),
  })
  const server = metricsServer(values, registry, () => {
    const waiting = consumer.status().waiting
    if (waiting !== undefined) return { ready: false, reason: waitingReason(waiting) }
    return consumer.joined ? { ready: true } : { ready: false, reason: 'not a member of the group yet' }
  })
  const onOutage = (event: ConsumerOutageEvent): void => {
    if (event.type === 'waiting') {
      log.warn(
        { ...event },
        `waiting for Kafka (${event.reason}); consume carries on by itself once it answers`,
      )
      return
    }
    log.info(
      { ...event },
      `Kafka answers again after ${(event.waitedMs / 1000).toFixed(1)} s; carrying on from the group's ` +
        `committed offsets (${event.redeliveredRecords} records handed on again)`,
    )
  }
  // With --print, stdout carries the events: the statistics become log records.
  const report = (snapshot: StatsSnapshot): void => {
    if (values.print) log.info({ stats: snapshot }, formatStats(snapshot))
    else console.log(c.json ? JSON.stringify(snapshot) : `\n${formatStats(snapshot)}`)
  }
  const signal = shutdownSignal((name) => log.info(`${name}: committing and leaving the group`))
  let timer: NodeJS.Timeout | undefined
  // A bad record is logged with where it is and why; a run of them at most once a second per
  // error code, with the count of those held back.
  const badRecords = new RateLimitedReports<{ record: InRecord; error: FreshetError; action: string }>(
    1_000,
    ({ record, error, action }, count) =>
      log.warn(
        {
          topic: record.topic,
          partition: record.partition,
          offset: String(record.offset),
          code: error.code,
          ...(action === 'dead-lettered' ? { dlqTopic: consumer.dlqTopic } : {}),
          ...(count > 1 ? { similarRecords: count } : {}),
        },
        `${action} ${record.topic}/${record.partition}@${record.offset}` +
          (action === 'dead-lettered' ? ` to ${consumer.dlqTopic}` : '') +
          `: ${error.code}: ${error.message}` +
          (count > 1 ? ` (and ${count - 1} more records with this error)` : ''),
      ),
  )
  try {
    // Step 2
    const url = await server.start()
    log.info({ url: `${url}/metrics` }, `metrics at ${url}/metrics (health: /health, /ready)`)

    // Step 3
    timer = setInterval(() => report(consumer.stats.snapshot()), statsIntervalMs)
    const final = await consumer.run({
      signal,
      onBatch: metrics.observe,
      onOutage,
      ...(values.print
        ? {
            onEvents: (events) =>
              void process.stdout.write(events.map((e) => JSON.stringify(e, avroJson)).join('\n') + '\n'),
          }
        : {}),
      onSkipped: (record, error) => badRecords.report(error.code, { record, error, action: 'skipped' }),
      onDeadLetter: (record, error) =>
        badRecords.report(error.code, { record, error, action: 'dead-lettered' }),
      onRetry: (error, backoffMs) =>
        log.warn(
          { code: error.code, backoffMs },
          `${error.code}: ${error.message}; retrying in ${backoffMs} ms`,
        ),
    })
    clearInterval(timer)
    badRecords.flush()

    // Step 4
    if (c.json && !values.print) console.log(JSON.stringify(final))
    else report(final)
    return 0
  } finally {
    clearInterval(timer)
    await closeAll(
      () => consumer.close(),
      () => server.close(),
      () => admin.close().catch(() => {}),
    )
  }
}

/**
 * JSON.stringify's replacer for --print: Avro bytes and fixed values as Avro's JSON encoding writes
 * them (one character per byte, U+0000 to U+00FF) rather than Node's `{"type":"Buffer",...}`.
 */
function avroJson(this: unknown, key: string, value: unknown): unknown {
  const raw = (this as Record<string, unknown>)[key]
  return Buffer.isBuffer(raw) ? raw.toString('latin1') : value
}
