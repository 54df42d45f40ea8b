/**
 * The mutable inside of a pipeline while it is built: the nodes in creation order (which is a
 * topological order, as a node can only read from nodes that exist) and the names taken. Streams
 * are immutable handles onto one output of one node; every operator call appends a node.
 */
import { FreshetError } from '../errors/index.ts'
import { insertCombiners } from './combine.ts'
import { Topology } from './topology.ts'
import type { NodeDraft, NodeInput, NodeKind } from './types.ts'

export class PipelineBuilder {
  readonly applicationId: string
  readonly #drafts: NodeDraft[] = []
  readonly #names = new Set<string>()
  readonly #stores = new Set<string>()
  readonly #inputTopics = new Set<string>()
  readonly #outputTopics = new Set<string>()
  /** Late outputs of results made of several nodes (interval joins), merged once on first use. */
  readonly lateMerges = new Map<string, NodeInput>()

  /** Window aggregations after a repartition get a combiner before it (src/stream/combine.ts). */
  readonly preAggregate: boolean

  constructor(applicationId: string, preAggregate = true) {
    this.applicationId = applicationId
    this.preAggregate = preAggregate
  }

  /** `name` when given (it must be free), else `<kind>-<n>` with the first free n. */
  nameFor(kind: NodeKind | string, name: string | undefined): string {
    if (name !== undefined) {
      if (this.#names.has(name)) {
        throw new FreshetError(
          'TOPOLOGY_INVALID',
          `pipeline "${this.applicationId}": the name "${name}" is taken`,
          {
            details: { name },
          },
        )
      }
      return name
    }
    let n = this.#drafts.length
    while (this.#names.has(`${kind}-${n}`)) n++
    return `${kind}-${n}`
  }

  /** `base` when free, else `base-2`, `base-3`, ... */
  freeName(base: string): string {
    if (!this.#names.has(base)) return base
    let n = 2
    while (this.#names.has(`${base}-${n}`)) n++
    return `${base}-${n}`
  }

  add(draft: NodeDraft): NodeDraft {
    if (this.#names.has(draft.name)) {
      throw new FreshetError(
        'TOPOLOGY_INVALID',
        `pipeline "${this.applicationId}": the name "${draft.name}" is taken`,
        {
          details: { name: draft.name },
        },
      )
    }
    for (const store of draft.ownedStores) {
      if (this.#stores.has(store.name)) {
        throw new FreshetError(
          'TOPOLOGY_INVALID',
          `pipeline "${this.applicationId}": a store named "${store.name}" exists`,
          {
            details: { store: store.name },
          },
        )
      }
    }
    if (draft.topic !== undefined && draft.role === 'source' && draft.source?.kind !== 'repartition') {
      this.#claimTopic(draft.topic, 'input')
    }
    if (draft.topic !== undefined && draft.role === 'sink' && draft.sink?.kind === 'sink') {
      this.#claimTopic(draft.topic, 'output')
    }
    this.#names.add(draft.name)
    for (const store of draft.ownedStores) this.#stores.add(store.name)
    this.#drafts.push(draft)
    return draft
  }

  build(): Topology {
    const drafts = this.preAggregate
      ? insertCombiners(this.#drafts, (base) => this.freeName(base))
      : [...this.#drafts]
    return new Topology(this.applicationId, drafts)
  }

  /**
   * A topic is read by one source of a pipeline, and a pipeline does not write what it reads: the
   * loop would feed results back as input.
   */
  #claimTopic(topic: string, as: 'input' | 'output'): void {
    const reads = this.#inputTopics.has(topic)
    if (as === 'input' && reads) {
      throw new FreshetError(
        'TOPOLOGY_INVALID',
        `pipeline "${this.applicationId}": topic "${topic}" is read already; reuse that stream (streams can be read many times)`,
        { topic },
      )
    }
    if ((as === 'input' && this.#outputTopics.has(topic)) || (as === 'output' && reads)) {
      throw new FreshetError(
        'TOPOLOGY_INVALID',
        `pipeline "${this.applicationId}": topic "${topic}" is both read and written; results would loop back as input`,
        { topic },
      )
    }
    if (as === 'input') this.#inputTopics.add(topic)
    else this.#outputTopics.add(topic)
  }
}

/** What a stream handle points at: one output of one node of one pipeline. */
export interface StreamHandle {
  readonly builder: PipelineBuilder
  readonly node: string
  readonly output: string
  /** For results with a late output: where late records come from. */
  readonly late?: readonly NodeInput[] | undefined
}

const handles = new WeakMap<object, StreamHandle>()

export function attachHandle(stream: object, handle: StreamHandle): void {
  handles.set(stream, handle)
}

export function handleOf(stream: object, where: string): StreamHandle {
  const handle = handles.get(stream)
  if (handle === undefined) {
    throw new FreshetError('TOPOLOGY_INVALID', `${where}: expected a stream or table made by a pipeline`)
  }
  return handle
}

export function sameBuilder(a: StreamHandle, b: StreamHandle, where: string): void {
  if (a.builder !== b.builder) {
    throw new FreshetError(
      'TOPOLOGY_INVALID',
      `${where}: the streams belong to different pipelines ("${a.builder.applicationId}" and "${b.builder.applicationId}")`,
    )
  }
}
