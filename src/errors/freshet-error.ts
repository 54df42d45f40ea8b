import { ErrorCodes, type ErrorCode, type ErrorName } from './codes.ts'

/** Where in Kafka an error happened, when known. */
export interface ErrorLocation {
  topic?: string
  partition?: number
  offset?: bigint | string
}

export interface FreshetErrorFields extends ErrorLocation {
  cause?: unknown
  /** Overrides the code's default retriability (e.g. a produce error the client marked fatal). */
  retriable?: boolean
  /** Anything else worth keeping for the reader of a log line. */
  details?: Record<string, unknown>
}

/** The one error base of freshet. Every error carries a stable `code`. */
export class FreshetError extends Error {
  readonly code: ErrorCode
  readonly retriable: boolean
  readonly topic: string | undefined
  readonly partition: number | undefined
  readonly offset: string | undefined
  readonly details: Record<string, unknown> | undefined

  constructor(name: ErrorName, message: string, fields: FreshetErrorFields = {}) {
    super(message, fields.cause === undefined ? undefined : { cause: fields.cause })
    this.name = 'FreshetError'
    const spec = ErrorCodes[name]
    this.code = spec.code
    this.retriable = fields.retriable ?? spec.retriable
    this.topic = fields.topic
    this.partition = fields.partition
    this.offset = fields.offset === undefined ? undefined : String(fields.offset)
    this.details = fields.details
  }

  toJSON(): Record<string, unknown> {
    return {
      code: this.code,
      message: this.message,
      retriable: this.retriable,
      ...(this.topic === undefined ? {} : { topic: this.topic }),
      ...(this.partition === undefined ? {} : { partition: this.partition }),
      ...(this.offset === undefined ? {} : { offset: this.offset }),
      ...(this.details === undefined ? {} : { details: this.details }),
    }
  }
}

/**
 * A setup mistake that shows on a record but is not the record's fault: a reader schema that cannot
 * read the topic's own writer schema (FRESHET_SCHEMA_INCOMPATIBLE marked `details.misconfigured`
 * by the deserializer). No bad-record policy takes it (`skip` or `dlq` would set aside every valid
 * record); it stops the job.
 */
export function isConfigurationError(error: unknown): boolean {
  return (
    error instanceof FreshetError &&
    error.code === ErrorCodes.SCHEMA_INCOMPATIBLE.code &&
    error.details?.misconfigured === true
  )
}

/** The same error at `location` (a record's topic, partition and offset), when it has none. */
export function atLocation(error: FreshetError, location: ErrorLocation): FreshetError {
  if (error.topic !== undefined || location.topic === undefined) return error
  const name = (Object.keys(ErrorCodes) as ErrorName[]).find((n) => ErrorCodes[n].code === error.code)
  if (name === undefined) return error
  return new FreshetError(name, error.message, {
    ...location,
    cause: error.cause,
    retriable: error.retriable,
    ...(error.details === undefined ? {} : { details: error.details }),
  })
}

export function isFreshetError(error: unknown, code?: ErrorCode): error is FreshetError {
  return error instanceof FreshetError && (code === undefined || error.code === code)
}

/** Wraps anything thrown into a FreshetError, keeping an existing one as it is. */
export function toFreshetError(
  error: unknown,
  name: ErrorName,
  message: string,
  fields: FreshetErrorFields = {},
): FreshetError {
  if (error instanceof FreshetError) return error
  const reason = error instanceof Error ? error.message : String(error)
  return new FreshetError(name, `${message}: ${reason}`, { ...fields, cause: error })
}
