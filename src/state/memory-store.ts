import { fromId, prefixEnd, toId } from './bytes.ts'
import { assertNothingUnflushed, ChangelogBuffer, checkCheckpoint } from './changelog.ts'
import { StoreLifecycle } from './lifecycle.ts'
import { resolveMemoryStateStoreOptions, type MemoryStateStoreOptions } from './options.ts'
import { entryValue, keyProbe, packEntry, unpackEntry } from './packed-entry.ts'
import { SortedStringMap } from './sorted-map.ts'
import type { ChangelogEntry, StateEntry, StateStore, StoreState } from './types.ts'
import type { Revertible, UndoLog } from './undo-log.ts'

/**
 * A state store in a sorted in-memory set of entries, the worker's default store, for state that its
 * changelog can rebuild quickly. Each key and its value are one string (src/state/packed-entry.ts),
 * about 96 bytes of heap for a 20-byte key and a 40-byte value. `flush` persists nothing (there is
 * nowhere to persist to) but keeps the protocol: it fails on changes not drained to the changelog,
 * as the RocksDB store does.
 */
export class MemoryStateStore implements StateStore {
  readonly name: string
  readonly #lifecycle: StoreLifecycle
  /** The entries, in key order (entries compare as their keys do). */
  readonly #data = new SortedStringMap<never>({ values: false })
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
    const probe = keyProbe(key)
    const entry = this.#entry(probe)
    return entry === undefined ? undefined : entryValue(entry, probe.length)
  }

  put(key: Uint8Array, value: Uint8Array): void {
    this.#lifecycle.assertOpen('put')
    this.#write(toId(key), toId(value), this.#set(key, value))
  }

  delete(key: Uint8Array): void {
    this.#lifecycle.assertOpen('delete')
    this.#write(toId(key), null, this.#remove(key))
  }

  setUndoLog(log: UndoLog | undefined): void {
    this.#undo = log
  }

  range(gte?: Uint8Array, lt?: Uint8Array): IterableIterator<StateEntry> {
    this.#lifecycle.assertOpen('range')
    return this.#scan(gte, lt)
  }

  prefix(prefix: Uint8Array): IterableIterator<StateEntry> {
    this.#lifecycle.assertOpen('prefix')
    return this.#scan(prefix, prefixEnd(prefix))
  }

  *keys(gte?: Uint8Array, lt?: Uint8Array): IterableIterator<Buffer> {
    this.#lifecycle.assertOpen('keys')
    for (const [key] of this.#scan(gte, lt)) yield key
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
      if (value === null) this.#remove(key)
      else this.#set(key, value)
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
    const key = fromId(id)
    if (previous === undefined) this.#remove(key)
    else this.#set(key, fromId(previous))
    this.#changelog.revert(id, pending)
    if (!wasUnflushed) this.#unflushed.delete(id)
  }

  /** The entry of the key whose probe is given, or undefined. */
  #entry(probe: string): string | undefined {
    const entry = this.#data.ceiling(probe)
    return entry !== undefined && entry.startsWith(probe) ? entry : undefined
  }

  /** Returns the value id replaced, or undefined. */
  #set(key: Uint8Array, value: Uint8Array): string | undefined {
    const [entry, probe] = packEntry(key, value)
    const previous = this.#data.setByPrefix(probe, entry)
    if (previous === undefined) {
      this.#bytes += key.length + value.length
      return undefined
    }
    this.#bytes += entry.length - previous.length
    return previous.slice(probe.length)
  }

  /** Returns the value id removed, or undefined when there was none. */
  #remove(key: Uint8Array): string | undefined {
    const probe = keyProbe(key)
    const previous = this.#data.deleteByPrefix(probe)
    if (previous === undefined) return undefined
    this.#bytes -= key.length + previous.length - probe.length
    return previous.slice(probe.length)
  }

  *#scan(
    gte: Uint8Array | undefined,
    lt: Uint8Array | undefined,
  ): Generator<StateEntry, undefined, undefined> {
    // An empty bound is no bound: the empty key is the smallest.
    const from = gte === undefined || gte.length === 0 ? undefined : keyProbe(gte)
    const cursor = this.#data.cursor(from, lt === undefined ? undefined : keyProbe(lt))
    for (;;) {
      this.#lifecycle.assertOpen('iterate')
      const entry = cursor.key()
      if (entry === undefined) return
      const [key, value, probeLength] = unpackEntry(entry)
      // Past every entry of this key, so that a put to it while the caller holds it is not visited again.
      cursor.advancePast(entry.slice(0, probeLength))
      yield [key, value]
    }
  }
}
