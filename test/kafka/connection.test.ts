import assert from 'node:assert/strict'
import { test } from 'node:test'
import { RETRY_DELAY_MS, retryDelayMs } from '../../src/kafka/connection.ts'

/** A broker error as the client nests it: an aggregate of per-request errors carrying `apiId`. */
function clientError(apiId: string): Error {
  const inner = Object.assign(new Error(`broker said ${apiId}`), { apiId })
  return new AggregateError([inner], 'request failed')
}

test('CONCURRENT_TRANSACTIONS is retried after 20 ms, doubling up to the usual delay', () => {
  const delays = [1, 2, 3, 4, 5, 6].map((attempt) =>
    retryDelayMs(undefined, 'addPartitionsToTxn', attempt, 5, clientError('CONCURRENT_TRANSACTIONS')),
  )
  assert.deepEqual(delays, [20, 40, 80, 160, RETRY_DELAY_MS, RETRY_DELAY_MS])
})

test('other retriable errors wait the usual delay', () => {
  for (const error of [clientError('NOT_LEADER_OR_FOLLOWER'), new Error('socket hang up')]) {
    assert.equal(retryDelayMs(undefined, 'produce', 1, 5, error), RETRY_DELAY_MS)
  }
})
