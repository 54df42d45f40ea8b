/**
 * event-counts: how many events of each type happened in each tumbling window.
 *
 * user-events -> key by event_type (repartition) -> tumbling(windowMs) -> count -> one row per type
 * and window, keyed by the event type.
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
    .keyBy((event) => event.event_type, { name: 'by-event-type' })
    .window(tumbling({ sizeMs: options.windowMs, graceMs: options.graceMs }))
    .count({ name: 'counts' })
    .map((r) => analyticsResult('event-counts', r.key, r.window, { events: r.value }), { name: 'rows' })
  writeResults(rows, options)
  return app.build()
}
