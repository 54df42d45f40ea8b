/**
 * What every job writes: `AnalyticsResult` rows (schemas/analytics_result.avsc), and the pieces the
 * jobs share to make them: money in fixed point, the check that the input is keyed by user, the sink.
 */
import { AnalyticsResultSchema, type AnalyticsResult, type UserEvent } from '../schemas/index.ts'
import type { Stream } from '../stream/index.ts'
import type { CommonJobOptions, JobName } from './types.ts'

/** The figures of a row: every field but the job, the window and the key. */
export type Figures = Omit<AnalyticsResult, 'job' | 'window_start' | 'window_end' | 'key'>

const NO_FIGURES: Figures = {
  events: null,
  page_views: null,
  purchases: null,
  revenue: null,
  average_amount: null,
  currency: null,
  duration_ms: null,
  rank: null,
}

/** A row of `job` for `key` in `window`: the given figures, null for the others. */
export function analyticsResult(
  job: JobName,
  key: string,
  window: { readonly startMs: number; readonly endMs: number },
  figures: Partial<Figures>,
): AnalyticsResult {
  return { job, window_start: window.startMs, window_end: window.endMs, key, ...NO_FIGURES, ...figures }
}

/**
 * Money is summed as whole ten-thousandths (four decimals cover every ISO 4217 currency): integer
 * sums are exact, so a total does not depend on the order the amounts were added or merged in, and
 * a job restored from its changelogs, or fed its input in another interleaving, gives the same bits.
 */
export const MONEY_SCALE = 10_000

export function toMoneyUnits(amount: number): number {
  return Math.round(amount * MONEY_SCALE)
}

export function fromMoneyUnits(units: number): number {
  return units / MONEY_SCALE
}

/**
 * For a job that groups the input by its record key (sessions), which the producer sets to the user
 * id, so that it needs no repartitioning. A record keyed otherwise (no key, another field) would
 * silently mix users' figures, so it fails the job instead: FRESHET_OPERATOR_FAILED with the
 * record's topic, partition and offset. (A plain Error on purpose: the operator graph passes a
 * FreshetError through as it is, without the record's location.)
 */
export function requireUserKey(event: UserEvent, key: string): void {
  if (key !== event.user_id) {
    throw new Error(
      `the input must be keyed by user_id: an event of ${event.user_id} has the key ${JSON.stringify(key) ?? 'undefined'}`,
    )
  }
}

/**
 * Writes the rows to the output topic, keyed as they are: with the job's serializer if it has one,
 * else in the runtime's format with `AnalyticsResultSchema`.
 */
export function writeResults(
  stream: Stream<AnalyticsResult>,
  options: Pick<CommonJobOptions, 'outputSerde'> & { outputTopic: string },
): void {
  stream.to(
    options.outputTopic,
    options.outputSerde === undefined ? { schema: AnalyticsResultSchema } : { serde: options.outputSerde },
  )
}
