import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  FilterOperator,
  MapOperator,
  PassThroughOperator,
  SinkOperator,
  TaskGraph,
  type GraphNode,
  type Keyed,
  type LateRecord,
  type Operator,
  type OperatorContext,
} from '../../src/operators/index.ts'
import { MemoryStateStore } from '../../src/state/index.ts'

function graph(nodes: GraphNode[], stores: string[] = []) {
  const sent: Array<[string, unknown, number]> = []
  const late: LateRecord<unknown>[] = []
  const metrics: Array<[string, string, number]> = []
  const memory = new Map(stores.map((s) => [s, new MemoryStateStore({ name: s })]))
  const g = new TaskGraph(nodes, 0, 0, {
    store: (name) => memory.get(name) as MemoryStateStore,
    send: (topic, record, t) => sent.push([topic, record.value, t]),
    late: (record) => late.push(record),
    metric: (node, name, by) => metrics.push([node, name, by]),
    gauge: () => {},
  })
  g.open()
  return { g, sent, late, metrics }
}

const node = (
  name: string,
  create: () => Operator<unknown, unknown>,
  inputs: GraphNode['inputs'] = [],
  stores: string[] = [],
): GraphNode => ({
  name,
  inputs,
  stores,
  create,
})

test('records run depth first along the edges, a parent feeding every child', () => {
  const { g, sent } = graph([
    node('src', () => new PassThroughOperator()),
    node('double', () => new MapOperator((v: number) => v * 2) as Operator<unknown, unknown>, [
      { node: 'src', output: 'main' },
    ]),
    node('odd', () => new FilterOperator((v: number) => v % 2 === 1) as Operator<unknown, unknown>, [
      { node: 'src', output: 'main' },
    ]),
    node('out-a', () => new SinkOperator('a'), [{ node: 'double', output: 'main' }]),
    node('out-b', () => new SinkOperator('b'), [{ node: 'odd', output: 'main' }]),
  ])
  g.process('src', { key: null, value: 3 }, 10)
  g.process('src', { key: null, value: 4 }, 11)
  assert.deepEqual(sent, [
    ['a', 6, 10],
    ['b', 3, 10],
    ['a', 8, 11],
  ])
})

test('a failing user function becomes FRESHET_OPERATOR_FAILED naming the operator and the record', () => {
  const { g } = graph([
    node('src', () => new PassThroughOperator()),
    node(
      'boom',
      () =>
        new MapOperator(() => {
          throw new Error('nope')
        }) as Operator<unknown, unknown>,
      [{ node: 'src', output: 'main' }],
    ),
  ])
  const record: Keyed<unknown> = { key: 'k', value: 1, source: { topic: 't', partition: 2, offset: 9n } }
  assert.throws(
    () => g.process('src', record, 1),
    (error: unknown) => {
      const e = error as {
        code: string
        topic: string
        partition: number
        offset: string
        details: { operator: string }
      }
      assert.equal(e.code, 'FRESHET_OPERATOR_FAILED')
      assert.equal(e.details.operator, 'boom')
      assert.deepEqual([e.topic, e.partition, e.offset], ['t', 2, '9'])
      return true
    },
  )
})

test('an operator may open only the stores the topology connects to it', () => {
  class Opener implements Operator<unknown, unknown> {
    open(context: OperatorContext<unknown>): void {
      context.store('other')
    }
    process(): void {}
    onWatermark(): void {}
    onCommit(): void {}
    close(): void {}
  }
  assert.throws(() => graph([node('opener', () => new Opener(), [], ['mine'])], ['mine', 'other']), {
    code: 'FRESHET_TOPOLOGY_INVALID',
  })
})

test('late records are reported to the task, counted, and routed to the late output', () => {
  class Late implements Operator<unknown, unknown> {
    #context!: OperatorContext<unknown>
    open(context: OperatorContext<unknown>): void {
      this.#context = context
    }
    process(record: Keyed<unknown>, timestampMs: number): void {
      this.#context.late({
        key: record.key,
        value: record.value,
        timestampMs,
        lateByMs: 3,
        watermarkMs: timestampMs + 3,
        window: { startMs: 0, endMs: 1 },
        operator: this.#context.operator,
      })
    }
    onWatermark(): void {}
    onCommit(): void {}
    close(): void {}
  }
  const { g, sent, late, metrics } = graph([
    node('late', () => new Late()),
    node('late-out', () => new SinkOperator('late-topic'), [{ node: 'late', output: 'late' }]),
  ])
  g.process('late', { key: 'k', value: 'v' }, 5)
  assert.equal(late.length, 1)
  assert.deepEqual(metrics, [['late', 'recordsLate', 1]])
  assert.equal(sent[0]?.[0], 'late-topic')
  assert.equal((sent[0]?.[1] as LateRecord<string>).lateByMs, 3)
})

test('a node reading from a node outside its sub-topology is rejected', () => {
  assert.throws(
    () => graph([node('a', () => new PassThroughOperator(), [{ node: 'missing', output: 'main' }])]),
    {
      code: 'FRESHET_TOPOLOGY_INVALID',
    },
  )
})
