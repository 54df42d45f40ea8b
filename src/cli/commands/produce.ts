/**
 * `freshet produce`, as numbered steps:
 *   1. Parse and check every flag (a usage error exits 2 before anything connects). With
 *      --schema or --subject the records are the input's JSON lines, else generated user events.
 *   2. Serve the metrics: ready once the brokers acknowledged a first batch, and not while an
 *      outage of the cluster is waited out.
 *   3. Produce until --count, --duration, the end of the input or SIGINT/SIGTERM, with a progress
 *      bar on a terminal and a progress log record every 5 s otherwise. An outage is logged once
 *      when the wait begins and once when it ends, never per retry; a bad input line ends the run
 *      (or, with --skip-bad-lines, is reported and left out).
 *   4. Print the summary on stdout (JSON with --json); an error exits 1.
 */
import { open } from 'node:fs/promises'
import type { Readable } from 'node:stream'
import { FreshetError } from '../../errors/index.ts'
import { RateLimitedReports } from '../../log/index.ts'
import { ProducerMetrics, processRegistry } from '../../metrics/index.ts'
import {
  EventProducer,
  JsonLines,
  waitingReason,
  type EventProducerOptions,
  type ProducerOutageEvent,
} from '../../producer/index.ts'
import { RegistryClient } from '../../registry/index.ts'
import type { TypedSchema } from '../../schemas/index.ts'
import { createSerializer } from '../../serde/index.ts'
import { COMMON_HELP, common, durationFlag, intFlag, logger, LOG_HELP, LOG_OPTIONS, parse } from '../args.ts'
import { METRICS_HELP, METRICS_OPTIONS, metricsServer } from '../metrics.ts'
import { ProgressLine } from '../progress.ts'
import { registeredSchema, schemaFlag, subjectFlag } from '../schemas.ts'
import { closeAll, shutdownSignal } from '../signals.ts'
import type { Logger } from '../../log/index.ts'

export const produceHelp = `freshet produce: send records, idempotent (acks=all). Two modes:

Generated events (no --schema/--subject): realistic user events (sessions, funnels page_view ->
add_to_cart -> purchase, searches, logins), keyed by user_id.
  --count N              stop after N events
  --duration D           stop after D (e.g. 30s, 5m); one of --count and --duration is required
  --users N              simulated users (default 10000)
  --seed N               seed of the generator (same seed, same events)

Your own records: one JSON value per line of the input, checked against the schema, then sent.
  --schema FILE.avsc     the schema (or a bundled name such as user_event)
  --subject S[:V]        or the schema registered under subject S (latest version by default)
  --file PATH            read the lines from PATH (default: stdin)
  --key-field NAME       a top-level field whose value, as text, is the record key (default: no key)
  --skip-bad-lines       report and leave out lines that are not JSON or do not match the schema;
                         without it the first bad line ends the run (exit 1), nothing after it sent

Both modes:
  --topic NAME           default user-events
  --rate R               records per second (default: as fast as possible)
  --format avro|json     default avro (Confluent wire format through the registry, the schema
                         registered under <topic>-value)
  --batch-size N         records per produce request (default 5000)
  --max-in-flight N      unacknowledged requests at once, 1-5 (default 5)
  --compression C        none|gzip|snappy|lz4|zstd (default none)
  --outage-timeout D|never
                         how long to wait out an unreachable Kafka before failing (default 5m;
                         0 fails at once): failed batches are sent again, in order
${METRICS_HELP}
${LOG_HELP}

${COMMON_HELP}`

type Values = Record<string, string | boolean | undefined>

const GENERATOR_FLAGS = ['count', 'duration', 'users', 'seed'] as const
const INPUT_FLAGS = ['file', 'key-field', 'skip-bad-lines'] as const

/** Whether the flag was given, naming it for a usage error. */
function given(values: Values, flags: readonly string[]): string | undefined {
  return flags.find((f) => values[f] !== undefined)
}

const optional = <K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> =>
  value === undefined ? {} : ({ [key]: value } as Record<K, V>)

export async function produceCommand(argv: string[]): Promise<number> {
  // Step 1
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
    schema: { type: 'string' },
    subject: { type: 'string' },
    file: { type: 'string' },
    'key-field': { type: 'string' },
    'skip-bad-lines': { type: 'boolean' },
    'outage-timeout': { type: 'string' },
    ...METRICS_OPTIONS,
    ...LOG_OPTIONS,
  })
  if (values.help) return (console.log(produceHelp), 0)
  const c = common(values)
  const input = values.schema !== undefined || values.subject !== undefined
  if (values.schema !== undefined && values.subject !== undefined) {
    throw new FreshetError('INVALID_OPTION', 'give --schema or --subject, not both')
  }
  const misplaced = input ? given(values, GENERATOR_FLAGS) : given(values, INPUT_FLAGS)
  if (misplaced !== undefined) {
    throw new FreshetError(
      'INVALID_OPTION',
      input
        ? `--${misplaced} applies to generated events; with --schema/--subject the input's lines are sent`
        : `--${misplaced} applies to your own records: give --schema FILE.avsc or --subject S`,
    )
  }
  const count = intFlag('count', values.count, 0)
  const durationMs = durationFlag('duration', values.duration)
  if (!input && count === undefined && durationMs === undefined) {
    throw new FreshetError(
      'INVALID_OPTION',
      'give --count N or --duration D (or --schema/--subject to send your own records)',
    )
  }
  const rate = values.rate === undefined ? undefined : Number(values.rate)
  if (rate !== undefined && !(rate > 0))
    throw new FreshetError('INVALID_OPTION', `--rate must be > 0, got ${JSON.stringify(values.rate)}`)
  const format = ((values.format as string | undefined) ?? 'avro') as 'avro' | 'json'
  if (format !== 'avro' && format !== 'json') {
    throw new FreshetError('INVALID_OPTION', `--format must be avro or json, got ${JSON.stringify(format)}`)
  }
  const topic = (values.topic as string | undefined) ?? 'user-events'
  const outageTimeoutMs =
    values['outage-timeout'] === 'never' ? Infinity : durationFlag('outage-timeout', values['outage-timeout'])
  const log = logger('produce', values)
  const registryClient =
    format === 'avro' || values.subject !== undefined ? new RegistryClient({ url: c.registryUrl }) : undefined
  const lines = input ? await jsonLines(values, topic, format, registryClient, log) : undefined
  const producer = new EventProducer({
    bootstrapBrokers: c.brokers,
    topic,
    format,
    ...(lines === undefined ? {} : { source: lines }),
    ...(format === 'avro' && registryClient !== undefined ? { registry: registryClient } : {}),
    ...optional('count', count),
    ...optional('durationMs', durationMs),
    ...optional('ratePerSec', rate),
    ...optional('batchSize', intFlag('batch-size', values['batch-size'], 1)),
    ...optional('maxInFlight', intFlag('max-in-flight', values['max-in-flight'], 1)),
    ...optional('compression', values.compression as EventProducerOptions['compression']),
    ...optional('users', intFlag('users', values.users, 1)),
    ...optional('seed', intFlag('seed', values.seed, 0)),
    ...optional('outageTimeoutMs', outageTimeoutMs),
  })
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
      ...(lines === undefined ? {} : { read: lines.read, bad: lines.bad }),
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
        (lines === undefined ? '' : `read ${lines.read}  bad ${lines.bad}  `) +
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
      async () => lines?.close(),
    )
  }
}

/**
 * Step 1 with --schema or --subject: the schema (from its file, or the registry), the key field
 * checked against it, and the input's lines as the producer's source.
 */
async function jsonLines(
  values: Values,
  topic: string,
  format: 'avro' | 'json',
  registry: RegistryClient | undefined,
  log: Logger,
): Promise<JsonLines> {
  const schema: TypedSchema<unknown> =
    values.subject !== undefined
      ? registeredSchema(await subjectFlag(registry!, values.subject as string))
      : await schemaFlag(values.schema as string)
  const keyField = values['key-field'] as string | undefined
  if (keyField !== undefined) {
    const fields = (schema.schema as { fields?: Array<{ name?: unknown }> }).fields
    const names = Array.isArray(fields) ? fields.map((f) => String(f.name)) : []
    if (!names.includes(keyField)) {
      throw new FreshetError(
        'INVALID_OPTION',
        `--key-field ${keyField}: ${schema.name} has no top-level field of that name` +
          (names.length > 0 ? `; its fields: ${names.join(', ')}` : ''),
      )
    }
  }
  const path = values.file as string | undefined
  let input: Readable = process.stdin
  if (path !== undefined) {
    try {
      input = (await open(path)).createReadStream()
    } catch (error) {
      throw new FreshetError('INVALID_OPTION', `--file ${path}: ${(error as Error).message}`, {
        cause: error,
      })
    }
  }
  // A repeated problem is reported at most once a second, with the count of the lines held back.
  const reports = new RateLimitedReports<FreshetError>(1_000, (error, count) =>
    log.warn(
      { code: error.code, ...error.details, ...(count > 1 ? { similarLines: count } : {}) },
      `skipped ${error.message}` + (count > 1 ? ` (and ${count - 1} more lines with this problem)` : ''),
    ),
  )
  return new JsonLines({
    topic,
    input,
    serializer: createSerializer<unknown>({
      format,
      topic,
      schema,
      ...(registry === undefined ? {} : { registry }),
    }),
    ...(keyField === undefined ? {} : { keyField }),
    skipBadLines: values['skip-bad-lines'] === true,
    onBadLine: (error) => reports.report(`${String(error.details?.['path'])}`, error),
  })
}
