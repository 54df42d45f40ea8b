/**
 * One worker of the integrity suite in a process of its own, so that the suite can kill it with
 * SIGKILL. Configuration comes as JSON in argv[2]; every worker event is printed as a JSON line.
 * SIGTERM stops it cleanly. It exits by itself when its parent is gone, so no worker outlives
 * the suite.
 */
import { RegistryClient } from '../../src/registry/index.ts'
import { Worker, type WorkerOptions } from '../../src/runtime/index.ts'
import { createDeserializer } from '../../src/serde/index.ts'
import type { WorkerConfig } from './harness.ts'
import { integritySql, integrityTopology } from './topology.ts'
import { planSql } from '../../src/sql/index.ts'

const config = JSON.parse(process.argv[2] as string) as WorkerConfig
const print = (line: object): void => void process.stdout.write(`${JSON.stringify(line)}\n`)

const sql =
  config.sql === true
    ? await planSql(
        integritySql(config.applicationId, config.input, config.output, config.bootstrap),
        'integrity.sql',
      )
    : undefined

const options: WorkerOptions = {
  bootstrapBrokers: [config.bootstrap],
  topology: sql?.topology ?? integrityTopology(config.applicationId, config.input, config.output),
  ...(sql === undefined ? {} : { deserializers: { ...sql.deserializers } }),
  workerId: config.workerId,
  processingGuarantee: config.guarantee,
  maxOutOfOrdernessMs: 0,
  idleTimeoutMs: 600_000,
  sessionTimeoutMs: config.sessionTimeoutMs ?? 6_000,
  heartbeatIntervalMs: 500,
  rebalanceTimeoutMs: Math.max(20_000, config.sessionTimeoutMs ?? 0),
  // The clients' retries and request timeout are left at their defaults, as users run them: an
  // outage longer than those is the worker's to wait out.
  onEvent: (event) => {
    if (event.type !== 'committed') print(event)
  },
  ...(config.stateDir === undefined ? {} : { stateDir: config.stateDir }),
  ...(config.commitIntervalMs === undefined ? {} : { commitIntervalMs: config.commitIntervalMs }),
  ...(config.maxBatchRecords === undefined ? {} : { maxBatchRecords: config.maxBatchRecords }),
  // A worker the suite restarts may start in the middle of the next fault: it waits as long as the
  // running ones do.
  ...(config.outageTimeoutMs === undefined
    ? {}
    : { outageTimeoutMs: config.outageTimeoutMs, startTimeoutMs: config.outageTimeoutMs }),
  ...(config.registryUrl === undefined
    ? {}
    : {
        deserializers: {
          [config.input]: createDeserializer({
            format: 'avro',
            registry: new RegistryClient({ url: config.registryUrl }),
          }),
        },
      }),
}

const worker = new Worker(options)
const parent = process.ppid
const orphanCheck = setInterval(() => {
  try {
    process.kill(parent, 0)
  } catch {
    process.exit(3)
  }
}, 500)

process.on('SIGTERM', () => {
  worker
    .stop()
    .then(() => {
      clearInterval(orphanCheck)
      print({ type: 'exit', code: 0 })
      process.exit(0)
    })
    .catch((error: unknown) => {
      print({ type: 'failed', error: String(error) })
      process.exit(1)
    })
})

/** The messages of an error's causes and aggregated errors, depth first, for the log. */
function causes(error: unknown, depth = 0): string[] {
  if (depth > 6 || !(error instanceof Error)) return []
  const inner = [
    ...(error instanceof AggregateError ? error.errors : []),
    ...(error.cause === undefined ? [] : [error.cause]),
  ]
  return inner.flatMap((e: unknown) => [
    e instanceof Error ? `${(e as { apiId?: string }).apiId ?? e.name}: ${e.message}` : String(e),
    ...causes(e, depth + 1),
  ])
}

try {
  await worker.start()
  await worker.done
} catch (error) {
  const e = error as { code?: string; message?: string }
  print({ type: 'failed', code: e.code, error: e.message ?? String(error), causes: causes(error) })
  process.exit(1)
}
