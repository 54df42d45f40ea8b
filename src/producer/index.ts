export { EventGenerator, TransactionGenerator, Mulberry32, type EventGeneratorOptions } from './generator.ts'
export {
  EventProducer,
  type ProduceProgress,
  type ProducerOutageEvent,
  type ProducerRequest,
  type ProducerResumedEvent,
  type ProducerStatus,
  type ProduceSummary,
  type RunOptions,
} from './producer.ts'
export type { EventProducerOptions } from './options.ts'
export { GeneratedEvents, type RecordSource } from './source.ts'
export { JsonLines, type JsonLinesOptions } from './json-lines.ts'
export {
  DEFAULT_OUTAGE_TIMEOUT_MS,
  isOutage,
  Outage,
  OUTAGE_BACKOFF_MS,
  outageTimeoutCheck,
  waitingReason,
  type OutageResumedEvent,
  type OutageWaiting,
  type OutageWaitingEvent,
} from './outage.ts'
