/**
 * Sends dead letters back to where they came from, after the cause was fixed, exactly once: each
 * batch of letters is written to its source topics in one transaction together with the replay
 * group's offsets on the dead-letter topic (consume-transform-produce). A replay that stops half
 * way, is killed or is run twice writes every letter once; a second run finds nothing new.
 *
 *   1. Join the replay group on the dead-letter topic (read_committed) and take the end of each
 *      partition (its last stable offset) as where this replay stops.
 *   2. For each batch: a letter goes back to its source topic and partition, with its original
 *      key, value, timestamp and headers and a `freshet.dlq.replayed.from` header naming where it
 *      was; a late letter (it would be late again) and a record without provenance are counted
 *      and not sent, unless asked for.
 *   3. In one transaction: the letters sent and the group's next offsets.
 *   4. Done when every partition is read to its end (transaction markers after the last letter
 *      are found by reading ahead once the group is idle).
 */
import {
  GroupConsumer,
  nextOffsets,
  PartitionReader,
  TransactionalProducer,
  type InRecord,
  type OutRecord,
} from '../kafka/index.ts'
import { checks, validateOptions, type Spec } from '../options/index.ts'
import { readDeadLetter } from './dead-letter.ts'

/** Header of a replayed record: the dead letter it came from, `<topic>/<partition>@<offset>`. */
export const REPLAYED_FROM_HEADER = 'freshet.dlq.replayed.from'

export interface ReplayOptions {
  bootstrapBrokers: string[]
  /** The dead-letter topic. */
  topic: string
  /** Send every letter here instead of its source topic (partitioned by key). */
  to?: string
  /** The consumer group that remembers what was replayed; also the transactional id. */
  groupId?: string
  /** Late letters are not replayed unless this is set: they would be late again. */
  includeLate?: boolean
  /** How long the group may stay without records before the ends are checked by reading. */
  idleMs?: number
  /** Called after each committed batch (a progress bar). */
  onProgress?: (progress: ReplayProgress) => void
}

export interface ReplayProgress {
  /** Letters read and committed so far (replayed or left). */
  read: number
  /** Offsets to read at the start, over every partition: an upper bound, transaction markers included. */
  total: number
}

export interface ReplayResult {
  /** Letters sent, per target topic. */
  readonly replayed: Readonly<Record<string, number>>
  readonly skippedLate: number
  /** Records of the topic without provenance headers: not dead letters freshet wrote. */
  readonly skippedWithoutProvenance: number
}

const replaySpec: Spec<ReplayOptions> = {
  bootstrapBrokers: { check: checks.stringList() },
  topic: { check: checks.string() },
  to: { check: checks.string() },
  groupId: { check: checks.string() },
  includeLate: { check: checks.boolean(), default: false },
  idleMs: { check: checks.int(10, 60_000), default: 1_000 },
  onProgress: { check: checks.func<(progress: ReplayProgress) => void>() },
}

export async function replayDeadLetters(options: ReplayOptions): Promise<ReplayResult> {
  const o = validateOptions('replayDeadLetters', options, replaySpec)
  const groupId = o.groupId ?? `${o.topic}.replay`
  const connection = { bootstrapBrokers: o.bootstrapBrokers }
  const replayed: Record<string, number> = {}
  let skippedLate = 0
  let skippedWithoutProvenance = 0

  const reader = new PartitionReader({ ...connection, isolationLevel: 'read_committed' })
  const consumer = new GroupConsumer({
    ...connection,
    groupId,
    topics: [o.topic],
    fromBeginning: true,
    isolationLevel: 'read_committed',
  })
  const producer = new TransactionalProducer({ ...connection, transactionalId: groupId })
  try {
    // Step 1
    await producer.init()
    await consumer.start()
    const assigned = consumer.assignments.filter((a) => a.topic === o.topic).flatMap((a) => a.partitions)
    const ends = await reader.endOffsets(o.topic, assigned)
    const positions = new Map<number, bigint>()
    for (const c of await consumer.committedOffsets()) positions.set(c.partition, c.offset)
    const open = new Set(assigned.filter((p) => (positions.get(p) ?? 0n) < (ends.get(p) ?? 0n)))
    const total = [...open].reduce(
      (sum, p) => sum + Number((ends.get(p) ?? 0n) - (positions.get(p) ?? 0n)),
      0,
    )
    let read = 0
    // A batch asked for and not yet handed over survives an idle check: it is awaited again.
    let pending: Promise<InRecord[]> | undefined
    while (open.size > 0) {
      pending ??= consumer.nextBatch()
      const batch = await orIdle(pending, o.idleMs ?? 1_000)
      if (batch !== undefined) pending = undefined
      if (batch === undefined || batch.length === 0) {
        // Step 4: idle; what is left before an end may be transaction markers only.
        for (const p of [...open]) {
          if (!(await hasRecords(reader, o.topic, p, positions.get(p) ?? 0n, ends.get(p) ?? 0n)))
            open.delete(p)
        }
        continue
      }
      // Step 2
      const out: OutRecord[] = []
      for (const record of batch) {
        const target = toReplay(record, o.to, o.includeLate ?? false)
        if (target === 'late') skippedLate++
        else if (target === 'no provenance') skippedWithoutProvenance++
        else out.push(target)
      }
      // Step 3
      await producer.begin()
      try {
        if (out.length > 0) await producer.send(out)
        await producer.sendOffsets(consumer, nextOffsets(batch))
        await producer.commit()
      } catch (error) {
        await producer.abort().catch(() => {})
        throw error
      }
      for (const record of out) replayed[record.topic] = (replayed[record.topic] ?? 0) + 1
      for (const next of nextOffsets(batch)) {
        positions.set(next.partition, next.offset)
        if (next.offset >= (ends.get(next.partition) ?? 0n)) open.delete(next.partition)
      }
      read += batch.length
      o.onProgress?.({ read, total })
    }
    return { replayed, skippedLate, skippedWithoutProvenance }
  } finally {
    await consumer.close().catch(() => {})
    await producer.close().catch(() => {})
    await reader.close().catch(() => {})
  }
}

function toReplay(
  record: InRecord,
  to: string | undefined,
  includeLate: boolean,
): OutRecord | 'late' | 'no provenance' {
  const letter = readDeadLetter(record)
  if (letter === null) return 'no provenance'
  if (letter.stage === 'late' && !includeLate) return 'late'
  const headers: Record<string, Buffer> = Object.fromEntries(letter.headers)
  headers[REPLAYED_FROM_HEADER] = Buffer.from(`${record.topic}/${record.partition}@${record.offset}`)
  return {
    topic: to ?? letter.sourceTopic,
    ...(to === undefined ? { partition: letter.sourcePartition } : {}),
    key: letter.key,
    value: letter.value,
    headers,
    ...(Number.isFinite(letter.sourceTimestampMs) ? { timestampMs: letter.sourceTimestampMs } : {}),
  }
}

async function orIdle(pending: Promise<InRecord[]>, idleMs: number): Promise<InRecord[] | undefined> {
  let timer: NodeJS.Timeout | undefined
  const idle = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), idleMs)
  })
  try {
    return await Promise.race([pending, idle])
  } finally {
    clearTimeout(timer)
  }
}

async function hasRecords(
  reader: PartitionReader,
  topic: string,
  partition: number,
  from: bigint,
  to: bigint,
): Promise<boolean> {
  if (from >= to) return false
  for await (const batch of reader.read(topic, partition, from, to)) if (batch.length > 0) return true
  return false
}
