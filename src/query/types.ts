import type { StoreKind } from '../stream/index.ts'

/** Store kinds that answer queries; deduplication and join buffers are internal to their operators. */
export const QUERYABLE_KINDS = ['key-value', 'table', 'window', 'session'] as const
export type QueryableKind = (typeof QUERYABLE_KINDS)[number]

export function isQueryable(kind: StoreKind): kind is QueryableKind {
  return (QUERYABLE_KINDS as readonly string[]).includes(kind)
}

/** What a worker tells its group about itself, in its subscription's user data. */
export interface MemberInfo {
  readonly workerId: string
  /** `host:port` of its query endpoint, or undefined when it advertises none. */
  readonly endpoint: string | undefined
}

/** The worker hosting a task, as the group's coordinator last described it. */
export interface TaskHost extends MemberInfo {
  readonly memberId: string
}

/** A window (or session) of a key and its value; time windows carry no end in the store. */
export interface WindowedValue {
  readonly startMs: number
  readonly endMs?: number
  readonly value: unknown
}

/** A time range over window starts (window stores) or one that sessions overlap (session stores). */
export interface TimeRange {
  readonly fromMs?: number
  readonly toMs?: number
}

/** Bounds of a key range, both inclusive (Kafka Streams' `range(from, to)`); missing: open. */
export interface KeyRange {
  readonly from?: unknown
  readonly to?: unknown
  /** At most this many entries; `truncated` says when more were there. */
  readonly limit?: number
}

/** What a key-value or table store holds for a key, or a window or session store's windows of it. */
export type KeyValue =
  | { readonly kind: 'value'; readonly value: unknown }
  | { readonly kind: 'windows'; readonly windows: readonly WindowedValue[] }
  | { readonly kind: 'sessions'; readonly sessions: readonly WindowedValue[] }

/**
 * The answer to a key lookup (`Worker.query`):
 * - `found`: this worker hosts the key's partition and holds the key;
 * - `not-found`: this worker hosts the partition and holds nothing for the key;
 * - `elsewhere`: another worker hosts the partition, at `host.endpoint` (Kafka Streams'
 *   `queryMetadataForKey`);
 * - `unavailable`: nobody can answer now (the group rebalances, the task restores, the worker is
 *   not running); ask again after `retryAfterMs`.
 */
export type KeyQueryResult =
  | { readonly status: 'found'; readonly partition: number; readonly result: KeyValue }
  | { readonly status: 'not-found'; readonly partition: number }
  | { readonly status: 'elsewhere'; readonly partition: number; readonly host: TaskHost }
  | {
      readonly status: 'unavailable'
      readonly partition: number | undefined
      readonly reason: string
      readonly retryAfterMs: number
    }

export interface RangeEntry {
  readonly key: unknown
  readonly partition: number
  readonly value: unknown
}

/**
 * The entries of a key range held by this worker (`Worker.queryRange`): only the partitions it
 * hosts and has restored (`partitions`); the others are other workers' to answer.
 */
export interface RangeQueryResult {
  readonly partitions: readonly number[]
  readonly entries: readonly RangeEntry[]
  readonly truncated: boolean
}

export interface StoreHosts {
  readonly name: string
  readonly kind: StoreKind
  readonly queryable: boolean
  readonly partitions: number
  /** Per partition, the worker hosting it (undefined while unknown) and whether it is this one. */
  readonly hosts: ReadonlyArray<{
    readonly partition: number
    readonly host: TaskHost | undefined
    readonly local: boolean
  }>
}

/** Kafka Streams' `streamsMetadataForStore` for every store: who hosts which partition. */
export interface StoresMetadata {
  readonly workerId: string
  readonly endpoint: string | undefined
  /** `rebalancing` while the group's assignment is not known (a rebalance, before the first). */
  readonly state: 'available' | 'rebalancing'
  readonly generationId: number
  readonly stores: readonly StoreHosts[]
}
