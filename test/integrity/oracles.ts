/**
 * The integrity suite's oracles over the output of its pipeline (test/integrity/topology.ts): one
 * result per group and one-second window, whose count and sum are known in closed form.
 */
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { KafkaProducer, PartitionReader, type InRecord } from '../../src/kafka/index.ts'
import { decodeWindowKey, RocksDbStateStore, storeDirectory } from '../../src/state/index.ts'
import type { CommittedReader } from './harness.ts'
import { byWindow, type WindowSum } from './topology.ts'

const MARKER_HEADER = 'integrity.marker'

/** A plain record the suite writes after a run; see `assertNoOpenTransaction`. */
export const isMarker = (record: InRecord): boolean => record.headers.has(MARKER_HEADER)

/** Dead letters by error code, and the late ones by key and window start (the first `limit`). */
export function deadLetterSummary(
  records: readonly InRecord[],
  limit = 40,
): { total: number; byCode: Record<string, number>; late: Record<string, number> } {
  const byCode: Record<string, number> = {}
  const late: Record<string, number> = {}
  for (const record of records) {
    const code = record.headers.get('freshet.dlq.error.code')?.toString() ?? 'none'
    byCode[code] = (byCode[code] ?? 0) + 1
    const start = record.headers.get('freshet.late.window.start.ms')?.toString()
    if (start === undefined) continue
    const id = `${record.key?.toString() ?? ''}/${start}`
    if (id in late || Object.keys(late).length < limit) late[id] = (late[id] ?? 0) + 1
  }
  return { total: records.length, byCode, late }
}

export function parseWindow(record: InRecord): WindowSum {
  return JSON.parse((record.value as Buffer).toString('utf8')) as WindowSum
}

/** The window results among `records`, markers left out. */
export function windowResults(records: readonly InRecord[]): InRecord[] {
  return records.filter((r) => !isMarker(r))
}

/** How many distinct windows `records` hold a result for. */
export function distinctWindows(records: readonly InRecord[]): number {
  return new Set(
    windowResults(records).map((r) => {
      const row = parseWindow(r)
      return `${row.group}/${row.start}`
    }),
  ).size
}

/**
 * Writes a plain record to every partition of `output` and waits until `reader` has read them all:
 * a transaction left open would hold them back (read_committed stops at the last stable offset),
 * and whatever the reader holds before them is all the topic holds.
 */
export async function assertNoOpenTransaction(
  bootstrap: string,
  reader: CommittedReader,
  output: string,
  partitions: number,
): Promise<void> {
  const producer = new KafkaProducer({ bootstrapBrokers: [bootstrap] })
  try {
    await producer.send(
      Array.from({ length: partitions }, (_, partition) => ({
        topic: output,
        partition,
        key: null,
        value: Buffer.from('{}'),
        headers: { [MARKER_HEADER]: '1' },
      })),
    )
  } finally {
    await producer.close()
  }
  await reader.waitFor(
    () => reader.records.filter(isMarker).length === partitions,
    120_000,
    'the markers written after the run (an open transaction would hold them back)',
  )
}

/**
 * Exactly once: every window result once, equal to its closed form, and per output partition each
 * group's windows in increasing order.
 */
export function assertExactlyOnce(records: readonly InRecord[], expected: readonly WindowSum[]): void {
  const results = windowResults(records)
  const rows = results.map(parseWindow)
  const ids = rows.map((r) => `${r.group}/${r.start}`)
  const twice = new Set(ids.filter((id, i) => ids.indexOf(id) !== i))
  // Every copy, with its count and place: equal counts mean input processed twice with the state
  // of before; a smaller one, a result emitted from state that missed some of it.
  assert.deepEqual(
    results.flatMap((record, i) =>
      twice.has(ids[i] as string)
        ? [`${ids[i]}=${(rows[i] as WindowSum).count}@${record.partition}:${record.offset}`]
        : [],
    ),
    [],
    'no window result twice (group/start=count@partition:offset)',
  )
  assert.deepEqual([...rows].sort(byWindow), expected, 'every window equals its closed form')
  const last = new Map<string, number>()
  for (const record of results) {
    const row = parseWindow(record)
    const id = `${record.partition}/${row.group}`
    const previous = last.get(id) ?? -Infinity
    assert.ok(
      row.start > previous,
      `group ${row.group} on partition ${record.partition}: ${row.start} after ${previous}`,
    )
    last.set(id, row.start)
  }
}

/** At least once: every window's count and sum at least its closed form (replays may add to them). */
export function assertAtLeastOnce(records: readonly InRecord[], expected: readonly WindowSum[]): void {
  const best = new Map<string, WindowSum>()
  const all = new Map<string, string[]>()
  for (const record of windowResults(records)) {
    const row = parseWindow(record)
    const id = `${row.group}/${row.start}`
    const seen = best.get(id)
    if (seen === undefined || row.count > seen.count) best.set(id, row)
    all.set(id, [...(all.get(id) ?? []), `${row.count}@${record.partition}:${record.offset}`])
  }
  const short = expected.filter((e) => {
    const row = best.get(`${e.group}/${e.start}`)
    return row === undefined || row.count < e.count || row.sum < e.sum
  })
  const found = short.map(
    (e) => `${e.group}/${e.start}: ${(all.get(`${e.group}/${e.start}`) ?? []).join(' ')}`,
  )
  assert.deepEqual(
    short,
    [],
    `every window counts and sums at least its closed form; the short ones' results (count@partition:offset): ${found.join('; ')}`,
  )
}

/** Where a run's window store lives: its changelog, and each worker's local copies of it. */
export interface WindowStateLocation {
  readonly bootstrap: string
  readonly changelog: string
  readonly partitions: number
  readonly storeName: string
  readonly applicationId: string
  /** The state directory of every worker the run started. */
  readonly stateDirs: readonly string[]
  /** The sub-topology whose tasks hold the store (`<sub-topology>_<partition>`). */
  readonly subtopology: number
}

/**
 * A window that closed leaves no state behind: once every window before `closedBeforeMs` has
 * closed and the workers have stopped, the changelog holds no live key of such a window, and no
 * worker's local copy of a task's store (a current one, or one left from a task that moved away)
 * holds one that a restore from its checkpoint would not delete. State left behind is what a
 * restore brings back and emits again: this finds it even when no restore happened to.
 */
export async function assertNoWindowStateLeftBehind(
  where: WindowStateLocation,
  closedBeforeMs: number,
): Promise<void> {
  const left: string[] = []
  // The changelog: the last record of every key, and where it is.
  const last = new Map<string, { offset: bigint; live: boolean; startMs: number }>()
  const reader = new PartitionReader({ bootstrapBrokers: [where.bootstrap] })
  try {
    const partitions = Array.from({ length: where.partitions }, (_, p) => p)
    const ends = await reader.endOffsets(where.changelog, partitions)
    for (const partition of partitions) {
      for await (const batch of reader.read(where.changelog, partition, 0n, ends.get(partition) ?? 0n)) {
        for (const record of batch) {
          if (record.key === null) continue
          last.set(`${partition}/${record.key.toString('hex')}`, {
            offset: record.offset,
            live: record.value !== null,
            startMs: decodeWindowKey(record.key).startMs,
          })
        }
      }
    }
  } finally {
    await reader.close()
  }
  for (const [id, entry] of last) {
    if (entry.live && entry.startMs < closedBeforeMs) left.push(`changelog ${id} (window ${entry.startMs})`)
  }
  // Each local copy: a key the changelog deleted before the copy's checkpoint stays for good.
  for (const stateDir of where.stateDirs) {
    const tasks = join(stateDir, where.applicationId)
    if (!existsSync(tasks)) continue
    for (const taskId of await readdir(tasks)) {
      const [subtopology, partition] = taskId.split('_').map(Number)
      if (subtopology !== where.subtopology) continue
      const directory = storeDirectory({
        stateDir,
        applicationId: where.applicationId,
        taskId,
        storeName: where.storeName,
      })
      if (!existsSync(directory)) continue
      const store = await RocksDbStateStore.open({ directory, name: where.storeName })
      try {
        const checkpoint = store.readCheckpoint() ?? 0n
        for (const key of store.keys()) {
          const { startMs } = decodeWindowKey(key)
          const logged = last.get(`${partition}/${key.toString('hex')}`)
          if (startMs < closedBeforeMs && (logged === undefined || logged.offset < checkpoint))
            left.push(`${directory} (window ${startMs}, checkpoint ${checkpoint})`)
        }
      } finally {
        await store.close()
      }
    }
  }
  assert.deepEqual(left, [], 'no state of a closed window left behind')
}
