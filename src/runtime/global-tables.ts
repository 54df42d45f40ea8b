/**
 * A worker's global tables: every partition of each global table's topic read into one store that
 * every task of the worker looks up (Kafka Streams' global stores and GlobalKTable). The topic is the
 * store's changelog; nothing is written anywhere.
 *
 *   1. Open one store per global table, empty: in memory, or RocksDB in
 *      `<stateDir>/<applicationId>/global-<workerId>/<store>`, wiped first. The table is rebuilt from
 *      its topic at every start: its local files are not reused.
 *   2. Bootstrap, before the worker joins its group: read every partition from its start up to its
 *      end offset as of the bootstrap (read_committed: the last stable offset). No task processes a
 *      record before the tables hold everything committed to their topics when the worker started.
 *   3. Follow, while the worker runs: every `pollIntervalMs`, read each partition from where the
 *      table is up to its current end offset, and apply the records in offset order. A batch is
 *      applied under the worker's lock, between two of its batches, never within one.
 *   4. Stop with the worker; close the stores.
 *
 * Global state is not part of the exactly-once transaction, as in Kafka Streams: the table moves on
 * its own, so a task that reprocesses records after an abort or a restore may join them with newer
 * table values than the first time.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { InRecord, PartitionReader } from '../kafka/index.ts'
import type { ChangelogEntry, StateStore } from '../state/index.ts'
import type { GlobalSourceSpec } from '../stream/index.ts'
import type { RestoreProgress } from './restore.ts'

export interface GlobalTablesOptions {
  readonly tables: readonly GlobalSourceSpec[]
  readonly reader: PartitionReader
  /** Partitions of each table's topic. */
  readonly partitions: ReadonlyMap<string, number>
  /** Step 1: an empty store (wiped, for RocksDB). */
  readonly openStore: (name: string) => Promise<StateStore>
  /** What a batch of the topic's records leaves in the store, as the table operator writes it. */
  readonly toEntries: (topic: string, records: readonly InRecord[]) => Promise<ChangelogEntry[]>
  /** Runs `work` under the worker's lock (step 3). */
  readonly locked: <T>(work: () => Promise<T>) => Promise<T>
  readonly pollIntervalMs: number
  readonly onProgress: (store: string, progress: RestoreProgress) => void
  /** Records read from the topic, for the worker's per-topic counts. */
  readonly onRead: (topic: string, records: readonly InRecord[]) => void
}

export class GlobalTables {
  readonly #options: GlobalTablesOptions
  /** Open stores by name, for the tasks to look up. */
  readonly stores = new Map<string, StateStore>()
  /** The next offset to read, per topic, per partition. */
  readonly #positions = new Map<string, bigint[]>()

  constructor(options: GlobalTablesOptions) {
    this.#options = options
  }

  /** Steps 1 and 2. */
  async bootstrap(): Promise<void> {
    const { tables, partitions, openStore } = this.#options
    // Step 1 (again on a retry: a bootstrap cut short starts over)
    await this.close()
    for (const table of tables) {
      this.stores.set(table.store, await openStore(table.store))
      this.#positions.set(
        table.topic,
        Array.from({ length: partitions.get(table.topic) ?? 0 }, () => 0n),
      )
    }
    // Step 2
    for (const table of tables) {
      const ends = await this.#ends(table.topic)
      const positions = this.#positions.get(table.topic) as bigint[]
      const totalRecords = Number(ends.reduce((sum, end, p) => sum + end - (positions[p] as bigint), 0n))
      let restoredRecords = 0
      this.#options.onProgress(table.store, { restoredRecords, totalRecords, done: false })
      for (let partition = 0; partition < ends.length; partition++) {
        restoredRecords += await this.#read(table, partition, ends[partition] as bigint, (work) => work())
        this.#options.onProgress(table.store, { restoredRecords, totalRecords, done: false })
      }
      this.#options.onProgress(table.store, { restoredRecords, totalRecords, done: true })
    }
  }

  /** Step 3, until `signal` aborts; a failure ends it (the caller decides whether to go on). */
  async follow(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      for (const table of this.#options.tables) {
        const ends = await this.#ends(table.topic)
        for (let partition = 0; partition < ends.length && !signal.aborted; partition++) {
          await this.#read(table, partition, ends[partition] as bigint, this.#options.locked)
        }
      }
      await sleep(this.#options.pollIntervalMs, undefined, { signal }).catch(() => {})
    }
  }

  /** Step 4. */
  async close(): Promise<void> {
    const stores = [...this.stores.values()]
    this.stores.clear()
    await Promise.all(stores.map((store) => store.close().catch(() => {})))
  }

  async #ends(topic: string): Promise<bigint[]> {
    const count = this.#options.partitions.get(topic) ?? 0
    const ends = await this.#options.reader.endOffsets(
      topic,
      Array.from({ length: count }, (_, p) => p),
    )
    return Array.from({ length: count }, (_, p) => ends.get(p) ?? 0n)
  }

  /** Reads one partition up to `endOffset` into the table's store; returns the offsets it moved. */
  async #read(
    table: GlobalSourceSpec,
    partition: number,
    endOffset: bigint,
    apply: <T>(work: () => Promise<T>) => Promise<T>,
  ): Promise<number> {
    const positions = this.#positions.get(table.topic) as bigint[]
    const fromOffset = positions[partition] as bigint
    if (fromOffset >= endOffset) return 0
    for await (const batch of this.#options.reader.read(table.topic, partition, fromOffset, endOffset)) {
      if (batch.length === 0) continue
      const entries = await this.#options.toEntries(table.topic, batch)
      const next = (batch[batch.length - 1] as InRecord).offset + 1n
      await apply(async () => {
        const store = this.stores.get(table.store)
        // Closed meanwhile (the worker stops): nothing to apply to.
        if (store === undefined) return
        await store.restore(entries)
        positions[partition] = next
      })
      this.#options.onRead(table.topic, batch)
    }
    // Offsets past the last record handed out (transaction markers, aborted records) are read too.
    positions[partition] = endOffset
    return Number(endOffset - fromOffset)
  }
}
