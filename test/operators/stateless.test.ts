import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  BranchOperator,
  FilterOperator,
  FlatMapOperator,
  KeyByOperator,
  MapOperator,
  PassThroughOperator,
  PeekOperator,
  SinkOperator,
} from '../../src/operators/index.ts'
import { Harness } from './harness.ts'

test('filter forwards the records whose predicate holds, with key and time unchanged', () => {
  const h = new Harness<number, number>(
    new FilterOperator<number, string>((v, key) => v % 2 === 0 && key !== 'skip'),
  )
  for (const [key, v] of [
    ['a', 1],
    ['a', 2],
    ['skip', 4],
    ['b', 6],
  ] as const)
    h.process(key, v, v * 10)
  assert.deepEqual(
    h.main().map((e) => [e.key, e.value, e.timestampMs]),
    [
      ['a', 2, 20],
      ['b', 6, 60],
    ],
  )
})

test('map replaces the value and keeps key, time and provenance', () => {
  const h = new Harness<number, string>(new MapOperator<number, string, string>((v, key) => `${key}${v}`))
  h.process('k', 7, 70)
  assert.deepEqual(h.main(), [{ output: 'main', key: 'k', value: 'k7', timestampMs: 70 }])
})

test('flatMap forwards zero or more values per record', () => {
  const h = new Harness<string, string>(
    new FlatMapOperator<string, string, unknown>((v) => v.split(' ').filter(Boolean)),
  )
  h.process(null, 'a b', 1)
  h.process(null, '', 2)
  h.process(null, 'c', 3)
  assert.deepEqual(
    h.main().map((e) => [e.value, e.timestampMs]),
    [
      ['a', 1],
      ['b', 1],
      ['c', 3],
    ],
  )
})

test('peek sees every record with its key and time and forwards it unchanged', () => {
  const seen: unknown[] = []
  const h = new Harness<number, number>(new PeekOperator<number, string>((v, k, t) => seen.push([k, v, t])))
  h.process('k', 1, 5)
  assert.deepEqual(seen, [['k', 1, 5]])
  assert.deepEqual(
    h.main().map((e) => e.value),
    [1],
  )
})

test('branch sends each record to the first matching branch, else to default', () => {
  const h = new Harness<number, number>(
    new BranchOperator<number, unknown>([
      ['small', (v) => v < 10],
      ['even', (v) => v % 2 === 0],
    ]),
  )
  for (const v of [1, 12, 13, 4]) h.process(null, v, v)
  assert.deepEqual(
    h.emitted.map((e) => [e.output, e.value]),
    [
      ['small', 1],
      ['even', 12],
      ['default', 13],
      ['small', 4],
    ],
  )
})

test('keyBy replaces the key; pass-through forwards as is; a sink sends to its topic', () => {
  const keyed = new Harness<{ user: string }, { user: string }>(
    new KeyByOperator<{ user: string }, unknown, string>((v) => v.user),
  )
  keyed.process('old', { user: 'u1' }, 3)
  assert.deepEqual(
    keyed.main().map((e) => [e.key, e.value]),
    [['u1', { user: 'u1' }]],
  )

  const pass = new Harness<number, number>(new PassThroughOperator<number>())
  pass.process('k', 1, 2)
  assert.deepEqual(
    pass.main().map((e) => [e.key, e.value, e.timestampMs]),
    [['k', 1, 2]],
  )

  const sink = new Harness<number, never>(new SinkOperator<number>('out'))
  sink.process('k', 1, 2)
  assert.deepEqual(sink.sent, [{ topic: 'out', key: 'k', value: 1, timestampMs: 2 }])
})
