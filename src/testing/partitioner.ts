/**
 * Kafka's default partitioner for keyed records, so that the test driver puts a key on the
 * partition a Java or freshet producer would (the runtime uses the same function).
 */
export { murmur2 } from '../kafka/murmur2.ts'
export { partitionFor } from '../operators/index.ts'
