export { startBroker, type BrokerOptions, type RunningBroker } from './broker.ts'
export {
  KAFKA_VERSION,
  fetchKafkaJars,
  kafkaClasspath,
  kafkaJarsPresent,
  kafkaLibsDir,
} from './kafka-jars.ts'
export { resolveStackOptions, STACK_ENV, type ResolvedStackOptions, type StackOptions } from './options.ts'
export { freePort, isAlive, stopProcess, watchOwner } from './processes.ts'
export { DEFAULT_TOPICS, down, status, up, type ServiceStatus } from './stack.ts'
