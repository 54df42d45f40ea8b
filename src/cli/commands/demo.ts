/**
 * `freshet demo`: the seed system end to end in one command.
 *
 *   1. Parse the flags (a usage error exits 2 before anything starts).
 *   2. Start the local stack, or find it running; remember what this command started.
 *   3. Start the demo (src/demo): topics, metrics, the four job workers, the dashboard, the
 *      producer. Print where the dashboard and the metrics are.
 *   4. Log progress until SIGINT/SIGTERM or a failure of a worker or the producer.
 *   5. Stop the demo, then the services this command started, and say so.
 */
import { Demo, DEMO_JOB_OPTIONS } from '../../demo/index.ts'
import { DEFAULT_DASHBOARD_PORT } from '../../dashboard/index.ts'
import { FreshetError, toFreshetError } from '../../errors/index.ts'
import { JOB_NAMES } from '../../jobs/index.ts'
import { down, status, up } from '../../stack/index.ts'
import { COMMON_HELP, common, intFlag, logger, LOG_HELP, LOG_OPTIONS, parse } from '../args.ts'
import { METRICS_HELP, METRICS_OPTIONS } from '../metrics.ts'
import { shutdownSignal } from '../signals.ts'

const PROGRESS_INTERVAL_MS = 10_000

export const demoHelp = `freshet demo: the seed system end to end. Starts Kafka and the registry (or finds them
running), creates the topics, produces realistic events at a steady rate, runs the four jobs
(${JOB_NAMES.join(', ')}) as workers, and serves the live dashboard and the Prometheus metrics.
Ctrl-C stops everything it started. Watch the results from another terminal with
freshet consume --topic event-analytics --print.

The jobs run with short windows so the dashboard fills within a minute: event-counts and top-users
every ${DEMO_JOB_OPTIONS['event-counts'].windowMs! / 1_000}s, revenue over ${DEMO_JOB_OPTIONS.revenue.windowMs! / 1_000}s every ${DEMO_JOB_OPTIONS.revenue.advanceMs! / 1_000}s, sessions ending after ${DEMO_JOB_OPTIONS.sessions.gapMs! / 1_000}s without an event.

  --rate R               events per second (default 1000)
  --sql FILE.sql         also run a Flink SQL file as a job, shown on the dashboard under its
                         application id (repeatable; e.g. sql/funnel.sql)
  --dashboard-port P     default ${DEFAULT_DASHBOARD_PORT}; 0 picks a free port
  --dashboard-host H     default 127.0.0.1
${METRICS_HELP}
${LOG_HELP}

${COMMON_HELP}`

export async function demoCommand(argv: string[]): Promise<number> {
  // Step 1
  const { values } = parse(argv, {
    rate: { type: 'string' },
    sql: { type: 'string', multiple: true },
    'dashboard-port': { type: 'string' },
    'dashboard-host': { type: 'string' },
    ...METRICS_OPTIONS,
    ...LOG_OPTIONS,
  })
  if (values.help) return (console.log(demoHelp), 0)
  const c = common(values)
  const ratePerSec = values.rate === undefined ? 1_000 : Number(values.rate)
  if (!(ratePerSec > 0))
    throw new FreshetError('INVALID_OPTION', `--rate must be > 0, got ${JSON.stringify(values.rate)}`)
  const dashboardPort = intFlag('dashboard-port', values['dashboard-port'], 0) ?? DEFAULT_DASHBOARD_PORT
  const metricsPort = intFlag('metrics-port', values['metrics-port'], 0) ?? 0
  const log = logger('demo', values)

  // Step 2
  const before = await status(c.stack)
  const signal = shutdownSignal((name) => log.info(`${name}: stopping the demo`))
  let startedHere: Array<'kafka' | 'registry'> = []
  let demo: Demo | undefined
  let progress: NodeJS.Timeout | undefined
  try {
    log.info('starting the local stack')
    const services = await up(c.stack, (line) => log.info(line))
    startedHere = services
      .filter((s) => s.managed && !before.find((b) => b.name === s.name)?.up)
      .map((s) => s.name)
    const kafka = services.find((s) => s.name === 'kafka')!
    const registry = services.find((s) => s.name === 'registry')!

    // Step 3
    demo = new Demo({
      bootstrapBrokers: [kafka.address],
      registryUrl: registry.address,
      stateDir: c.stack.stateDir,
      ratePerSec,
      sql: (values.sql as unknown as string[] | undefined) ?? [],
      dashboardPort,
      metricsPort,
      ...(values['dashboard-host'] === undefined
        ? {}
        : { dashboardHost: values['dashboard-host'] as string }),
      ...(values['metrics-host'] === undefined ? {} : { metricsHost: values['metrics-host'] as string }),
      onEvent: (job, event) => {
        if (event.type === 'assigned') log.info({ job, tasks: event.tasks.length }, 'tasks assigned')
        else if (event.type === 'revoked') log.info({ job, tasks: event.tasks.length }, 'tasks revoked')
        else if (event.type === 'aborted')
          log.warn({ job, reason: event.reason, code: event.code }, 'aborted the open transaction')
        else if (event.type === 'bad-records')
          log.warn({ job, ...event }, `${event.count} records ${event.outcome} (${event.code})`)
        else if (event.type === 'waiting')
          log.warn(
            { job, for: event.for, reason: event.reason, code: event.code },
            `waiting for ${event.for}`,
          )
        else if (event.type === 'resumed')
          log.info(
            { job, for: event.for, waitedMs: event.waitedMs },
            `${event.for} answers again; carrying on`,
          )
        else if (event.type === 'restore' && event.done && event.totalRecords > 0)
          log.info({ job, task: event.task, store: event.store, records: event.totalRecords }, 'restored')
      },
    })
    log.info({ rate: ratePerSec }, 'starting the producer, the four jobs and the dashboard')
    if (signal.aborted) return 0
    await demo.start()
    console.log(
      [
        '',
        'freshet demo is running',
        `  dashboard  ${demo.dashboardUrl}`,
        `  metrics    ${demo.metricsUrl}`,
        `  producing  ${ratePerSec} events/s to user-events`,
        `  jobs       ${JOB_NAMES.join(', ')} -> event-analytics (dead letters: freshet-demo-<job>.dlq)`,
        ...demo.jobs
          .filter(({ job }) => !(JOB_NAMES as readonly string[]).includes(job))
          .map(({ job }) => `  sql job    ${job} (dead letters: ${job}.dlq)`),
        '  results    freshet consume --topic event-analytics --print',
        'Ctrl-C stops everything the demo started.',
        '',
      ].join('\n'),
    )

    // Step 4
    const running = demo
    progress = setInterval(() => {
      const jobs = Object.fromEntries(
        running.jobs.map(({ job, worker }) => {
          const s = worker.status()
          const read = s.topics.find((t) => t.topic === 'user-events')?.recordsIn ?? 0
          return [
            job,
            { state: s.state, read, deadLetters: s.totals.recordsDeadLettered + s.totals.recordsLate },
          ]
        }),
      )
      log.info(
        {
          produced: running.produced?.sent ?? 0,
          ratePerSec: Math.round(running.produced?.ratePerSec ?? 0),
          jobs,
        },
        'progress',
      )
    }, PROGRESS_INTERVAL_MS)
    const stopped = new Promise<'signal'>((resolve) => {
      if (signal.aborted) resolve('signal')
      else signal.addEventListener('abort', () => resolve('signal'), { once: true })
    })
    const ended = await Promise.race([stopped, demo.failure])
    if (ended !== 'signal') {
      log.error({ code: ended.code }, `the demo failed: ${ended.message}`)
      return 1
    }
    return 0
  } catch (error) {
    const failure = toFreshetError(error, 'KAFKA_ERROR', 'demo')
    log.error({ code: failure.code }, `the demo failed: ${failure.message}`)
    return failure.code === 'FRESHET_INVALID_OPTION' ? 2 : 1
  } finally {
    // Step 5
    clearInterval(progress)
    if (demo !== undefined) {
      log.info('stopping the producer, the jobs (final commit) and the dashboard')
      await demo.stop()
    }
    if (startedHere.length > 0) {
      log.info(`stopping what the demo started: ${startedHere.join(', ')}`)
      await down(c.stack, () => {}, startedHere)
    }
    log.info('the demo stopped')
  }
}
