import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { identifier, isReservedWord, quoteIdentifier } from '../../../src/sql/types/index.ts'

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
})
