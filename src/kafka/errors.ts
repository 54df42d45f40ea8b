import { FreshetError, type ErrorLocation } from '../errors/index.ts'

/** Network-level failures of the client: the cluster may answer later. */
function isNetworkError(error: unknown): boolean {
  if (!(error instanceof Error)) return false
  const code = (error as { code?: unknown }).code
  if (code === 'PLT_KFK_NETWORK' || code === 'PLT_KFK_TIMEOUT') return true
  if (error instanceof AggregateError) return error.errors.some(isNetworkError)
  const cause = (error as { cause?: unknown }).cause
  return cause !== undefined && cause !== error && isNetworkError(cause)
}

/** Maps a Kafka client error to freshet's error base, keeping the original as `cause`. */
export function kafkaError(error: unknown, what: string, location: ErrorLocation = {}): FreshetError {
  if (error instanceof FreshetError) return error
  const reason = error instanceof Error ? error.message : String(error)
  if (isNetworkError(error)) {
    return new FreshetError('KAFKA_UNREACHABLE', `${what}: Kafka is unreachable (${reason})`, {
      ...location,
      cause: error,
    })
  }
  return new FreshetError('KAFKA_ERROR', `${what}: ${reason}`, { ...location, cause: error })
}
