import { fromId, lowerId, prefixEnd, toId } from './bytes.ts'
import { assertNothingUnflushed, ChangelogBuffer, checkCheckpoint } from './changelog.ts'
import { StoreLifecycle } from './lifecycle.ts'
import { resolveMemoryStateStoreOptions, type MemoryStateStoreOptions } from './options.ts'
import { SortedStringMap } from './sorted-map.ts'
import type { ChangelogEntry, StateEntry, StateStore, StoreState } from './types.ts'

/**
 * A state store in a sorted in-memory map, for tests and for small state that its changelog can
 * rebuild quickly. `flush` persists nothing (there is nowhere to persist to) but keeps the protocol:
 * it fails on changes not drained to the changelog, as the RocksDB store does.
 */
export class MemoryStateStore implements StateStore {
  readonly name: string
  readonly #lifecycle: StoreLifecycle
  readonly #data = new SortedStringMap<string>()
  readonly #changelog: ChangelogBuffer
  #bytes = 0
  /** Keys changed since the last flush. */
  readonly #unflushed = new Set<string>()
  #checkpoint: bigint | null = null

  constructor(options: MemoryStateStoreOptions = {}) {
    const resolved = resolveMemoryStateStoreOptions(options)
    this.name = resolved.name
    this.#lifecycle = new StoreLifecycle(this.name)
    this.#changelog = new ChangelogBuffer(resolved.changelog)
  }

  get state(): StoreState {
    return this.#lifecycle.state
  }

  get(key: Uint8Array): Buffer | undefined {
    this.#lifecycle.assertOpen('get')
    const value = this.#data.get(toId(key))
    return value === undefined ? undefined : fromId(value)
  }

  put(key: Uint8Array, value: Uint8Array): void {
    this.#lifecycle.assertOpen('put')
    const id = toId(key)
    const valueId = toId(value)
    this.#set(id, valueId)
    this.#changelog.record(id, valueId)
    this.#unflushed.add(id)
  }

  delete(key: Uint8Array): void {
    this.#lifecycle.assertOpen('delete')
    const id = toId(key)
    this.#remove(id)
    this.#changelog.record(id, null)
    this.#unflushed.add(id)
  }

  range(gte?: Uint8Array, lt?: Uint8Array): IterableIterator<StateEntry> {
    this.#lifecycle.assertOpen('range')
    return this.#scan(lowerId(gte), lt === undefined ? undefined : toId(lt))
  }

  prefix(prefix: Uint8Array): IterableIterator<StateEntry> {
    this.#lifecycle.assertOpen('prefix')
    const end = prefixEnd(prefix)
    return this.#scan(lowerId(prefix), end === undefined ? undefined : toId(end))
  }

  approximateCount(): number {
    this.#lifecycle.assertOpen('approximateCount')
    return this.#data.size
  }

  approximateBytes(): number {
    this.#lifecycle.assertOpen('approximateBytes')
    return this.#bytes
  }

  unflushedCount(): number {
    this.#lifecycle.assertOpen('unflushedCount')
    return this.#unflushed.size
  }

  drainChangelog(): ChangelogEntry[] {
    this.#lifecycle.assertOpen('drainChangelog')
    return this.#changelog.drain()
  }

  async restore(entries: Iterable<ChangelogEntry>, nextOffset?: bigint): Promise<void> {
    this.#lifecycle.assertOpen('restore')
    assertNothingUnflushed(this.name, this.#unflushed.size)
    const checkpoint = nextOffset === undefined ? undefined : checkCheckpoint(this.name, nextOffset)
    for (const { key, value } of entries) {
      if (value === null) this.#remove(toId(key))
      else this.#set(toId(key), toId(value))
    }
    if (checkpoint !== undefined) this.#checkpoint = checkpoint
  }

  writeCheckpoint(nextOffset: bigint): void {
    this.#lifecycle.assertOpen('writeCheckpoint')
    this.#checkpoint = checkCheckpoint(this.name, nextOffset)
  }

  readCheckpoint(): bigint | null {
    this.#lifecycle.assertOpen('readCheckpoint')
    return this.#checkpoint
  }

  async flush(): Promise<void> {
    this.#lifecycle.assertOpen('flush')
    this.#changelog.assertDrained(this.name)
    this.#unflushed.clear()
  }

  async close(): Promise<void> {
    if (this.#lifecycle.state !== 'open') return
    this.#lifecycle.transition('closing')
    this.#data.clear()
    this.#unflushed.clear()
    this.#changelog.clear()
    this.#lifecycle.transition('closed')
  }

  #set(id: string, valueId: string): void {
    const previous = this.#data.get(id)
    this.#bytes += previous === undefined ? id.length + valueId.length : valueId.length - previous.length
    this.#data.set(id, valueId)
  }

  #remove(id: string): void {
    const previous = this.#data.get(id)
    if (previous === undefined) return
    this.#bytes -= id.length + previous.length
    this.#data.delete(id)
  }

  *#scan(gte: string | undefined, lt: string | undefined): Generator<StateEntry, undefined, undefined> {
    const cursor = this.#data.cursor(gte, lt)
    for (;;) {
      this.#lifecycle.assertOpen('iterate')
      const id = cursor.key()
      if (id === undefined) return
      const value = cursor.value() as string
      cursor.advance()
      yield [fromId(id), fromId(value)]
    }
  }
}
