/**
 * `freshet produce`, as numbered steps:
 *   1. Parse and check every flag (a usage error exits 2 before anything connects).
 *   2. Serve the metrics: ready once the brokers acknowledged a first batch, and not while an
 *      outage of the cluster is waited out.
 *   3. Produce until --count, --duration or SIGINT/SIGTERM, with a progress bar on a terminal and
 *      a progress log record every 5 s otherwise. An outage is logged once when the wait begins
 *      and once when it ends, never per retry.
 *   4. Print the summary on stdout (JSON with --json); an error exits 1.
 */
import { FreshetError } from '../../errors/index.ts'
import { ProducerMetrics, processRegistry } from '../../metrics/index.ts'
import { EventProducer, waitingReason, type ProducerOutageEvent } from '../../producer/index.ts'
import { RegistryClient } from '../../registry/index.ts'
import { COMMON_HELP, common, durationFlag, intFlag, logger, LOG_HELP, LOG_OPTIONS, parse } from '../args.ts'
import { METRICS_HELP, METRICS_OPTIONS, metricsServer } from '../metrics.ts'
import { ProgressLine } from '../progress.ts'
import { closeAll, shutdownSignal } from '../signals.ts'

export const produceHelp = `freshet produce: send realistic user events (sessions, funnels page_view -> add_to_cart ->
purchase, searches, logins), keyed by user_id, idempotent (acks=all).

  --topic NAME           default user-events
  --count N              stop after N events
  --duration D           stop after D (e.g. 30s, 5m); one of --count and --duration is required
  --rate R               events per second (default: as fast as possible)
  --format avro|json     default avro (Confluent wire format through the registry)
  --batch-size N         records per produce request (default 5000)
  --max-in-flight N      unacknowledged requests at once, 1-5 (default 5)
  --compression C        none|gzip|snappy|lz4|zstd (default none)
  --users N              simulated users (default 10000)
  --seed N               seed of the generator (same seed, same events)
  --outage-timeout D|never
                         how long to wait out an unreachable Kafka before failing (default 5m;
                         0 fails at once): failed batches are sent again, in order
${METRICS_HELP}
${LOG_HELP}

${COMMON_HELP}`

export async function produceCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    topic: { type: 'string' },
    count: { type: 'string' },
    duration: { type: 'string' },
    rate: { type: 'string' },
    format: { type: 'string' },
    'batch-size': { type: 'string' },
    'max-in-flight': { type: 'string' },
    compression: { type: 'string' },
    users: { type: 'string' },
    seed: { type: 'string' },
    'outage-timeout': { type: 'string' },
    ...METRICS_OPTIONS,
    ...LOG_OPTIONS,
  })
  if (values.help) return (console.log(produceHelp), 0)
  const c = common(values)
  const count = intFlag('count', values.count, 0)
  const durationMs = durationFlag('duration', values.duration)
  if (count === undefined && durationMs === undefined) {
    throw new FreshetError('INVALID_OPTION', 'give --count N or --duration D')
  }
  const rate = values.rate === undefined ? undefined : Number(values.rate)
  if (rate !== undefined && !(rate > 0))
    throw new FreshetError('INVALID_OPTION', `--rate must be > 0, got ${JSON.stringify(values.rate)}`)
  const format = (values.format as string | undefined) ?? 'avro'
  const outageTimeoutMs =
    values['outage-timeout'] === 'never' ? Infinity : durationFlag('outage-timeout', values['outage-timeout'])
  const optional = <K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> =>
    value === undefined ? {} : ({ [key]: value } as Record<K, V>)
  const producer = new EventProducer({
    bootstrapBrokers: c.brokers,
    topic: (values.topic as string | undefined) ?? 'user-events',
    format: format as 'avro' | 'json',
    ...(format === 'avro' ? { registry: new RegistryClient({ url: c.registryUrl }) } : {}),
    ...optional('count', count),
    ...optional('durationMs', durationMs),
    ...optional('ratePerSec', rate),
    ...optional('batchSize', intFlag('batch-size', values['batch-size'], 1)),
    ...optional('maxInFlight', intFlag('max-in-flight', values['max-in-flight'], 1)),
    ...optional('compression', values.compression as 'none' | undefined),
    ...optional('users', intFlag('users', values.users, 1)),
    ...optional('seed', intFlag('seed', values.seed, 0)),
    ...optional('outageTimeoutMs', outageTimeoutMs),
  })
  const log = logger('produce', values)
  const registry = processRegistry('produce')
  const metrics = new ProducerMetrics({ registry, status: () => producer.status() })
  const server = metricsServer(values, registry, () => {
    const status = producer.status()
    if (status.waiting !== undefined) return { ready: false, reason: waitingReason(status.waiting) }
    return status.records > 0 ? { ready: true } : { ready: false, reason: 'no batch acknowledged yet' }
  })
  const progress = new ProgressLine({ log })
  const onOutage = (event: ProducerOutageEvent): void => {
    progress.clear()
    if (event.type === 'waiting') {
      log.warn(
        { ...event },
        `waiting for Kafka (${event.reason}); produce carries on by itself once it answers`,
      )
      return
    }
    const line =
      `Kafka answers again after ${(event.waitedMs / 1000).toFixed(1)} s; carrying on ` +
      `(${event.resentRecords} records sent again)`
    if (event.overtakenRecords === 0) log.info({ ...event }, line)
    else
      log.warn(
        { ...event },
        `${line}; ${event.overtakenRecords} records in flight beside a failed batch were acknowledged after it, and precede its records`,
      )
  }
  const signal = shutdownSignal((name) => {
    progress.clear()
    log.info(`${name}: finishing the requests in flight`)
  })
  try {
    // Step 2
    const url = await server.start()
    log.info({ url: `${url}/metrics` }, `metrics at ${url}/metrics (health: /health, /ready)`)

    // Step 3
    const summary = await producer.run({
      signal,
      onRequest: metrics.observe,
      onOutage,
      onProgress: (p) => {
        const waiting = producer.status().waiting !== undefined
        const extra = [waiting ? 'waiting for Kafka' : '', p.failed ? `failed ${p.failed}` : '']
          .filter((e) => e !== '')
          .join('  ')
        progress.update({
          done: p.sent,
          total: p.target,
          ratePerSec: p.ratePerSec,
          ...(extra === '' ? {} : { extra }),
        })
      },
    })
    progress.end()

    // Step 4
    const line = {
      sent: summary.sent,
      failed: summary.failed,
      elapsedMs: Math.round(summary.elapsedMs),
      ratePerSec: Math.round(summary.ratePerSec),
      bytes: summary.bytes,
      resent: producer.status().resentRecords,
    }
    if (c.json) console.log(JSON.stringify(line))
    else
      console.log(
        `sent ${line.sent}  failed ${line.failed}  in ${(line.elapsedMs / 1000).toFixed(2)}s  ` +
          `${line.ratePerSec.toLocaleString('en-US')} events/s  ${(line.bytes / 1e6).toFixed(1)} MB` +
          (line.resent > 0 ? `  resent ${line.resent}` : ''),
      )
    if (summary.error) {
      log.error({ code: summary.error.code }, `error ${summary.error.code}: ${summary.error.message}`)
      return 1
    }
    return 0
  } finally {
    progress.end()
    await closeAll(
      () => producer.close(),
      () => server.close(),
    )
  }
}
