import { FreshetError } from '../errors/index.ts'
import { checks, validateOptions, type Check } from '../options/index.ts'
import type { SchemaInput } from '../serde/index.ts'
import { BAD_RECORD_POLICIES, type BadRecordPolicy } from '../task/index.ts'
import { DEFAULT_IDLE_TIMEOUT_MS, DEFAULT_MAX_OUT_OF_ORDERNESS_MS } from '../time/index.ts'

export { BAD_RECORD_POLICIES, type BadRecordPolicy }

export interface TestDriverOptions {
  /** Wall-clock (processing) time at the start, in ms; also the default record timestamp. */
  startMs?: number
  /** The watermark of each task stays this far behind the largest timestamp of each partition. */
  maxOutOfOrdernessMs?: number
  /** Wall-clock time without records after which a partition stops holding the watermark back. */
  idleTimeoutMs?: number
  /**
   * Records further ahead of the wall clock are rejected. Infinity by default: the driven clock
   * starts at `startMs`, and test data is usually stamped with fixed times far from it.
   */
  maxFutureSkewMs?: number
  /** Partitions of every topic not listed in `topics`. */
  partitions?: number
  /** Partitions per topic, for input and output topics. */
  topics?: Record<string, { partitions: number }>
  /** Operators' `onCommit` runs each time the wall clock passes a multiple of this. */
  commitIntervalMs?: number
  /** What a record whose timestamp cannot be read or is rejected does: throw, count, or go to `deadLetters()`. */
  onBadRecord?: BadRecordPolicy
}

export interface ResolvedTestDriverOptions {
  startMs: number
  maxOutOfOrdernessMs: number
  idleTimeoutMs: number
  maxFutureSkewMs: number
  partitions: number
  topics: Record<string, { partitions: number }>
  commitIntervalMs: number
  onBadRecord: BadRecordPolicy
}

export const DEFAULT_COMMIT_INTERVAL_MS = 100

const durationOrInfinity: Check<number> = (where, key, value) => {
  if (value === Infinity) return value
  return checks.int(0)(where, key, value)
}

const topicsCheck: Check<Record<string, { partitions: number }>> = (where, key, value) => {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new FreshetError(
      'INVALID_OPTION',
      `${where}: option "${key}" must map topic names to { partitions }`,
      {
        details: { option: key, expected: '{ [topic]: { partitions: number } }' },
      },
    )
  }
  for (const [topic, spec] of Object.entries(value)) {
    validateOptions(`${where} topics.${topic}`, spec, { partitions: { check: checks.int(1, 100_000) } })
    if ((spec as { partitions?: unknown }).partitions === undefined) {
      throw new FreshetError('INVALID_OPTION', `${where}: topics.${topic}.partitions is required`, {
        details: { option: `topics.${topic}.partitions` },
      })
    }
  }
  return value as Record<string, { partitions: number }>
}

export function resolveTestDriverOptions(input: unknown): ResolvedTestDriverOptions {
  const options = validateOptions<TestDriverOptions>('TestDriver', input, {
    startMs: { check: checks.int(0) },
    maxOutOfOrdernessMs: { check: checks.int(0) },
    idleTimeoutMs: {
      check: (where, key, value) => (value === Infinity ? value : checks.int(1)(where, key, value)),
    },
    maxFutureSkewMs: { check: durationOrInfinity },
    partitions: { check: checks.int(1, 100_000) },
    topics: { check: topicsCheck },
    commitIntervalMs: { check: checks.int(1) },
    onBadRecord: { check: checks.oneOf(BAD_RECORD_POLICIES) },
  })
  return {
    startMs: options.startMs ?? 0,
    maxOutOfOrdernessMs: options.maxOutOfOrdernessMs ?? DEFAULT_MAX_OUT_OF_ORDERNESS_MS,
    idleTimeoutMs: options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
    maxFutureSkewMs: options.maxFutureSkewMs ?? Infinity,
    partitions: options.partitions ?? 1,
    topics: options.topics ?? {},
    commitIntervalMs: options.commitIntervalMs ?? DEFAULT_COMMIT_INTERVAL_MS,
    onBadRecord: options.onBadRecord ?? 'fail',
  }
}

export interface PipeOptions<K> {
  /** The Kafka key; it also decides the partition (murmur2, as Kafka's producer does). */
  key?: K
  /** The Kafka record timestamp. Default: the wall clock. */
  timestampMs?: number
  /** An explicit partition instead of the key's. */
  partition?: number
  /**
   * The schema the value was written with, for a source with a schema (default: the source's
   * own): the value is encoded with it and decoded with the source's, as a worker reading Avro
   * does, so a test can pipe records of an older or newer version of the topic's schema.
   */
  writerSchema?: SchemaInput<unknown>
}

export function resolvePipeOptions<K>(input: unknown): PipeOptions<K> {
  return validateOptions<PipeOptions<K>>('pipe', input, {
    key: { check: checks.any<Exclude<K, undefined>>() },
    timestampMs: { check: checks.int(0) },
    partition: { check: checks.int(0) },
    writerSchema: { check: checks.any<SchemaInput<unknown>>() },
  })
}
