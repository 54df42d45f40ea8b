/**
 * The windowed count the runtime tests run: inputs keyed by type through a repartition topic,
 * counted per one-second tumbling window; and its closed-form oracle.
 */
import { pipeline, type Topology } from '../../src/stream/index.ts'
import { tumbling } from '../../src/windows/index.ts'

export const WINDOW_MS = 1_000
export const TYPES = ['view', 'click', 'buy']

export interface Input {
  seq: number
  type: string
  timestamp: number
  pad?: string
}

export interface Count {
  type: string
  start: number
  count: number
}

export function countTopology(
  applicationId: string,
  input: string,
  output: string,
  options: { partitions?: number; preAggregate?: boolean } = {},
): Topology {
  const { preAggregate, ...repartition } = options
  const app = pipeline({ applicationId, ...(preAggregate === undefined ? {} : { preAggregate }) })
  app
    .stream<Input>(input)
    .keyBy((e) => e.type, { name: 'by-type', ...repartition })
    .window(tumbling({ sizeMs: WINDOW_MS }))
    .count({ name: 'counts' })
    .map((r): Count => ({ type: r.key, start: r.window.startMs, count: r.value }))
    .to(output)
  return app.build()
}

/** Event time = sequence number (ms), so window counts are closed-form. */
export function inputs(count: number): Input[] {
  return Array.from({ length: count }, (_, seq) => ({
    seq,
    type: TYPES[seq % TYPES.length] as string,
    timestamp: seq,
  }))
}

/** Every window that closes before `closedBeforeMs` (all of them by default). */
export function oracle(events: readonly Input[], closedBeforeMs = Infinity): Count[] {
  const counts = new Map<string, Count>()
  for (const e of events) {
    const start = e.timestamp - (e.timestamp % WINDOW_MS)
    if (start + WINDOW_MS > closedBeforeMs) continue
    const id = `${e.type}/${start}`
    const row = counts.get(id) ?? { type: e.type, start, count: 0 }
    row.count++
    counts.set(id, row)
  }
  return sortCounts([...counts.values()])
}

export function sortCounts(rows: Count[]): Count[] {
  return [...rows].sort((a, b) => a.start - b.start || (a.type < b.type ? -1 : a.type > b.type ? 1 : 0))
}
