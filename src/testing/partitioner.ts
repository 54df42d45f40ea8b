/**
 * Kafka's default partitioner for keyed records: `toPositive(murmur2(keyBytes)) % partitions`, so
 * that the test driver puts a key on the partition a Java or freshet producer would.
 */
import { murmur2 } from '../kafka/murmur2.ts'
import { partitionKeyBytes } from '../operators/index.ts'

export { murmur2 }

/** The partition of a key: murmur2 of its bytes (see `partitionKeyBytes`); records without a key go to 0. */
export function partitionFor(key: unknown, partitions: number): number {
  const bytes = partitionKeyBytes(key)
  if (bytes === null) return 0
  return (murmur2(bytes) & 0x7fffffff) % partitions
}
