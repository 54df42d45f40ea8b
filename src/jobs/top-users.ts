/**
 * top-users: the topN users with the most events in each tumbling window, one row per place.
 *
 * user-events -> key by user id into ONE partition (repartition) -> tumbling(windowMs) -> count per
 * user -> key every count by RANKING_KEY (repartition, one partition) -> tumbling(windowMs) -> topN
 * -> one row per place, rank 1 first.
 *
 * Why the counting runs in one task: the ranking of a window must see every user's count before it
 * closes. Counted in parallel, one task per input partition, a task whose partition goes quiet emits
 * its counts of a window only when its next event arrives, while the other tasks' counts of later
 * windows have already moved the ranking's watermark past it: its users would miss the ranking (by
 * a whole window or more, so no grace fixes it). In one task all counts of a window are emitted
 * together, before any count of the next window, so the ranking never sees a late one. Counting in
 * parallel needs the runtime to carry watermarks through repartition topics.
 */
import { UserEventSchema } from '../schemas/index.ts'
import { pipeline, type Topology } from '../stream/index.ts'
import { tumbling } from '../windows/index.ts'
import { analyticsResult, writeResults } from './result.ts'
import type { ResolvedJobOptions } from './types.ts'

/**
 * The key every count of a window meets under, to be ranked. It stays the Kafka key of the rows:
 * giving each row its user id as key would take one more repartition (the DSL changes keys only
 * through `keyBy`), and one key keeps a window's ranking in one partition, in rank order.
 */
export const RANKING_KEY = 'all'

/** A user's events in a window: what the ranking orders. */
interface UserCount {
  user_id: string
  events: number
}

export function topUsersJob(options: ResolvedJobOptions<'top-users'>): Topology {
  const windows = tumbling({ sizeMs: options.windowMs, graceMs: options.graceMs })
  const app = pipeline({ applicationId: options.applicationId })
  const rows = app
    .stream(options.inputTopic, { schema: UserEventSchema })
    .keyBy((event) => event.user_id, { name: 'by-user', partitions: 1 })
    .window(windows)
    .count({ name: 'counts' })
    // A count's event time is its window's last instant, so it falls into the same window below.
    .map((r): UserCount => ({ user_id: r.key, events: r.value }), { name: 'user-counts' })
    .keyBy(() => RANKING_KEY, { name: 'ranking', partitions: 1 })
    .window(windows)
    // Equal counts are ordered by the JSON text of the UserCount, so by user id: `{"user_id":...`.
    .topN(options.topN, { by: (c) => c.events, id: (c) => c.user_id, name: 'top-n' })
    .flatMap(
      (r) =>
        r.value.map((c, i) =>
          analyticsResult('top-users', c.user_id, r.window, { events: c.events, rank: i + 1 }),
        ),
      { name: 'rows' },
    )
  writeResults(rows, options)
  return app.build()
}
