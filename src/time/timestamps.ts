/**
 * Event-time extraction. An extractor turns a decoded value (and its Kafka record) into milliseconds
 * since the epoch, or throws FRESHET_TIMESTAMP_INVALID with the record's topic, partition and offset,
 * which the bad-record policy then handles like any undecodable record.
 */
import { ErrorCodes, FreshetError } from '../errors/index.ts'
import type { TimestampExtractor, TimestampRejection, TimestampSource } from './types.ts'

/** Largest timestamp accepted: beyond it milliseconds are no longer exact in a JavaScript number. */
export const MAX_TIMESTAMP_MS = Number.MAX_SAFE_INTEGER
export const DEFAULT_TIMESTAMP_FIELD = 'timestamp'

/** A finite number in `[0, MAX_TIMESTAMP_MS]`; false for NaN and anything not a number. */
export function isValidTimestampMs(value: unknown): value is number {
  return typeof value === 'number' && value >= 0 && value <= MAX_TIMESTAMP_MS
}

/** `topic:partition`, the `PartitionId` of a Kafka partition. */
export function topicPartition(topic: string, partition: number): string {
  return `${topic}:${partition}`
}

function describe(raw: unknown): string {
  if (raw === undefined) return 'nothing'
  if (typeof raw === 'bigint') return `${raw}n`
  if (typeof raw === 'number') return String(raw)
  if (raw instanceof Date) return `Date(${String(raw.getTime())})`
  try {
    return JSON.stringify(raw) ?? typeof raw
  } catch {
    return typeof raw
  }
}

function invalid(what: string, raw: unknown, record: TimestampSource | undefined): FreshetError {
  return new FreshetError(
    'TIMESTAMP_INVALID',
    `${what} must be milliseconds since the epoch in [0, ${MAX_TIMESTAMP_MS}], got ${describe(raw)}`,
    {
      ...(record?.topic === undefined ? {} : { topic: record.topic }),
      ...(record?.partition === undefined ? {} : { partition: record.partition }),
      ...(record?.offset === undefined ? {} : { offset: record.offset }),
      details: { source: what },
    },
  )
}

/**
 * Milliseconds from a number, a bigint or a Date; `undefined` when not representable. Sub-millisecond
 * parts are dropped: Kafka timestamps are whole milliseconds, and window arithmetic stays exact.
 */
function toMs(raw: unknown): number | undefined {
  let ms: number
  if (typeof raw === 'number') ms = raw
  else if (typeof raw === 'bigint') {
    if (raw < 0n || raw > BigInt(MAX_TIMESTAMP_MS)) return undefined
    ms = Number(raw)
  } else if (raw instanceof Date) ms = raw.getTime()
  else return undefined
  if (!isValidTimestampMs(ms)) return undefined
  return Math.floor(ms)
}

/**
 * Reads the event time from a field of the value: a number of milliseconds, a bigint (Avro `long`
 * read as bigint) or a Date. `path` is a dotted path (`'meta.eventTime'`), or an array of names for
 * fields whose names contain dots. Strings are not parsed: use `fromFunction` with your format.
 */
export function fromField<V = unknown>(
  path: string | readonly string[] = DEFAULT_TIMESTAMP_FIELD,
): TimestampExtractor<V> {
  const names = typeof path === 'string' ? path.split('.') : [...path]
  if (names.length === 0 || names.some((name) => typeof name !== 'string' || name.length === 0)) {
    throw new FreshetError('INVALID_OPTION', `fromField: path must name a field, got ${describe(path)}`, {
      details: { option: 'path', expected: "a dotted field path such as 'timestamp' or 'meta.eventTime'" },
    })
  }
  const what = `field "${names.join('.')}"`
  return (value, record) => {
    let current: unknown = value
    for (const name of names) {
      if (current === null || typeof current !== 'object') {
        current = undefined
        break
      }
      current = (current as Record<string, unknown>)[name]
    }
    const ms = toMs(current)
    if (ms === undefined) throw invalid(what, current, record)
    return ms
  }
}

/** Uses the Kafka record timestamp (the producer's CreateTime, or the broker's LogAppendTime). */
export function fromRecordTimestamp<V = unknown>(): TimestampExtractor<V> {
  return (_value, record) => {
    const ms = toMs(record.timestampMs)
    if (ms === undefined) throw invalid('record timestamp', record.timestampMs, record)
    return ms
  }
}

/**
 * Wraps a custom extractor so that its result is checked like the built-in ones. An error it throws
 * becomes FRESHET_TIMESTAMP_INVALID (with the original as `cause`) unless it is a FreshetError.
 */
export function fromFunction<V>(
  extract: (value: V, record: TimestampSource) => unknown,
): TimestampExtractor<V> {
  if (typeof extract !== 'function') {
    throw new FreshetError('INVALID_OPTION', 'fromFunction: expected a function (value, record) => number', {
      details: { option: 'extract', expected: 'a function' },
    })
  }
  return (value, record) => {
    let raw: unknown
    try {
      raw = extract(value, record)
    } catch (error) {
      if (error instanceof FreshetError) throw error
      const reason = error instanceof Error ? error.message : String(error)
      throw new FreshetError('TIMESTAMP_INVALID', `timestamp extractor failed: ${reason}`, {
        ...(record.topic === undefined ? {} : { topic: record.topic }),
        ...(record.partition === undefined ? {} : { partition: record.partition }),
        ...(record.offset === undefined ? {} : { offset: record.offset }),
        cause: error,
      })
    }
    const ms = toMs(raw)
    if (ms === undefined) throw invalid('extracted timestamp', raw, record)
    return ms
  }
}

/** How a job names its timestamp: a field path, a function, or nothing (the `timestamp` field). */
export type TimestampChoice<V> =
  string | readonly string[] | ((value: V, record: TimestampSource) => unknown) | undefined

/** The extractor for a job's `timestamp` option; see `TimestampChoice`. */
export function resolveTimestampExtractor<V>(choice: TimestampChoice<V>): TimestampExtractor<V> {
  if (choice === undefined) return fromField<V>(DEFAULT_TIMESTAMP_FIELD)
  if (typeof choice === 'function') return fromFunction<V>(choice)
  if (typeof choice === 'string' || Array.isArray(choice)) return fromField<V>(choice)
  throw new FreshetError(
    'INVALID_OPTION',
    `timestamp: expected a field path or a function (value, record) => number, got ${describe(choice)}`,
    { details: { option: 'timestamp', expected: 'a field path or a function' } },
  )
}

/**
 * The FreshetError for a rejected timestamp, for callers whose policy is `fail` or `dlq` (the DLQ
 * record carries the code). `location` is the record's topic, partition and offset.
 */
export function timestampRejectionError(
  rejection: TimestampRejection,
  location: Omit<TimestampSource, 'timestampMs'> = {},
): FreshetError {
  const fields = {
    ...(location.topic === undefined ? {} : { topic: location.topic }),
    ...(location.partition === undefined ? {} : { partition: location.partition }),
    ...(location.offset === undefined ? {} : { offset: location.offset }),
  }
  if (rejection.code === ErrorCodes.TIMESTAMP_FUTURE.code) {
    return new FreshetError(
      'TIMESTAMP_FUTURE',
      `timestamp ${rejection.timestampMs} is ${rejection.aheadByMs} ms ahead of the processing-time clock`,
      { ...fields, details: { timestampMs: rejection.timestampMs, aheadByMs: rejection.aheadByMs } },
    )
  }
  return new FreshetError('TIMESTAMP_INVALID', `timestamp ${describe(rejection.timestampMs)} is not valid`, {
    ...fields,
    details: { timestampMs: rejection.timestampMs },
  })
}
