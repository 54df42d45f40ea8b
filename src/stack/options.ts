import { resolve } from 'node:path'
import { checks, validateOptions, type Spec } from '../options/index.ts'

/** Where the local stack lives and listens. Flags win over environment variables over defaults. */
export interface StackOptions {
  /** Holds the broker's data and logs, the registry's log and stack.json. */
  stateDir?: string
  host?: string
  kafkaPort?: number
  controllerPort?: number
  registryPort?: number
  brokerHeapMb?: number
}

export type ResolvedStackOptions = Required<StackOptions>

const stackSpec: Spec<StackOptions> = {
  stateDir: { check: checks.string(), default: '.freshet' },
  host: { check: checks.string(), default: '127.0.0.1' },
  kafkaPort: { check: checks.int(1, 65_535), default: 9092 },
  controllerPort: { check: checks.int(1, 65_535), default: 9093 },
  registryPort: { check: checks.int(1, 65_535), default: 8081 },
  brokerHeapMb: { check: checks.int(256, 16_384), default: 1024 },
}

/** The environment variables each option can come from. */
export const STACK_ENV: Record<keyof StackOptions, string> = {
  stateDir: 'FRESHET_STATE_DIR',
  host: 'FRESHET_HOST',
  kafkaPort: 'FRESHET_KAFKA_PORT',
  controllerPort: 'FRESHET_CONTROLLER_PORT',
  registryPort: 'FRESHET_REGISTRY_PORT',
  brokerHeapMb: 'FRESHET_BROKER_HEAP_MB',
}

export function resolveStackOptions(
  flags: StackOptions = {},
  env: NodeJS.ProcessEnv = process.env,
): ResolvedStackOptions {
  const fromEnv: Record<string, unknown> = {}
  for (const [key, name] of Object.entries(STACK_ENV)) {
    const raw = env[name]
    if (raw === undefined || raw === '') continue
    fromEnv[key] = key === 'stateDir' || key === 'host' ? raw : Number(raw)
  }
  const merged = validateOptions('stack', { ...fromEnv, ...flags }, stackSpec) as ResolvedStackOptions
  return { ...merged, stateDir: resolve(merged.stateDir) }
}
