// Compile-time checks of the DSL's types. This file must type-check: each `@ts-expect-error` marks a
// wrong usage the compiler has to reject (it fails when the line compiles), and `expectType` fails
// when an inferred type differs from the one written. The test at the bottom runs the compiler on
// this file, so `node --test` catches a regression too, not only `npm run check`.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { test } from 'node:test'
import { UserEventSchema, type UserEvent } from '../../src/schemas/index.ts'
import {
  pipeline,
  valueStore,
  type KeyedStream,
  type LateRecord,
  type Stream,
  type WindowResult,
} from '../../src/stream/index.ts'
import { hopping, session, tumbling } from '../../src/windows/index.ts'

/** Compiles only when T and U are the same type. */
type Equal<T, U> = (<G>() => G extends T ? 1 : 2) extends <G>() => G extends U ? 1 : 2 ? true : false
function expectType<T>(_value: T): <U>(check: Equal<T, U> extends true ? true : never) => void {
  return () => {}
}
type KeyOf<S> = S extends KeyedStream<infer K, unknown> ? K : never
type ValueOf<S> = S extends Stream<infer V> ? V : never
/** For keyed streams of any class (results with `late()` too): compares the key and value types. */
function expectKeyed<S>(
  _stream: S,
): <K, V>(check: [Equal<KeyOf<S>, K>, Equal<ValueOf<S>, V>] extends [true, true] ? true : never) => void {
  return () => {}
}

function typeChecks(): void {
  const app = pipeline({ applicationId: 'types' })
  const events = app.stream('user-events', { schema: UserEventSchema })
  expectType(events)<Stream<UserEvent>>(true)

  // The example of the brief: no annotations anywhere.
  const revenue = events
    .filter((e) => e.event_type === 'purchase')
    .keyBy((e) => e.data.currency ?? 'none')
    .window(hopping({ sizeMs: 300_000, advanceMs: 60_000 }))
    .aggregate({
      init: () => ({ purchases: 0, revenue: 0 }),
      add: (acc, e) => ({ purchases: acc.purchases + 1, revenue: acc.revenue + (e.data.amount ?? 0) }),
    })
  expectKeyed(revenue)<string, WindowResult<string, { purchases: number; revenue: number }>>(true)
  expectType(revenue.late())<KeyedStream<string, LateRecord<UserEvent, string>>>(true)

  // `result` changes what is emitted; the accumulator type stays inside.
  const avg = events
    .keyBy((e) => e.user_id)
    .window(tumbling({ sizeMs: 60_000 }))
    .aggregate({
      init: (): [number, number] => [0, 0],
      add: (acc, e) => [acc[0] + 1, acc[1] + (e.data.amount ?? 0)] as [number, number],
      result: (acc) => acc[1] / acc[0],
    })
  expectKeyed(avg)<string, WindowResult<string, number>>(true)

  // Built-in aggregations.
  const windowed = events.keyBy((e) => e.event_type).window(tumbling({ sizeMs: 60_000 }))
  expectKeyed(windowed.count())<UserEvent['event_type'], WindowResult<UserEvent['event_type'], number>>(true)
  expectType(windowed.topN(3, { by: (e) => e.data.amount ?? 0 }).map((r) => r.value))<
    KeyedStream<UserEvent['event_type'], UserEvent[]>
  >(true)

  // Type guards narrow in filter and branch.
  const numbers = app.stream<number | string>('mixed')
  expectType(numbers.filter((v): v is number => typeof v === 'number'))<Stream<number>>(true)
  const parts = numbers.branch({
    numbers: (v): v is number => typeof v === 'number',
    long: (v) => String(v).length > 3,
  })
  expectType(parts.numbers)<Stream<number>>(true)
  expectType(parts.long)<Stream<string | number>>(true)
  expectType(parts.default)<Stream<string | number>>(true)

  // Value operators keep a keyed stream keyed; merge unions the value types.
  const byUser = events.keyBy((e) => e.user_id)
  expectType(byUser.map((e, key) => `${key}:${e.event_type}`))<KeyedStream<string, string>>(true)
  expectType(byUser.merge(byUser.map((e) => e.timestamp)))<KeyedStream<string, UserEvent | number>>(true)
  expectType(events.merge(numbers))<Stream<UserEvent | string | number>>(true)

  // process: stores typed by their declaration, output type inferred from the return value.
  const counted = byUser.process(
    (record, context) => {
      const seen = context.stores.seen.get(record.key) ?? 0
      context.stores.seen.put(record.key, seen + 1)
      return seen === 0 ? { user: record.key, first: record.timestampMs } : undefined
    },
    { stores: { seen: valueStore<number>() } },
  )
  expectType(counted)<KeyedStream<string, { user: string; first: number }>>(true)
  const expanded = byUser.process((record) => [record.value.event_type, record.value.user_id], {
    expand: true,
  })
  expectType(expanded)<KeyedStream<string, string>>(true)

  // Joins: the table's key must be the stream's key.
  const rates = app.table<number>('rates')
  const byCurrency = events.keyBy((e) => e.data.currency ?? 'none')
  expectType(byCurrency.join(rates, (e, rate) => (e.data.amount ?? 0) * rate))<KeyedStream<string, number>>(
    true,
  )
  expectType(byCurrency.leftJoin(rates, (_e, rate) => rate ?? 1))<KeyedStream<string, number>>(true)
  const clicks = app.stream<{ ad: string }>('clicks').byRecordKey()
  const views = app.stream<{ ad: string; ms: number }>('views').byRecordKey()
  const joined = clicks.intervalJoin(views, { beforeMs: 1000, afterMs: 0 }, (c, v) => ({
    ad: c.ad,
    ms: v.ms,
  }))
  expectKeyed(joined)<string, { ad: string; ms: number }>(true)
  expectType(joined.late())<
    KeyedStream<string, LateRecord<{ ad: string } | { ad: string; ms: number }, string>>
  >(true)
  expectKeyed(byUser.deduplicate({ withinMs: 1000, id: (e) => e.data.session_id }))<string, UserEvent>(true)

  // Global tables: the key selector maps a record to the table's key; the stream keeps its key.
  const products = app.globalTable<{ title: string; price: number }>('products')
  const titled = events.join(
    products,
    (e) => e.data.product_id,
    (e, p) => ({ user: e.user_id, title: p.title }),
  )
  expectType(titled)<Stream<{ user: string; title: string }>>(true)
  expectType(
    events.leftJoin(
      products,
      (e) => e.data.product_id,
      (_e, p) => p?.price ?? 0,
    ),
  )<Stream<number>>(true)
  expectType(
    byUser.join(
      products,
      (e) => e.data.product_id,
      (_e, p, user) => `${user} ${p.title}`,
    ),
  )<KeyedStream<string, string>>(true)
  expectType(byCurrency.join(rates, (_e, rate) => rate))<KeyedStream<string, number>>(true)
  const byNumber = app.globalTable<string, number>('by-number')
  expectType(
    events.join(
      byNumber,
      (e) => e.timestamp,
      (_e, name) => name,
    ),
  )<Stream<string>>(true)

  // Wrong usages the compiler must reject.
  // @ts-expect-error event_type has no value 'buy'
  events.filter((e) => e.event_type === 'buy')
  // @ts-expect-error windows need a keyed stream
  events.window(tumbling({ sizeMs: 1000 }))
  // @ts-expect-error session windows need merge
  byUser.window(session({ gapMs: 1000 })).aggregate({ init: () => 0, add: (n) => n + 1 })
  // @ts-expect-error add must return the accumulator type
  byUser.window(tumbling({ sizeMs: 1000 })).aggregate({ init: () => 0, add: () => 'x' })
  // @ts-expect-error sum selects a number
  byUser.window(tumbling({ sizeMs: 1000 })).sum((e) => e.user_id)
  const numberKeyed = events.keyBy((e) => e.timestamp)
  // @ts-expect-error a table keyed by string cannot join a stream keyed by number
  numberKeyed.join(rates, (_e, rate) => rate)
  const userOf = (e: UserEvent): string => e.user_id
  // @ts-expect-error a global table keyed by number needs a number from the key selector
  events.join(byNumber, userOf, (_e, name) => name)
  // @ts-expect-error a stream that is not keyed joins global tables only
  events.join(rates, (_e: unknown, rate: number) => rate)
  const neverUndefined = (_e: UserEvent, title: undefined): undefined => title
  // @ts-expect-error an inner join's joiner gets a table value, never undefined
  events.join(products, (e) => e.data.product_id, neverUndefined)
  // @ts-expect-error interval joins need the same key type on both sides
  numberKeyed.intervalJoin(views, { beforeMs: 1, afterMs: 1 }, (a, b) => [a, b])
  // @ts-expect-error a store handle takes values of its declared type
  byUser.process((r, c) => c.stores.seen.put(r.key, 'many'), { stores: { seen: valueStore<number>() } })
  // @ts-expect-error unknown store
  byUser.process((r, c) => c.stores.missing.get(r.key), { stores: { seen: valueStore<number>() } })
  // @ts-expect-error deduplicate needs withinMs
  byUser.deduplicate({})
  // @ts-expect-error late() exists on results with a late output only
  byUser.map((e) => e).late()
}

test('the DSL type checks: inference without annotations, rejected misuse (tsc over this file)', () => {
  assert.equal(typeof typeChecks, 'function')
  const root = resolve(import.meta.dirname, '../..')
  const dir = mkdtempSync(join(tmpdir(), 'freshet-types-'))
  try {
    const config = join(dir, 'tsconfig.json')
    writeFileSync(
      config,
      JSON.stringify({
        extends: join(root, 'tsconfig.json'),
        compilerOptions: { types: ['node'], typeRoots: [join(root, 'node_modules/@types')] },
        include: [join(root, 'test/stream/types.test.ts')],
      }),
    )
    const run = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', config], {
      encoding: 'utf8',
    })
    assert.equal(run.stdout + run.stderr, '', 'tsc reports no errors')
    assert.equal(run.status, 0)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
