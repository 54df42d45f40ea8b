/**
 * `freshet run <job|module>`: one of the seed jobs (src/jobs), or a user's topology module
 * (topology-module.ts), as a worker (src/runtime). Both run the same way. Workers of the same
 * application id form one consumer group, so starting more of them (each with its own
 * `--worker-id`) shares the partitions, and the state follows each task through its changelog.
 *
 * The command, as numbered steps:
 *   1. Parse and check every flag before connecting to anything (a usage error exits 2).
 *   2. Build the seed job's topology from its flags, or load the module's. Sinks with a schema
 *      write in `--format` (Avro registered under `<topic>-value`, or JSON).
 *   3. Start the worker: it checks that the input and output topics exist, creates its internal
 *      topics, joins the group and restores its first tasks. Restores, assignments and revocations
 *      are printed as they happen.
 *   4. Run until SIGINT/SIGTERM, a worker failure, or the end of a bounded input, printing
 *      statistics every `--stats-interval`.
 *   5. On a signal: stop the worker (final commit, leave the group), print the summary, exit 0. On a
 *      failure: print the summary and the error (code and message), exit 1.
 */
import { hostname } from 'node:os'
import { join } from 'node:path'
import { FreshetError, toFreshetError } from '../../errors/index.ts'
import {
  buildJob,
  DEFAULT_INPUT_TOPIC,
  DEFAULT_OUTPUT_TOPIC,
  isJobName,
  JOB_NAMES,
  JOBS,
  MAX_TOP_N,
  type JobName,
  type JobOptions,
} from '../../jobs/index.ts'
import { KafkaAdmin, parseBrokers } from '../../kafka/index.ts'
import { processRegistry, WorkerMetrics } from '../../metrics/index.ts'
import { endpointCheck, endpointOfUrl, storeRoutes, type Queryable } from '../../query/index.ts'
import { RegistryClient } from '../../registry/index.ts'
import {
  notReadyReason,
  Worker,
  type ProcessingGuarantee,
  type TaskStatus,
  type WorkerEvent,
  type WorkerOptions,
  type WorkerStatus,
} from '../../runtime/index.ts'
import { SERDE_FORMATS, type SerdeFormat } from '../../serde/index.ts'
import type { Topology } from '../../stream/index.ts'
import { BAD_RECORD_POLICIES, type BadRecordPolicy } from '../../task/index.ts'
import { DEFAULT_IDLE_TIMEOUT_MS, DEFAULT_MAX_OUT_OF_ORDERNESS_MS } from '../../time/index.ts'
import { COMMON_HELP, common, durationFlag, intFlag, logger, LOG_HELP, LOG_OPTIONS, parse } from '../args.ts'
import { METRICS_HELP, METRICS_OPTIONS, metricsServer } from '../metrics.ts'
import { closeAll, shutdownSignal } from '../signals.ts'
import { isModulePath, loadTopology, parseParams } from '../topology-module.ts'
import { isSqlFile, planSqlFile, sqlWorkerOptions, type PlannedScript } from '../../sql/index.ts'

const GUARANTEES: readonly ProcessingGuarantee[] = ['exactly-once', 'at-least-once']
const DEFAULT_COMMIT_INTERVAL_MS = 100
const DEFAULT_STATS_INTERVAL_MS = 5_000
/** Restore progress of one store is printed at most this often (besides its first and last line). */
const RESTORE_PROGRESS_INTERVAL_MS = 1_000

/** The job-specific flags and the job option each sets; a job takes a flag when it has that option. */
const JOB_FLAGS = { window: 'windowMs', advance: 'advanceMs', gap: 'gapMs', top: 'topN' } as const
type JobFlag = keyof typeof JOB_FLAGS

/** The flags that shape the topology: `run` and `describe` both take them. */
export const TOPOLOGY_OPTIONS = {
  window: { type: 'string' },
  advance: { type: 'string' },
  gap: { type: 'string' },
  top: { type: 'string' },
  grace: { type: 'string' },
  input: { type: 'string' },
  output: { type: 'string' },
  'application-id': { type: 'string' },
  export: { type: 'string' },
  param: { type: 'string', multiple: true },
  set: { type: 'string', multiple: true },
} as const

const RUN_OPTIONS = {
  ...TOPOLOGY_OPTIONS,
  format: { type: 'string' },
  guarantee: { type: 'string' },
  'commit-interval': { type: 'string' },
  'worker-id': { type: 'string' },
  'on-bad-record': { type: 'string' },
  'max-out-of-orderness': { type: 'string' },
  'idle-timeout': { type: 'string' },
  'outage-timeout': { type: 'string' },
  'stats-interval': { type: 'string' },
  'advertised-url': { type: 'string' },
  bounded: { type: 'boolean' },
  ...METRICS_OPTIONS,
  ...LOG_OPTIONS,
} as const

/** 60000 -> "1m", 1500 -> "1500ms": the shortest exact form durationFlag reads back. */
function formatDuration(ms: number): string {
  for (const [unit, unitMs] of [
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1_000],
  ] as const) {
    if (ms > 0 && ms % unitMs === 0) return `${ms / unitMs}${unit}`
  }
  return `${ms}ms`
}

function jobLines(): string {
  const width = Math.max(...JOB_NAMES.map((name) => name.length))
  return JOB_NAMES.map((name) => {
    const defaults = JOBS[name].defaults as Record<string, unknown>
    const flags = (Object.keys(JOB_FLAGS) as JobFlag[])
      .filter((flag) => Object.hasOwn(defaults, JOB_FLAGS[flag]))
      .map((flag) => {
        const value = defaults[JOB_FLAGS[flag]] as number
        return `--${flag} ${flag === 'top' ? value : formatDuration(value)}`
      })
    return `  ${name.padEnd(width)}  ${JOBS[name].description}\n  ${' '.repeat(width)}  defaults: ${flags.join(' ')}`
  }).join('\n')
}

export const runHelp = `freshet run <job|module>: run a seed job, or your own topology module, as a worker. Workers of
the same application id form one consumer group: start more, each with its own --worker-id, and
they share the partitions. Restores, assignments and revocations are printed as they happen,
statistics every --stats-interval. SIGINT/SIGTERM, or the end of a --bounded input: final commit,
leave the group, print a summary, exit 0. A worker failure prints the error and exits 1.

A module is a path (./pipeline.ts, dist/pipeline.js): its default export, or the export --export
names, is a topology (pipeline(...).build()), or a function (context) => topology that gets
context.applicationId (--application-id) and context.params (--param key=value).

  --export NAME              the module's export to run (default: its default export)
  --param KEY=VALUE          a setting for the module's topology function; repeatable

The seed jobs read UserEvents (keyed by user id) and write AnalyticsResult rows:
${jobLines()}

  --window D                 window size (event-counts, revenue, top-users)
  --advance D                distance between window starts, at most --window (revenue)
  --gap D                    a pause longer than this ends a session (sessions)
  --top N                    length of each window's ranking, 1 to ${MAX_TOP_N} (top-users)
  --grace D                  how long after its end a window still takes events (default ${formatDuration(JOBS['event-counts'].defaults.graceMs)})
  --input TOPIC              default ${DEFAULT_INPUT_TOPIC}
  --output TOPIC             default ${DEFAULT_OUTPUT_TOPIC}; it must exist (freshet up creates it)
  --format avro|json         default avro: input through the registry, and each sink with a schema
                             Confluent-framed Avro registered under <topic>-value; json: JSON in
                             and out
  --guarantee G              exactly-once|at-least-once (default exactly-once)
  --commit-interval D        how often outputs, offsets and state are committed (default ${formatDuration(DEFAULT_COMMIT_INTERVAL_MS)})
  --worker-id ID             this worker in the group (default <hostname>-<pid>); a stable id lets a
                             restarted worker fence its predecessor at once
  --application-id ID        consumer group and prefix of the internal topics (default freshet-<job>;
                             a module's is the one its pipeline names)
  --on-bad-record P          fail|skip|dlq (default dlq: to <application-id>.dlq, like late events)
  --max-out-of-orderness D   how far the watermark trails the largest timestamp (default ${formatDuration(DEFAULT_MAX_OUT_OF_ORDERNESS_MS)})
  --idle-timeout D|never     a partition this quiet stops holding the watermark back (default ${formatDuration(DEFAULT_IDLE_TIMEOUT_MS)})
  --bounded                  read the input topics up to the offsets they have now, close every
                             window at their end, commit and exit 0: a backfill or a reprocessing
                             (a .sql file's tables say it with 'scan.bounded.mode' instead)
  --outage-timeout D|never   how long the worker waits out an unreachable Kafka or registry before it
                             fails (default 5m); it carries on by itself once they answer
  --stats-interval D         how often to print statistics (default ${formatDuration(DEFAULT_STATS_INTERVAL_MS)})
${METRICS_HELP}
  --advertised-url URL       http://host:port where the other workers reach this one's store
                             queries (GET /stores/..., served with the metrics); default: the
                             metrics server's address (this host's name when bound to 0.0.0.0)
${LOG_HELP}

Durations: 500ms, 30s, 5m, 1h (a bare number is seconds). The state stores (RocksDB) live in
<state-dir>/state, under the stack's state directory (--state-dir, default .freshet).

${COMMON_HELP}`

function choiceFlag<const T extends string>(
  name: string,
  value: unknown,
  allowed: readonly T[],
  fallback: T,
): T {
  if (value === undefined) return fallback
  if (!(allowed as readonly unknown[]).includes(value)) {
    throw new FreshetError(
      'INVALID_OPTION',
      `--${name} must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`,
      { details: { option: name, allowed } },
    )
  }
  return value as T
}

function positiveDurationFlag(name: string, value: unknown): number | undefined {
  const ms = durationFlag(name, value)
  if (ms === 0) {
    throw new FreshetError(
      'INVALID_OPTION',
      `--${name} must be longer than 0, got ${JSON.stringify(value)}`,
      {
        details: { option: name },
      },
    )
  }
  return ms
}

function stringFlag(values: Record<string, unknown>, name: string): string | undefined {
  const value = values[name]
  if (value === '') {
    throw new FreshetError('INVALID_OPTION', `--${name} must not be empty`, { details: { option: name } })
  }
  return value as string | undefined
}

/** The options of `job` that its flags set; a flag of another job is refused, naming the job's own. */
function jobOptionFlags(job: JobName, values: Record<string, unknown>): Record<string, number> {
  const defaults = JOBS[job].defaults as Record<string, unknown>
  const own = (Object.keys(JOB_FLAGS) as JobFlag[]).filter((flag) => Object.hasOwn(defaults, JOB_FLAGS[flag]))
  const options: Record<string, number> = {}
  for (const flag of Object.keys(JOB_FLAGS) as JobFlag[]) {
    if (values[flag] === undefined) continue
    if (!own.includes(flag)) {
      throw new FreshetError(
        'INVALID_OPTION',
        `--${flag} does not apply to ${job}; its own flags: ${own.map((f) => `--${f}`).join(', ') || 'none'}`,
        { details: { option: flag, allowed: own } },
      )
    }
    let value: number | undefined
    if (flag === 'top') {
      value = intFlag('top', values.top, 1)
      if (value !== undefined && value > MAX_TOP_N) {
        throw new FreshetError('INVALID_OPTION', `--top must be at most ${MAX_TOP_N}, got ${value}`, {
          details: { option: 'top' },
        })
      }
    } else value = positiveDurationFlag(flag, values[flag])
    if (value !== undefined) options[JOB_FLAGS[flag]] = value
  }
  return options
}

interface Totals {
  /** Input records read by the tasks that read the input topic (bad ones included). */
  recordsIn: number
  /**
   * Rows written to the output topic: what the tasks writing it send (in the seed jobs, the
   * sub-topologies that write the output write no repartition topic).
   */
  recordsOut: number
  deadLettered: number
  late: number
  skipped: number
}

/**
 * The worker's counters over the whole run. A task counts from when it opens and its counters go
 * with it when it closes (revoked, or discarded after an abort), so the figures of the last commit
 * are kept per task and folded into `#retired` when its tasks go. Everything counted is committed
 * work: what a task did after the last commit is redone by its next incarnation.
 */
class RunTotals {
  readonly #inputSubtopologies: ReadonlySet<number>
  readonly #outputSubtopologies: ReadonlySet<number>
  #retired: Totals = { recordsIn: 0, recordsOut: 0, deadLettered: 0, late: 0, skipped: 0 }
  #committed: readonly TaskStatus[] = []
  #commits = 0

  constructor(topology: Topology) {
    this.#inputSubtopologies = new Set(
      topology
        .sources()
        .filter((s) => s.kind !== 'repartition')
        .map((s) => s.subtopology),
    )
    this.#outputSubtopologies = new Set(
      topology
        .sinks()
        .filter((s) => s.kind === 'sink')
        .map((s) => s.subtopology),
    )
  }

  /** After a commit: the tasks' counters are committed figures. */
  committed(tasks: readonly TaskStatus[]): void {
    this.#commits++
    this.#committed = tasks
  }

  /** Commits that wrote something (the worker reports no others). */
  get commits(): number {
    return this.#commits
  }

  /** The tasks are closing (revoked) or discarded (abort): keep what they committed. */
  retire(): void {
    this.#retired = this.totals()
    this.#committed = []
  }

  totals(): Totals {
    const totals = { ...this.#retired }
    for (const task of this.#committed) {
      const subtopology = Number(task.id.slice(0, task.id.indexOf('_')))
      if (this.#inputSubtopologies.has(subtopology)) totals.recordsIn += task.recordsIn
      if (this.#outputSubtopologies.has(subtopology)) totals.recordsOut += task.recordsOut
      totals.deadLettered += task.recordsDeadLettered
      totals.late += task.recordsLate
      totals.skipped += task.recordsSkipped
    }
    return totals
  }
}

/**
 * `watermarks (UTC 2026-11-22): 0_0 06:39:54.124, 0_1 -, ...`: the date once when the watermarks
 * share it (the usual case; a line per stats interval stays readable with many tasks), else each
 * watermark in full. `-`: no watermark yet.
 */
function formatWatermarks(tasks: readonly TaskStatus[]): string {
  if (tasks.length === 0) return 'watermarks: no tasks'
  const iso = tasks.map((task) =>
    Number.isFinite(task.watermarkMs) ? new Date(task.watermarkMs).toISOString() : '-',
  )
  const dates = new Set(iso.filter((text) => text !== '-').map((text) => text.slice(0, 10)))
  const [date] = dates
  if (dates.size !== 1 || date === undefined) {
    return `watermarks: ${tasks.map((task, i) => `${task.id} ${iso[i]}`).join(', ')}`
  }
  const times = tasks.map(
    (task, i) => `${task.id} ${iso[i] === '-' ? '-' : (iso[i] as string).slice(11, 23)}`,
  )
  return `watermarks (UTC ${date}): ${times.join(', ')}`
}

/**
 * `CODE: message (at topic/partition@offset); caused by: ...`. The record's location is in the
 * error's fields, not its message; a topic alone is left out, since the messages name it.
 */
function describeError(error: FreshetError): string {
  const at =
    error.topic === undefined || error.partition === undefined
      ? ''
      : ` (at ${error.topic}/${error.partition}${error.offset === undefined ? '' : `@${error.offset}`})`
  const cause =
    error.cause instanceof Error && !error.message.includes(error.cause.message) ? error.cause : undefined
  return `${error.code}: ${error.message}${at}${cause === undefined ? '' : `; caused by: ${cause.message}`}`
}

/** What `freshet run` and `freshet describe` run: a seed job or a user's module, built. */
export interface RunTarget {
  /** The job name or the module path, as given. */
  readonly label: string
  readonly topology: Topology
  /** The topic the group's lag is reported for; all the group's topics when undefined. */
  readonly lagTopic: string | undefined
  /** A SQL file's: how to read its tables' formats, its WATERMARK delay, its tables' Kafka cluster. */
  readonly sql?:
    | Pick<
        PlannedScript,
        'deserializers' | 'maxOutOfOrdernessMs' | 'bootstrapServers' | 'boundedTopics' | 'generators'
      >
    | undefined
}

/** Flags only the seed jobs take: a module takes its settings as --param key=value. */
const SEED_JOB_FLAGS = ['window', 'advance', 'gap', 'top', 'grace', 'input', 'output'] as const

/**
 * The target of `run`/`describe` from the positional and the flags: a seed job (built with its
 * flags) or a module (loaded, see topology-module.ts). Usage errors are thrown before a module is
 * imported.
 */
export async function runTarget(
  command: 'run' | 'describe',
  values: Record<string, unknown>,
  positionals: readonly string[],
): Promise<RunTarget> {
  const known = `one of ${JOB_NAMES.join(', ')}, or a module path (./pipeline.ts)`
  if (positionals.length !== 1) {
    throw new FreshetError(
      'INVALID_OPTION',
      positionals.length === 0
        ? `give a job or a module: freshet ${command} <job|module>, ${known}`
        : `give one job or module, got ${positionals.length}: ${positionals.join(' ')}`,
      { details: { option: 'job', allowed: JOB_NAMES } },
    )
  }
  const name = positionals[0] as string
  const applicationIdFlag = stringFlag(values, 'application-id')
  if (isJobName(name)) {
    for (const flag of ['export', 'param'] as const) {
      if (values[flag] !== undefined) {
        throw new FreshetError(
          'INVALID_OPTION',
          `--${flag} applies to modules, not to the seed job ${name}`,
          {
            details: { option: flag },
          },
        )
      }
    }
    const jobOptions: Record<string, unknown> = jobOptionFlags(name, values)
    const graceMs = durationFlag('grace', values.grace)
    if (graceMs !== undefined) jobOptions.graceMs = graceMs
    const inputTopic = stringFlag(values, 'input') ?? DEFAULT_INPUT_TOPIC
    const topology = buildJob(name, {
      ...jobOptions,
      applicationId: applicationIdFlag ?? JOBS[name].defaults.applicationId,
      inputTopic,
      outputTopic: stringFlag(values, 'output') ?? DEFAULT_OUTPUT_TOPIC,
    } as JobOptions)
    return { label: name, topology, lagTopic: inputTopic }
  }
  if (values.set !== undefined && !isSqlFile(name)) {
    throw new FreshetError('INVALID_OPTION', '--set applies to .sql files', { details: { option: 'set' } })
  }
  if (isSqlFile(name)) return sqlTarget(values, name, applicationIdFlag)
  if (!isModulePath(name)) {
    throw new FreshetError('INVALID_OPTION', `unknown job ${JSON.stringify(name)}; give ${known}`, {
      details: { option: 'job', allowed: JOB_NAMES },
    })
  }
  for (const flag of SEED_JOB_FLAGS) {
    if (values[flag] !== undefined) {
      throw new FreshetError(
        'INVALID_OPTION',
        `--${flag} applies to the seed jobs; a module names its own topics and takes its settings as ` +
          `--param ${flag}=VALUE (context.params in its topology function)`,
        { details: { option: flag } },
      )
    }
  }
  const { topology } = await loadTopology(name, {
    exportName: stringFlag(values, 'export'),
    context: { applicationId: applicationIdFlag, params: parseParams((values.param as string[]) ?? []) },
  })
  const sources = topology.description.topics.sources
  return { label: name, topology, lagTopic: sources.length === 1 ? sources[0] : undefined }
}

/** A .sql file, planned onto one pipeline (src/sql): seed-job and module flags do not apply. */
async function sqlTarget(
  values: Record<string, unknown>,
  file: string,
  applicationId: string | undefined,
): Promise<RunTarget> {
  for (const flag of [...SEED_JOB_FLAGS, 'export', 'param', 'max-out-of-orderness', 'bounded'] as const) {
    if (values[flag] !== undefined) {
      throw new FreshetError(
        'INVALID_OPTION',
        `--${flag} does not apply to a .sql file: its tables name their topics and say whether ` +
          "they are bounded ('scan.bounded.mode'), its WATERMARK the out-of-orderness, and " +
          "--set 'key=value' sets session properties",
        { details: { option: flag } },
      )
    }
  }
  const planned = await planSqlFile(file, {
    applicationId,
    properties: parseSetFlags((values.set as string[] | undefined) ?? []),
  })
  const sources = planned.topology.description.topics.sources
  return {
    label: file,
    topology: planned.topology,
    lagTopic: sources.length === 1 ? sources[0] : undefined,
    sql: planned,
  }
}

/** `--set key=value` flags as session properties. */
export function parseSetFlags(entries: readonly string[]): Record<string, string> {
  const properties: Record<string, string> = {}
  for (const entry of entries) {
    const eq = entry.indexOf('=')
    if (eq <= 0) {
      throw new FreshetError('INVALID_OPTION', `--set must be key=value, got ${entry}`, {
        details: { option: 'set' },
      })
    }
    properties[entry.slice(0, eq).trim()] = entry.slice(eq + 1).trim()
  }
  return properties
}

/**
 * The endpoint a worker advertises by default: the metrics server's own address, or this host's
 * name with its port when it listens on every interface (a wildcard address reaches no one).
 */
function defaultEndpoint(url: string): string {
  const { hostname: host, port } = new URL(url)
  const wildcard = host === '0.0.0.0' || host === '[::]'
  return endpointCheck('freshet run', '--advertised-url', `${wildcard ? hostname() : host}:${port}`)
}

export async function runCommand(argv: string[]): Promise<number> {
  // Step 1
  const { values, positionals } = parse(argv, RUN_OPTIONS, true)
  if (values.help) return (console.log(runHelp), 0)
  const c = common(values)
  const workerId = stringFlag(values, 'worker-id')
  const format = choiceFlag<SerdeFormat>('format', values.format, SERDE_FORMATS, 'avro')
  const guarantee = choiceFlag('guarantee', values.guarantee, GUARANTEES, 'exactly-once')
  const onBadRecord = choiceFlag<BadRecordPolicy>(
    'on-bad-record',
    values['on-bad-record'],
    BAD_RECORD_POLICIES,
    'dlq',
  )
  const commitIntervalMs =
    positiveDurationFlag('commit-interval', values['commit-interval']) ?? DEFAULT_COMMIT_INTERVAL_MS
  const statsIntervalMs =
    positiveDurationFlag('stats-interval', values['stats-interval']) ?? DEFAULT_STATS_INTERVAL_MS
  const maxOutOfOrdernessMs = durationFlag('max-out-of-orderness', values['max-out-of-orderness'])
  const idleTimeoutMs =
    values['idle-timeout'] === 'never'
      ? Infinity
      : positiveDurationFlag('idle-timeout', values['idle-timeout'])
  const outageTimeoutMs =
    values['outage-timeout'] === 'never'
      ? Infinity
      : positiveDurationFlag('outage-timeout', values['outage-timeout'])
  const advertisedUrl = stringFlag(values, 'advertised-url')
  const flagEndpoint =
    advertisedUrl === undefined ? undefined : endpointOfUrl('freshet run', '--advertised-url', advertisedUrl)
  const log = logger('run', values)
  const stateDir = join(c.stack.stateDir, 'state')

  // Step 2
  const { label: job, topology, lagTopic, sql } = await runTarget('run', values, positionals)
  const boundedTopics =
    sql?.boundedTopics ??
    (values.bounded === true
      ? topology
          .sources()
          .filter((s) => s.kind === 'stream')
          .map((s) => s.topic)
      : [])
  const brokers = sql?.bootstrapServers === undefined ? c.brokers : parseBrokers(sql.bootstrapServers)
  const applicationId = topology.applicationId
  const dlqTopic = `${applicationId}.dlq`
  const inputTopic = topology.description.topics.sources.join(',')
  const outputTopic = topology.description.topics.sinks.join(',')
  const registry = format === 'avro' ? new RegistryClient({ url: c.registryUrl }) : undefined

  const totals = new RunTotals(topology)
  /** One report: a JSON line on stdout with --json, else a log record (stderr) with the same fields. */
  const report = (json: Record<string, unknown>, text: () => string): void => {
    if (c.json) console.log(JSON.stringify(json))
    else log.info(json, text())
  }
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`
  const restorePrintedMs = new Map<string, number>()
  let started = false
  let finished = false

  const onEvent = (event: WorkerEvent): void => {
    switch (event.type) {
      case 'started':
        started = true
        report(
          { ...event },
          () =>
            `worker ${event.workerId} running` +
            (event.transactionalId === null ? '' : ` (transactional id ${event.transactionalId})`),
        )
        return
      case 'restore': {
        // A store with nothing to replay is not worth a line: 'assigned' follows every restore.
        if (event.totalRecords === 0) return
        const id = `${event.task}/${event.store}`
        const nowMs = Date.now()
        const printedMs = restorePrintedMs.get(id)
        if (!event.done && printedMs !== undefined && nowMs - printedMs < RESTORE_PROGRESS_INTERVAL_MS) return
        if (event.done) restorePrintedMs.delete(id)
        else restorePrintedMs.set(id, nowMs)
        report(
          { ...event },
          () =>
            `${event.done ? 'restored' : 'restoring'} task ${event.task} store ${event.store}: ` +
            `${event.restoredRecords}/${event.totalRecords} changelog records`,
        )
        return
      }
      case 'assigned':
        report(
          { ...event },
          () =>
            `assigned ${plural(event.tasks.length, 'task')} (generation ${event.generationId}): ` +
            `${event.tasks.join(' ') || '-'}`,
        )
        return
      case 'revoked':
        totals.retire()
        report(
          { ...event },
          () => `revoked ${plural(event.tasks.length, 'task')}: ${event.tasks.join(' ') || '-'}`,
        )
        return
      case 'committed':
        // Emitted under the worker's lock right after the commit: the counters are committed figures.
        totals.committed(worker.status().tasks)
        return
      case 'aborted':
        totals.retire()
        report(
          { ...event },
          () => `aborted the open commit (${event.reason}); the tasks start again from the last commit`,
        )
        return
      case 'bad-records':
        if (c.json) console.log(JSON.stringify(event))
        else
          log.warn(
            { ...event },
            `${event.count} record${event.count === 1 ? '' : 's'} ${event.outcome} (${event.code}); ` +
              `latest ${event.topic}/${event.partition}@${event.offset}: ${event.reason}`,
          )
        return
      case 'waiting':
        if (c.json) console.log(JSON.stringify(event))
        else
          log.warn(
            { ...event },
            `waiting for ${event.for === 'kafka' ? 'Kafka' : 'the registry'} (${event.reason}); ` +
              'the worker carries on by itself once it answers',
          )
        return
      case 'resumed':
        report(
          { ...event },
          () =>
            `${event.for === 'kafka' ? 'Kafka' : 'the registry'} answers again after ${(event.waitedMs / 1000).toFixed(1)} s; carrying on`,
        )
        return
      case 'beyond-retention':
        if (c.json) console.log(JSON.stringify(event))
        else
          log.warn(
            { ...event },
            `results written to ${event.topic} carry event times older than its retention ` +
              `(${formatDuration(event.retentionMs)}; the first at ${new Date(event.timestampMs).toISOString()}): ` +
              'the broker deletes them at its next retention check. For reprocessing old data, write ' +
              "the sink with recordTimestamp: 'processing-time' or raise the topic's retention.ms",
          )
        return
      case 'generator-retry':
        if (c.json) console.log(JSON.stringify(event))
        else log.warn({ ...event }, `generating ${event.topic} failed (${event.reason}); trying again`)
        return
      case 'finished':
        finished = true
        report(
          { ...event },
          () =>
            `bounded input read to its end: every window closed and committed (${plural(event.tasks.length, 'task')}); stopping`,
        )
        return
      case 'stopped':
        return
    }
  }

  const figures = (status: WorkerStatus) => ({
    ...totals.totals(),
    commits: totals.commits,
    aborts: status.aborts,
    rebalances: status.rebalances,
  })
  const figuresText = (f: ReturnType<typeof figures>): string =>
    `in ${f.recordsIn}  out ${f.recordsOut}  dead-lettered ${f.deadLettered}  late ${f.late}  ` +
    `skipped ${f.skipped}  commits ${f.commits}  aborts ${f.aborts}  rebalances ${f.rebalances}`

  const printStats = (status: WorkerStatus): void => {
    const f = figures(status)
    report(
      {
        type: 'stats',
        ...f,
        tasks: status.tasks.map((task) => ({
          id: task.id,
          // JSON has no -Infinity: a task without a watermark yet has null.
          watermarkMs: Number.isFinite(task.watermarkMs) ? task.watermarkMs : null,
          recordsIn: task.recordsIn,
          recordsOut: task.recordsOut,
          recordsDeadLettered: task.recordsDeadLettered,
          recordsLate: task.recordsLate,
          recordsSkipped: task.recordsSkipped,
        })),
      },
      () => `stats: ${figuresText(f)}\n  ${formatWatermarks(status.tasks)}`,
    )
  }

  const startedMs = Date.now()
  /** On stdout in both modes: it is what the run produced. */
  const printSummary = (status: WorkerStatus, error?: FreshetError): void => {
    const f = figures(status)
    const elapsedMs = Date.now() - startedMs
    if (c.json) {
      console.log(
        JSON.stringify({
          type: 'summary',
          job,
          workerId: status.workerId,
          applicationId,
          state: status.state,
          elapsedMs,
          ...f,
          ...(error === undefined ? {} : { error: { code: error.code, message: error.message } }),
        }),
      )
    } else {
      console.log(
        `freshet run ${job}: worker ${status.workerId} ${error === undefined ? 'stopped' : 'failed'} after ` +
          `${(elapsedMs / 1000).toFixed(1)}s: ${figuresText(f)}`,
      )
    }
  }

  const fail = (error: unknown, where: string): number => {
    const failure = toFreshetError(error, 'KAFKA_ERROR', where)
    if (started) printSummary(worker.status(), failure)
    log.error({ code: failure.code }, `freshet run: error ${describeError(failure)}`)
    return failure.code === 'FRESHET_INVALID_OPTION' ? 2 : 1
  }

  // Step 3
  const options: WorkerOptions = {
    bootstrapBrokers: brokers,
    topology,
    processingGuarantee: guarantee,
    commitIntervalMs,
    stateDir,
    onBadRecord,
    dlqTopic,
    format,
    ...(registry === undefined ? {} : { registry }),
    ...(workerId === undefined ? {} : { workerId }),
    ...(maxOutOfOrdernessMs === undefined ? {} : { maxOutOfOrdernessMs }),
    ...(sql === undefined ? {} : sqlWorkerOptions(sql)),
    ...(boundedTopics.length === 0 ? {} : { boundedTopics }),
    ...(idleTimeoutMs === undefined ? {} : { idleTimeoutMs }),
    ...(outageTimeoutMs === undefined ? {} : { outageTimeoutMs }),
    onEvent: (event) => {
      observeMetrics(event)
      onEvent(event)
    },
  }
  const admin = new KafkaAdmin({ bootstrapBrokers: brokers })
  const registryOfMetrics = processRegistry('run')
  const observeMetrics = new WorkerMetrics({ registry: registryOfMetrics }).add({
    application: applicationId,
    status: () => worker.status(),
    lag: () => admin.groupLag(applicationId, lagTopic),
  })
  // The handlers reach the worker only once it exists: it is made, with the endpoint the started
  // server gives, without an await in between, so no request is handled before.
  const queryable: Queryable = {
    get workerId() {
      return worker.workerId
    },
    query: (...args) => worker.query(...args),
    queryRange: (...args) => worker.queryRange(...args),
    storesMetadata: () => worker.storesMetadata(),
  }
  const server = metricsServer(
    values,
    registryOfMetrics,
    () => {
      const reason = notReadyReason(worker.status())
      return reason === undefined ? { ready: true } : { ready: false, reason: `worker ${reason}` }
    },
    [storeRoutes(queryable)],
  )
  let url: string
  try {
    url = await server.start()
  } catch (error) {
    await admin.close()
    return fail(error, 'serve metrics')
  }
  let worker: Worker
  try {
    // The callbacks above use it only once it runs: the constructor reports nothing.
    worker = new Worker({ ...options, advertisedEndpoint: flagEndpoint ?? defaultEndpoint(url) })
  } catch (error) {
    await closeAll(
      () => server.close(),
      () => admin.close().catch(() => {}),
    )
    throw error
  }
  report(
    { type: 'metrics', url: `${url}/metrics`, storesUrl: `${url}/stores` },
    () => `metrics at ${url}/metrics (health: /health, /ready; store queries: /stores)`,
  )
  const closeMetrics = (): Promise<void> =>
    closeAll(
      () => server.close(),
      () => admin.close().catch(() => {}),
    )
  const signal = shutdownSignal((name) =>
    log.info(`${name}: stopping the worker (final commit, leaving the group)`),
  )
  report(
    {
      type: 'starting',
      job,
      workerId: worker.workerId,
      applicationId,
      inputTopic,
      outputTopic,
      dlqTopic,
      stateDir,
      format,
      guarantee,
    },
    () =>
      `freshet run ${job}: starting worker ${worker.workerId} in group ${applicationId} (${guarantee}); ` +
      `${inputTopic} -> ${outputTopic} (${format}), dead letters to ${dlqTopic}, state in ${stateDir}`,
  )
  try {
    await worker.start()
  } catch (error) {
    await closeMetrics()
    return fail(error, `worker ${worker.workerId} failed to start`)
  }

  // Step 4
  const timer = setInterval(() => printStats(worker.status()), statsIntervalMs)
  try {
    const stopRequested = new Promise<'signal'>((resolve) => {
      if (signal.aborted) resolve('signal')
      else signal.addEventListener('abort', () => resolve('signal'), { once: true })
    })
    const ended = await Promise.race([stopRequested, worker.done.then(() => 'ended' as const)])
    // Step 5
    await worker.stop()
    if (ended === 'ended' && !finished) {
      // Only a consumer closed under the worker ends its loop without a signal or an error.
      return fail(
        new FreshetError('KAFKA_ERROR', `worker ${worker.workerId} stopped on its own: its consumer closed`),
        'worker stopped',
      )
    }
    printSummary(worker.status())
    return 0
  } catch (error) {
    return fail(error, `worker ${worker.workerId} failed`)
  } finally {
    clearInterval(timer)
    await closeMetrics()
  }
}
