/**
 * What the runtime writes into the topics it owns besides the user's outputs: records of
 * repartition topics (keys and values as JSON, the event time as the record timestamp) and the
 * watermark markers that carry event time across them.
 *
 * Watermarks across a repartition topic follow Flink rather than Kafka Streams: every partition of
 * the topic is written by every task upstream, so the event time of its records interleaves those
 * tasks' progress, and a watermark computed from the record timestamps would call records late
 * whenever one upstream task runs ahead of another. Instead each upstream task writes a marker with
 * its own watermark into every partition of the topic (in the same transaction as its records, so
 * a marker never overtakes a record it covers), and the watermark of a repartition partition is the
 * minimum over the latest marker of every upstream task. Records of a repartition topic do not
 * move the watermark themselves.
 */
import { FreshetError } from '../errors/index.ts'
import type { InRecord, OutRecord } from '../kafka/index.ts'
import { encodeKey, WindowPartial } from '../operators/index.ts'

/**
 * The header that marks a partial aggregate (src/operators/window-combine.ts): its value is the
 * window, `<startMs>,<endMs>`, and the record's value the accumulator as the aggregate's serde
 * encodes it.
 */
export const PARTIAL_HEADER = 'freshet.partial'

/** The header that marks a watermark marker; its value is the format version. */
export const WATERMARK_HEADER = 'freshet.watermark'

export interface WatermarkMarker {
  /** The upstream task, `<subtopology>_<partition>`. */
  readonly task: string
  /** How many tasks write the topic: the marker of each is needed before the watermark moves. */
  readonly tasks: number
  /** null while the upstream task has seen nothing (then only an idle marker is sent). */
  readonly watermarkMs: number | null
  /** Every input partition of the upstream task is idle: it does not hold the watermark back. */
  readonly idle: boolean
  /**
   * Every input of the upstream task has ended (bounded sources read to their end): it writes
   * nothing more. Absent in markers of tasks that have not finished.
   */
  readonly finished?: boolean
}

export function isWatermarkMarker(record: InRecord): boolean {
  return record.headers.has(WATERMARK_HEADER)
}

/**
 * A marker record. Its timestamp is the watermark, or the processing time `nowMs` once the task has
 * finished (the final watermark is no time a broker accepts).
 */
export function watermarkMarker(
  topic: string,
  partition: number,
  marker: WatermarkMarker,
  nowMs: number,
): OutRecord {
  return {
    topic,
    partition,
    key: null,
    value: Buffer.from(JSON.stringify(marker)),
    headers: { [WATERMARK_HEADER]: '1' },
    timestampMs: marker.finished === true ? nowMs : Math.max(0, marker.watermarkMs ?? 0),
  }
}

export function readWatermarkMarker(record: InRecord): WatermarkMarker {
  try {
    const parsed = JSON.parse((record.value as Buffer).toString('utf8')) as WatermarkMarker
    if (
      typeof parsed.task === 'string' &&
      Number.isSafeInteger(parsed.tasks) &&
      (parsed.watermarkMs === null || typeof parsed.watermarkMs === 'number') &&
      typeof parsed.idle === 'boolean' &&
      (parsed.finished === undefined || typeof parsed.finished === 'boolean')
    ) {
      return parsed
    }
  } catch {
    // reported below
  }
  throw new FreshetError(
    'INVALID_STATE',
    `repartition topic ${record.topic}: malformed watermark marker at partition ${record.partition} offset ${record.offset}`,
    { topic: record.topic, partition: record.partition, offset: record.offset },
  )
}

/**
 * A record for a repartition topic: JSON key and value, the event time as its timestamp; a partial
 * aggregate keeps its accumulator's bytes and names its window in a header.
 */
export function repartitionRecord(
  topic: string,
  partition: number,
  key: unknown,
  value: unknown,
  timestampMs: number,
): OutRecord {
  if (value instanceof WindowPartial) {
    return {
      topic,
      partition,
      key: encodeKey(key),
      value: Buffer.from(value.bytes.buffer, value.bytes.byteOffset, value.bytes.byteLength),
      headers: { [PARTIAL_HEADER]: `${value.startMs},${value.endMs}` },
      timestampMs,
    }
  }
  const text = JSON.stringify(value)
  if (text === undefined) {
    throw new FreshetError(
      'SERDE_ENCODE_FAILED',
      `cannot write a ${typeof value} to repartition topic ${topic}: values crossing a keyBy must be JSON values`,
      { topic },
    )
  }
  return { topic, partition, key: encodeKey(key), value: Buffer.from(text), timestampMs }
}

export function readRepartitionRecord(record: InRecord): { key: unknown; value: unknown } {
  try {
    const key = record.key === null ? null : (JSON.parse(record.key.toString('utf8')) as unknown)
    const partial = record.headers.get(PARTIAL_HEADER)
    if (partial !== undefined) return { key, value: readPartial(record, partial) }
    return {
      key,
      value: record.value === null ? null : (JSON.parse(record.value.toString('utf8')) as unknown),
    }
  } catch (error) {
    throw new FreshetError(
      'SERDE_SCHEMA_MISMATCH',
      `repartition topic ${record.topic}: record is not JSON (${(error as Error).message})`,
      { topic: record.topic, partition: record.partition, offset: record.offset, cause: error },
    )
  }
}

function readPartial(record: InRecord, header: string | Buffer): WindowPartial {
  const [startMs, endMs] = header.toString().split(',').map(Number)
  if (!Number.isSafeInteger(startMs) || !Number.isSafeInteger(endMs) || record.value === null) {
    throw new FreshetError(
      'INVALID_STATE',
      `repartition topic ${record.topic}: malformed partial aggregate at partition ${record.partition} offset ${record.offset}`,
      { topic: record.topic, partition: record.partition, offset: record.offset },
    )
  }
  return new WindowPartial(startMs as number, endMs as number, record.value)
}
