/**
 * Lag in records rather than offsets. Offsets count more than a group's members will ever be
 * handed: a transaction's commit marker after the last record of each partition it wrote, the
 * records of aborted transactions, and the watermark markers freshet writes into repartition
 * topics at commits (src/task/records.ts). A caught-up application that stopped cleanly has a few
 * of those past its committed offsets, and an offset lag that never reaches 0.
 *
 * For a partition whose offset lag is small (at most `RECORD_LAG_SCAN_OFFSETS`), the records
 * between the committed offset and the last stable offset are read (read_committed) and counted,
 * leaving out control records, aborted records and watermark markers; what lies past the last
 * stable offset (a transaction still open) counts as offsets. A larger lag stays in offsets, where
 * those extra offsets are a rounding error.
 */
import { PartitionReader, type ConnectionOptions, type PartitionLag } from '../kafka/index.ts'
import { isWatermarkMarker } from '../task/index.ts'

/** The largest offset lag of a partition that is read and counted record by record. */
export const RECORD_LAG_SCAN_OFFSETS = 10_000n

export async function inRecords(
  lags: readonly PartitionLag[],
  connection: ConnectionOptions,
): Promise<PartitionLag[]> {
  const small = lags.filter((p) => p.lag > 0n && p.lag <= RECORD_LAG_SCAN_OFFSETS)
  if (small.length === 0) return [...lags]
  const reader = new PartitionReader({ ...connection, isolationLevel: 'read_committed' })
  try {
    // The last stable offsets, asked once per topic.
    const stableOf = new Map<string, Map<number, bigint>>()
    for (const topic of new Set(small.map((p) => p.topic))) {
      const partitions = small.filter((p) => p.topic === topic).map((p) => p.partition)
      stableOf.set(topic, await reader.endOffsets(topic, partitions))
    }
    const counted = new Map<PartitionLag, bigint>()
    for (const p of small) {
      const from = p.committedOffset ?? 0n
      const stable = stableOf.get(p.topic)?.get(p.partition) ?? p.endOffset
      let records = 0n
      for await (const batch of reader.read(p.topic, p.partition, from, stable)) {
        for (const record of batch) if (!isWatermarkMarker(record)) records++
      }
      // Past the last stable offset: an open transaction's records, not yet decided.
      counted.set(p, records + (p.endOffset > stable ? p.endOffset - stable : 0n))
    }
    return lags.map((p) => {
      const records = counted.get(p)
      return records === undefined ? p : { ...p, lag: records }
    })
  } finally {
    await reader.close()
  }
}
