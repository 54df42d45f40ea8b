/**
 * event-counts: how many events of each type happened in each tumbling window.
 *
 * user-events -> event type only -> key by it (repartition) -> tumbling(windowMs) -> count -> one
 * row per type and window, keyed by the event type. Only the type crosses the repartition topic:
 * the count needs nothing else, and the event time travels with every record.
 */
import { UserEventSchema } from '../schemas/index.ts'
import { pipeline, type Topology } from '../stream/index.ts'
import { tumbling } from '../windows/index.ts'
import { analyticsResult, writeResults } from './result.ts'
import type { ResolvedJobOptions } from './types.ts'

export function eventCountsJob(options: ResolvedJobOptions<'event-counts'>): Topology {
  const app = pipeline({ applicationId: options.applicationId })
  const rows = app
    .stream(options.inputTopic, { schema: UserEventSchema })
    .map((event) => event.event_type, { name: 'event-type' })
    .keyBy((eventType) => eventType, { name: 'by-event-type' })
    .window(tumbling({ sizeMs: options.windowMs, graceMs: options.graceMs }))
    .count({ name: 'counts' })
    .map((r) => analyticsResult('event-counts', r.key, r.window, { events: r.value }), { name: 'rows' })
  writeResults(rows, options)
  return app.build()
}
