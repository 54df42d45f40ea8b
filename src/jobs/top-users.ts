/**
 * top-users: the topN users with the most events in each tumbling window, one row per place.
 *
 * user-events -> key by user id (repartition, one partition per input partition) -> tumbling(windowMs)
 * -> count per user -> key every count by RANKING_KEY (repartition, one partition) -> tumbling(windowMs)
 * -> topN -> one row per place, rank 1 first.
 *
 * The ranking of a window must see every user's count before it closes. The counting tasks read a
 * repartition topic, so their watermark is the minimum over the input tasks that are not idle
 * (src/task/records.ts), and the ranking's the minimum over the counting tasks: a window closes in
 * the ranking only after every counting task has closed it and sent its counts, however unevenly
 * the input partitions progress.
 *
 * Why `keyBy(user_id)` although the input is keyed by user id already: counted straight in the
 * tasks of the input partitions (`byRecordKey`), a task whose partition goes quiet for
 * `idleTimeoutMs` would be idle, and no longer hold the ranking back, while still holding its
 * users' counts of an open window, which it emits only when its next event moves its watermark:
 * too late for the ranking, by a whole window or more. Behind the repartition topic every counting
 * task follows the same watermark, and a quiet input task holds nothing: its events have already
 * crossed. `test/jobs/top-users.test.ts` has both cases.
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
    .keyBy((event) => event.user_id, { name: 'by-user' })
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
