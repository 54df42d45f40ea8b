/**
 * A read-only view of one store over every task of its sub-topology, decoded by the store's kind,
 * so that tests can check state (what is held, and how many bytes) without knowing its layout.
 */
import { decodeKey, jsonSerde, structuredSerde } from '../operators/index.ts'
import { decodeWindowKey, type MemoryStateStore } from '../state/index.ts'
import type { StoreDescription, StoreKind } from '../stream/index.ts'

export interface StoreEntry {
  readonly partition: number
  /** The record key the entry belongs to. */
  readonly key: unknown
  /** Window stores: the window start; sessions also the end (last event time). */
  readonly startMs?: number
  readonly endMs?: number
  /** Deduplication: the id within the key (absent when deduplicating by key alone). */
  readonly id?: unknown
  /** Join buffers: the event time of the buffered records. */
  readonly timestampMs?: number
  /** The decoded value: an accumulator, a table or state value, a first-seen time, buffered values. */
  readonly value: unknown
  /** Bytes of key and value as stored (what the changelog would carry). */
  readonly bytes: number
}

export interface RawEntry {
  readonly partition: number
  readonly key: Uint8Array
  readonly value: Uint8Array
}

function readTime(bytes: Uint8Array): number {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  return view.readUInt32BE(0) * 0x1_0000_0000 + view.readUInt32BE(4)
}

export class StoreView {
  readonly name: string
  readonly kind: StoreKind
  readonly changelogTopic: string
  readonly #parts: ReadonlyArray<{ partition: number; store: MemoryStateStore }>
  readonly #format: string

  constructor(
    description: StoreDescription,
    parts: ReadonlyArray<{ partition: number; store: MemoryStateStore }>,
  ) {
    this.name = description.name
    this.kind = description.kind
    this.changelogTopic = description.changelogTopic
    this.#format = description.format
    this.#parts = parts
  }

  /** Entries over all partitions. */
  get size(): number {
    return this.#parts.reduce((sum, part) => sum + part.store.approximateCount(), 0)
  }

  /** Bytes of keys and values over all partitions. */
  get sizeBytes(): number {
    return this.#parts.reduce((sum, part) => sum + part.store.approximateBytes(), 0)
  }

  raw(): RawEntry[] {
    const out: RawEntry[] = []
    for (const { partition, store } of this.#parts) {
      for (const [key, value] of store.range()) out.push({ partition, key, value })
    }
    return out
  }

  entries(): StoreEntry[] {
    return this.raw().map((entry) => this.#decode(entry))
  }

  /** The value of `key` in a key-value or table store, from whichever partition holds it. */
  get(key: unknown): unknown {
    const wanted = JSON.stringify(key)
    return this.entries().find((e) => JSON.stringify(e.key) === wanted)?.value
  }

  #decodeValue(bytes: Uint8Array): unknown {
    return (this.#format === 'structured' ? structuredSerde() : jsonSerde()).decode(bytes)
  }

  #decode({ partition, key, value }: RawEntry): StoreEntry {
    const bytes = key.length + value.length
    switch (this.kind) {
      case 'window':
      case 'session': {
        const decoded = decodeWindowKey(key)
        return {
          partition,
          key: decodeKey(decoded.key),
          startMs: decoded.startMs,
          ...(decoded.endMs === undefined ? {} : { endMs: decoded.endMs }),
          value: this.#decodeValue(value),
          bytes,
        }
      }
      case 'deduplicate': {
        const [recordKey, ...id] = decodeKey<unknown[]>(key)
        return {
          partition,
          key: recordKey,
          ...(id.length === 0 ? {} : { id: id[0] }),
          value: readTime(value),
          bytes,
        }
      }
      case 'join-buffer': {
        const decoded = decodeWindowKey(key)
        return {
          partition,
          key: decodeKey(decoded.key),
          timestampMs: decoded.startMs,
          value: jsonSerde().decode(value),
          bytes,
        }
      }
      case 'key-value':
      case 'table':
      case 'global-table':
        return { partition, key: decodeKey(key), value: this.#decodeValue(value), bytes }
    }
  }
}
