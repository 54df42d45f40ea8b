/**
 * `freshet registry`, as numbered steps:
 *   1. Parse and check every flag (a usage error exits 2 before anything connects).
 *   2. Serve the metrics (requests by route, schemas and subjects held): live at once, ready while
 *      the registry reaches the end of its topic (not before it has read it, nor while it waits for
 *      Kafka).
 *   3. Start the registry: it reads its topic to the end before it answers. If Kafka goes away
 *      later it logs once that it waits, serves what it holds, and logs once when it is back.
 *   4. Run until SIGINT/SIGTERM, then stop the API, the metrics and the Kafka clients. A signal
 *      before the registry answers ends the process at once (the default), as nothing is written yet.
 */
import { processRegistry, RegistryMetrics } from '../../metrics/index.ts'
import { startRegistry, type RunningRegistry } from '../../registry/index.ts'
import { COMMON_HELP, common, intFlag, logger, LOG_HELP, LOG_OPTIONS, parse } from '../args.ts'
import { METRICS_HELP, METRICS_OPTIONS, metricsServer } from '../metrics.ts'
import { closeAll, shutdownSignal } from '../signals.ts'

export const registryHelp = `freshet registry: run the Confluent-compatible schema registry in the foreground.
Its state lives in the compacted Kafka topic _schemas; any number of instances may share it.

  --port N       HTTP port (default: --registry-port, 8081)
  --topic NAME   the registry's topic (default _schemas)
${METRICS_HELP}
${LOG_HELP}

${COMMON_HELP}`

export async function registryCommand(argv: string[]): Promise<number> {
  // Step 1
  const { values } = parse(argv, {
    port: { type: 'string' },
    topic: { type: 'string' },
    ...METRICS_OPTIONS,
    ...LOG_OPTIONS,
  })
  if (values.help) return (console.log(registryHelp), 0)
  const c = common(values)
  const port = intFlag('port', values.port, 0) ?? c.stack.registryPort
  const log = logger('registry', values)
  const metricsRegistry = processRegistry('registry')
  let running: RunningRegistry | undefined
  const metrics = new RegistryMetrics({
    registry: metricsRegistry,
    // Nothing before the topic is read: a 0 there would look like the subjects were lost.
    status: () => running?.status(),
  })
  const server = metricsServer(values, metricsRegistry, metrics.readiness)
  try {
    // Step 2
    const url = await server.start()
    log.info({ url: `${url}/metrics` }, `metrics at ${url}/metrics (health: /health, /ready)`)

    // Step 3
    running = await startRegistry({
      bootstrapBrokers: c.brokers,
      host: c.stack.host,
      port,
      onRequest: metrics.observe,
      onError: (message, error) => log.error({ err: error }, message),
      onAvailabilityChange: (change) => {
        if (change.state === 'WAITING_FOR_KAFKA') {
          log.warn(
            { state: change.state, sinceMs: change.sinceMs, err: change.cause },
            `waiting for Kafka: ${change.reason}; serving the schemas it holds, refusing writes, retrying until Kafka is back`,
          )
        } else {
          log.info(
            { state: change.state, waitedMs: change.waitedMs },
            `Kafka is back after ${change.waitedMs} ms; serving`,
          )
        }
      },
      ...(values.topic ? { topic: values.topic as string } : {}),
    })
    log.info({ url: running.url }, `listening on ${running.url} (Kafka ${c.brokers.join(',')})`)

    // Step 4: until then a signal ends the process at once, as nothing is written during the start.
    const signal = shutdownSignal((name) => log.info(`${name}: stopping`))
    await new Promise<void>((resolve) => {
      if (signal.aborted) resolve()
      else signal.addEventListener('abort', () => resolve(), { once: true })
    })
    return 0
  } finally {
    await closeAll(
      () => running?.close(),
      () => server.close(),
    )
    log.info('stopped')
  }
}
