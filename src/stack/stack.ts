/**
 * The local stack: one Kafka broker and one schema registry, started in the background by
 * `freshet up`, found again by a second `up`, stopped by `freshet down`.
 *
 * `up`, as numbered steps:
 *   1. Kafka: reuse the broker recorded in stack.json when its pid lives and it answers; reuse any
 *      Kafka already answering on the port; otherwise fetch the jars if missing and start one.
 *   2. Registry: likewise, reuse or start `freshet registry` against that broker.
 *   3. Create the topics asked for (the demo's by default) that are missing.
 *   4. Record both services in stack.json.
 */
import { spawn } from 'node:child_process'
import { closeSync, mkdirSync, openSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'
import { FreshetError } from '../errors/index.ts'
import { KafkaAdmin, type TopicSpec } from '../kafka/index.ts'
import { startBroker } from './broker.ts'
import { KAFKA_VERSION, fetchKafkaJars } from './kafka-jars.ts'
import type { ResolvedStackOptions } from './options.ts'
import { isAlive, portAnswers, stopProcess } from './processes.ts'
import { readState, writeState, type ServiceRecord, type StackState } from './state.ts'

export const DEFAULT_TOPICS: TopicSpec[] = [
  { topic: 'user-events', partitions: 6 },
  { topic: 'event-analytics', partitions: 6 },
  { topic: 'user-events.dlq', partitions: 1 },
]

export interface ServiceStatus {
  name: 'kafka' | 'registry'
  up: boolean
  address: string
  pid: number | null
  version: string | null
  /** Started by this state directory (false: found running, started by someone else). */
  managed: boolean
}

type Log = (line: string) => void

/** The CLI entry point, for starting `freshet registry` as its own process. */
function cliEntry(): string {
  const ext = import.meta.url.endsWith('.ts') ? 'ts' : 'js'
  return fileURLToPath(new URL(`../cli/main.${ext}`, import.meta.url))
}

async function kafkaAnswers(bootstrap: string): Promise<boolean> {
  const [host, port] = [
    bootstrap.slice(0, bootstrap.lastIndexOf(':')),
    Number(bootstrap.slice(bootstrap.lastIndexOf(':') + 1)),
  ]
  if (!(await portAnswers(host, port))) return false
  const admin = new KafkaAdmin({ bootstrapBrokers: [bootstrap], requestTimeoutMs: 3_000, retries: 0 })
  try {
    await admin.clusterInfo()
    return true
  } catch {
    return false
  } finally {
    await admin.close().catch(() => {})
  }
}

async function registryAnswers(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/subjects`, { signal: AbortSignal.timeout(2_000) })
    return response.ok
  } catch {
    return false
  }
}

async function startRegistryProcess(
  options: ResolvedStackOptions,
  bootstrap: string,
): Promise<ServiceRecord> {
  const dir = join(options.stateDir, 'registry')
  mkdirSync(dir, { recursive: true })
  const logFile = join(dir, 'registry.log')
  const out = openSync(logFile, 'a')
  const child = spawn(
    process.execPath,
    [
      cliEntry(),
      'registry',
      '--host',
      options.host,
      '--port',
      String(options.registryPort),
      '--bootstrap',
      bootstrap,
    ],
    { detached: true, stdio: ['ignore', out, out] },
  )
  closeSync(out)
  child.unref()
  if (child.pid === undefined)
    throw new FreshetError('STACK_START_FAILED', 'could not spawn the schema registry')
  const url = `http://${options.host}:${options.registryPort}`
  const deadline = Date.now() + 60_000
  while (!(await registryAnswers(url))) {
    if (!isAlive(child.pid)) {
      throw new FreshetError(
        'STACK_START_FAILED',
        `the schema registry exited during start-up; see ${logFile}`,
      )
    }
    if (Date.now() > deadline) {
      await stopProcess(child.pid)
      throw new FreshetError(
        'STACK_TIMEOUT',
        `the schema registry did not answer on ${url} in time; see ${logFile}`,
      )
    }
    await sleep(200)
  }
  return { pid: child.pid, address: url, version: 'freshet', startedAtMs: Date.now(), logFile }
}

export async function up(
  options: ResolvedStackOptions,
  log: Log = () => {},
  topics: readonly TopicSpec[] = DEFAULT_TOPICS,
): Promise<ServiceStatus[]> {
  const state: StackState = readState(options.stateDir)
  const bootstrap = `${options.host}:${options.kafkaPort}`

  // Step 1
  if (state.kafka && isAlive(state.kafka.pid) && (await kafkaAnswers(state.kafka.address))) {
    log(`kafka: already running on ${state.kafka.address} (pid ${state.kafka.pid})`)
  } else if (await kafkaAnswers(bootstrap)) {
    log(`kafka: found a broker answering on ${bootstrap}; using it`)
    delete state.kafka
  } else {
    fetchKafkaJars({ log: (line) => log(`kafka: ${line}`) })
    log(`kafka: starting Apache Kafka ${KAFKA_VERSION} (KRaft) on ${bootstrap}`)
    const dir = join(options.stateDir, 'kafka')
    const broker = await startBroker({
      dir,
      host: options.host,
      port: options.kafkaPort,
      controllerPort: options.controllerPort,
      heapMb: options.brokerHeapMb,
      detached: true,
    })
    state.kafka = {
      pid: broker.pid,
      address: broker.bootstrap,
      version: broker.version,
      startedAtMs: Date.now(),
      logFile: join(dir, 'logs', 'server.log'),
    }
    writeState(options.stateDir, state)
    log(`kafka: up on ${broker.bootstrap} (pid ${broker.pid})`)
  }
  const kafkaAddress = state.kafka?.address ?? bootstrap

  // Step 2
  const registryUrl = `http://${options.host}:${options.registryPort}`
  if (state.registry && isAlive(state.registry.pid) && (await registryAnswers(state.registry.address))) {
    log(`registry: already running on ${state.registry.address} (pid ${state.registry.pid})`)
  } else if (await registryAnswers(registryUrl)) {
    log(`registry: found a registry answering on ${registryUrl}; using it`)
    delete state.registry
  } else {
    log(`registry: starting on ${registryUrl}`)
    state.registry = await startRegistryProcess(options, kafkaAddress)
    log(`registry: up on ${registryUrl} (pid ${state.registry.pid})`)
  }

  // Step 3
  if (topics.length > 0) {
    const admin = new KafkaAdmin({ bootstrapBrokers: [kafkaAddress] })
    try {
      const created = await admin.createTopics([...topics])
      if (created.length > 0) log(`topics: created ${created.join(', ')}`)
    } finally {
      await admin.close()
    }
  }

  // Step 4
  writeState(options.stateDir, state)
  return status(options)
}

/**
 * Stops what this state directory started: the registry first, then the broker. `only` limits it
 * to some of them (the demo stops just what it started itself).
 */
export async function down(
  options: ResolvedStackOptions,
  log: Log = () => {},
  only: ReadonlyArray<'kafka' | 'registry'> = ['registry', 'kafka'],
): Promise<void> {
  const state = readState(options.stateDir)
  for (const name of ['registry', 'kafka'] as const) {
    if (!only.includes(name)) continue
    const service = state[name]
    if (!service) continue
    if (isAlive(service.pid)) {
      log(`${name}: stopping pid ${service.pid}`)
      const killed = await stopProcess(service.pid, name === 'kafka' ? 60_000 : 10_000)
      log(`${name}: stopped${killed ? ' (had to be killed)' : ''}`)
    } else {
      log(`${name}: was not running`)
    }
    delete state[name]
    writeState(options.stateDir, state)
  }
}

export async function status(options: ResolvedStackOptions): Promise<ServiceStatus[]> {
  const state = readState(options.stateDir)
  const kafkaAddress = state.kafka?.address ?? `${options.host}:${options.kafkaPort}`
  const registryAddress = state.registry?.address ?? `http://${options.host}:${options.registryPort}`
  const kafkaManaged = state.kafka !== undefined && isAlive(state.kafka.pid)
  const registryManaged = state.registry !== undefined && isAlive(state.registry.pid)
  return [
    {
      name: 'kafka',
      up: await kafkaAnswers(kafkaAddress),
      address: kafkaAddress,
      pid: kafkaManaged ? state.kafka!.pid : null,
      version: state.kafka?.version ?? null,
      managed: kafkaManaged,
    },
    {
      name: 'registry',
      up: await registryAnswers(registryAddress),
      address: registryAddress,
      pid: registryManaged ? state.registry!.pid : null,
      version: state.registry?.version ?? null,
      managed: registryManaged,
    },
  ]
}
