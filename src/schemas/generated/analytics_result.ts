// generated from schemas/analytics_result.avsc by `freshet schema codegen`; do not edit

import type { TypedSchema } from './typed-schema.ts'

/**
 * One figure row of an analytics job (event-counts, revenue, sessions, top-users): a key in a window and the
 * job's figures for it. Figures a job does not compute are null.
 */
export interface AnalyticsResult {
  /** The job that computed the row: event-counts, revenue, sessions or top-users. */
  job: string
  /**
   * Start of the window, inclusive, in milliseconds since the Unix epoch (UTC); for sessions the time of the
   * first event.
   */
  window_start: number
  /**
   * End of the window, exclusive, in milliseconds since the Unix epoch (UTC); for sessions the time of the
   * last event.
   */
  window_end: number
  /**
   * What the row is about: the event type (event-counts), the currency (revenue), the user id (sessions,
   * top-users).
   */
  key: string
  /**
   * Number of events: of the event type (event-counts), in the session (sessions), of the user (top-users).
   */
  events: number | null
  /** Number of page_view events in the session (sessions). */
  page_views: number | null
  /** Number of purchase events (revenue, sessions). */
  purchases: number | null
  /**
   * Sum of the purchase amounts, in currency (revenue, sessions); sessions: null when the purchases are in
   * more than one currency.
   */
  revenue: number | null
  /** revenue / purchases, in currency (revenue). */
  average_amount: number | null
  /**
   * ISO 4217 code of revenue and average_amount (revenue, sessions); null when there is no single currency.
   */
  currency: string | null
  /** window_end - window_start: from the first to the last event of the session (sessions). */
  duration_ms: number | null
  /** Place in the window's ranking, 1 for the user with the most events (top-users). */
  rank: number | null
}

/** The Avro schema of AnalyticsResult, as written in schemas/analytics_result.avsc. */
export const AnalyticsResultSchema: TypedSchema<AnalyticsResult> = {
  name: 'dev.freshet.analytics.AnalyticsResult',
  source: 'schemas/analytics_result.avsc',
  schema: {
    type: 'record',
    name: 'AnalyticsResult',
    namespace: 'dev.freshet.analytics',
    doc: "One figure row of an analytics job (event-counts, revenue, sessions, top-users): a key in a window and the job's figures for it. Figures a job does not compute are null.",
    fields: [
      {
        name: 'job',
        type: 'string',
        doc: 'The job that computed the row: event-counts, revenue, sessions or top-users.',
      },
      {
        name: 'window_start',
        type: {
          type: 'long',
          logicalType: 'timestamp-millis',
        },
        doc: 'Start of the window, inclusive, in milliseconds since the Unix epoch (UTC); for sessions the time of the first event.',
      },
      {
        name: 'window_end',
        type: {
          type: 'long',
          logicalType: 'timestamp-millis',
        },
        doc: 'End of the window, exclusive, in milliseconds since the Unix epoch (UTC); for sessions the time of the last event.',
      },
      {
        name: 'key',
        type: 'string',
        doc: 'What the row is about: the event type (event-counts), the currency (revenue), the user id (sessions, top-users).',
      },
      {
        name: 'events',
        type: ['null', 'long'],
        default: null,
        doc: 'Number of events: of the event type (event-counts), in the session (sessions), of the user (top-users).',
      },
      {
        name: 'page_views',
        type: ['null', 'long'],
        default: null,
        doc: 'Number of page_view events in the session (sessions).',
      },
      {
        name: 'purchases',
        type: ['null', 'long'],
        default: null,
        doc: 'Number of purchase events (revenue, sessions).',
      },
      {
        name: 'revenue',
        type: ['null', 'double'],
        default: null,
        doc: 'Sum of the purchase amounts, in currency (revenue, sessions); sessions: null when the purchases are in more than one currency.',
      },
      {
        name: 'average_amount',
        type: ['null', 'double'],
        default: null,
        doc: 'revenue / purchases, in currency (revenue).',
      },
      {
        name: 'currency',
        type: ['null', 'string'],
        default: null,
        doc: 'ISO 4217 code of revenue and average_amount (revenue, sessions); null when there is no single currency.',
      },
      {
        name: 'duration_ms',
        type: ['null', 'long'],
        default: null,
        doc: 'window_end - window_start: from the first to the last event of the session (sessions).',
      },
      {
        name: 'rank',
        type: ['null', 'int'],
        default: null,
        doc: "Place in the window's ranking, 1 for the user with the most events (top-users).",
      },
    ],
  },
}
