import {
  flinkDown,
  flinkStatus,
  flinkUp,
  resolveFlinkOptions,
  type FlinkOptions,
  type FlinkServiceStatus,
  type FlinkTarget,
} from '../../flink/index.ts'
import { FreshetError } from '../../errors/index.ts'
import { COMMON_HELP, common, durationFlag, intFlag, parse } from '../args.ts'
import { table } from '../table.ts'

const FLINK_FLAGS = {
  'rest-port': { type: 'string' },
  'rpc-port': { type: 'string' },
  'taskmanager-rpc-port': { type: 'string' },
  'gateway-port': { type: 'string' },
  'jobmanager-memory-mb': { type: 'string' },
  'taskmanager-memory-mb': { type: 'string' },
  'task-slots': { type: 'string' },
  parallelism: { type: 'string' },
  'checkpoint-interval': { type: 'string' },
  'start-timeout': { type: 'string' },
} as const

export const flinkHelp = `freshet flink <up|down|status>: a local Apache Flink 2.2 session cluster (JobManager, one
TaskManager, the SQL Gateway) with RocksDB state and exactly-once checkpoints. \`up\` installs
Flink into ~/.cache/freshet on first use (pip and Maven), starts the three processes in the
background with their logs in <state-dir>/flink/log, and finds them again on a second \`up\`.
\`down\` stops them; \`status\` exits 0 when all three answer, 3 otherwise.

  --rest-port N              JobManager REST API and web UI  (env FRESHET_FLINK_REST_PORT, default 8082)
  --rpc-port N               JobManager RPC                  (env FRESHET_FLINK_RPC_PORT, default 6123)
  --taskmanager-rpc-port N   TaskManager RPC, 0 = any free   (env FRESHET_FLINK_TASKMANAGER_RPC_PORT, default 0)
  --gateway-port N           SQL Gateway REST API            (env FRESHET_FLINK_GATEWAY_PORT, default 8083)
  --jobmanager-memory-mb N   JobManager process memory       (env FRESHET_FLINK_JOBMANAGER_MEMORY_MB, default 1024)
  --taskmanager-memory-mb N  TaskManager process memory      (env FRESHET_FLINK_TASKMANAGER_MEMORY_MB, default 1728)
  --task-slots N             slots of the TaskManager        (env FRESHET_FLINK_TASK_SLOTS, default 2)
  --parallelism N            default job parallelism         (env FRESHET_FLINK_PARALLELISM, default 1)
  --checkpoint-interval D    e.g. 10s, 1m                    (env FRESHET_FLINK_CHECKPOINT_INTERVAL_MS, default 60s)
  --start-timeout D          wait for each process           (env FRESHET_FLINK_START_TIMEOUT_MS, default 3m)

${COMMON_HELP}`

function flinkFlags(values: Record<string, string | boolean | undefined>): FlinkOptions {
  const flags: FlinkOptions = {}
  const ints = [
    ['rest-port', 'restPort', 1],
    ['rpc-port', 'rpcPort', 1],
    ['taskmanager-rpc-port', 'taskManagerRpcPort', 0],
    ['gateway-port', 'gatewayPort', 1],
    ['jobmanager-memory-mb', 'jobManagerMemoryMb', 1],
    ['taskmanager-memory-mb', 'taskManagerMemoryMb', 1],
    ['task-slots', 'taskSlots', 1],
    ['parallelism', 'parallelism', 1],
  ] as const
  for (const [flag, key, min] of ints) {
    const n = intFlag(flag, values[flag], min)
    if (n !== undefined) flags[key] = n
  }
  const checkpointMs = durationFlag('checkpoint-interval', values['checkpoint-interval'])
  if (checkpointMs !== undefined) flags.checkpointIntervalMs = checkpointMs
  const startMs = durationFlag('start-timeout', values['start-timeout'])
  if (startMs !== undefined) flags.startTimeoutMs = startMs
  return flags
}

/** The local Flink that the flags, the environment and the local stack's options describe. */
export function flinkTarget(values: Record<string, string | boolean | undefined>): FlinkTarget {
  const c = common(values)
  return { stateDir: c.stack.stateDir, host: c.stack.host, flink: resolveFlinkOptions(flinkFlags(values)) }
}

function print(services: FlinkServiceStatus[], json: boolean): void {
  if (json) return console.log(JSON.stringify(services))
  console.log(
    table(
      ['SERVICE', 'STATE', 'ADDRESS', 'PID', 'VERSION'],
      services.map((s) => [s.name, s.up ? 'up' : 'down', s.address, s.pid, s.version]),
    ),
  )
}

export async function flinkCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, FLINK_FLAGS, true)
  const [action, ...rest] = positionals
  if (values.help || action === undefined) return (console.log(flinkHelp), values.help ? 0 : 2)
  if (rest.length > 0)
    throw new FreshetError('INVALID_OPTION', `flink ${action}: unexpected ${rest.join(' ')}`)
  const target = flinkTarget(values)
  const json = values.json === true
  const log = (line: string): void => console.error(line)
  switch (action) {
    case 'up': {
      const services = await flinkUp(target, log)
      print(services, json)
      return services.every((s) => s.up) ? 0 : 1
    }
    case 'down':
      await flinkDown(target, log)
      return 0
    case 'status': {
      const services = await flinkStatus(target)
      print(services, json)
      return services.every((s) => s.up) ? 0 : 3
    }
    default:
      throw new FreshetError('INVALID_OPTION', `flink: unknown action "${action}"; allowed: up, down, status`)
  }
}
