/**
 * Restores a store from its changelog partition before its task processes anything.
 *
 *   1. Start at the store's checkpoint (the changelog offset its local files are complete up to),
 *      or at the beginning for a store without one (in memory, or new on this machine).
 *   2. Read the end: the last stable offset of the partition, so nothing of an open transaction
 *      is restored, once every transaction already written to the partition is decided
 *      (`PartitionReader.settledEndOffset`). The group's offsets are stable by then (the worker
 *      waits for that first), so the previous owner's last commit is decided; but its marker may
 *      not be in the changelog yet, and a restore that stopped before it would start from the
 *      offsets after that commit with the state before it (results emitted twice).
 *   3. A checkpoint beyond the end means the local files belong to another incarnation of the
 *      changelog (the topic was deleted and created again): they are wiped and step 1 restarts
 *      from the beginning.
 *   4. Replay the records in order, each batch applied with the offset after it as the new
 *      checkpoint, reporting progress. Local files are a cache: losing them costs a longer replay,
 *      never correctness.
 *
 * A table whose changelog is its source topic (`endOffset` given) is restored from that topic, and
 * the end of step 2 is the group's committed offset of the task's partition of it, not the log end:
 * the task reads the topic on from that offset, so a record beyond it restored now would be applied
 * before the stream records that precede it in the committed history (and under exactly-once, the
 * state would run ahead of the last commit, which an aborted transaction rolls back to). The state
 * restored is then exactly that of the last commit. No committed offset means the task reads the
 * topic from its start, and restores nothing. A checkpoint beyond the committed offset
 * (at-least-once flushes a store before it commits its offsets; an offset reset) is treated as
 * step 3 treats one beyond the log end. `toEntries` turns the topic's records into the store's
 * entries, as the table's operator would.
 */
import type { InRecord, PartitionReader } from '../kafka/index.ts'
import type { ChangelogEntry, StateStore } from '../state/index.ts'

export interface RestoreProgress {
  readonly restoredRecords: number
  readonly totalRecords: number
  readonly done: boolean
  /**
   * For a store restored from one changelog partition: the offset the replay starts at (the local
   * checkpoint, or 0) and the one it ends before.
   */
  readonly fromOffset?: number
  readonly endOffset?: number
}

export interface RestoreOptions {
  readonly topic: string
  readonly partition: number
  /** How long step 2 waits for a transaction on the changelog to be decided. */
  readonly settleTimeoutMs: number
  readonly onProgress: (progress: RestoreProgress) => void
  /** Where the restore ends, for a store restored from its source topic (see above). */
  readonly endOffset?: bigint | undefined
  /** The store entries of a batch of records; by default the records' keys and values as they are. */
  readonly toEntries?: ((records: readonly InRecord[]) => Promise<ChangelogEntry[]>) | undefined
}

export async function restoreStore(
  reader: PartitionReader,
  open: (wipe: boolean) => Promise<StateStore>,
  options: RestoreOptions,
): Promise<StateStore> {
  let store = await open(false)
  try {
    return await replay(reader, store, open, options, (next) => (store = next))
  } catch (error) {
    // A retry opens the store again: release it (and its lock on the files) first.
    await store.close().catch(() => {})
    throw error
  }
}

async function replay(
  reader: PartitionReader,
  opened: StateStore,
  open: (wipe: boolean) => Promise<StateStore>,
  { topic, partition, settleTimeoutMs, onProgress, endOffset: givenEnd, toEntries }: RestoreOptions,
  replaced: (store: StateStore) => void,
): Promise<StateStore> {
  let store = opened
  // Step 1
  let fromOffset = store.readCheckpoint() ?? 0n
  // Step 2
  const endOffset = givenEnd ?? (await reader.settledEndOffset(topic, partition, settleTimeoutMs))
  // Step 3
  if (fromOffset > endOffset) {
    await store.close()
    store = await open(true)
    replaced(store)
    fromOffset = 0n
  }
  const totalRecords = Number(endOffset - fromOffset)
  let restoredRecords = 0
  const range = { fromOffset: Number(fromOffset), endOffset: Number(endOffset) }
  onProgress({ restoredRecords, totalRecords, done: fromOffset >= endOffset, ...range })
  if (fromOffset >= endOffset) return store
  // Step 4
  for await (const batch of reader.read(topic, partition, fromOffset, endOffset)) {
    if (batch.length === 0) continue
    const entries: ChangelogEntry[] = []
    if (toEntries !== undefined) entries.push(...(await toEntries(batch)))
    else
      for (const record of batch)
        if (record.key !== null) entries.push({ key: record.key, value: record.value })
    const last = batch[batch.length - 1] as (typeof batch)[number]
    await store.restore(entries, last.offset + 1n)
    restoredRecords = Math.min(totalRecords, Number(last.offset + 1n - fromOffset))
    onProgress({ restoredRecords, totalRecords, done: false, ...range })
  }
  onProgress({ restoredRecords: totalRecords, totalRecords, done: true, ...range })
  return store
}
