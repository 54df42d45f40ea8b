export { EventGenerator, TransactionGenerator, Mulberry32, type EventGeneratorOptions } from './generator.ts'
export {
  EventProducer,
  type ProduceProgress,
  type ProducerRequest,
  type ProducerStatus,
  type ProduceSummary,
  type RunOptions,
} from './producer.ts'
export type { EventProducerOptions } from './options.ts'
