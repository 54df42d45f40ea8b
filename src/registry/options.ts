import { FreshetError } from '../errors/index.ts'
import { checks, validateOptions, type Resolved, type Spec } from '../options/index.ts'
import type { AvailabilityChange } from './availability.ts'
import type { RegistryRequest } from './server.ts'

/** Options of `startRegistry`. */
export interface RegistryOptions {
  /** host:port list of the Kafka brokers holding the registry's topic. */
  bootstrapBrokers: string[]
  /** Interface the HTTP API listens on. */
  host?: string
  /** HTTP port; 0 picks a free one. */
  port?: number
  /** The compacted topic holding every schema, version, config and mode. */
  topic?: string
  /** Replication factor of the topic when the registry creates it. */
  topicReplicas?: number
  /** Longest a write waits for Kafka before answering 50002. */
  writeTimeoutMs?: number
  /** Client id of the registry's Kafka connections. */
  clientId?: string
  /** Called once per HTTP request when its answer is sent (metrics). */
  onRequest?: (request: RegistryRequest) => void
  /** Called with an error the API could not map to a registry error code. Default: a line on stderr. */
  onError?: (message: string, error: unknown) => void
  /**
   * Called once when the registry starts waiting for Kafka (it cannot reach the end of its topic:
   * `{ state: 'WAITING_FOR_KAFKA', sinceMs, reason, cause }`) and once when it serves again
   * (`{ state: 'SERVING', waitedMs }`). Default: a line on stderr.
   */
  onAvailabilityChange?: (change: AvailabilityChange) => void
}

export const registryOptionsSpec: Spec<RegistryOptions> = {
  bootstrapBrokers: {
    check: (where, key, value) => {
      const list = checks.stringList()(where, key, value)
      if (list.length === 0) {
        throw new FreshetError(
          'INVALID_OPTION',
          `${where}: option "${key}" must list at least one host:port`,
          {
            details: { option: key, expected: 'a non-empty list of host:port' },
          },
        )
      }
      return list
    },
  },
  host: { check: checks.string(), default: '127.0.0.1' },
  port: { check: checks.int(0, 65_535), default: 8081 },
  topic: { check: checks.string(), default: '_schemas' },
  topicReplicas: { check: checks.int(1, 32), default: 1 },
  writeTimeoutMs: { check: checks.int(100, 600_000), default: 30_000 },
  clientId: { check: checks.string(), default: 'freshet-registry' },
  onRequest: { check: checks.func<(request: RegistryRequest) => void>() },
  onError: { check: checks.func<(message: string, error: unknown) => void>() },
  onAvailabilityChange: { check: checks.func<(change: AvailabilityChange) => void>() },
}

export type ResolvedRegistryOptions = Resolved<
  RegistryOptions,
  'host' | 'port' | 'topic' | 'topicReplicas' | 'writeTimeoutMs' | 'clientId'
>

export function resolveRegistryOptions(input: unknown): ResolvedRegistryOptions {
  return validateOptions('startRegistry', input, registryOptionsSpec) as ResolvedRegistryOptions
}

/** Options of `RegistryClient`. */
export interface RegistryClientOptions {
  /** Base URL of the registry, e.g. http://localhost:8081. */
  url: string
  /** Per-request timeout. */
  timeoutMs?: number
}

export const registryClientOptionsSpec: Spec<RegistryClientOptions> = {
  url: {
    check: (where, key, value) => {
      const url = checks.string()(where, key, value)
      if (!/^https?:\/\/[^/]/.test(url)) {
        throw new FreshetError(
          'INVALID_OPTION',
          `${where}: option "${key}" must be an http:// or https:// URL, got ${JSON.stringify(url)}`,
          {
            details: { option: key, expected: 'an http:// or https:// URL' },
          },
        )
      }
      return url
    },
  },
  timeoutMs: { check: checks.int(1, 600_000), default: 10_000 },
}

export function resolveRegistryClientOptions(input: unknown): Resolved<RegistryClientOptions, 'timeoutMs'> {
  return validateOptions('RegistryClient', input, registryClientOptionsSpec) as Resolved<
    RegistryClientOptions,
    'timeoutMs'
  >
}
