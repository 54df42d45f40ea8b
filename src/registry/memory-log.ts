/**
 * An in-memory registry log with the Kafka log's shape: one ordered list of records, any number of
 * readers tailing it, delivery a turn of the event loop after each append (as a Kafka tail lags
 * its producer). For tests and for running the registry without a broker; nothing survives the
 * process.
 */
import type { LogEntry, LogWrite, RegistryLog } from './types.ts'

type Subscriber = (entries: LogEntry[]) => void

export class MemoryLog {
  readonly #entries: LogEntry[] = []
  readonly #subscribers = new Set<Subscriber>()

  /** Every record appended so far, in order. */
  get entries(): readonly LogEntry[] {
    return this.#entries
  }

  /** A reader and writer of this log, as one registry instance would hold on a Kafka topic. */
  connect(): RegistryLog {
    let subscriber: Subscriber | undefined
    return {
      start: async (onEntries) => {
        subscriber = onEntries
        this.#subscribers.add(onEntries)
        const existing = [...this.#entries]
        setImmediate(() => {
          if (subscriber !== undefined && existing.length > 0) subscriber(existing)
        })
      },
      endOffset: async () => BigInt(this.#entries.length),
      append: async (records) => this.append(records),
      close: async () => {
        if (subscriber !== undefined) this.#subscribers.delete(subscriber)
        subscriber = undefined
      },
    }
  }

  /** Appends records and resolves with the offset of the last; readers see them on a later turn. */
  append(records: LogWrite[]): bigint {
    const base = this.#entries.length
    const added: LogEntry[] = records.map((r, i) => ({
      offset: BigInt(base + i),
      key: r.key,
      value: r.value,
    }))
    this.#entries.push(...added)
    const subscribers = [...this.#subscribers]
    setImmediate(() => {
      for (const s of subscribers) if (this.#subscribers.has(s)) s(added)
    })
    return BigInt(this.#entries.length - 1)
  }
}
