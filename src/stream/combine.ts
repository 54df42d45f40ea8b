/**
 * Pre-aggregation, decided when a pipeline is built: where a window aggregation reads a repartition
 * topic, the task that writes that topic can fold its records per key and window first
 * (src/operators/window-combine.ts) and send partials instead of records.
 *
 * It applies where the results cannot tell the difference:
 *
 * 1. The window aggregate's aggregator is `combinable`, over tumbling, hopping or cumulating
 *    windows that emit final results (with `emit: 'updates'` a result per record is the contract).
 * 2. It reads a repartition topic that nothing else reads: the others would see partials.
 * 3. Nothing reads its `late()` output: a late partial is dead-lettered as one record, not as the
 *    records it folds, and a late stream of the user's must get records.
 *
 * The combiner goes between the repartition sink and what fed it, in the upstream sub-topology, and
 * shows in `describe()` as a `window-combine` node named after the window aggregate.
 */
import { LATE_OUTPUT, MAIN_OUTPUT } from '../operators/index.ts'
import type { NodeDraft } from './types.ts'

export function insertCombiners(
  drafts: readonly NodeDraft[],
  freeName: (base: string) => string,
): NodeDraft[] {
  const readers = new Map<string, NodeDraft[]>()
  for (const draft of drafts) {
    for (const input of draft.inputs) {
      const key = `${input.node}\u0000${input.output}`
      readers.set(key, [...(readers.get(key) ?? []), draft])
    }
  }
  const byName = new Map(drafts.map((d) => [d.name, d]))
  let result = [...drafts]
  for (const aggregate of drafts) {
    // Step 1
    if (aggregate.combiner === undefined || aggregate.inputs.length !== 1) continue
    const input = aggregate.inputs[0]!
    const source = byName.get(input.node)
    if (source?.source?.kind !== 'repartition') continue
    // Step 2
    const siblings = drafts.filter((d) => d.inputs.some((i) => i.node === source.name))
    if (siblings.length !== 1) continue
    const sinks = result.filter((d) => d.sink?.kind === 'repartition' && d.topic === source.topic)
    if (sinks.length !== 1 || sinks[0]!.inputs.length !== 1) continue
    // Step 3
    if ((readers.get(`${aggregate.name}\u0000${LATE_OUTPUT}`) ?? []).length > 0) continue
    const sink = sinks[0]!
    const combiner: NodeDraft = {
      name: freeName(`${aggregate.name}-combine`),
      kind: 'window-combine',
      role: 'processor',
      inputs: sink.inputs,
      outputs: [MAIN_OUTPUT],
      ownedStores: [],
      usedStores: [],
      details: `partials of ${aggregate.name}`,
      create: aggregate.combiner,
    }
    const at = result.indexOf(sink)
    result = [
      ...result.slice(0, at),
      combiner,
      { ...sink, inputs: [{ node: combiner.name, output: MAIN_OUTPUT }] },
      ...result.slice(at + 1),
    ]
  }
  return result
}
