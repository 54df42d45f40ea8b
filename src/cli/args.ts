import { parseArgs, type ParseArgsConfig } from 'node:util'
import { FreshetError } from '../errors/index.ts'
import { parseBrokers } from '../kafka/index.ts'
import { createLogger, LOG_FORMATS, LOG_LEVELS, type Logger } from '../log/index.ts'
import { resolveStackOptions, type ResolvedStackOptions } from '../stack/index.ts'

type Options = NonNullable<ParseArgsConfig['options']>

/** Flags every command accepts: where the stack is. */
export const COMMON_OPTIONS = {
  bootstrap: { type: 'string' },
  'registry-url': { type: 'string' },
  'state-dir': { type: 'string' },
  host: { type: 'string' },
  'kafka-port': { type: 'string' },
  'controller-port': { type: 'string' },
  'registry-port': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Options

export interface Common {
  stack: ResolvedStackOptions
  brokers: string[]
  registryUrl: string
  json: boolean
}

/** Parses argv strictly: an unknown flag is an error that names it. */
export function parse<T extends Options>(
  argv: string[],
  options: T,
  allowPositionals = false,
): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { ...COMMON_OPTIONS, ...options },
      strict: true,
      allowPositionals,
    })
    return { values: values as Record<string, string | boolean | undefined>, positionals }
  } catch (error) {
    throw new FreshetError('INVALID_OPTION', (error as Error).message)
  }
}

export function intFlag(name: string, value: unknown, min = 0): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!Number.isInteger(n) || n < min) {
    throw new FreshetError(
      'INVALID_OPTION',
      `--${name} must be an integer >= ${min}, got ${JSON.stringify(value)}`,
    )
  }
  return n
}

/** A duration such as 500ms, 30s, 5m, 1h (a bare number is seconds); in milliseconds. */
export function durationFlag(name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(String(value))
  if (!match) {
    throw new FreshetError(
      'INVALID_OPTION',
      `--${name} must be a duration like 30s, 5m or 500ms, got ${JSON.stringify(value)}`,
    )
  }
  const unitMs = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[(match[2] ?? 's') as 'ms' | 's' | 'm' | 'h']
  return Math.round(Number(match[1]) * unitMs)
}

export function common(values: Record<string, string | boolean | undefined>): Common {
  const flags: Record<string, unknown> = {}
  if (values['state-dir'] !== undefined) flags.stateDir = values['state-dir']
  if (values.host !== undefined) flags.host = values.host
  for (const [flag, key] of [
    ['kafka-port', 'kafkaPort'],
    ['controller-port', 'controllerPort'],
    ['registry-port', 'registryPort'],
  ] as const) {
    const n = intFlag(flag, values[flag], 1)
    if (n !== undefined) flags[key] = n
  }
  const stack = resolveStackOptions(flags)
  const bootstrap =
    (values.bootstrap as string | undefined) ||
    process.env.FRESHET_BOOTSTRAP ||
    `${stack.host}:${stack.kafkaPort}`
  const registryUrl =
    (values['registry-url'] as string | undefined) ||
    process.env.FRESHET_REGISTRY_URL ||
    `http://${stack.host}:${stack.registryPort}`
  return {
    stack,
    brokers: parseBrokers(bootstrap),
    registryUrl: registryUrl.replace(/\/$/, ''),
    json: values.json === true,
  }
}

export const COMMON_HELP = `Common options:
  --bootstrap HOST:PORT[,..]  Kafka bootstrap brokers      (env FRESHET_BOOTSTRAP, default 127.0.0.1:9092)
  --registry-url URL          schema registry              (env FRESHET_REGISTRY_URL, default http://127.0.0.1:8081)
  --state-dir DIR             local stack state            (env FRESHET_STATE_DIR, default .freshet)
  --host HOST                 address the stack binds      (env FRESHET_HOST, default 127.0.0.1)
  --kafka-port N              broker port                  (env FRESHET_KAFKA_PORT, default 9092)
  --controller-port N         KRaft controller port        (env FRESHET_CONTROLLER_PORT, default 9093)
  --registry-port N           registry port                (env FRESHET_REGISTRY_PORT, default 8081)
  --json                      machine-readable output
  -h, --help                  this help`

/** The logging flags of the long-running commands. */
export const LOG_OPTIONS = {
  'log-format': { type: 'string' },
  'log-level': { type: 'string' },
} as const satisfies Options

export const LOG_HELP = `  --log-format F         json|pretty: logs on stderr, pretty on a terminal and JSON otherwise by default
  --log-level L          ${LOG_LEVELS.join('|')} (default info)`

/** The command's logger, as its --log-format and --log-level flags say. */
export function logger(name: string, values: Record<string, string | boolean | undefined>): Logger {
  const choice = <const T extends string>(flag: string, allowed: readonly T[]): T | undefined => {
    const value = values[flag]
    if (value === undefined) return undefined
    if (!(allowed as readonly unknown[]).includes(value)) {
      throw new FreshetError(
        'INVALID_OPTION',
        `--${flag} must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`,
      )
    }
    return value as T
  }
  const format = choice('log-format', LOG_FORMATS)
  const level = choice('log-level', LOG_LEVELS)
  return createLogger({
    name,
    ...(format === undefined ? {} : { format }),
    ...(level === undefined ? {} : { level }),
  })
}
