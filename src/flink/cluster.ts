/**
 * A local Flink session cluster: a JobManager, one TaskManager and the SQL Gateway, each a JVM that
 * Flink's own scripts start (`<service>.sh start-foreground`, which ends in `exec java`, so the pid
 * freshet spawns is the JVM's). Started in the background by `freshet flink up`, found again by a
 * second `up`, stopped by `freshet flink down`.
 *
 * `up`, as numbered steps:
 *   1. Reuse the cluster recorded in flink.json when all three processes live and answer; stop
 *      what is left of a partial one.
 *   2. Refuse ports that something else holds, naming the port.
 *   3. Install Flink into the cache when missing; write config.yaml into <state>/flink/conf.
 *   4. For each service in order (JobManager, TaskManager, gateway): spawn it detached with its
 *      logs in <state>/flink/log, record it in flink.json, wait until its REST check answers. A
 *      failure stops what this `up` started and reports the tail of the failed service's log.
 */
import { spawn } from 'node:child_process'
import { closeSync, existsSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { FreshetError } from '../errors/index.ts'
import { isAlive, portAnswers, stopProcess } from '../stack/processes.ts'
import type { ServiceRecord } from '../stack/state.ts'
import { flinkDirs, writeFlinkConfig, type FlinkDirs } from './config.ts'
import { FLINK_VERSION, installFlink } from './install.ts'
import type { ResolvedFlinkOptions } from './options.ts'
import { readFlinkState, writeFlinkState } from './state.ts'
import { FLINK_SERVICES, type FlinkServiceName, type FlinkServiceStatus, type FlinkState } from './types.ts'

type Log = (line: string) => void

/** Where a local cluster lives: the local stack's state directory and host, and Flink's options. */
export interface FlinkTarget {
  stateDir: string
  host: string
  flink: ResolvedFlinkOptions
}

const SCRIPTS: Record<FlinkServiceName, { script: string; logName: string }> = {
  jobmanager: { script: 'jobmanager.sh', logName: 'standalonesession' },
  taskmanager: { script: 'taskmanager.sh', logName: 'taskexecutor' },
  'sql-gateway': { script: 'sql-gateway.sh', logName: 'sql-gateway' },
}

/** Names the processes' log files (flink-freshet-<service>-<n>-<host>.log) and pid files. */
const IDENT = 'freshet'

export function restUrl(target: FlinkTarget): string {
  return `http://${target.host}:${target.flink.restPort}`
}

export function gatewayUrl(target: FlinkTarget): string {
  return `http://${target.host}:${target.flink.gatewayPort}`
}

async function getJson(url: string, timeoutMs = 2_000): Promise<Record<string, unknown> | null> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) })
    if (!response.ok) return null
    return (await response.json()) as Record<string, unknown>
  } catch {
    return null
  }
}

/** The JobManager's /overview, or null when it does not answer. */
async function overview(rest: string): Promise<Record<string, unknown> | null> {
  const body = await getJson(`${rest}/overview`)
  return body && typeof body['flink-version'] === 'string' ? body : null
}

async function taskManagerAddress(rest: string): Promise<string | null> {
  const body = await getJson(`${rest}/taskmanagers`)
  const list = (body?.taskmanagers ?? []) as Array<{ id?: string }>
  const id = list[0]?.id
  return id === undefined ? null : id.replace(/-[0-9a-f]+$/, '')
}

async function gatewayVersion(gateway: string): Promise<string | null> {
  const body = await getJson(`${gateway}/v1/info`)
  return typeof body?.version === 'string' ? body.version : null
}

/** True once the service answers its REST check. */
async function answers(name: FlinkServiceName, rest: string, gateway: string): Promise<boolean> {
  if (name === 'jobmanager') return (await overview(rest)) !== null
  if (name === 'taskmanager') return Number((await overview(rest))?.taskmanagers ?? 0) > 0
  return (await gatewayVersion(gateway)) !== null
}

/** The service's current Flink log file: the newest flink-freshet-<service>-*.log. */
function serviceLog(dirs: FlinkDirs, name: FlinkServiceName): string {
  const prefix = `flink-${IDENT}-${SCRIPTS[name].logName}-`
  const logs = existsSync(dirs.log)
    ? readdirSync(dirs.log).filter((f) => f.startsWith(prefix) && f.endsWith('.log'))
    : []
  return logs.length === 0 ? join(dirs.log, `${name}.launch.out`) : join(dirs.log, logs.sort().at(-1)!)
}

function tail(file: string, lines = 25): string {
  if (!existsSync(file)) return ''
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n')
}

function spawnService(home: string, dirs: FlinkDirs, name: FlinkServiceName): number {
  const launchLog = join(dirs.log, `${name}.launch.out`)
  const out = openSync(launchLog, 'a')
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    FLINK_CONF_DIR: dirs.conf,
    FLINK_LOG_DIR: dirs.log,
    FLINK_PID_DIR: dirs.root,
    FLINK_IDENT_STRING: IDENT,
    // The JVM's stdout and stderr go to Flink's own .out/.err files, not the console appender.
    STD_REDIRECT_TO_FILE: 'true',
  }
  // A user's own Flink must not leak into this one.
  for (const key of [
    'FLINK_HOME',
    'FLINK_LIB_DIR',
    'FLINK_OPT_DIR',
    'FLINK_PLUGINS_DIR',
    'FLINK_ENV_JAVA_OPTS',
  ])
    delete env[key]
  const child = spawn('bash', [join(home, 'bin', SCRIPTS[name].script), 'start-foreground'], {
    detached: true,
    stdio: ['ignore', out, out],
    env,
  })
  closeSync(out)
  child.unref()
  if (child.pid === undefined)
    throw new FreshetError('FLINK_START_FAILED', `could not spawn bash for the Flink ${name}`)
  return child.pid
}

async function waitUntilAnswering(
  target: FlinkTarget,
  dirs: FlinkDirs,
  name: FlinkServiceName,
  pid: number,
): Promise<void> {
  const deadline = Date.now() + target.flink.startTimeoutMs
  while (!(await answers(name, restUrl(target), gatewayUrl(target)))) {
    if (!isAlive(pid)) {
      throw new FreshetError(
        'FLINK_START_FAILED',
        `the Flink ${name} exited during start-up; last lines of ${serviceLog(dirs, name)}:\n${tail(serviceLog(dirs, name))}`,
      )
    }
    if (Date.now() > deadline) {
      throw new FreshetError(
        'FLINK_TIMEOUT',
        `the Flink ${name} did not answer within ${target.flink.startTimeoutMs} ms; see ${serviceLog(dirs, name)}`,
      )
    }
    await sleep(250)
  }
}

async function allAnswer(target: FlinkTarget, state: FlinkState): Promise<boolean> {
  for (const name of FLINK_SERVICES) {
    const record = state[name]
    if (!record || !isAlive(record.pid)) return false
    if (!(await answers(name, restUrl(target), gatewayUrl(target)))) return false
  }
  return true
}

export async function flinkUp(target: FlinkTarget, log: Log = () => {}): Promise<FlinkServiceStatus[]> {
  const dirs = flinkDirs(target.stateDir)
  const state = readFlinkState(dirs.root)

  // Step 1
  if (await allAnswer(target, state)) {
    log(`flink: already running (JobManager ${restUrl(target)}, SQL Gateway ${gatewayUrl(target)})`)
    return flinkStatus(target)
  }
  if (FLINK_SERVICES.some((name) => state[name] !== undefined)) {
    log('flink: stopping what is left of an earlier cluster')
    await flinkDown(target, log)
  }

  // Step 2
  const ports: Array<[string, number]> = [
    ['rest', target.flink.restPort],
    ['rpc', target.flink.rpcPort],
    ['gateway', target.flink.gatewayPort],
  ]
  if (target.flink.taskManagerRpcPort !== 0) ports.push(['taskmanager rpc', target.flink.taskManagerRpcPort])
  for (const [what, port] of ports) {
    if (await portAnswers(target.host, port)) {
      throw new FreshetError(
        'FLINK_START_FAILED',
        `port ${port} (${what}) on ${target.host} is in use; choose another (freshet flink up --help)`,
        { details: { port } },
      )
    }
  }

  // Step 3
  const { home } = installFlink({ log: (line) => log(`flink: ${line}`) })
  writeFlinkConfig(home, target.flink, target.stateDir, target.host)

  // Step 4
  const fresh: FlinkState = {}
  try {
    for (const name of FLINK_SERVICES) {
      const startedAtMs = Date.now()
      log(`flink: starting the ${name}`)
      const pid = spawnService(home, dirs, name)
      const record: ServiceRecord = {
        pid,
        address: name === 'sql-gateway' ? gatewayUrl(target) : restUrl(target),
        version: FLINK_VERSION,
        startedAtMs,
        logFile: serviceLog(dirs, name),
      }
      fresh[name] = record
      writeFlinkState(dirs.root, fresh)
      await waitUntilAnswering(target, dirs, name, pid)
      record.logFile = serviceLog(dirs, name)
      writeFlinkState(dirs.root, fresh)
      log(`flink: ${name} up (pid ${pid}) in ${((Date.now() - startedAtMs) / 1000).toFixed(1)} s`)
    }
  } catch (error) {
    await flinkDown(target)
    throw error
  }
  return flinkStatus(target)
}

/** Stops what flink.json records, the gateway first and the JobManager last; clears the record. */
export async function flinkDown(target: FlinkTarget, log: Log = () => {}): Promise<void> {
  const dirs = flinkDirs(target.stateDir)
  const state = readFlinkState(dirs.root)
  for (const name of [...FLINK_SERVICES].reverse()) {
    const record = state[name]
    if (!record) continue
    if (isAlive(record.pid)) {
      log(`flink: stopping the ${name} (pid ${record.pid})`)
      const killed = await stopProcess(record.pid, 30_000)
      log(`flink: ${name} stopped${killed ? ' (had to be killed)' : ''}`)
    } else {
      log(`flink: the ${name} was not running`)
    }
    delete state[name]
    writeFlinkState(dirs.root, state)
  }
  // The pid files the scripts append to; every process in them is gone now.
  if (existsSync(dirs.root)) {
    for (const file of readdirSync(dirs.root)) {
      if (file.startsWith(`flink-${IDENT}-`) && file.endsWith('.pid')) rmSync(join(dirs.root, file))
    }
  }
}

export async function flinkStatus(target: FlinkTarget): Promise<FlinkServiceStatus[]> {
  const dirs = flinkDirs(target.stateDir)
  const state = readFlinkState(dirs.root)
  const rest = state.jobmanager?.address ?? restUrl(target)
  const gateway = state['sql-gateway']?.address ?? gatewayUrl(target)
  const jm = await overview(rest)
  const tm = jm === null ? null : await taskManagerAddress(rest)
  const gatewayAt = await gatewayVersion(gateway)
  const managed = (name: FlinkServiceName): number | null => {
    const record = state[name]
    return record && isAlive(record.pid) ? record.pid : null
  }
  return [
    {
      name: 'jobmanager',
      up: jm !== null,
      address: rest,
      pid: managed('jobmanager'),
      version: jm === null ? null : String(jm['flink-version']),
      managed: managed('jobmanager') !== null,
    },
    {
      name: 'taskmanager',
      up: tm !== null,
      address: tm ?? '-',
      pid: managed('taskmanager'),
      version: tm === null ? null : String(jm!['flink-version']),
      managed: managed('taskmanager') !== null,
    },
    {
      name: 'sql-gateway',
      up: gatewayAt !== null,
      address: gateway,
      pid: managed('sql-gateway'),
      version: gatewayAt,
      managed: managed('sql-gateway') !== null,
    },
  ]
}
