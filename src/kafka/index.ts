/**
 * freshet's narrow door to Kafka. Everything else in freshet talks to the cluster through these
 * classes, so the client library behind them can change in one place (docs/decisions/0001).
 */
export { KafkaAdmin, type ConsumerGroupDescription, type GroupLagReport, type PartitionLag } from './admin.ts'
export { connectionSpec, parseBrokers, type ConnectionOptions } from './connection.ts'
export {
  GroupConsumer,
  MEMBERSHIP_TRANSITIONS,
  nextOffsets,
  type ConsumerOptions,
  type DescribedMember,
  type MembershipState,
  type RebalanceCallback,
  type TopicPartitions,
} from './consumer.ts'
export { kafkaError } from './errors.ts'
export { PartitionReader, type PartitionReaderOptions } from './partition-reader.ts'
export { KafkaProducer, type ProducerOptions } from './producer.ts'
export type {
  Compression,
  InRecord,
  IsolationLevel,
  OutRecord,
  PartitionAssigner,
  SendStats,
  TopicDescription,
  TopicPartitionOffset,
  TopicSpec,
} from './types.ts'
export {
  TRANSACTION_TIMEOUT_MS,
  TRANSACTION_TRANSITIONS,
  TransactionalProducer,
  type GroupMember,
  type TransactionalProducerOptions,
  type TransactionState,
} from './transactional-producer.ts'
