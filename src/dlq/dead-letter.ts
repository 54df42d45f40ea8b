import type { FreshetError } from '../errors/index.ts'
import type { InRecord, OutRecord } from '../kafka/index.ts'
import { DLQ_HEADERS } from './headers.ts'

/** Where in freshet a record failed. */
export type DeadLetterStage = 'decode' | 'process' | 'late'

/** A dead letter as read back: the original record and its provenance. */
export interface DeadLetter {
  sourceTopic: string
  sourcePartition: number
  sourceOffset: bigint
  sourceTimestampMs: number
  errorCode: string
  errorMessage: string
  deadLetteredAtMs: number
  stage: string
  key: Buffer | null
  value: Buffer | null
  /** The original record's own headers (provenance headers removed). */
  headers: Map<string, Buffer>
}

const MAX_MESSAGE_BYTES = 1_000

/**
 * The record to write to the dead-letter topic for `record`: its original key, value, timestamp and
 * headers, unchanged, plus the provenance headers. Nothing is re-encoded.
 */
export function toDeadLetter(
  record: InRecord,
  error: FreshetError,
  dlqTopic: string,
  stage: DeadLetterStage,
  nowMs = Date.now(),
): OutRecord {
  const headers: Record<string, Buffer | string> = {}
  for (const [name, value] of record.headers) headers[name] = value
  headers[DLQ_HEADERS.sourceTopic] = record.topic
  headers[DLQ_HEADERS.sourcePartition] = String(record.partition)
  headers[DLQ_HEADERS.sourceOffset] = String(record.offset)
  headers[DLQ_HEADERS.sourceTimestampMs] = String(record.timestampMs)
  headers[DLQ_HEADERS.errorCode] = error.code
  headers[DLQ_HEADERS.errorMessage] = error.message.slice(0, MAX_MESSAGE_BYTES)
  headers[DLQ_HEADERS.deadLetteredAtMs] = String(nowMs)
  headers[DLQ_HEADERS.stage] = stage
  return { topic: dlqTopic, key: record.key, value: record.value, headers, timestampMs: record.timestampMs }
}

/** Reads the provenance back from a record of a dead-letter topic; null when it carries none. */
export function readDeadLetter(record: InRecord): DeadLetter | null {
  const h = (name: string): string | undefined => record.headers.get(name)?.toString()
  const sourceTopic = h(DLQ_HEADERS.sourceTopic)
  if (sourceTopic === undefined) return null
  const own = new Map<string, Buffer>()
  const provenance = new Set<string>(Object.values(DLQ_HEADERS))
  for (const [name, value] of record.headers) if (!provenance.has(name)) own.set(name, value)
  return {
    sourceTopic,
    sourcePartition: Number(h(DLQ_HEADERS.sourcePartition)),
    sourceOffset: BigInt(h(DLQ_HEADERS.sourceOffset) ?? '-1'),
    sourceTimestampMs: Number(h(DLQ_HEADERS.sourceTimestampMs)),
    errorCode: h(DLQ_HEADERS.errorCode) ?? '',
    errorMessage: h(DLQ_HEADERS.errorMessage) ?? '',
    deadLetteredAtMs: Number(h(DLQ_HEADERS.deadLetteredAtMs)),
    stage: h(DLQ_HEADERS.stage) ?? '',
    key: record.key,
    value: record.value,
    headers: own,
  }
}
