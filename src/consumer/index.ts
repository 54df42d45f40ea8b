export {
  EventConsumer,
  type ConsumedBatch,
  type ConsumeRunOptions,
  type ConsumerOutageEvent,
  type ConsumerResumedEvent,
  type ConsumerStatus,
} from './consumer.ts'
export type { EventConsumerOptions } from './options.ts'
export { ConsumerStats, formatStats, statsFieldsFor, type StatsField, type StatsSnapshot } from './stats.ts'
