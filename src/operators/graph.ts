/**
 * The operators of one task wired together: one instance per node of a sub-topology, records routed
 * synchronously and depth first along the edges (a record reaches the end of the graph before the
 * next one enters), watermarks and commits delivered to every operator in topological order.
 *
 * What lies outside a task (reading input, the watermark tracker, writing sink topics, stores) comes
 * in through `TaskHooks`, so the test driver and the Kafka runtime host the same graph.
 */
import { FreshetError, toFreshetError } from '../errors/index.ts'
import { UndoLog } from '../state/index.ts'
import type { OperatorStore } from './store.ts'
import type { Keyed, LateRecord, Operator, OperatorContext, OperatorFactory } from './types.ts'

export const MAIN_OUTPUT = 'main'
export const LATE_OUTPUT = 'late'

export interface GraphNode {
  readonly name: string
  /** Parent nodes and which of their outputs feeds this node. */
  readonly inputs: ReadonlyArray<{ readonly node: string; readonly output: string }>
  /** Stores the operator may open: the ones it owns and the ones it was connected to. */
  readonly stores: readonly string[]
  readonly create: OperatorFactory
}

export interface TaskHooks {
  store(name: string): OperatorStore
  /** `closedAtMs`: the record derives from the final result of a window that closed then (event time). */
  send(
    topic: string,
    record: Keyed<unknown>,
    timestampMs: number,
    node: string,
    closedAtMs: number | undefined,
  ): void
  late(record: LateRecord<unknown>): void
  metric(node: string, name: string, by: number): void
  gauge(node: string, name: string, value: number): void
  /** An operator's `requestCommit`; a host without commits ignores it. */
  requestCommit?(closedAtMs: number): void
  /**
   * The log the host begins, ends and rolls back around each record (src/state/undo-log.ts), for
   * the operators' in-memory changes; without one, nothing is logged.
   */
  readonly undo?: UndoLog | undefined
}

interface Instance {
  readonly node: GraphNode
  readonly operator: Operator<unknown, unknown>
  readonly children: Map<string, Instance[]>
}

export class TaskGraph {
  readonly subtopology: number
  readonly partition: number
  readonly #instances: Instance[]
  readonly #byName = new Map<string, Instance>()
  readonly #hooks: TaskHooks
  readonly #undo: UndoLog
  /** While a window's final result is routed: the event time its window closed at. */
  #closedAtMs: number | undefined

  /** `nodes` in topological order (parents before children), as a topology lists them. */
  constructor(nodes: readonly GraphNode[], subtopology: number, partition: number, hooks: TaskHooks) {
    this.subtopology = subtopology
    this.partition = partition
    this.#hooks = hooks
    // A log never begun records nothing: operators may log unconditionally.
    this.#undo = hooks.undo ?? new UndoLog()
    this.#instances = nodes.map((node) => ({ node, operator: node.create(), children: new Map() }))
    for (const instance of this.#instances) this.#byName.set(instance.node.name, instance)
    for (const instance of this.#instances) {
      for (const input of instance.node.inputs) {
        const parent = this.#byName.get(input.node)
        if (parent === undefined) {
          throw new FreshetError(
            'TOPOLOGY_INVALID',
            `node "${instance.node.name}" reads from "${input.node}", which is not in sub-topology ${subtopology}`,
          )
        }
        const children = parent.children.get(input.output) ?? []
        children.push(instance)
        parent.children.set(input.output, children)
      }
    }
  }

  open(): void {
    for (const instance of this.#instances) instance.operator.open(this.#context(instance))
  }

  /** Hands a record to a node (a source) of this graph. */
  process(node: string, record: Keyed<unknown>, timestampMs: number): void {
    const instance = this.#byName.get(node)
    if (instance === undefined) {
      throw new FreshetError('INVALID_STATE', `sub-topology ${this.subtopology} has no node "${node}"`)
    }
    this.#deliver(instance, record, timestampMs)
  }

  onWatermark(watermarkMs: number): void {
    for (const instance of this.#instances) {
      try {
        instance.operator.onWatermark(watermarkMs)
      } catch (error) {
        throw toFreshetError(
          error,
          'OPERATOR_FAILED',
          `operator "${instance.node.name}" failed on watermark`,
          {
            details: { operator: instance.node.name, watermarkMs },
          },
        )
      }
    }
  }

  onCommit(): void {
    for (const instance of this.#instances) instance.operator.onCommit()
  }

  close(): void {
    for (const instance of this.#instances) instance.operator.close()
  }

  #deliver(instance: Instance, record: Keyed<unknown>, timestampMs: number): void {
    try {
      instance.operator.process(record, timestampMs)
    } catch (error) {
      const source = record.source
      throw toFreshetError(error, 'OPERATOR_FAILED', `operator "${instance.node.name}" failed`, {
        ...(source === undefined
          ? {}
          : { topic: source.topic, partition: source.partition, offset: source.offset }),
        details: { operator: instance.node.name, timestampMs },
      })
    }
  }

  #route(from: Instance, output: string, record: Keyed<unknown>, timestampMs: number): void {
    const children = from.children.get(output)
    if (children === undefined) return
    for (const child of children) this.#deliver(child, record, timestampMs)
  }

  #context(instance: Instance): OperatorContext<unknown> {
    const name = instance.node.name
    const hooks = this.#hooks
    const allowed = new Set(instance.node.stores)
    return {
      operator: name,
      subtopology: this.subtopology,
      partition: this.partition,
      forward: (record, timestampMs, closedAtMs) => {
        if (closedAtMs === undefined) {
          this.#route(instance, MAIN_OUTPUT, record, timestampMs)
          return
        }
        const outer = this.#closedAtMs
        this.#closedAtMs = closedAtMs
        try {
          this.#route(instance, MAIN_OUTPUT, record, timestampMs)
        } finally {
          this.#closedAtMs = outer
        }
      },
      forwardTo: (output, record, timestampMs) => this.#route(instance, output, record, timestampMs),
      late: (late) => {
        hooks.metric(name, 'recordsLate', 1)
        hooks.late(late)
        this.#route(
          instance,
          LATE_OUTPUT,
          { key: late.key, value: late, source: late.source },
          late.timestampMs,
        )
      },
      store: (storeName) => {
        if (!allowed.has(storeName)) {
          throw new FreshetError(
            'TOPOLOGY_INVALID',
            `operator "${name}" opened store "${storeName}", which the topology does not connect to it`,
            { details: { operator: name, stores: [...allowed] } },
          )
        }
        return hooks.store(storeName)
      },
      requestCommit: (closedAtMs) => hooks.requestCommit?.(closedAtMs),
      send: (topic, record, timestampMs) => hooks.send(topic, record, timestampMs, name, this.#closedAtMs),
      metrics: {
        increment: (metric, by = 1) => hooks.metric(name, metric, by),
        set: (metric, value) => hooks.gauge(name, metric, value),
      },
      undo: this.#undo,
    }
  }
}
