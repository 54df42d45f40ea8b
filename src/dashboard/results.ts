/**
 * Follows the jobs' output topic for the dashboard, outside any consumer group: read_committed, so
 * it shows only results whose transaction committed, and from shortly before the end of each
 * partition, so a dashboard opened on a long-running pipeline starts with its latest windows.
 *
 * Each poll, as numbered steps:
 *   1. Ask the end offsets (last stable offsets) of every partition, in one request.
 *   2. For each partition behind its end, read up to it: a bounded read that never waits.
 *   3. Load the writer schemas the records need. While the registry cannot be reached (a retriable
 *      error) the poll ends there and the next one reads the same records again: nothing is
 *      skipped for an outage.
 *   4. Decode each row (Avro through the registry, or JSON) and hand it on. A row that does not
 *      decode is counted and skipped: the jobs' own dead-letter topics hold bad input, and the
 *      dashboard is only a reader.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { isFreshetError, toFreshetError, type FreshetError } from '../errors/index.ts'
import { PartitionReader } from '../kafka/index.ts'
import { AnalyticsResultSchema, type AnalyticsResult } from '../schemas/index.ts'
import {
  createDeserializer,
  type Deserializer,
  type SchemaRegistryClient,
  type SerdeFormat,
} from '../serde/index.ts'

export interface ResultsTailOptions {
  bootstrapBrokers: string[]
  topic: string
  partitions: number
  format: SerdeFormat
  registry?: SchemaRegistryClient
  /** At most this many records before each partition's end are read at start. */
  lookbackRecords?: number
  pollIntervalMs?: number
  onRows: (rows: AnalyticsResult[]) => void
  onError?: (error: FreshetError) => void
}

export class ResultsTail {
  readonly #options: ResultsTailOptions
  readonly #reader: PartitionReader
  readonly #deserializer: Deserializer<AnalyticsResult>
  readonly #positions = new Map<number, bigint>()
  readonly #stop = new AbortController()
  #loop: Promise<void> | undefined
  #undecodable = 0

  constructor(options: ResultsTailOptions) {
    this.#options = options
    const { bootstrapBrokers, format, registry } = options
    this.#reader = new PartitionReader({
      bootstrapBrokers,
      clientId: 'freshet-dashboard',
      isolationLevel: 'read_committed',
      maxWaitMs: 0,
    })
    this.#deserializer = createDeserializer<AnalyticsResult>({
      format,
      schema: AnalyticsResultSchema,
      ...(registry === undefined ? {} : { registry }),
    })
  }

  /** Rows skipped because they did not decode. */
  get undecodable(): number {
    return this.#undecodable
  }

  async start(): Promise<void> {
    const { topic, partitions } = this.#options
    const all = Array.from({ length: partitions }, (_, p) => p)
    const lookback = BigInt(this.#options.lookbackRecords ?? 5_000)
    const [starts, ends] = await Promise.all([
      this.#reader.startOffsets(topic, all),
      this.#reader.endOffsets(topic, all),
    ])
    for (const p of all) {
      const start = starts.get(p) ?? 0n
      const end = ends.get(p) ?? 0n
      this.#positions.set(p, end - lookback > start ? end - lookback : start)
    }
    this.#loop = this.#run()
  }

  async #run(): Promise<void> {
    const signal = this.#stop.signal
    while (!signal.aborted) {
      try {
        await this.#poll()
      } catch (error) {
        if (signal.aborted) return
        this.#options.onError?.(toFreshetError(error, 'KAFKA_ERROR', `read ${this.#options.topic}`))
      }
      await sleep(this.#options.pollIntervalMs ?? 500, undefined, { signal }).catch(() => {})
    }
  }

  async #poll(): Promise<void> {
    const { topic } = this.#options
    // Step 1
    const ends = await this.#reader.endOffsets(topic, [...this.#positions.keys()])
    for (const [partition, end] of ends) {
      // Step 2
      const from = this.#positions.get(partition) ?? 0n
      if (from >= end) continue
      for await (const records of this.#reader.read(topic, partition, from, end)) {
        // Step 3
        try {
          await this.#deserializer.prepare(records.map((r) => r.value))
        } catch (error) {
          // Retried by the next poll from this partition's position; a schema that cannot be
          // had at all leaves its rows to fail in step 4.
          if (isFreshetError(error) && error.retriable) throw error
        }
        // Step 4
        const rows: AnalyticsResult[] = []
        for (const record of records) {
          try {
            rows.push(this.#deserializer.deserializeSync(record.value))
          } catch {
            this.#undecodable++
          }
        }
        this.#positions.set(partition, (records.at(-1)?.offset ?? from) + 1n)
        if (rows.length > 0) this.#options.onRows(rows)
        if (this.#stop.signal.aborted) return
      }
      this.#positions.set(partition, end)
    }
  }

  async close(): Promise<void> {
    this.#stop.abort()
    await this.#loop
    await this.#reader.close()
  }
}
