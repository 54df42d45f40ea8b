/**
 * freshet's schema registry: Confluent Schema Registry's REST API and `_schemas` record format
 * for Avro, its state kept in a compacted Kafka topic that any number of instances share
 * (docs/registry.md).
 */
import { KafkaLog } from './kafka-log.ts'
import { resolveRegistryOptions, type RegistryOptions } from './options.ts'
import { serveRegistry } from './server.ts'
import { RegistryStore } from './store.ts'

export {
  RegistryClient,
  type CompatibilityCheck,
  type RegisteredSchema,
  type SchemaRegistryLike,
} from './client.ts'
export {
  checkCompatibility,
  resolutionProblems,
  type CompatibilityResult,
  type Incompatibility,
} from './compatibility.ts'
export { RegistryErrorCodes } from './errors.ts'
export { KafkaLog, REGISTRY_TOPIC_CONFIGS, type KafkaLogOptions } from './kafka-log.ts'
export { MemoryLog } from './memory-log.ts'
export type { RegistryClientOptions, RegistryOptions } from './options.ts'
export { parseSchema, type ParsedSchema } from './schema.ts'
export {
  CONTENT_TYPE,
  serveRegistry,
  type ListeningRegistry,
  type RegistryRequest,
  type ServeOptions,
} from './server.ts'
export { RegistryState } from './state.ts'
export { RegistryStore, type StoreOptions } from './store.ts'
export {
  COMPATIBILITY_LEVELS,
  MODES,
  type CompatibilityLevel,
  type Mode,
  type RegistryLog,
  type RegistryRecord,
  type SchemaVersion,
} from './types.ts'

/** What a running registry holds. */
export interface RegistryStatus {
  /** Subjects with at least one version not deleted. */
  subjects: number
  /** Distinct schema ids. */
  schemas: number
}

export interface RunningRegistry {
  url: string
  port: number
  status(): RegistryStatus
  /** Stops the HTTP API, then the Kafka clients. */
  close(): Promise<void>
}

/**
 * Starts a registry: creates the topic when missing, reads it to its end, then serves the API.
 * Resolves once requests can be answered with everything written before the start.
 */
export async function startRegistry(options: RegistryOptions): Promise<RunningRegistry> {
  const resolved = resolveRegistryOptions(options)
  const onError =
    resolved.onError ??
    ((message: string, error: unknown) => console.error(`freshet registry: ${message}`, error))
  const log = new KafkaLog({
    bootstrapBrokers: resolved.bootstrapBrokers,
    topic: resolved.topic,
    replicas: resolved.topicReplicas,
    clientId: resolved.clientId,
    onTailError: (error) => onError(`reading ${resolved.topic} failed; reading it again`, error),
  })
  const store = new RegistryStore(log, { writeTimeoutMs: resolved.writeTimeoutMs })
  try {
    await store.start()
  } catch (error) {
    await store.close().catch(() => undefined)
    throw error
  }
  let listening
  try {
    listening = await serveRegistry(store, {
      host: resolved.host,
      port: resolved.port,
      onError: (error) => onError('unexpected error', error),
      ...(resolved.onRequest === undefined ? {} : { onRequest: resolved.onRequest }),
    })
  } catch (error) {
    await store.close().catch(() => undefined)
    throw error
  }
  let closing: Promise<void> | undefined
  return {
    url: listening.url,
    port: listening.port,
    status: () => ({ subjects: store.state.subjects().length, schemas: store.state.schemaCount }),
    close: () => {
      closing ??= (async () => {
        try {
          await listening.close()
        } finally {
          await store.close()
        }
      })()
      return closing
    },
  }
}
