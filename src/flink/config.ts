/**
 * The Flink configuration of a local cluster: one config.yaml in <state>/flink/conf (FLINK_CONF_DIR),
 * written on every `up` from the options, next to the distribution's console log4j setup.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { FreshetError } from '../errors/index.ts'
import type { ResolvedFlinkOptions } from './options.ts'

/** Where one local cluster keeps its configuration, logs, checkpoints and temporary files. */
export interface FlinkDirs {
  root: string
  conf: string
  log: string
  checkpoints: string
  tmp: string
}

export function flinkDirs(stateDir: string): FlinkDirs {
  const root = join(stateDir, 'flink')
  return {
    root,
    conf: join(root, 'conf'),
    log: join(root, 'log'),
    checkpoints: join(root, 'checkpoints'),
    tmp: join(root, 'tmp'),
  }
}

/**
 * The JVM flags Flink's own config.yaml ships (`env.java.opts.all`: the --add-opens and
 * --add-exports that Flink needs on Java 17), read from the distribution so they follow its version.
 */
function distributionJavaOpts(home: string): string {
  const shipped = readFileSync(join(home, 'conf', 'config.yaml'), 'utf8')
  const match = /^\s+all:\s*(--add-.*)$/m.exec(shipped)
  if (!match) {
    throw new FreshetError(
      'FLINK_START_FAILED',
      `no env.java.opts.all in ${join(home, 'conf', 'config.yaml')}; reinstall Flink (delete its cache directory)`,
    )
  }
  return match[1]!.trim()
}

/** The entries of config.yaml, flat keys as Flink accepts them. */
export function flinkConfig(
  options: ResolvedFlinkOptions,
  host: string,
  dirs: FlinkDirs,
  javaOpts: string,
): Record<string, string | number | boolean> {
  return {
    'env.java.opts.all': javaOpts,
    // The SQL Gateway sizes its heap by the JVM's default (a quarter of the machine) otherwise.
    'env.java.opts.sql-gateway': '-Xmx512m',
    'jobmanager.rpc.address': host,
    'jobmanager.rpc.port': options.rpcPort,
    'jobmanager.bind-host': host,
    'jobmanager.memory.process.size': `${options.jobManagerMemoryMb}m`,
    'jobmanager.execution.failover-strategy': 'region',
    'taskmanager.host': host,
    'taskmanager.bind-host': host,
    'taskmanager.rpc.port': options.taskManagerRpcPort,
    'taskmanager.numberOfTaskSlots': options.taskSlots,
    'taskmanager.memory.process.size': `${options.taskManagerMemoryMb}m`,
    'parallelism.default': options.parallelism,
    'rest.address': host,
    'rest.bind-address': host,
    'rest.port': options.restPort,
    'sql-gateway.endpoint.rest.address': host,
    'sql-gateway.endpoint.rest.bind-address': host,
    'sql-gateway.endpoint.rest.port': options.gatewayPort,
    // The seeds' fault tolerance: RocksDB state, incremental exactly-once checkpoints.
    'state.backend.type': 'rocksdb',
    'execution.checkpointing.incremental': true,
    'execution.checkpointing.interval': `${options.checkpointIntervalMs}ms`,
    'execution.checkpointing.mode': 'EXACTLY_ONCE',
    'execution.checkpointing.dir': `file://${dirs.checkpoints}`,
    // With checkpointing on, Flink restarts a failing job forever by default; a local cluster
    // should fail it after a few tries so that the error shows (a record the format cannot read).
    'restart-strategy.type': 'fixed-delay',
    'restart-strategy.fixed-delay.attempts': 3,
    'restart-strategy.fixed-delay.delay': '2s',
    // Everything a process writes stays under the state directory: `down` plus deleting it
    // leaves nothing behind (the defaults are /tmp).
    'io.tmp.dirs': dirs.tmp,
    'web.tmpdir': join(dirs.tmp, 'web'),
    'env.pid.dir': dirs.root,
    'env.log.dir': dirs.log,
  }
}

function yamlValue(value: string | number | boolean): string {
  if (typeof value !== 'string') return String(value)
  return /^[\w./:=+-]+$/.test(value) ? value : JSON.stringify(value)
}

/** Writes FLINK_CONF_DIR for these options; returns the directories. */
export function writeFlinkConfig(
  home: string,
  options: ResolvedFlinkOptions,
  stateDir: string,
  host: string,
): FlinkDirs {
  const dirs = flinkDirs(stateDir)
  for (const dir of [dirs.conf, dirs.log, dirs.checkpoints, dirs.tmp]) mkdirSync(dir, { recursive: true })
  const entries = flinkConfig(options, host, dirs, distributionJavaOpts(home))
  const yaml = Object.entries(entries)
    .map(([key, value]) => `${key}: ${yamlValue(value)}`)
    .join('\n')
  writeFileSync(
    join(dirs.conf, 'config.yaml'),
    `# Written by \`freshet flink up\` on every start; edit the options, not this file.\n${yaml}\n`,
  )
  copyFileSync(join(home, 'conf', 'log4j-console.properties'), join(dirs.conf, 'log4j-console.properties'))
  return dirs
}
