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

/**
 * A client error and every error nested in it, depth first: the client wraps broker and network
 * errors in aggregate errors and causes, several levels deep.
 */
function* nestedErrors(error: unknown, depth = 0): Generator<Error> {
  if (depth > 8 || !(error instanceof Error)) return
  yield error
  if (error instanceof AggregateError) for (const inner of error.errors) yield* nestedErrors(inner, depth + 1)
  if (error.cause !== error) yield* nestedErrors(error.cause, depth + 1)
}

/**
 * The first connection failure nested in a client error, with the system error under it: the
 * address the client could not reach is only there (e.g. "Connection to 127.0.0.1:9092 failed:
 * connect ECONNREFUSED 127.0.0.1:9092").
 */
function connectionFailure(error: unknown): string | undefined {
  for (const e of nestedErrors(error)) {
    if ((e as { code?: unknown }).code !== 'PLT_KFK_NETWORK') continue
    const text = e.message.replace(/\.$/, '')
    const cause = e.cause
    return cause instanceof Error && cause.message !== '' && !text.includes(cause.message)
      ? `${text}: ${cause.message}`
      : text
  }
  return undefined
}

/** Broker error names found anywhere in a client error (the client nests them in aggregate errors). */
export function brokerErrors(error: unknown): Set<string> {
  const found = new Set<string>()
  for (const e of nestedErrors(error)) {
    const apiId = (e as { apiId?: unknown }).apiId
    if (typeof apiId === 'string') found.add(apiId)
  }
  return found
}

/**
 * What the broker said, when the client's message does not: the error names (INVALID_CONFIG) and
 * the messages the response carries with them ("Invalid value compakt for configuration
 * cleanup.policy: String must be one of: compact, delete").
 */
function brokerDetail(error: unknown): string | undefined {
  const names = [...brokerErrors(error)]
  const messages: string[] = []
  const collect = (value: unknown, depth: number): void => {
    if (depth > 4 || value === null || typeof value !== 'object') return
    for (const [key, inner] of Object.entries(value)) {
      if (key === 'errorMessage' && typeof inner === 'string' && inner !== '' && !messages.includes(inner))
        messages.push(inner)
      else collect(inner, depth + 1)
    }
  }
  for (const e of nestedErrors(error)) collect((e as { response?: unknown }).response, 0)
  if (names.length === 0 && messages.length === 0) return undefined
  return [names.join(', '), messages.join('; ')].filter((part) => part !== '').join(': ')
}

// The broker refuses a batch over message.max.bytes (or the topic's max.message.bytes) whole;
// sending it again can only fail again.
const TOO_LARGE_ERRORS = ['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE']

/** Maps a Kafka client error to freshet's error base, keeping the original as `cause`. */
export function kafkaError(error: unknown, what: string, location: ErrorLocation = {}): FreshetError {
  if (error instanceof FreshetError) return error
  const reason = error instanceof Error ? error.message : String(error)
  if (isNetworkError(error)) {
    const failure = connectionFailure(error)
    const detail =
      failure === undefined || reason.includes(failure)
        ? reason
        : failure.startsWith(reason.replace(/\.$/, ''))
          ? failure
          : `${reason} ${failure}`
    return new FreshetError('KAFKA_UNREACHABLE', `${what}: Kafka is unreachable (${detail})`, {
      ...location,
      cause: error,
    })
  }
  const names = brokerErrors(error)
  if (TOO_LARGE_ERRORS.some((n) => names.has(n))) {
    return new FreshetError(
      'RECORD_TOO_LARGE',
      `${what}: the broker refused a record batch over its size limit (${[...names].join(', ')}); ` +
        "lower maxRequestBytes or raise the topic's max.message.bytes",
      { ...location, cause: error, details: { brokerErrors: [...names] } },
    )
  }
  const detail = brokerDetail(error)
  const said = detail === undefined || reason.includes(detail) ? reason : `${reason} (${detail})`
  return new FreshetError('KAFKA_ERROR', `${what}: ${said}`, { ...location, cause: error })
}
