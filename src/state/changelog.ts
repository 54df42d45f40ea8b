import { FreshetError } from '../errors/index.ts'
import { fromId } from './bytes.ts'
import type { ChangelogEntry } from './types.ts'

/** Kafka offsets are signed 64-bit. */
const MAX_OFFSET = (1n << 63n) - 1n

/**
 * The mutations since the last drain, one per key: a compacted changelog topic keeps only the
 * latest record of a key, so earlier values of a key within one commit need never be produced.
 */
export class ChangelogBuffer {
  readonly #enabled: boolean
  /** Key id -> latest value id, or null for a delete; in the order keys were first changed. */
  #pending = new Map<string, string | null>()

  constructor(enabled: boolean) {
    this.#enabled = enabled
  }

  get size(): number {
    return this.#pending.size
  }

  record(id: string, value: string | null): void {
    if (this.#enabled) this.#pending.set(id, value)
  }

  /** The pending value of a key (`null` = a delete), or undefined when the key has none. */
  pending(id: string): string | null | undefined {
    return this.#pending.get(id)
  }

  /**
   * Puts back what `pending(id)` returned before a write (src/state/undo-log.ts). Writes are taken
   * back newest first, so a key that had nothing pending is the last one added when its turn comes
   * and deleting it keeps the order of first changes; a key that had a value keeps its place.
   */
  revert(id: string, previous: string | null | undefined): void {
    if (previous === undefined) this.#pending.delete(id)
    else this.#pending.set(id, previous)
  }

  drain(): ChangelogEntry[] {
    const out: ChangelogEntry[] = []
    for (const [id, value] of this.#pending) {
      out.push({ key: fromId(id), value: value === null ? null : fromId(value) })
    }
    this.#pending = new Map()
    return out
  }

  clear(): void {
    this.#pending = new Map()
  }

  /** Fails the flush of a store whose changes have not all gone to its changelog. */
  assertDrained(store: string): void {
    if (this.#pending.size === 0) return
    throw new FreshetError(
      'STATE_CHANGELOG_NOT_DRAINED',
      `state store "${store}": cannot flush ${this.#pending.size} change(s) not yet drained to the changelog; ` +
        'call drainChangelog() and commit them first',
      { details: { store, pending: this.#pending.size } },
    )
  }
}

/** A checkpoint is the next changelog offset to read: a non-negative 64-bit integer. */
export function checkCheckpoint(store: string, nextOffset: unknown): bigint {
  if (typeof nextOffset !== 'bigint' || nextOffset < 0n || nextOffset > MAX_OFFSET) {
    throw new FreshetError(
      'STATE_CHECKPOINT_INVALID',
      `state store "${store}": a checkpoint must be a bigint offset in [0, 2^63 - 1], got ${String(nextOffset)}`,
      { details: { store } },
    )
  }
  return nextOffset
}

export function encodeCheckpoint(nextOffset: bigint): Buffer {
  const out = Buffer.allocUnsafe(8)
  out.writeBigInt64BE(nextOffset)
  return out
}

export function decodeCheckpoint(store: string, bytes: Uint8Array): bigint {
  if (bytes.length !== 8) {
    throw new FreshetError(
      'STATE_CHECKPOINT_INVALID',
      `state store "${store}": stored checkpoint has ${bytes.length} bytes, expected 8`,
      { details: { store, length: bytes.length } },
    )
  }
  return checkCheckpoint(store, Buffer.from(bytes).readBigInt64BE())
}

/** Fails a restore into a store that holds changes a flush has not persisted. */
export function assertNothingUnflushed(store: string, unflushed: number): void {
  if (unflushed === 0) return
  throw new FreshetError(
    'STATE_UNFLUSHED_CHANGES',
    `state store "${store}": cannot restore while ${unflushed} change(s) are not flushed; ` +
      'restore before processing, or flush first',
    { details: { store, unflushed } },
  )
}
