/**
 * Flink's event-time temporal join: each row of the left side meets the version of the right
 * side's row that was current at the left row's time.
 *
 *   SELECT ... FROM orders AS o
 *   [LEFT] JOIN rates FOR SYSTEM_TIME AS OF o.order_time AS r ON o.currency = r.currency
 *
 * The right side is a versioned table: an upsert-kafka table with a PRIMARY KEY and a time
 * attribute (each record is a new version of its key from its time on; a tombstone ends the
 * key's versions). The version of a left row at time t is the latest version of its key with a
 * time at or before t. An INNER join drops a left row without one, a LEFT join pads it with nulls.
 * The result is insert-only and keeps the left side's time attribute. As numbered steps:
 *
 *   1. Check the shape: INNER or LEFT; the right side an upsert-kafka table read AS OF the left
 *      side's time attribute; ON equalities that cover the whole PRIMARY KEY (other conditions
 *      decide whether the version matches).
 *   2. Both sides as plain objects tagged with their side, keyed by the join key, merged into one
 *      repartition topic.
 *   3. Windows of one millisecond per key collect the left rows and versions of that instant; the
 *      watermark closes them in time order (the order of event time, whatever the order of arrival).
 *   4. Per closed window: its versions replace the key's current version (kept in a store, the
 *      last of the instant wins; a deletion removes it), then each left row is joined with it.
 *
 * A row behind the watermark is late (dead-lettered), on either side: Flink drops a late left row
 * and still applies a late version. Rows of a key keep only the key's latest version in state.
 */
import type { Expr, JoinRef, TableRef } from '../ast.ts'
import { sqlInvalid, sqlUnsupported } from '../errors.ts'
import type { Row } from '../expr/types.ts'
import { valueStore } from '../../operators/index.ts'
import { tumbling } from '../../windows/index.ts'
import { conjunction, conjuncts, joinKey, resolves } from './join.ts'
import { compileIn, planFromItem, tableRelation, type QueryContext } from './query.ts'
import type { Relation } from './relation.ts'
import { fieldReader, rowObject, type RelationColumn } from './scope.ts'
import { isDeletion } from './source.ts'
import { encodeKey } from './window.ts'

/** One row of either side on its way to the join, as it crosses the repartition topic. */
interface Tagged {
  /** 0: a left row; 1: a version of the right side. */
  readonly side: 0 | 1
  readonly key: unknown
  readonly row: Record<string, unknown>
  /** A version that deletes its key. */
  readonly deleted?: boolean
}

interface Instant {
  readonly lefts: Array<Record<string, unknown>>
  /** The last version of the instant, or null for a deletion; undefined when none came. */
  version?: Record<string, unknown> | null
}

export function planTemporalJoin(join: JoinRef, right: TableRef, context: QueryContext): Relation {
  const { file } = context
  // Step 1
  if (join.type !== 'INNER' && join.type !== 'LEFT') {
    throw sqlUnsupported(file, join.at, `a ${join.type} temporal join`, 'use JOIN or LEFT JOIN')
  }
  if (join.on === undefined) {
    throw sqlInvalid(file, join.at, 'a temporal join needs ON with the equality of the primary key')
  }
  const left = planFromItem(join.left, context)
  if (left.updating === true || left.windows !== undefined || left.timeColumn === undefined) {
    throw sqlUnsupported(
      file,
      join.left.at,
      'a temporal join whose left side is not an insert-only table with a time attribute',
    )
  }
  const versions = tableRelation({ ...right, forSystemTimeAsOf: undefined }, context)
  if (versions.versioned === undefined) {
    throw sqlUnsupported(
      file,
      right.at,
      `a temporal join against "${right.name}", which is not an upsert-kafka table (a versioned table with a PRIMARY KEY)`,
    )
  }
  if (versions.timeColumn === undefined) {
    throw sqlInvalid(
      file,
      right.at,
      `Event-Time Temporal Table Join requires both primary key and row time attribute in versioned table, but no row time attribute can be found (give "${right.name}" a WATERMARK)`,
    )
  }
  const asOf = right.forSystemTimeAsOf!
  if (asOf.kind !== 'column' || asOf.name !== left.timeColumn || !resolves(left, asOf)) {
    throw sqlUnsupported(
      file,
      asOf.at,
      `FOR SYSTEM_TIME AS OF other than the left side's time attribute (${left.timeColumn})`,
      'a processing-time temporal join needs a lookup table, which freshet does not read',
    )
  }
  const leftKeys: Expr[] = []
  const rightKeys: string[] = []
  const rest: Expr[] = []
  for (const conjunct of conjuncts(join.on)) {
    const key = joinKey(conjunct, left, versions)
    if (
      key !== undefined &&
      key[1].kind === 'column' &&
      versions.versioned.primaryKey.includes(key[1].name)
    ) {
      leftKeys.push(key[0])
      rightKeys.push(key[1].name)
    } else rest.push(conjunct)
  }
  const primaryKey = versions.versioned.primaryKey
  if (!primaryKey.every((k) => rightKeys.includes(k))) {
    throw sqlInvalid(
      file,
      join.on.at,
      `a temporal join needs an equality on every column of the primary key of "${right.name}" (${primaryKey.join(', ')})`,
    )
  }

  // Step 2
  const leftRead = leftKeys.map((k) => compileIn(left, k, context).evaluate)
  const rightRead = rightKeys.map((k) => fieldReader(k))
  const leftObject = rowObject(left.columns)
  const rightObject = rowObject(versions.columns)
  const leftTagged = left.stream.map(
    (row): Tagged => ({ side: 0, key: encodeKey(leftRead.map((read) => read(row))), row: leftObject(row) }),
    { name: context.name('temporal-join-left') },
  )
  const rightTagged = versions.stream.map(
    (row): Tagged => ({
      side: 1,
      key: encodeKey(rightRead.map((read) => read(row))),
      row: rightObject(row),
      ...(isDeletion(row) ? { deleted: true } : {}),
    }),
    { name: context.name('temporal-join-versions') },
  )

  // The output: the left columns, then the right ones (nullable after a LEFT JOIN).
  const outer = join.type === 'LEFT'
  const sideColumns = (relation: Relation, part: 'l' | 'r'): RelationColumn[] =>
    relation.columns.map((c) => {
      const read = fieldReader(c.name)
      return {
        ...c,
        type: part === 'r' && outer ? { ...c.type, nullable: true } : c.type,
        read: (row: Row) => {
          const side = (row as Record<string, unknown>)[part]
          return side === null ? null : read(side)
        },
      }
    })
  const columns = [...sideColumns(left, 'l'), ...sideColumns(versions, 'r')]
  const matches = rest.length === 0 ? undefined : compileIn({ columns }, conjunction(rest), context).evaluate

  // Steps 3-4 (store names are the pipeline's: one per join)
  const store = context.name('temporal-join-version')
  const joined = leftTagged
    .merge(rightTagged, { name: context.name('temporal-join-sides') })
    .keyBy((t) => t.key, { name: context.name('temporal-join') })
    .window(tumbling({ sizeMs: 1, graceMs: 0 }))
    .aggregate(
      {
        init: (): Instant => ({ lefts: [] }),
        add: (instant: Instant, t: Tagged) => {
          if (t.side === 0) instant.lefts.push(t.row)
          else instant.version = t.deleted === true ? null : t.row
          return instant
        },
        merge: (a: Instant, b: Instant): Instant => ({
          lefts: [...a.lefts, ...b.lefts],
          ...(b.version !== undefined
            ? { version: b.version }
            : a.version !== undefined
              ? { version: a.version }
              : {}),
        }),
      },
      { name: context.name('temporal-join-instant') },
    )
    .process(
      (record, { stores }) => {
        const versions = stores[store]!
        const instant = record.value.value as Instant
        if (instant.version === null) versions.delete(record.key)
        else if (instant.version !== undefined) versions.put(record.key, instant.version)
        const version = versions.get(record.key) ?? null
        const out: Row[] = []
        for (const l of instant.lefts) {
          const pair = { l, r: version }
          if (version !== null && (matches === undefined || matches(pair) === true)) out.push(pair)
          else if (outer) out.push({ l, r: null })
        }
        return out
      },
      {
        name: context.name('temporal-join-lookup'),
        stores: { [store]: valueStore<Record<string, unknown>>() },
        expand: true,
      },
    )
  // The left time attribute stays one, when its name says which column it is.
  const timeColumn =
    columns.filter((c) => c.name === left.timeColumn).length === 1 ? left.timeColumn : undefined
  return { stream: joined, columns, timeColumn }
}
