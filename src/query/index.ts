/**
 * Interactive queries: read-only lookups of a worker's state stores, by key, key range and time
 * range, from any worker of the group (docs/interactive-queries.md).
 */
export { endpointCheck, endpointOfUrl } from './options.ts'
export { decodeStoreValue, readKey, readRange } from './reads.ts'
export { decodeMemberInfo, encodeMemberInfo, hostsOf, partitionOfKey } from './routing.ts'
export {
  DEFAULT_RANGE_LIMIT,
  MAX_RANGE_LIMIT,
  QUERY_RETRY_AFTER_MS,
  StoreQueries,
  type Membership,
  type QuerySource,
} from './queries.ts'
export {
  FORWARDED_HEADER,
  storeRoutes,
  type Queryable,
  type StoreRoute,
  type StoreRoutesOptions,
} from './http.ts'
export {
  isQueryable,
  QUERYABLE_KINDS,
  type KeyQueryResult,
  type KeyRange,
  type KeyValue,
  type MemberInfo,
  type QueryableKind,
  type RangeEntry,
  type RangeQueryResult,
  type StoreHosts,
  type StoresMetadata,
  type TaskHost,
  type TimeRange,
  type WindowedValue,
} from './types.ts'
