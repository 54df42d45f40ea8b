export {
  EventConsumer,
  JSON_WITHOUT_SCHEMA,
  type ConsumedBatch,
  type ConsumeRunOptions,
  type ConsumerOutageEvent,
  type ConsumerResumedEvent,
  type ConsumerStatus,
} from './consumer.ts'
export type { EventConsumerOptions } from './options.ts'
export {
  ConsumerStats,
  formatStats,
  RECORD_KEYS,
  statsFieldsFor,
  type CountedRecord,
  type StatsField,
  type StatsSnapshot,
} from './stats.ts'
