import { fromId, lowerId, prefixEnd, toId } from './bytes.ts'
import { assertNothingUnflushed, ChangelogBuffer, checkCheckpoint } from './changelog.ts'
import { StoreLifecycle } from './lifecycle.ts'
import { resolveMemoryStateStoreOptions, type MemoryStateStoreOptions } from './options.ts'
import { SortedStringMap } from './sorted-map.ts'
import type { ChangelogEntry, StateEntry, StateStore, StoreState } from './types.ts'
import type { Revertible, UndoLog } from './undo-log.ts'

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
  #undo: UndoLog | undefined
  /** Takes back one logged write: (key id, value id it replaced, changelog value it replaced, unflushed before). */
  readonly #reverter: Revertible = {
    revert: (id, previous, pending, wasUnflushed) =>
      this.#revert(
        id as string,
        previous as string | undefined,
        pending as string | null | undefined,
        wasUnflushed as boolean,
      ),
  }

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
    this.#write(id, valueId, this.#set(id, valueId))
  }

  delete(key: Uint8Array): void {
    this.#lifecycle.assertOpen('delete')
    const id = toId(key)
    this.#write(id, null, this.#remove(id))
  }

  setUndoLog(log: UndoLog | undefined): void {
    this.#undo = log
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

  /** Logs and records a write whose data change is made; `previous` is the value it replaced. */
  #write(id: string, valueId: string | null, previous: string | undefined): void {
    const undo = this.#undo
    if (undo !== undefined && undo.recording) {
      const unflushed = this.#unflushed.size
      this.#unflushed.add(id)
      undo.log(this.#reverter, id, previous, this.#changelog.pending(id), this.#unflushed.size === unflushed)
    } else {
      this.#unflushed.add(id)
    }
    this.#changelog.record(id, valueId)
  }

  #revert(
    id: string,
    previous: string | undefined,
    pending: string | null | undefined,
    wasUnflushed: boolean,
  ): void {
    // A closed store has dropped everything already; there is nothing to take back.
    if (this.#lifecycle.state !== 'open') return
    if (previous === undefined) this.#remove(id)
    else this.#set(id, previous)
    this.#changelog.revert(id, pending)
    if (!wasUnflushed) this.#unflushed.delete(id)
  }

  /** Returns the value replaced, or undefined. */
  #set(id: string, valueId: string): string | undefined {
    const previous = this.#data.set(id, valueId)
    this.#bytes += previous === undefined ? id.length + valueId.length : valueId.length - previous.length
    return previous
  }

  /** Returns the value removed, or undefined when there was none. */
  #remove(id: string): string | undefined {
    const previous = this.#data.get(id)
    if (previous === undefined) return undefined
    this.#bytes -= id.length + previous.length
    this.#data.delete(id)
    return previous
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
