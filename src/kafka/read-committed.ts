import {
  Consumer,
  IS_CONTROL,
  IS_TRANSACTIONAL,
  type CallbackWithPromise,
  type FetchOptions,
  type fetchV17,
  type RecordsBatch,
} from '@platformatic/kafka'

type FetchResponse = fetchV17.FetchResponse
type AbortedTransaction = fetchV17.FetchResponsePartitionAbortedTransaction

/** Control record type of an abort marker (the key is int16 version, int16 type). */
const ABORT_MARKER = 0

function isAbortMarker(batch: RecordsBatch): boolean {
  const key = batch.records[0]?.key
  return key != null && key.length >= 4 && key.readInt16BE(2) === ABORT_MARKER
}

function byFirstOffset(a: AbortedTransaction, b: AbortedTransaction): number {
  return a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0
}

/**
 * Hides the records of aborted transactions in a read_committed fetch response, the way the Java
 * consumer does, and returns how many records it hid. `@platformatic/kafka` 2.12.1 filters these
 * responses itself but delivers all but the last aborted transaction of a producer, and any
 * aborted transaction whose abort marker is not in the same response (docs/decisions/0001).
 *
 * For each partition that lists aborted transactions:
 *   1. Order the listed transactions by first offset. The broker lists every aborted transaction
 *      that overlaps the fetched range, also one that began before it, so a transaction spread
 *      over several responses is listed in each of them and no state is kept between responses.
 *   2. Walk the record batches in offset order. Before a batch, every listed transaction whose
 *      first offset is at or below the batch's last offset has started: its producer is aborting.
 *   3. A producer's abort marker (a control batch) ends its aborted transaction.
 *   4. A transactional data batch of an aborting producer is part of an aborted transaction: its
 *      records are emptied, the batch itself stays, because the messages stream takes its next
 *      fetch offset from the response's last batch.
 *
 * A response that lists no aborted transaction (all plain data, or read_uncommitted, for which
 * the broker lists none) is left as it is after one look at each partition.
 */
export function hideAbortedTransactions(response: FetchResponse): number {
  let hidden = 0
  for (const topic of response.responses) {
    for (const partition of topic.partitions) {
      const listed = partition.abortedTransactions
      const batches = partition.records
      if (!listed || listed.length === 0 || !batches || batches.length === 0) continue
      // Step 1
      const aborted = listed.length === 1 ? listed : [...listed].sort(byFirstOffset)
      let next = 0
      const aborting = new Set<bigint>()
      for (const batch of batches) {
        // Batches without a producer id are neither transactional nor markers.
        if (batch.producerId < 0n) continue
        // Step 2
        const lastOffset = batch.firstOffset + BigInt(batch.lastOffsetDelta)
        while (next < aborted.length && aborted[next]!.firstOffset <= lastOffset) {
          aborting.add(aborted[next]!.producerId)
          next++
        }
        if (batch.attributes & IS_CONTROL) {
          // Step 3
          if (isAbortMarker(batch)) aborting.delete(batch.producerId)
        } else if (batch.attributes & IS_TRANSACTIONAL && aborting.has(batch.producerId)) {
          // Step 4
          hidden += batch.records.length
          batch.records = []
        }
      }
    }
  }
  return hidden
}

/**
 * The client's consumer with every fetch response passed through `hideAbortedTransactions` before
 * anything reads it. The messages stream fetches through the public `fetch`, and the callback
 * wrapped here runs after the client's own (incomplete) filtering and before the stream turns
 * the response into messages. The client's filter only ever removes batches of the last aborted
 * transaction of a producer, so what it leaves is still in offset order and ends with the same
 * batch. Use it for read_committed consumers.
 */
export class ReadCommittedConsumer<Key, Value, HeaderKey, HeaderValue> extends Consumer<
  Key,
  Value,
  HeaderKey,
  HeaderValue
> {
  override fetch(
    options: FetchOptions<Key, Value, HeaderKey, HeaderValue>,
    callback: CallbackWithPromise<FetchResponse>,
  ): void
  override fetch(options: FetchOptions<Key, Value, HeaderKey, HeaderValue>): Promise<FetchResponse>
  override fetch(
    options: FetchOptions<Key, Value, HeaderKey, HeaderValue>,
    callback?: CallbackWithPromise<FetchResponse>,
  ): void | Promise<FetchResponse> {
    if (!callback) {
      return super.fetch(options).then((response) => {
        hideAbortedTransactions(response)
        return response
      })
    }
    super.fetch(options, (error, response) => {
      if (error || !response) {
        callback(error, response)
        return
      }
      try {
        hideAbortedTransactions(response)
      } catch (filterError) {
        // Never hand on a response that may still hold aborted records.
        callback(filterError instanceof Error ? filterError : new Error(String(filterError)))
        return
      }
      callback(null, response)
    })
  }
}
