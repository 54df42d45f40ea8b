/**
 * `freshet dlq inspect --topic T`: the dead letters of a topic with their provenance, the value
 * decoded where it can be. Read with read_committed up to each partition's last stable offset, so
 * letters of aborted transactions (a worker that crashed and replayed) are not shown.
 *
 *   1. Find the partitions and their last stable offsets.
 *   2. Read every partition from its start, keeping its last `--limit` letters.
 *   3. Decode each value: Confluent-framed Avro through the registry, else JSON, else UTF-8 text,
 *      else base64. A value that does not decode is shown as what it is, with why not.
 */
import { FreshetError } from '../../errors/index.ts'
import { readDeadLetter, replayDeadLetters, type DeadLetter } from '../../dlq/index.ts'
import { KafkaAdmin, PartitionReader, type InRecord } from '../../kafka/index.ts'
import { RegistryClient } from '../../registry/index.ts'
import { AvroDeserializer, HEADER_BYTES } from '../../serde/index.ts'
import { COMMON_HELP, common, intFlag, logger, LOG_HELP, LOG_OPTIONS, parse } from '../args.ts'
import { ProgressLine } from '../progress.ts'

export const dlqHelp = `freshet dlq <inspect|replay> --topic T

inspect: the dead letters of T with their provenance (source topic, partition and offset, error
code and message, stage), and the value decoded: Avro through the registry, JSON, text, or base64.

  --topic T       the dead-letter topic (a job's is <application-id>.dlq)
  --limit N       at most the last N letters of each partition (default 100)
  --json          one JSON object per letter

replay: sends the letters of T back to their source topic and partition, after a fix, exactly once
(letters and the replay group's offsets in one transaction): a second run sends nothing again.

  --topic T       the dead-letter topic
  --to TOPIC      send them all here instead (partitioned by key)
  --group G       the group that remembers what was replayed (default <T>.replay)
  --include-late  replay late letters too (by default they are counted and left: late again)
  --json          the result as one JSON object
${LOG_HELP}

The replay draws a progress bar on a terminal; off a terminal it logs its progress every 5 s.

${COMMON_HELP}`

const AVRO_MAGIC = 0

interface DecodedValue {
  /** avro | json | text | bytes | null */
  format: string
  value: unknown
  schemaId?: number
  /** Why an Avro-framed value could not be decoded. */
  error?: string
}

/** Plain JSON of a decoded Avro value: bigints as numbers where exact, bytes as base64. */
function plain(value: unknown): unknown {
  return JSON.parse(
    JSON.stringify(value, (_key, v: unknown) =>
      typeof v === 'bigint'
        ? Number.isSafeInteger(Number(v))
          ? Number(v)
          : String(v)
        : Buffer.isBuffer(v)
          ? v.toString('base64')
          : v,
    ),
  )
}

function isPrintable(text: string): boolean {
  return !/[\u0000-\u0008\u000e-\u001f\ufffd]/.test(text)
}

async function decodeValue(value: Buffer | null, avro: AvroDeserializer | undefined): Promise<DecodedValue> {
  if (value === null) return { format: 'null', value: null }
  if (avro !== undefined && value.length >= HEADER_BYTES && value[0] === AVRO_MAGIC) {
    const schemaId = value.readUInt32BE(1)
    try {
      return { format: 'avro', schemaId, value: plain(await avro.deserialize(value)) }
    } catch (error) {
      const reason = error instanceof FreshetError ? `${error.code}: ${error.message}` : String(error)
      return { format: 'bytes', schemaId, value: value.toString('base64'), error: reason }
    }
  }
  const text = value.toString('utf8')
  if (isPrintable(text)) {
    try {
      return { format: 'json', value: JSON.parse(text) as unknown }
    } catch {
      return { format: 'text', value: text }
    }
  }
  return { format: 'bytes', value: value.toString('base64') }
}

function describeValue(decoded: DecodedValue): string {
  const what =
    decoded.format === 'avro'
      ? `avro, schema ${decoded.schemaId}`
      : decoded.error !== undefined
        ? `bytes, base64; schema ${decoded.schemaId}: ${decoded.error}`
        : decoded.format === 'bytes'
          ? 'bytes, base64'
          : decoded.format
  const shown = typeof decoded.value === 'string' ? decoded.value : JSON.stringify(decoded.value)
  return `${shown}   (${what})`
}

export async function dlqCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(
    argv,
    {
      topic: { type: 'string' },
      limit: { type: 'string' },
      to: { type: 'string' },
      group: { type: 'string' },
      'include-late': { type: 'boolean' },
      ...LOG_OPTIONS,
    },
    true,
  )
  if (values.help) return (console.log(dlqHelp), 0)
  const c = common(values)
  const [action] = positionals
  if ((action !== 'inspect' && action !== 'replay') || positionals.length !== 1) {
    throw new FreshetError(
      'INVALID_OPTION',
      `give an action: freshet dlq inspect|replay --topic T${action === undefined ? '' : ` (got ${positionals.join(' ')})`}`,
      { details: { option: 'action', allowed: ['inspect', 'replay'] } },
    )
  }
  const topic = values.topic
  if (typeof topic !== 'string' || topic === '') {
    throw new FreshetError('INVALID_OPTION', 'give the dead-letter topic: --topic T', {
      details: { option: 'topic' },
    })
  }
  if (action === 'replay') return replay(c, topic, values, new ProgressLine({ log: logger('dlq', values) }))
  const limit = intFlag('limit', values.limit, 1) ?? 100

  // Step 1
  const admin = new KafkaAdmin({ bootstrapBrokers: c.brokers })
  let partitions: number[]
  try {
    partitions = (await admin.describeTopic(topic)).partitions.map((p) => p.partition).sort((a, b) => a - b)
  } finally {
    await admin.close()
  }
  const reader = new PartitionReader({ bootstrapBrokers: c.brokers, isolationLevel: 'read_committed' })
  const avro = new AvroDeserializer({ registry: new RegistryClient({ url: c.registryUrl }) })
  let shown = 0
  let total = 0
  try {
    const ends = await reader.endOffsets(topic, partitions)
    const starts = await reader.startOffsets(topic, partitions)
    for (const partition of partitions) {
      const end = ends.get(partition) ?? 0n
      const start = starts.get(partition) ?? 0n
      // Step 2: the whole partition, keeping its last `limit` letters (transaction markers take
      // offsets too, so offsets alone cannot tell where the last letters begin).
      const last: InRecord[] = []
      for await (const batch of reader.read(topic, partition, start, end)) {
        for (const record of batch) {
          total++
          last.push(record)
          if (last.length > limit) last.shift()
        }
      }
      for (const record of last) {
        // Step 3
        printLetter(record, readDeadLetter(record), await decodeValue(record.value, avro), c.json)
        shown++
      }
    }
  } finally {
    await reader.close()
  }
  if (!c.json) {
    console.log(
      shown === 0
        ? `no dead letters in ${topic}`
        : `${shown} of ${total} dead letter${total === 1 ? '' : 's'} in ${topic} shown`,
    )
  }
  return 0
}

function printLetter(
  record: InRecord,
  letter: DeadLetter | null,
  decoded: DecodedValue,
  json: boolean,
): void {
  const key = record.key === null ? null : record.key.toString('utf8')
  if (json) {
    console.log(
      JSON.stringify({
        topic: record.topic,
        partition: record.partition,
        offset: Number(record.offset),
        key,
        value: decoded.value,
        valueFormat: decoded.format,
        ...(decoded.schemaId === undefined ? {} : { schemaId: decoded.schemaId }),
        ...(decoded.error === undefined ? {} : { valueError: decoded.error }),
        provenance:
          letter === null
            ? null
            : {
                sourceTopic: letter.sourceTopic,
                sourcePartition: letter.sourcePartition,
                sourceOffset: Number(letter.sourceOffset),
                sourceTimestampMs: letter.sourceTimestampMs,
                stage: letter.stage,
                errorCode: letter.errorCode,
                errorMessage: letter.errorMessage,
                deadLetteredAtMs: letter.deadLetteredAtMs,
              },
        headers: Object.fromEntries(
          [...(letter?.headers ?? record.headers)].map(([name, v]) => [name, v.toString('utf8')]),
        ),
      }),
    )
    return
  }
  const at = new Date(letter?.deadLetteredAtMs ?? record.timestampMs).toISOString()
  const lines = [
    `${record.topic}/${record.partition}@${record.offset}  ${at}  ${letter === null ? 'no provenance headers' : `${letter.stage}  ${letter.errorCode}`}`,
  ]
  if (letter !== null) {
    lines.push(
      `  source   ${letter.sourceTopic}/${letter.sourcePartition}@${letter.sourceOffset} (${new Date(letter.sourceTimestampMs).toISOString()})`,
      `  error    ${letter.errorMessage}`,
    )
  }
  lines.push(`  key      ${key ?? '(none)'}`, `  value    ${describeValue(decoded)}`)
  const headers = [...(letter?.headers ?? record.headers)]
  if (headers.length > 0) {
    lines.push(`  headers  ${headers.map(([name, v]) => `${name}=${v.toString('utf8')}`).join(', ')}`)
  }
  console.log(lines.join('\n'))
}

async function replay(
  c: ReturnType<typeof common>,
  topic: string,
  values: { to?: unknown; group?: unknown; 'include-late'?: unknown },
  progress: ProgressLine,
): Promise<number> {
  const admin = new KafkaAdmin({ bootstrapBrokers: c.brokers })
  try {
    // A missing topic is FRESHET_TOPIC_NOT_FOUND, before anything joins a group.
    await admin.describeTopic(topic)
  } finally {
    await admin.close()
  }
  const startedMs = performance.now()
  const result = await replayDeadLetters({
    bootstrapBrokers: c.brokers,
    topic,
    onProgress: ({ read, total }) =>
      progress.update({
        done: read,
        total,
        ratePerSec: (read * 1_000) / Math.max(1, performance.now() - startedMs),
      }),
    ...(typeof values.to === 'string' && values.to !== '' ? { to: values.to } : {}),
    ...(typeof values.group === 'string' && values.group !== '' ? { groupId: values.group } : {}),
    includeLate: values['include-late'] === true,
  }).finally(() => progress.end())
  const sent = Object.values(result.replayed).reduce((sum, n) => sum + n, 0)
  if (c.json) {
    console.log(JSON.stringify({ topic, ...result, total: sent }))
    return 0
  }
  const targets = Object.entries(result.replayed)
    .map(([target, n]) => `${target} ${n}`)
    .join(', ')
  console.log(
    `replayed ${sent} dead letter${sent === 1 ? '' : 's'} of ${topic}${sent === 0 ? '' : ` (${targets})`}; ` +
      `left: ${result.skippedLate} late, ${result.skippedWithoutProvenance} without provenance`,
  )
  return 0
}
