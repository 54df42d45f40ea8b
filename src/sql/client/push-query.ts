/**
 * Runs the client's SELECT (a push query, as ksqlDB calls it) on a worker in this process, until
 * the caller stops it or its bounded inputs end, then removes what it left on the cluster.
 *
 *   1. A worker under the query's own application id (one per query, so queries share no offsets
 *      or state), at-least-once: a query writes nothing to Kafka but its internal topics, and
 *      needs no transactions. State lives in a temporary directory.
 *   2. Run until `signal` aborts, the bounded inputs end (`finished`) or the worker fails.
 *   3. Stop it, then delete its consumer group, its repartition, changelog and dead-letter topics,
 *      and its state directory, as Kafka Streams' reset tool does for an application.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FreshetError } from '../../errors/index.ts'
import { KafkaAdmin, parseBrokers } from '../../kafka/index.ts'
import { Worker, type WorkerEvent } from '../../runtime/index.ts'
import { sqlWorkerOptions } from '../job.ts'
import type { PlannedScript } from '../plan/planner.ts'

export interface PushQueryOptions {
  /** The cluster, when the query's tables name none (`properties.bootstrap.servers`). */
  readonly bootstrapBrokers: readonly string[]
  /** Stops the query (Ctrl-C). */
  readonly signal: AbortSignal
  /** Worker events worth telling the user (bad records, waiting for Kafka). */
  readonly onEvent?: ((event: WorkerEvent) => void) | undefined
}

export type PushQueryEnd = 'stopped' | 'finished'

export async function runPushQuery(planned: PlannedScript, options: PushQueryOptions): Promise<PushQueryEnd> {
  // 1.
  const brokers =
    planned.bootstrapServers === undefined
      ? [...options.bootstrapBrokers]
      : parseBrokers(planned.bootstrapServers)
  const applicationId = planned.topology.applicationId
  const dlqTopic = `${applicationId}.dlq`
  const stateDir = await mkdtemp(join(tmpdir(), 'freshet-sql-query-'))
  let finished = false
  const worker = new Worker({
    bootstrapBrokers: brokers,
    topology: planned.topology,
    processingGuarantee: 'at-least-once',
    stateDir,
    onBadRecord: 'skip',
    dlqTopic,
    ...sqlWorkerOptions(planned),
    onEvent: (event) => {
      if (event.type === 'finished') finished = true
      options.onEvent?.(event)
    },
  })
  try {
    // 2.
    const stopped = new Promise<void>((resolve) => {
      if (options.signal.aborted) resolve()
      else options.signal.addEventListener('abort', () => resolve(), { once: true })
    })
    const started = worker.start()
    const ended = await Promise.race([
      stopped.then(() => 'signal' as const),
      started.then(() => 'started' as const),
    ])
    if (ended === 'started') await Promise.race([stopped, worker.done])
    else started.catch(() => {})
    // 3.
    await worker.stop()
    if (!finished && !options.signal.aborted) {
      throw new FreshetError('KAFKA_ERROR', 'the query stopped on its own: its consumer closed')
    }
    return finished ? 'finished' : 'stopped'
  } finally {
    await cleanUp(brokers, applicationId, [
      ...planned.topology.description.topics.repartition,
      ...planned.topology.description.topics.changelog,
      ...planned.generators.map((g) => g.topic),
      dlqTopic,
    ])
    await rm(stateDir, { recursive: true, force: true })
  }
}

async function cleanUp(brokers: string[], group: string, topics: string[]): Promise<void> {
  const admin = new KafkaAdmin({ bootstrapBrokers: brokers })
  try {
    const existing = new Set(await admin.listTopics())
    await admin.deleteTopics(topics.filter((t) => existing.has(t)))
    await admin.deleteGroups([group])
  } catch {
    // Best effort: the cluster may be gone; what is left is named after the query's application id.
  } finally {
    await admin.close().catch(() => {})
  }
}
