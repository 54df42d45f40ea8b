import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  checkInsertCompatible,
  formatType,
  leastRestrictive,
  parseType,
} from '../../../src/sql/types/index.ts'

describe('checkInsertCompatible', () => {
  // Flink 2.2's verdict on `INSERT INTO t SELECT CAST(NULL AS <query>)` for a sink column <sink>.
  const accepted = [
    ['INT', 'BIGINT'],
    ['INT', 'DECIMAL(5, 2)'],
    ['DECIMAL(20, 2)', 'DECIMAL(5, 2)'],
    ['DECIMAL(5, 2)', 'DOUBLE'],
    ['DECIMAL(5, 2)', 'FLOAT'],
    ['FLOAT', 'DOUBLE'],
    ['BIGINT', 'DOUBLE'],
    ['STRING', 'VARCHAR(3)'],
    ['CHAR(3)', 'STRING'],
    ['TIMESTAMP(3)', 'TIMESTAMP_LTZ(3)'],
    ['TIMESTAMP_LTZ(3)', 'TIMESTAMP(3)'],
    ['TIMESTAMP(6)', 'TIMESTAMP(3)'],
    ['TIMESTAMP(3)', 'TIMESTAMP(6)'],
    ['TIMESTAMP(3)', 'DATE'],
    ['TIMESTAMP(3)', 'TIME(3)'],
    ['BINARY(3)', 'BYTES'],
    ['ARRAY<INT>', 'ARRAY<BIGINT>'],
    ['ROW<x INT>', 'ROW<y BIGINT>'],
    ['MAP<STRING, INT>', 'MAP<STRING, BIGINT>'],
    ['TINYINT', 'INT'],
    ['NULL', 'INT NOT NULL'],
  ]
  const refused = [
    ['BIGINT', 'INT'],
    ['DOUBLE', 'FLOAT'],
    ['STRING', 'CHAR(3)'],
    ['INT', 'STRING'],
    ['STRING', 'INT'],
    ['DATE', 'TIMESTAMP(3)'],
    ['BYTES', 'BINARY(3)'],
    ['BOOLEAN', 'INT'],
    ['INT', 'TINYINT'],
  ]
  for (const [query, sink] of accepted) {
    test(`accepts ${query} into ${sink}`, () => {
      assert.equal(checkInsertCompatible(parseType(query!), parseType(sink!)).compatible, true)
    })
  }
  for (const [query, sink] of refused) {
    test(`refuses ${query} into ${sink}`, () => {
      const verdict = checkInsertCompatible(parseType(query!), parseType(sink!), 'a', 0)
      assert.equal(verdict.compatible, false)
      assert.match(verdict.reason!, /^Incompatible types for sink column 'a' at position 0/)
    })
  }

  test('a nullable value into a NOT NULL column plans, with the not-null check at run time', () => {
    const verdict = checkInsertCompatible(parseType('INT'), parseType('INT NOT NULL'))
    assert.deepEqual(verdict, { compatible: true, implicitCast: false, notNullEnforced: true })
    assert.equal(checkInsertCompatible(parseType('INT NOT NULL'), parseType('BIGINT')).implicitCast, true)
  })
})

describe('leastRestrictive', () => {
  test('widens numbers, strings and timestamps, nullable when either is', () => {
    const cases = [
      ['INT NOT NULL', 'BIGINT NOT NULL', 'BIGINT NOT NULL'],
      ['INT', 'DECIMAL(5, 2) NOT NULL', 'DECIMAL(12, 2)'],
      ['INT NOT NULL', 'DOUBLE NOT NULL', 'DOUBLE NOT NULL'],
      ['CHAR(3) NOT NULL', 'VARCHAR(10) NOT NULL', 'VARCHAR(10) NOT NULL'],
      ['CHAR(3)', 'STRING', 'STRING'],
      ['TIMESTAMP(3)', 'TIMESTAMP(6) NOT NULL', 'TIMESTAMP(6)'],
      ['NULL', 'INT NOT NULL', 'INT'],
    ]
    for (const [a, b, common] of cases) {
      assert.equal(formatType(leastRestrictive(parseType(a!), parseType(b!))!), common, `${a} and ${b}`)
    }
    assert.equal(leastRestrictive(parseType('INT'), parseType('STRING')), undefined)
  })
})
