/**
 * The read-only queries a worker answers over its state stores (Kafka Streams' interactive
 * queries), and what it knows of which worker hosts which task.
 *
 * Local reads go to the open store of the task that owns the key: a task is open once it is
 * restored, and closed from the moment a rebalance revokes it, an abort discards it or an outage
 * drops it, so a key whose task is not open here is either another worker's or unavailable for
 * now. Which worker hosts a task comes from the group coordinator: after each assignment the
 * worker describes its group (`refreshHosts`), and the map holds for that generation only.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { FreshetError } from '../errors/index.ts'
import type { DescribedMember } from '../kafka/index.ts'
import type { StateStore } from '../state/index.ts'
import type { StoreDescription, Topology } from '../stream/index.ts'
import { mergeRangeParts, readKey, readRange } from './reads.ts'
import { hostsOf, partitionOfKey } from './routing.ts'
import {
  isQueryable,
  type KeyQueryResult,
  type KeyRange,
  type RangeEntry,
  type RangeQueryResult,
  type StoresMetadata,
  type TaskHost,
  type TimeRange,
} from './types.ts'

/** How long a caller is told to wait before asking again, while nobody can answer. */
export const QUERY_RETRY_AFTER_MS = 1_000
export const DEFAULT_RANGE_LIMIT = 1_000
export const MAX_RANGE_LIMIT = 100_000
const DESCRIBE_BACKOFF_MS = { first: 100, max: 2_000 }

/** The group membership a host map belongs to. */
export interface Membership {
  readonly describeMembers: () => Promise<DescribedMember[] | undefined>
  readonly generationId: number
  readonly memberId: string | null
  readonly state: string
}

/** What the worker lends the queries: its topology, its open stores, its group membership. */
export interface QuerySource {
  readonly workerId: string
  readonly endpoint: string | undefined
  readonly topology: Topology
  /** Partitions (tasks) of a sub-topology; undefined before the worker planned its topics. */
  partitionsOf(subtopology: number): number | undefined
  /** The sub-topology reading an input topic. */
  subtopologyOf(topic: string): number | undefined
  /** The store of an open (restored) task of this worker. */
  localStore(task: string, store: string): StateStore | undefined
  /** The worker's current group membership, if it has one. */
  membership(): Membership | undefined
}

interface HostMap {
  readonly membership: Membership
  readonly generationId: number
  readonly byTask: ReadonlyMap<string, TaskHost>
}

function unavailable(partition: number | undefined, reason: string): KeyQueryResult {
  return { status: 'unavailable', partition, reason, retryAfterMs: QUERY_RETRY_AFTER_MS }
}

export class StoreQueries {
  readonly #source: QuerySource
  #hosts: HostMap | undefined
  /** Bumped by every refresh and invalidation: a refresh that is no longer the latest stops. */
  #epoch = 0

  constructor(source: QuerySource) {
    this.#source = source
  }

  /** A rebalance began: until the next refresh, nobody is known to host anything. */
  invalidate(): void {
    this.#epoch++
    this.#hosts = undefined
  }

  /**
   * Learns who hosts which task in the generation `membership` just joined. Runs in the
   * background after an assignment, until it succeeds, a newer refresh or invalidation
   * supersedes it, the membership ends or `signal` aborts:
   *
   *   1. Describe the group. The coordinator gives members' subscriptions (with the endpoint in
   *      their user data) and assignments only while the group is Stable.
   *   2. Keep the answer if it is of the generation this member is in (the generation did not
   *      change meanwhile and the member is in it); else back off and go to step 1.
   */
  async refreshHosts(membership: Membership, signal: AbortSignal): Promise<void> {
    const epoch = ++this.#epoch
    this.#hosts = undefined
    let backoffMs = DESCRIBE_BACKOFF_MS.first
    const current = (): boolean =>
      epoch === this.#epoch &&
      !signal.aborted &&
      membership.state !== 'CLOSING' &&
      membership.state !== 'CLOSED'
    while (current()) {
      const generationId = membership.generationId
      try {
        // Step 1
        const members = await membership.describeMembers()
        // Step 2
        if (
          current() &&
          members !== undefined &&
          membership.generationId === generationId &&
          members.some((m) => m.memberId === membership.memberId)
        ) {
          const byTask = hostsOf(members, (topic) => this.#source.subtopologyOf(topic))
          this.#hosts = { membership, generationId, byTask }
          return
        }
      } catch {
        // The cluster restarting, the coordinator moving: asked again after the backoff.
      }
      await sleep(backoffMs, undefined, { signal }).catch(() => {})
      backoffMs = Math.min(backoffMs * 2, DESCRIBE_BACKOFF_MS.max)
    }
  }

  /** The host map, if it belongs to the worker's current membership and generation. */
  #currentHosts(): ReadonlyMap<string, TaskHost> | undefined {
    const hosts = this.#hosts
    const membership = this.#source.membership()
    if (hosts === undefined || membership !== hosts.membership) return undefined
    return membership.generationId === hosts.generationId ? hosts.byTask : undefined
  }

  #description(store: string, query: string): StoreDescription {
    const description = this.#source.topology.description.stores.find((s) => s.name === store)
    if (description === undefined) {
      const names = this.#source.topology.description.stores.filter((s) => isQueryable(s.kind))
      throw new FreshetError(
        'QUERY_STORE_NOT_FOUND',
        `no store ${JSON.stringify(store)}; the queryable stores: ${names.map((s) => s.name).join(', ') || 'none'}`,
        { details: { store } },
      )
    }
    const supported =
      query === 'range'
        ? description.kind === 'key-value' || description.kind === 'table'
        : isQueryable(description.kind)
    if (!supported) {
      throw new FreshetError(
        'QUERY_NOT_SUPPORTED',
        `store ${store} (${description.kind}) does not answer ${query} queries` +
          (query === 'range' ? '; ranges are over key-value and table stores' : ''),
        { details: { store, kind: description.kind, query } },
      )
    }
    return description
  }

  /** The value (or windows) of `key` in `store`, or who hosts it, or why nobody can say now. */
  query(store: string, key: unknown, time: TimeRange = {}): KeyQueryResult {
    const description = this.#description(store, 'key')
    const partitions = this.#source.partitionsOf(description.subtopology)
    if (partitions === undefined)
      return unavailable(undefined, `worker ${this.#source.workerId} has not started`)
    const partition = partitionOfKey(key, partitions)
    const task = `${description.subtopology}_${partition}`
    const local = this.#source.localStore(task, store)
    if (local !== undefined) {
      const result = readKey(local, description, key, time)
      return result === undefined
        ? { status: 'not-found', partition }
        : { status: 'found', partition, result }
    }
    const host = this.#currentHosts()?.get(task)
    if (host === undefined) return unavailable(partition, `the group is rebalancing (task ${task})`)
    if (host.memberId === this.#source.membership()?.memberId) {
      return unavailable(partition, `task ${task} is restoring on worker ${this.#source.workerId}`)
    }
    return { status: 'elsewhere', partition, host }
  }

  /** Kafka Streams' `queryMetadataForKey`: the partition of `key` and the worker hosting it. */
  keyMetadata(
    store: string,
    key: unknown,
  ): { partition: number; host: TaskHost | undefined; local: boolean } | undefined {
    const description = this.#description(store, 'key')
    const partitions = this.#source.partitionsOf(description.subtopology)
    if (partitions === undefined) return undefined
    const partition = partitionOfKey(key, partitions)
    const task = `${description.subtopology}_${partition}`
    return {
      partition,
      host: this.#currentHosts()?.get(task),
      local: this.#source.localStore(task, store) !== undefined,
    }
  }

  /** The entries of a key range in the partitions this worker hosts and has restored. */
  queryRange(store: string, range: KeyRange = {}): RangeQueryResult {
    const description = this.#description(store, 'range')
    const limit = range.limit ?? DEFAULT_RANGE_LIMIT
    const partitions = this.#source.partitionsOf(description.subtopology) ?? 0
    const covered: number[] = []
    const parts: Array<{ entries: readonly RangeEntry[]; truncated: boolean }> = []
    for (let partition = 0; partition < partitions; partition++) {
      const local = this.#source.localStore(`${description.subtopology}_${partition}`, store)
      if (local === undefined) continue
      covered.push(partition)
      parts.push(readRange(local, description, partition, range, limit))
    }
    return { partitions: covered, ...mergeRangeParts(parts, limit) }
  }

  /** Every store with its kind and, per partition, the worker hosting it. */
  storesMetadata(): StoresMetadata {
    const hosts = this.#currentHosts()
    const membership = this.#source.membership()
    return {
      workerId: this.#source.workerId,
      endpoint: this.#source.endpoint,
      state: hosts === undefined ? 'rebalancing' : 'available',
      generationId: membership?.generationId ?? 0,
      stores: this.#source.topology.description.stores.map((description) => {
        const partitions = this.#source.partitionsOf(description.subtopology) ?? 0
        return {
          name: description.name,
          kind: description.kind,
          queryable: isQueryable(description.kind),
          partitions,
          hosts: Array.from({ length: partitions }, (_, partition) => {
            const task = `${description.subtopology}_${partition}`
            return {
              partition,
              host: hosts?.get(task),
              local: this.#source.localStore(task, description.name) !== undefined,
            }
          }),
        }
      }),
    }
  }
}
