/**
 * The stack a benchmark measures against: one Kafka broker on free ports in a temporary directory
 * and an in-process schema registry over it.
 *
 * Nothing may outlive a run, however it ends:
 *   1. A detached watchdog stops the broker (and any peer process registered later) if this
 *      process dies without cleaning up, e.g. on SIGKILL.
 *   2. SIGINT and SIGTERM run the same teardown as a normal exit, then exit with 128 + signal.
 *   3. `stop()` closes the registry, runs the teardowns registered with `onStop()` (a peer that
 *      owns several processes, such as a Flink cluster), stops the adopted processes and the
 *      broker and deletes the directory; it runs once.
 *   4. The watchdog cannot delete the directory of a run killed with SIGKILL, so every run first
 *      deletes the directories of earlier runs whose owner process is gone.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { KafkaAdmin } from '../../src/kafka/index.ts'
import { RegistryClient, startRegistry, type RunningRegistry } from '../../src/registry/index.ts'
import { EventProducer, type EventProducerOptions, type ProduceSummary } from '../../src/producer/index.ts'
import { startBroker, type RunningBroker } from '../../src/stack/broker.ts'
import { freePort, isAlive, stopProcess, watchOwner } from '../../src/stack/processes.ts'

export interface BenchCluster {
  bootstrap: string
  /** Temporary directory of the run: broker data and logs, peer logs. */
  dir: string
  brokerPid: number
  registry: RegistryClient
  registryUrl: string
  /** Creates a topic with one replica and waits until it is usable. */
  createTopic(topic: string, partitions: number): Promise<void>
  /** Deletes a measured topic so that runs do not fill the disk. */
  deleteTopic(topic: string): Promise<void>
  /**
   * Puts a child process under the same watchdog and teardown as the broker; call the returned
   * function once it has exited.
   */
  adopt(pid: number): Promise<() => void>
  /**
   * Runs `teardown` when the cluster stops (a normal end or a signal), before the adopted
   * processes and the broker; call the returned function once it is no longer needed.
   */
  onStop(teardown: () => Promise<void>): () => void
  stop(): Promise<void>
}

export interface ClusterOptions {
  heapMb?: number
  /** Keep the broker directory after the run (for reading its logs). */
  keepDir?: boolean
  log?: (line: string) => void
}

const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143 } as const
const DIR_PREFIX = 'freshet-bench-'
const OWNER_FILE = 'owner.pid'

// Step 4
function removeOrphanedDirs(log: (line: string) => void): void {
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith(DIR_PREFIX)) continue
    const dir = join(tmpdir(), name)
    let owner: number
    try {
      owner = Number(readFileSync(join(dir, OWNER_FILE), 'utf8'))
    } catch {
      continue
    }
    if (Number.isInteger(owner) && owner > 0 && !isAlive(owner)) {
      rmSync(dir, { recursive: true, force: true })
      log(`removed ${dir}, left by a run that was killed`)
    }
  }
}

export async function startCluster(options: ClusterOptions = {}): Promise<BenchCluster> {
  const log = options.log ?? (() => {})
  removeOrphanedDirs(log)
  const dir = mkdtempSync(join(tmpdir(), DIR_PREFIX))
  writeFileSync(join(dir, OWNER_FILE), String(process.pid))
  const adopted = new Set<number>()
  const teardowns = new Set<() => Promise<void>>()
  let broker: RunningBroker | undefined
  let registry: RunningRegistry | undefined
  let stopping: Promise<void> | undefined

  // Step 3
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      for (const [signal, handler] of handlers) process.off(signal, handler)
      await registry?.close().catch(() => undefined)
      for (const teardown of teardowns) await teardown().catch(() => undefined)
      await Promise.all([...adopted].map((pid) => stopProcess(pid, 5_000)))
      await broker?.stop()
      if (options.keepDir) {
        rmSync(join(dir, OWNER_FILE), { force: true })
        log(`broker directory kept: ${dir}`)
      } else rmSync(dir, { recursive: true, force: true })
    })()
    return stopping
  }

  // Step 2
  const handlers = (Object.keys(SIGNAL_EXIT) as Array<keyof typeof SIGNAL_EXIT>).map((signal) => {
    const handler = (): void => {
      log(`${signal}: stopping the broker`)
      void stop().finally(() => process.exit(SIGNAL_EXIT[signal]))
    }
    process.on(signal, handler)
    return [signal, handler] as const
  })

  try {
    broker = await startBroker({
      dir,
      port: await freePort(),
      controllerPort: await freePort(),
      heapMb: options.heapMb ?? 1024,
    })
    // Step 1
    await watchOwner(process.pid, [broker.pid])
    log(`broker: Kafka ${broker.version} on ${broker.bootstrap} (pid ${broker.pid}), data in ${dir}`)
    registry = await startRegistry({
      bootstrapBrokers: [broker.bootstrap],
      port: 0,
      topic: '_schemas',
    })
    log(`registry: ${registry.url}`)
  } catch (error) {
    await stop()
    throw error
  }

  const bootstrap = broker.bootstrap
  return {
    bootstrap,
    dir,
    brokerPid: broker.pid,
    registry: new RegistryClient({ url: registry.url }),
    registryUrl: registry.url,
    async createTopic(topic, partitions) {
      const admin = new KafkaAdmin({ bootstrapBrokers: [bootstrap] })
      try {
        await admin.createTopics([{ topic, partitions, replicas: 1 }])
        // Metadata can lag creation by a moment; producing before every leader is known fails.
        for (let attempt = 0; ; attempt++) {
          const description = await admin.describeTopic(topic).catch(() => undefined)
          if (
            description?.partitions.length === partitions &&
            description.partitions.every((p) => p.leader >= 0)
          )
            break
          if (attempt > 100) throw new Error(`topic ${topic} has no leaders after creation`)
          await new Promise((resolve) => setTimeout(resolve, 100))
        }
      } finally {
        await admin.close()
      }
    },
    async deleteTopic(topic) {
      const admin = new KafkaAdmin({ bootstrapBrokers: [bootstrap] })
      try {
        await admin.deleteTopics([topic])
      } finally {
        await admin.close()
      }
    },
    async adopt(pid) {
      adopted.add(pid)
      await watchOwner(process.pid, [pid])
      return () => adopted.delete(pid)
    },
    onStop(teardown) {
      teardowns.add(teardown)
      return () => teardowns.delete(teardown)
    },
    stop,
  }
}

/**
 * Produces `count` Avro user events into `topic` the way every benchmark does (seed 7, the
 * cluster's registry) and resolves with the producer's summary; a failed send rejects.
 */
export async function produceEvents(
  cluster: BenchCluster,
  topic: string,
  count: number,
  options: Partial<EventProducerOptions> = {},
): Promise<ProduceSummary> {
  const producer = new EventProducer({
    bootstrapBrokers: [cluster.bootstrap],
    topic,
    count,
    format: 'avro',
    registry: cluster.registry,
    seed: 7,
    ...options,
  })
  try {
    const summary = await producer.run()
    if (summary.error) throw summary.error
    return summary
  } finally {
    await producer.close()
  }
}
