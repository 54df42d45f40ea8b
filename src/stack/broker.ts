/**
 * A single-node Apache Kafka broker in KRaft mode (broker + controller in one JVM), run from the
 * jars in freshet's cache.
 *
 * Start-up, as numbered steps:
 *   1. Write server.properties for the ports and directories asked for.
 *   2. Format the storage directory on first start (kafka.tools.StorageTool), with a fresh cluster id.
 *   3. Spawn `kafka.Kafka`, its output appended to files in the log directory.
 *   4. Wait until a metadata request answers through the client freshet uses, or fail with the
 *      tail of the broker log when the JVM exits or the deadline passes.
 */
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, openSync, readFileSync, writeFileSync, closeSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { FreshetError } from '../errors/index.ts'
import { KafkaAdmin } from '../kafka/index.ts'
import { KAFKA_LOG4J_CONFIG, KAFKA_VERSION, kafkaClasspath } from './kafka-jars.ts'
import { isAlive, stopProcess } from './processes.ts'

export interface BrokerOptions {
  /** Holds data/, logs/ and server.properties. */
  dir: string
  host?: string
  port: number
  controllerPort: number
  heapMb?: number
  /** Keep running after the parent exits (the CLI's `up`); tests keep it attached. */
  detached?: boolean
  startTimeoutMs?: number
  /** Extra server.properties entries. */
  overrides?: Record<string, string>
}

export interface RunningBroker {
  pid: number
  bootstrap: string
  version: string
  dir: string
  stop(): Promise<void>
}

function serverProperties(options: BrokerOptions, dataDir: string): string {
  const host = options.host ?? '127.0.0.1'
  const props: Record<string, string> = {
    'process.roles': 'broker,controller',
    'node.id': '1',
    'controller.quorum.voters': `1@${host}:${options.controllerPort}`,
    listeners: `PLAINTEXT://${host}:${options.port},CONTROLLER://${host}:${options.controllerPort}`,
    'advertised.listeners': `PLAINTEXT://${host}:${options.port}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'log.dirs': dataDir,
    'num.partitions': '1',
    'auto.create.topics.enable': 'false',
    // One node: every internal topic has a single replica.
    'offsets.topic.replication.factor': '1',
    'offsets.topic.num.partitions': '10',
    'transaction.state.log.replication.factor': '1',
    'transaction.state.log.min.isr': '1',
    'transaction.state.log.num.partitions': '10',
    'share.coordinator.state.topic.replication.factor': '1',
    'share.coordinator.state.topic.min.isr': '1',
    // A local stack: rebalance at once instead of waiting for more members.
    'group.initial.rebalance.delay.ms': '0',
    'log.retention.hours': '168',
    ...options.overrides,
  }
  return Object.entries(props)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n')
    .concat('\n')
}

function jvmArgs(options: BrokerOptions, logDir: string): string[] {
  return [
    `-Xms256m`,
    `-Xmx${options.heapMb ?? 1024}m`,
    '-XX:+UseG1GC',
    '-XX:MaxGCPauseMillis=20',
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${KAFKA_LOG4J_CONFIG}`,
    `-Dkafka.logs.dir=${logDir}`,
    '-cp',
    kafkaClasspath(),
  ]
}

function tail(file: string, lines = 30): string {
  if (!existsSync(file)) return ''
  return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n')
}

/** Starts the broker and resolves once it answers metadata requests. */
export async function startBroker(options: BrokerOptions): Promise<RunningBroker> {
  const host = options.host ?? '127.0.0.1'
  const dataDir = join(options.dir, 'data')
  const logDir = join(options.dir, 'logs')
  mkdirSync(dataDir, { recursive: true })
  mkdirSync(logDir, { recursive: true })

  // Step 1
  const propsFile = join(options.dir, 'server.properties')
  writeFileSync(propsFile, serverProperties(options, dataDir))

  // Step 2
  if (!existsSync(join(dataDir, 'meta.properties'))) {
    const clusterId = spawnSync('java', ['-cp', kafkaClasspath(), 'kafka.tools.StorageTool', 'random-uuid'], {
      encoding: 'utf8',
    }).stdout.trim()
    const format = spawnSync(
      'java',
      [
        ...jvmArgs(options, logDir),
        'kafka.tools.StorageTool',
        'format',
        '-t',
        clusterId,
        '-c',
        propsFile,
        '--ignore-formatted',
      ],
      { encoding: 'utf8' },
    )
    if (format.status !== 0 || clusterId.length === 0) {
      throw new FreshetError(
        'STACK_START_FAILED',
        `formatting Kafka storage failed: ${format.stderr || format.stdout}`,
      )
    }
  }

  // Step 3
  const outFile = join(logDir, 'kafka.out')
  const out = openSync(outFile, 'a')
  const child = spawn('java', [...jvmArgs(options, logDir), 'kafka.Kafka', propsFile], {
    detached: options.detached ?? false,
    stdio: ['ignore', out, out],
  })
  closeSync(out)
  if (child.pid === undefined)
    throw new FreshetError('STACK_START_FAILED', 'could not spawn java for the Kafka broker')
  const pid = child.pid
  if (options.detached) child.unref()

  const bootstrap = `${host}:${options.port}`
  const stop = async (): Promise<void> => {
    await stopProcess(pid, 30_000)
  }

  // Step 4
  const deadline = Date.now() + (options.startTimeoutMs ?? 90_000)
  for (;;) {
    if (!isAlive(pid) || child.exitCode !== null) {
      throw new FreshetError(
        'STACK_START_FAILED',
        `the Kafka broker exited during start-up; last log lines:\n${tail(outFile)}\n${tail(join(logDir, 'server.log'))}`,
      )
    }
    const admin = new KafkaAdmin({ bootstrapBrokers: [bootstrap], requestTimeoutMs: 2_000, retries: 0 })
    try {
      const info = await admin.clusterInfo()
      if (info.brokers.length > 0) break
    } catch {
      // not up yet
    } finally {
      await admin.close().catch(() => {})
    }
    if (Date.now() > deadline) {
      await stop()
      throw new FreshetError(
        'STACK_TIMEOUT',
        `the Kafka broker did not answer on ${bootstrap} in time; see ${logDir}`,
      )
    }
    await sleep(250)
  }
  return { pid, bootstrap, version: KAFKA_VERSION, dir: options.dir, stop }
}
