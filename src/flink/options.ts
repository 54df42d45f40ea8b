import { FreshetError } from '../errors/index.ts'
import { checks, validateOptions, type Spec } from '../options/index.ts'

/**
 * The local Flink session cluster: where it listens and how much of the machine it takes. Flags
 * win over environment variables over defaults. The state directory and host are the local
 * stack's (`--state-dir`, `--host`).
 */
export interface FlinkOptions {
  /** The JobManager's REST API and web UI (8081 is the registry's by default, hence 8082). */
  restPort?: number
  /** The JobManager's RPC port, which the TaskManager connects to. */
  rpcPort?: number
  /** The TaskManager's RPC port; 0 takes any free port. */
  taskManagerRpcPort?: number
  /** The SQL Gateway's REST API. */
  gatewayPort?: number
  /** Total memory of the JobManager process (heap, metaspace, JVM overhead). */
  jobManagerMemoryMb?: number
  /** Total memory of the TaskManager process (heap, managed memory for RocksDB, network buffers). */
  taskManagerMemoryMb?: number
  taskSlots?: number
  /** Default parallelism of a job that sets none. */
  parallelism?: number
  /** How often a running job checkpoints its (RocksDB) state. */
  checkpointIntervalMs?: number
  /** How long `up` waits for each process to answer. */
  startTimeoutMs?: number
}

export type ResolvedFlinkOptions = Required<FlinkOptions>

const flinkSpec: Spec<FlinkOptions> = {
  restPort: { check: checks.int(1, 65_535), default: 8082 },
  rpcPort: { check: checks.int(1, 65_535), default: 6123 },
  taskManagerRpcPort: { check: checks.int(0, 65_535), default: 0 },
  gatewayPort: { check: checks.int(1, 65_535), default: 8083 },
  jobManagerMemoryMb: { check: checks.int(768, 16_384), default: 1024 },
  taskManagerMemoryMb: { check: checks.int(1024, 32_768), default: 1728 },
  taskSlots: { check: checks.int(1, 64), default: 2 },
  parallelism: { check: checks.int(1, 64), default: 1 },
  checkpointIntervalMs: { check: checks.int(100, 86_400_000), default: 60_000 },
  startTimeoutMs: { check: checks.int(1_000, 3_600_000), default: 180_000 },
}

/** The environment variables each option can come from. */
export const FLINK_ENV: Record<keyof FlinkOptions, string> = {
  restPort: 'FRESHET_FLINK_REST_PORT',
  rpcPort: 'FRESHET_FLINK_RPC_PORT',
  taskManagerRpcPort: 'FRESHET_FLINK_TASKMANAGER_RPC_PORT',
  gatewayPort: 'FRESHET_FLINK_GATEWAY_PORT',
  jobManagerMemoryMb: 'FRESHET_FLINK_JOBMANAGER_MEMORY_MB',
  taskManagerMemoryMb: 'FRESHET_FLINK_TASKMANAGER_MEMORY_MB',
  taskSlots: 'FRESHET_FLINK_TASK_SLOTS',
  parallelism: 'FRESHET_FLINK_PARALLELISM',
  checkpointIntervalMs: 'FRESHET_FLINK_CHECKPOINT_INTERVAL_MS',
  startTimeoutMs: 'FRESHET_FLINK_START_TIMEOUT_MS',
}

export function resolveFlinkOptions(
  flags: FlinkOptions = {},
  env: NodeJS.ProcessEnv = process.env,
): ResolvedFlinkOptions {
  const fromEnv: Record<string, unknown> = {}
  for (const [key, name] of Object.entries(FLINK_ENV)) {
    const raw = env[name]
    if (raw === undefined || raw === '') continue
    fromEnv[key] = Number(raw)
  }
  const options = validateOptions('flink', { ...fromEnv, ...flags }, flinkSpec) as ResolvedFlinkOptions
  const ports = [options.restPort, options.rpcPort, options.gatewayPort, options.taskManagerRpcPort]
  const taken = ports.filter((port, i) => port !== 0 && ports.indexOf(port) !== i)
  if (taken.length > 0) {
    throw new FreshetError('INVALID_OPTION', `flink: port ${taken[0]} is given to two services`, {
      details: { option: 'ports', ports },
    })
  }
  if (options.parallelism > options.taskSlots) {
    throw new FreshetError(
      'INVALID_OPTION',
      `flink: parallelism ${options.parallelism} needs more than the ${options.taskSlots} task slots of the one TaskManager`,
      { details: { option: 'parallelism' } },
    )
  }
  return options
}
