/**
 * freshet's schema registry: Confluent Schema Registry's REST API and `_schemas` record format
 * for Avro, its state kept in a compacted Kafka topic that any number of instances share
 * (docs/registry.md).
 */
import type { AvailabilityChange, RegistryAvailability } from './availability.ts'
import { KafkaLog } from './kafka-log.ts'
import { resolveRegistryOptions, type RegistryOptions } from './options.ts'
import { serveRegistry } from './server.ts'
import { RegistryStore } from './store.ts'

export {
  AVAILABILITY_TRANSITIONS,
  type AvailabilityChange,
  type AvailabilityState,
  type RegistryAvailability,
} from './availability.ts'
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
export { parseSubjectVersion, type SubjectVersion } from './subjects.ts'
export {
  COMPATIBILITY_LEVELS,
  MODES,
  type CompatibilityLevel,
  type Mode,
  type RegistryLog,
  type RegistryRecord,
  type SchemaVersion,
} from './types.ts'

/**
 * What a running registry holds, and whether it serves: `state` is SERVING, or WAITING_FOR_KAFKA
 * (with `sinceMs` and `reason`) while it cannot reach the end of its topic, or CLOSED.
 */
export type RegistryStatus = {
  /** Subjects with at least one version not deleted. */
  subjects: number
  /** Distinct schema ids. */
  schemas: number
} & RegistryAvailability

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
  })
  const store = new RegistryStore(log, {
    writeTimeoutMs: resolved.writeTimeoutMs,
    onAvailabilityChange: resolved.onAvailabilityChange ?? logAvailability(resolved.topic),
  })
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
    status: () => ({
      subjects: store.state.subjects().length,
      schemas: store.state.schemaCount,
      ...store.availability,
    }),
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

/** The default `onAvailabilityChange`: a line on stderr when the wait begins and when it ends. */
function logAvailability(topic: string): (change: AvailabilityChange) => void {
  return (change) => {
    if (change.state === 'WAITING_FOR_KAFKA') {
      console.error(
        `freshet registry: waiting for Kafka (${change.reason}); serving what it holds, refusing writes, retrying ${topic} until it is back`,
      )
    } else {
      console.error(`freshet registry: Kafka is back after ${change.waitedMs} ms; serving again`)
    }
  }
}
