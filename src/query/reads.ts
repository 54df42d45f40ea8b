/**
 * Reads of one local store instance, decoded by the store's kind as src/testing/store-view.ts
 * decodes them: keys are the JSON the operators write (`encodeKey`), windowed keys the layout of
 * src/state/window-key.ts, values in the store's format (JSON, or v8's structured serialization).
 * Every read is synchronous, so it sees the store between two records, never within one.
 */
import { decodeKey, encodeKey, jsonSerde, structuredSerde } from '../operators/index.ts'
import { decodeWindowKey, windowKeyPrefix, type StateStore } from '../state/index.ts'
import type { StoreDescription } from '../stream/index.ts'
import type { KeyRange, KeyValue, RangeEntry, TimeRange, WindowedValue } from './types.ts'

export function decodeStoreValue(format: string, bytes: Uint8Array): unknown {
  if (format === 'structured') return structuredSerde().decode(bytes)
  if (format === 'json') return jsonSerde().decode(bytes)
  // A serde of the user's own: its bytes, which only it can read.
  return { format, base64: Buffer.from(bytes).toString('base64') }
}

/**
 * What the store holds for `key`: its value (key-value and table stores), or its windows
 * (sessions) within `time`. Undefined when the store holds nothing at all for the key; a key with
 * windows, none of them in `time`, has an empty list.
 *
 *   - window stores: the windows whose start is within [fromMs, toMs] (Kafka Streams'
 *     `WindowStore.fetch(key, timeFrom, timeTo)`);
 *   - session stores: the sessions that end at or after fromMs and start at or before toMs
 *     (`SessionStore.findSessions(key, earliestSessionEndTime, latestSessionStartTime)`).
 */
export function readKey(
  store: StateStore,
  description: StoreDescription,
  key: unknown,
  time: TimeRange = {},
): KeyValue | undefined {
  const keyBytes = encodeKey(key)
  const format = description.format
  if (description.kind === 'window' || description.kind === 'session') {
    const fromMs = time.fromMs ?? -Infinity
    const toMs = time.toMs ?? Infinity
    const windows: WindowedValue[] = []
    let any = false
    for (const [bytes, value] of store.prefix(windowKeyPrefix(keyBytes))) {
      any = true
      const { startMs, endMs } = decodeWindowKey(bytes)
      const inRange =
        description.kind === 'window'
          ? startMs >= fromMs && startMs <= toMs
          : (endMs ?? startMs) >= fromMs && startMs <= toMs
      if (!inRange) continue
      windows.push({
        startMs,
        ...(endMs === undefined ? {} : { endMs }),
        value: decodeStoreValue(format, value),
      })
    }
    if (!any) return undefined
    return description.kind === 'window'
      ? { kind: 'windows', windows }
      : { kind: 'sessions', sessions: windows }
  }
  const bytes = store.get(keyBytes)
  return bytes === undefined ? undefined : { kind: 'value', value: decodeStoreValue(format, bytes) }
}

/**
 * The entries of a key-value or table store with `from <= key <= to`, in the store's order: the
 * byte order of the keys' JSON text (for strings of letters and digits, their usual order). At
 * most `limit` entries, the first ones.
 */
export function readRange(
  store: StateStore,
  description: StoreDescription,
  partition: number,
  range: KeyRange,
  limit: number,
): { entries: RangeEntry[]; truncated: boolean } {
  const gte = range.from === undefined ? undefined : encodeKey(range.from)
  // The successor of `to` in byte order: `to` itself is included.
  const lt = range.to === undefined ? undefined : Buffer.concat([encodeKey(range.to), Buffer.of(0)])
  const entries: RangeEntry[] = []
  for (const [key, value] of store.range(gte, lt)) {
    if (entries.length === limit) return { entries, truncated: true }
    entries.push({ key: decodeKey(key), partition, value: decodeStoreValue(description.format, value) })
  }
  return { entries, truncated: false }
}

/** Orders range entries of several partitions as one store would: by the bytes of the key's JSON. */
export function compareEntries(a: RangeEntry, b: RangeEntry): number {
  return Buffer.compare(encodeKey(a.key), encodeKey(b.key))
}

/**
 * The parts of a range read (one per partition or per worker) as one answer: the entries in key
 * order, at most `limit` of them, truncated when a part was or when the limit cut some off.
 */
export function mergeRangeParts(
  parts: ReadonlyArray<{ entries: readonly RangeEntry[]; truncated: boolean }>,
  limit: number,
): { entries: RangeEntry[]; truncated: boolean } {
  const entries = parts.flatMap((part) => part.entries).sort(compareEntries)
  const truncated = entries.length > limit || parts.some((part) => part.truncated)
  return { entries: entries.slice(0, limit), truncated }
}
