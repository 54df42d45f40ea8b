// generated from schemas/*.avsc by `freshet schema codegen`; do not edit

import { AnalyticsResultSchema } from './analytics_result.ts'
import { TransactionEventSchema } from './transaction_event.ts'
import { UserEventSchema } from './user_event.ts'

export * from './analytics_result.ts'
export * from './transaction_event.ts'
export * from './user_event.ts'

/** Every schema in schemas/, by the name of its .avsc file. */
export const generatedSchemas = {
  analytics_result: AnalyticsResultSchema,
  transaction_event: TransactionEventSchema,
  user_event: UserEventSchema,
} as const
