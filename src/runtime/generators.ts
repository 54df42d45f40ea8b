/**
 * Generated sources (Flink's `datagen`): a stream source topic whose records a generator writes
 * while the job runs, so that generated rows go through Kafka like any other input and the job
 * reads them with its usual guarantees.
 *
 * Row `i` of a generator is the record at offset `i` of the topic's one partition: the topic is
 * the generator's alone and written without transactions (no markers), so its end offset is the
 * number of rows written. That makes generation resumable and exact:
 *   1. The worker that holds the task of the topic's partition generates; no other does. When the
 *      task moves (a rebalance, a stop), the generator stops before the task is handed over, and
 *      the next holder goes on from the end offset.
 *   2. A run reads the end offset, then writes rows from there, at most `rowsPerSecond`, in
 *      requests of at most `ROWS_PER_REQUEST`, with an idempotent producer (no duplicate from a
 *      retry).
 *   3. A failed send (an outage) ends the producer; after a pause a new one reads the end offset
 *      again and goes on: what the broker kept is exactly what counts.
 *   4. A bounded generator (`rows`) stops at its last row; the worker reads the topic up to that
 *      offset and then ends the partition's input, as for a bounded topic.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { FreshetError } from '../errors/index.ts'
import { KafkaAdmin, KafkaProducer, type ConnectionOptions, type OutRecord } from '../kafka/index.ts'

/** A record of a generator: its key and value bytes. */
export interface GeneratedRecord {
  readonly key?: Buffer | null | undefined
  readonly value: Buffer
}

export interface SourceGenerator {
  /** The stream source topic it writes: one partition, created by the worker when missing. */
  readonly topic: string
  /** How many rows in all; unbounded when undefined. */
  readonly rows?: number | undefined
  /** At most this many rows a second. */
  readonly rowsPerSecond: number
  /** Row `index` (from 0) as a record. */
  row(index: number): GeneratedRecord
}

/** The most rows one produce request carries. */
const ROWS_PER_REQUEST = 1_000
/** The pause after a failed send before the generator tries again. */
const RETRY_BACKOFF_MS = 1_000

export function checkGenerators(
  generators: readonly SourceGenerator[],
  streamTopics: ReadonlySet<string>,
): void {
  const seen = new Set<string>()
  for (const generator of generators) {
    const fail = (why: string): never => {
      throw new FreshetError('INVALID_OPTION', `Worker: option "generators": ${why}`, {
        details: { option: 'generators' },
      })
    }
    if (!streamTopics.has(generator.topic)) fail(`${generator.topic} is no stream source of the topology`)
    if (seen.has(generator.topic)) fail(`two generators write ${generator.topic}`)
    seen.add(generator.topic)
    if (!(generator.rowsPerSecond > 0)) fail(`rowsPerSecond of ${generator.topic} must be positive`)
    if (generator.rows !== undefined && !(Number.isSafeInteger(generator.rows) && generator.rows >= 0)) {
      fail(`rows of ${generator.topic} must be a whole number`)
    }
  }
}

/** The generators of one worker: each runs while the worker holds its topic's partition. */
export class SourceGenerators {
  readonly #generators: readonly SourceGenerator[]
  readonly #connection: ConnectionOptions & { clientId: string }
  readonly #onError: (topic: string, error: unknown) => boolean
  readonly #running = new Map<string, { stop: AbortController; done: Promise<void> }>()

  constructor(
    generators: readonly SourceGenerator[],
    connection: ConnectionOptions & { clientId: string },
    /** A send or a read failed: true to try again after a pause, false to give up. */
    onError: (topic: string, error: unknown) => boolean,
  ) {
    this.#generators = generators
    this.#connection = connection
    this.#onError = onError
  }

  get topics(): string[] {
    return this.#generators.map((g) => g.topic)
  }

  /** The offset each bounded generator's topic is read up to: its row count. */
  stopOffsets(): Map<string, Map<number, bigint>> {
    const out = new Map<string, Map<number, bigint>>()
    for (const g of this.#generators)
      if (g.rows !== undefined) out.set(g.topic, new Map([[0, BigInt(g.rows)]]))
    return out
  }

  /** Starts the generators of the topics in `held` (partition 0 of each is held) that do not run. */
  follow(held: (topic: string) => boolean): void {
    for (const generator of this.#generators) {
      if (!held(generator.topic) || this.#running.has(generator.topic)) continue
      const stop = new AbortController()
      const done = this.#run(generator, stop.signal)
      this.#running.set(generator.topic, { stop, done })
    }
  }

  /** Stops every running generator; resolves when none writes any more. */
  async stopAll(): Promise<void> {
    const running = [...this.#running.values()]
    this.#running.clear()
    for (const run of running) run.stop.abort()
    await Promise.all(running.map((run) => run.done))
  }

  async #run(generator: SourceGenerator, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.#generate(generator, signal)
        return
      } catch (error) {
        if (signal.aborted) return
        // Step 3
        if (!this.#onError(generator.topic, error)) return
        await sleep(RETRY_BACKOFF_MS, undefined, { signal }).catch(() => {})
      }
    }
  }

  /** Steps 2 and 4 */
  async #generate(generator: SourceGenerator, signal: AbortSignal): Promise<void> {
    const admin = new KafkaAdmin(this.#connection)
    let next: number
    try {
      next = Number((await admin.endOffsets(generator.topic)).get(0) ?? 0n)
    } finally {
      await admin.close().catch(() => {})
    }
    const producer = new KafkaProducer({ ...this.#connection, idempotent: true, acks: 'all' })
    try {
      const end = generator.rows ?? Number.MAX_SAFE_INTEGER
      const startedMs = Date.now()
      const first = next
      while (!signal.aborted && next < end) {
        // At most rowsPerSecond: the rows written so far may not be ahead of the clock.
        const dueMs = startedMs + ((next - first) * 1000) / generator.rowsPerSecond
        if (dueMs > Date.now()) await sleep(dueMs - Date.now(), undefined, { signal }).catch(() => {})
        if (signal.aborted) return
        const allowed = Math.floor(((Date.now() - startedMs) * generator.rowsPerSecond) / 1000) + 1
        const count = Math.max(1, Math.min(ROWS_PER_REQUEST, end - next, first + allowed - next))
        const records: OutRecord[] = []
        for (let index = next; index < next + count; index++) {
          const { key, value } = generator.row(index)
          records.push({ topic: generator.topic, partition: 0, key: key ?? null, value })
        }
        const [written] = await producer.send(records)
        // Row i is at offset i: a record that landed elsewhere means another writer.
        if (written !== undefined && written.offset !== BigInt(next)) {
          throw new FreshetError(
            'INVALID_STATE',
            `generated topic ${generator.topic}: row ${next} was written at offset ${written.offset}; the topic must be written by its generator only`,
            { topic: generator.topic },
          )
        }
        next += count
      }
    } finally {
      await producer.close().catch(() => {})
    }
  }
}
