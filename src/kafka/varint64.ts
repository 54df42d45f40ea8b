/**
 * A fix to the client library's wire encoding, applied once when src/kafka loads.
 *
 * `@platformatic/dynamic-buffer` 0.3.1 (what `@platformatic/kafka` 2.12.1 writes record batches
 * with) zigzag-encodes a signed 64-bit varint as `(value << 1n) ^ (value >> 31n)`: right for
 * values within ±2^31, wrong beyond. Kafka writes each record's timestamp as a 64-bit varint delta
 * from the first record of its batch, so a batch whose timestamps spread over more than 24.8 days
 * (2^31 ms) went out corrupted: a later record's timestamp came back from the broker in the past,
 * and an earlier one far in the future, which the broker refuses (`INVALID_TIMESTAMP`, beyond
 * `log.message.timestamp.after.max.ms`). Old event times beside new ones are ordinary: a backfill,
 * a repartition topic carrying both, a marker stamped with the wall clock after results of last
 * month. The replacement is the standard 64-bit zigzag; reading was right already.
 */
import { DynamicBuffer } from '@platformatic/dynamic-buffer'

type Writes = { writeUnsignedVarInt64(value: bigint, append?: boolean): void }

const prototype = DynamicBuffer.prototype as unknown as Writes & {
  writeVarInt64(value: bigint, append?: boolean): void
}

prototype.writeVarInt64 = function writeVarInt64(this: Writes, value: bigint, append = true): void {
  this.writeUnsignedVarInt64((value << 1n) ^ (value >> 63n), append)
}
