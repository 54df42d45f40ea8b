/**
 * Kafka's murmur2 (`org.apache.kafka.common.utils.Utils.murmur2`) in 32-bit integer arithmetic:
 * `Math.imul` wraps like Java's int multiplication. The client library's own version computes with
 * ever-growing big integers, which cost the producer a fifth of its CPU time (docs/benchmarks.md).
 */
const SEED = 0x9747b28c
const M = 0x5bd1e995

/** A signed 32-bit hash, equal to the Java client's for the same bytes. */
export function murmur2(data: Uint8Array): number {
  const length = data.length
  let h = SEED ^ length
  const whole = length & ~3
  for (let i = 0; i < whole; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24)
    k = Math.imul(k, M)
    k ^= k >>> 24
    k = Math.imul(k, M)
    h = Math.imul(h, M) ^ k
  }
  // The tail bytes, highest first, as the fall-through switch of the Java version does.
  const rest = length & 3
  if (rest === 3) h ^= data[whole + 2]! << 16
  if (rest >= 2) h ^= data[whole + 1]! << 8
  if (rest >= 1) {
    h ^= data[whole]!
    h = Math.imul(h, M)
  }
  h ^= h >>> 13
  h = Math.imul(h, M)
  h ^= h >>> 15
  return h | 0
}

/** `Utils.toPositive(murmur2(key))`: the Java client takes this modulo the partition count. */
export function positiveMurmur2(key: Uint8Array): number {
  return murmur2(key) & 0x7fffffff
}

/**
 * The partitioner both producers give the client library: the Java client's partition for a key
 * before the modulo, which the library applies. Unkeyed records go to partition 0, as with the
 * library's own compatibility partitioner.
 */
export function javaCompatiblePartitioner(_message: unknown, key: Buffer | undefined): number {
  return key ? positiveMurmur2(key) : 0
}
