/**
 * The immutable result of building a pipeline: its nodes, the sub-topologies they split into at
 * repartition topics, the stores each node owns with their changelog topics, and the topics it
 * reads and writes. `description` is plain data for a runtime to plan from; `describe()` prints it
 * for people, in the spirit of Kafka Streams' `Topology#describe`.
 */
import { FreshetError } from '../errors/index.ts'
import type { GraphNode } from '../operators/index.ts'
import type {
  GlobalSourceSpec,
  GlobalTableDescription,
  NodeDescription,
  NodeDraft,
  SinkSpec,
  SourceSpec,
  StoreDescription,
  SubtopologyDescription,
  TopologyDescription,
} from './types.ts'

export function changelogTopic(applicationId: string, store: string): string {
  return `${applicationId}-${store}-changelog`
}

export function repartitionTopic(applicationId: string, name: string): string {
  return `${applicationId}-${name}-repartition`
}

export class Topology {
  readonly applicationId: string
  readonly description: TopologyDescription
  readonly #drafts: ReadonlyMap<string, NodeDraft>
  readonly #sources: readonly SourceSpec[]
  readonly #sinks: readonly SinkSpec[]
  readonly #globalSources: readonly GlobalSourceSpec[]

  /** Built by `Pipeline.build()`. */
  constructor(applicationId: string, all: readonly NodeDraft[]) {
    this.applicationId = applicationId
    const owned = new Set(all.flatMap((d) => d.ownedStores.map((s) => s.name)))
    // Global tables stand apart: no sub-topology, no task, one store per worker.
    const globals = all.filter((d) => d.global !== undefined)
    const drafts = all.filter((d) => d.global === undefined)
    for (const draft of all) {
      for (const store of draft.usedStores) {
        if (!owned.has(store)) {
          throw new FreshetError(
            'TOPOLOGY_INVALID',
            `node "${draft.name}" uses store "${store}", which no node owns`,
          )
        }
      }
    }
    this.#drafts = new Map(drafts.map((draft) => [draft.name, draft]))
    const subtopologyOf = assignSubtopologies(drafts)
    const byId = new Map<number, NodeDraft[]>()
    for (const draft of drafts) {
      const id = subtopologyOf.get(draft.name) as number
      byId.set(id, [...(byId.get(id) ?? []), draft])
    }

    const successors = new Map<string, Array<{ node: string; output: string }>>()
    for (const draft of drafts) {
      for (const input of draft.inputs) {
        successors.set(input.node, [
          ...(successors.get(input.node) ?? []),
          { node: draft.name, output: input.output },
        ])
      }
    }
    const stores: StoreDescription[] = []
    for (const draft of drafts) {
      for (const store of draft.ownedStores) {
        // A table read straight from a topic is restored from that topic: a changelog would copy it.
        const sourceChangelog = draft.kind === 'table'
        stores.push({
          name: store.name,
          kind: store.kind,
          changelogTopic: sourceChangelog
            ? (draft.topic as string)
            : changelogTopic(applicationId, store.name),
          sourceChangelog,
          owner: draft.name,
          nodes: [draft.name, ...drafts.filter((d) => d.usedStores.includes(store.name)).map((d) => d.name)],
          format: store.format,
          subtopology: subtopologyOf.get(draft.name) as number,
        })
      }
    }
    const nodes: NodeDescription[] = drafts.map((draft) => ({
      name: draft.name,
      kind: draft.kind,
      role: draft.role,
      subtopology: subtopologyOf.get(draft.name) as number,
      inputs: draft.inputs,
      successors: successors.get(draft.name) ?? [],
      outputs: draft.outputs,
      stores: [...draft.ownedStores.map((s) => s.name), ...draft.usedStores],
      ...(draft.topic === undefined ? {} : { topic: draft.topic }),
      details: draft.details,
    }))
    const subtopologies: SubtopologyDescription[] = [...byId.keys()]
      .sort((a, b) => a - b)
      .map((id) => {
        const members = byId.get(id) as NodeDraft[]
        return {
          id,
          nodes: members.map((d) => d.name),
          sourceTopics: members.filter((d) => d.role === 'source').map((d) => d.topic as string),
          sinkTopics: members.filter((d) => d.role === 'sink').map((d) => d.topic as string),
          stores: members.flatMap((d) => d.ownedStores.map((s) => s.name)),
        }
      })
    const globalTables: GlobalTableDescription[] = globals.map((draft) => {
      const store = draft.ownedStores[0] as NodeDraft['ownedStores'][number]
      return {
        node: draft.name,
        topic: draft.topic as string,
        store: store.name,
        format: store.format,
        nodes: drafts.filter((d) => d.usedStores.includes(store.name)).map((d) => d.name),
        details: draft.details,
      }
    })
    const topicsOf = (pick: (draft: NodeDraft) => boolean): string[] =>
      [...new Set(all.filter(pick).map((d) => d.topic as string))].sort()
    this.description = deepFreeze({
      applicationId,
      subtopologies,
      nodes,
      stores,
      globalTables,
      topics: {
        sources: topicsOf((d) => d.source?.kind === 'stream'),
        tables: topicsOf((d) => d.source?.kind === 'table'),
        globalTables: topicsOf((d) => d.global !== undefined),
        sinks: topicsOf((d) => d.sink?.kind === 'sink'),
        repartition: topicsOf((d) => d.sink?.kind === 'repartition'),
        changelog: stores
          .filter((s) => !s.sourceChangelog)
          .map((s) => s.changelogTopic)
          .sort(),
      },
    })
    this.#globalSources = Object.freeze(
      globals.map((d) => ({
        ...(d.global as NonNullable<NodeDraft['global']>),
        node: d.name,
        topic: d.topic as string,
      })),
    )
    this.#sources = Object.freeze(
      drafts.flatMap((d) =>
        d.source === undefined
          ? []
          : [
              {
                ...d.source,
                node: d.name,
                topic: d.topic as string,
                subtopology: subtopologyOf.get(d.name) as number,
              },
            ],
      ),
    )
    this.#sinks = Object.freeze(
      drafts.flatMap((d) =>
        d.sink === undefined
          ? []
          : [
              {
                ...d.sink,
                node: d.name,
                topic: d.topic as string,
                subtopology: subtopologyOf.get(d.name) as number,
              },
            ],
      ),
    )
  }

  /** Every source node with how it reads its topic. */
  sources(): readonly SourceSpec[] {
    return this.#sources
  }

  /** Every global table with how it reads its topic. */
  globalSources(): readonly GlobalSourceSpec[] {
    return this.#globalSources
  }

  /** Every sink node with how it writes its topic. */
  sinks(): readonly SinkSpec[] {
    return this.#sinks
  }

  /** The nodes of one sub-topology with their operator factories, parents first: what a task runs. */
  graphNodes(subtopology: number): GraphNode[] {
    const description = this.description.subtopologies.find((s) => s.id === subtopology)
    if (description === undefined) {
      throw new FreshetError(
        'INVALID_STATE',
        `topology "${this.applicationId}" has no sub-topology ${subtopology}`,
      )
    }
    return description.nodes.map((name) => {
      const draft = this.#drafts.get(name) as NodeDraft
      return {
        name,
        inputs: draft.inputs,
        stores: [...draft.ownedStores.map((s) => s.name), ...draft.usedStores],
        create: draft.create,
      }
    })
  }

  /** The topology as text: sub-topologies with their nodes and edges, then stores and topics. */
  describe(): string {
    const { description } = this
    const lines = [`Topology: ${description.applicationId}`]
    const byName = new Map(description.nodes.map((n) => [n.name, n]))
    for (const sub of description.subtopologies) {
      lines.push(`  Sub-topology: ${sub.id}`)
      for (const name of sub.nodes) {
        const node = byName.get(name) as NodeDescription
        const label = node.role === 'source' ? 'Source' : node.role === 'sink' ? 'Sink' : 'Processor'
        const facts = [
          node.kind,
          ...(node.topic === undefined ? [] : [`topic: ${node.topic}`]),
          ...(node.details === '' ? [] : [node.details]),
          ...(node.stores.length === 0 ? [] : [`stores: ${node.stores.join(', ')}`]),
        ]
        lines.push(`    ${label}: ${node.name} (${facts.join('; ')})`)
        if (node.successors.length > 0) {
          const targets = node.successors.map((s) =>
            s.output === 'main' ? s.node : `${s.node} [${s.output}]`,
          )
          lines.push(`      --> ${targets.join(', ')}`)
        }
        if (node.inputs.length > 0) {
          const parents = node.inputs.map((i) => (i.output === 'main' ? i.node : `${i.node} [${i.output}]`))
          lines.push(`      <-- ${parents.join(', ')}`)
        }
      }
    }
    if (description.globalTables.length > 0) {
      lines.push('  Global tables (every worker reads every partition; no tasks):')
      for (const table of description.globalTables) {
        const facts = [
          'global-table',
          `topic: ${table.topic}`,
          ...(table.details === '' ? [] : [table.details]),
          `stores: ${table.store}`,
        ]
        lines.push(`    Source: ${table.node} (${facts.join('; ')})`)
      }
    }
    if (description.stores.length > 0 || description.globalTables.length > 0) {
      lines.push('  Stores:')
      for (const store of description.stores) {
        const changelog = store.sourceChangelog
          ? `${store.changelogTopic} (source topic)`
          : store.changelogTopic
        lines.push(
          `    ${store.name} (${store.kind}, ${store.format}; changelog: ${changelog}; ` +
            `nodes: ${store.nodes.join(', ')})`,
        )
      }
      for (const table of description.globalTables) {
        lines.push(
          `    ${table.store} (global-table, ${table.format}; changelog: ${table.topic} (source topic); ` +
            `nodes: ${[table.node, ...table.nodes].join(', ')})`,
        )
      }
    }
    const { topics } = description
    lines.push('  Topics:')
    const list = (label: string, names: readonly string[]): void => {
      if (names.length > 0) lines.push(`    ${label}: ${names.join(', ')}`)
    }
    list('sources', topics.sources)
    list('tables', topics.tables)
    list('global tables', topics.globalTables)
    list('sinks', topics.sinks)
    list('repartition', topics.repartition)
    list('changelog', topics.changelog)
    return `${lines.join('\n')}\n`
  }

  toString(): string {
    return this.describe()
  }
}

/**
 * Numbers the sub-topologies: nodes joined by an edge or by a shared store belong to one; a
 * repartition topic is the only thing between two. Sub-topologies are numbered so that every one
 * comes after those writing the repartition topics it reads (ties in the order of their first node),
 * so a runtime and the test driver can run them upstream first.
 */
function assignSubtopologies(drafts: readonly NodeDraft[]): Map<string, number> {
  const parent = new Map<string, string>()
  const find = (name: string): string => {
    let root = name
    while (parent.get(root) !== root) root = parent.get(root) as string
    parent.set(name, root)
    return root
  }
  const union = (a: string, b: string): void => {
    const ra = find(a)
    const rb = find(b)
    if (ra !== rb) parent.set(rb, ra)
  }
  for (const draft of drafts) parent.set(draft.name, draft.name)
  const owners = new Map<string, string>()
  for (const draft of drafts) for (const store of draft.ownedStores) owners.set(store.name, draft.name)
  for (const draft of drafts) {
    for (const input of draft.inputs) union(input.node, draft.name)
    // A global table's store is shared by every task: it joins nothing into one sub-topology.
    for (const store of draft.usedStores) {
      const owner = owners.get(store)
      if (owner !== undefined) union(owner, draft.name)
    }
  }
  const index = new Map(drafts.map((d, i) => [d.name, i]))
  const components = new Map<string, { first: number; writes: Set<string>; reads: Set<string> }>()
  for (const draft of drafts) {
    const root = find(draft.name)
    const component = components.get(root) ?? {
      first: index.get(draft.name) as number,
      writes: new Set(),
      reads: new Set(),
    }
    if (draft.sink?.kind === 'repartition') component.writes.add(draft.topic as string)
    if (draft.source?.kind === 'repartition') component.reads.add(draft.topic as string)
    components.set(root, component)
  }
  // Kahn's algorithm over "writes a repartition topic the other reads", smallest first node first.
  const roots = [...components.keys()]
  const upstream = new Map<string, Set<string>>(roots.map((r) => [r, new Set<string>()]))
  for (const reader of roots) {
    for (const writer of roots) {
      if (reader === writer) continue
      const reads = (components.get(reader) as { reads: Set<string> }).reads
      for (const topic of (components.get(writer) as { writes: Set<string> }).writes) {
        if (reads.has(topic)) (upstream.get(reader) as Set<string>).add(writer)
      }
    }
  }
  const byFirst = (a: string, b: string): number =>
    (components.get(a) as { first: number }).first - (components.get(b) as { first: number }).first
  const order: string[] = []
  const placed = new Set<string>()
  while (order.length < roots.length) {
    const ready = roots.filter(
      (r) => !placed.has(r) && [...(upstream.get(r) as Set<string>)].every((u) => placed.has(u)),
    )
    // A cycle between sub-topologies cannot be built by the DSL; fall back to creation order.
    const next = (ready.length > 0 ? ready : roots.filter((r) => !placed.has(r))).sort(byFirst)[0] as string
    order.push(next)
    placed.add(next)
  }
  const numbers = new Map(order.map((root, i) => [root, i]))
  return new Map(drafts.map((d) => [d.name, numbers.get(find(d.name)) as number]))
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const child of Object.values(value)) deepFreeze(child)
  }
  return value
}

/**
 * A sub-topology that joins several topics reads partition `p` of each in one task, so they must
 * have as many partitions each (be co-partitioned); FRESHET_TOPOLOGY_INVALID names them otherwise.
 * Checked where the partition counts are known: by the runtime's planner and by the test driver.
 */
export function requireCoPartitioned(
  subtopology: number,
  topics: readonly string[],
  counts: readonly number[],
): void {
  if (new Set(counts).size <= 1) return
  throw new FreshetError(
    'TOPOLOGY_INVALID',
    `sub-topology ${subtopology} joins topics with different partition counts (` +
      topics.map((topic, i) => `${topic}: ${counts[i]}`).join(', ') +
      '); joined inputs must be co-partitioned',
    { details: { subtopology } },
  )
}
