import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  closest,
  didYouMean,
  editDistance,
  identifier,
  isReservedWord,
  quoteIdentifier,
} from '../../../src/sql/types/index.ts'

describe('identifiers', () => {
  test('back-quotes reserved words and names that are not plain identifiers', () => {
    assert.equal(identifier('timestamp'), '`timestamp`')
    assert.equal(identifier('user'), '`user`')
    assert.equal(identifier('value'), '`value`')
    assert.equal(identifier('rank'), '`rank`')
    assert.equal(identifier('user-events'), '`user-events`')
    // Not reserved in Flink 2.2 (its parser takes them as column names).
    assert.equal(identifier('data'), 'data')
    assert.equal(identifier('key'), 'key')
    assert.equal(identifier('version'), 'version')
    assert.equal(quoteIdentifier('a`b'), '`a``b`')
    assert.equal(isReservedWord('Timestamp'), true)
    assert.equal(identifier('9lives'), '`9lives`')
  })

  test('closest: within two edits, or equal but for case', () => {
    assert.deepEqual(closest('Events', ['events', 'evens', 'other']), ['events', 'evens'])
    assert.deepEqual(closest('x', ['abc']), [])
    // One edit for names under six characters: 'ts' is not a misspelling of 'id'.
    assert.deepEqual(closest('ts', ['id', 'tx']), ['tx'])
  })

  test('didYouMean: the hint the catalog and the compiler append to a not-found message', () => {
    assert.equal(didYouMean('user_idd', ['user_id', 'amount']), "; did you mean 'user_id'?")
    assert.equal(didYouMean('Events', ['events', 'evens']), "; did you mean 'events' or 'evens'?")
    assert.equal(didYouMean('zzz', ['user_id']), '')
  })

  test('editDistance', () => {
    assert.equal(editDistance('kitten', 'sitting'), 3)
    assert.equal(editDistance('', 'abc'), 3)
    assert.equal(editDistance('abc', 'abc'), 0)
  })
})
