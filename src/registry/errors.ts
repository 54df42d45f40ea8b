/**
 * Confluent's registry error codes and how they map onto freshet's error base. The Confluent code
 * travels in `details.errorCode`; its first three digits are the HTTP status.
 */
import { FreshetError, isFreshetError, type ErrorName } from '../errors/index.ts'

export const RegistryErrorCodes = {
  SUBJECT_NOT_FOUND: 40401,
  VERSION_NOT_FOUND: 40402,
  SCHEMA_NOT_FOUND: 40403,
  SUBJECT_SOFT_DELETED: 40404,
  SUBJECT_NOT_SOFT_DELETED: 40405,
  VERSION_SOFT_DELETED: 40406,
  VERSION_NOT_SOFT_DELETED: 40407,
  SUBJECT_COMPATIBILITY_NOT_CONFIGURED: 40408,
  SUBJECT_MODE_NOT_CONFIGURED: 40409,
  INCOMPATIBLE_SCHEMA: 409,
  INVALID_SCHEMA: 42201,
  INVALID_VERSION: 42202,
  INVALID_COMPATIBILITY_LEVEL: 42203,
  INVALID_MODE: 42204,
  OPERATION_NOT_PERMITTED: 42205,
  STORE_ERROR: 50001,
  OPERATION_TIMEOUT: 50002,
  FORWARDING_ERROR: 50003,
} as const

/** The freshet error name for a Confluent error code. */
export function errorNameFor(errorCode: number): ErrorName {
  if (errorCode === RegistryErrorCodes.SCHEMA_NOT_FOUND) return 'SCHEMA_NOT_FOUND'
  if (errorCode === RegistryErrorCodes.INCOMPATIBLE_SCHEMA) return 'SCHEMA_INCOMPATIBLE'
  if (errorCode === RegistryErrorCodes.INVALID_SCHEMA) return 'SCHEMA_INVALID'
  if (errorCode >= 500 && errorCode < 600) return 'REGISTRY_UNREACHABLE'
  if (errorCode >= 50000 && errorCode < 60000) return 'REGISTRY_UNREACHABLE'
  return 'REGISTRY_ERROR'
}

/** An error answered by the registry's API with Confluent's `errorCode`. */
export function registryError(errorCode: number, message: string, cause?: unknown): FreshetError {
  return new FreshetError(errorNameFor(errorCode), message, {
    ...(cause === undefined ? {} : { cause }),
    details: { errorCode },
  })
}

/** The Confluent error code an error carries, if it carries one. */
export function errorCodeOf(error: unknown): number | undefined {
  if (!(error instanceof FreshetError)) return undefined
  const code = error.details?.errorCode
  return typeof code === 'number' ? code : undefined
}

/** HTTP status of a Confluent error code: its first three digits. */
export function httpStatusOf(errorCode: number): number {
  const status = errorCode >= 1000 ? Number(String(errorCode).slice(0, 3)) : errorCode
  return status >= 400 && status < 600 ? status : 500
}

/**
 * A failure of the log as the API answers it: 50002 when Kafka is unreachable (it may succeed
 * later), else 50001 (the store failed). An error that already carries a code stays as it is.
 */
export function storeError(error: unknown, what: string): FreshetError {
  if (errorCodeOf(error) !== undefined) return error as FreshetError
  const reason = error instanceof Error ? error.message : String(error)
  if (isFreshetError(error, 'FRESHET_KAFKA_UNREACHABLE')) {
    return registryError(
      RegistryErrorCodes.OPERATION_TIMEOUT,
      `Error ${what}: Kafka is unreachable (${reason})`,
      error,
    )
  }
  return registryError(RegistryErrorCodes.STORE_ERROR, `Error ${what}: ${reason}`, error)
}
