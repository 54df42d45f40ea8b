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
  test("gives Flink 2.2's UNION ALL column types, quirks included", () => {
    // SELECT CAST(NULL AS a) AS x UNION ALL SELECT CAST(NULL AS b) on Flink 2.2.
    const cases = [
      ['INT', 'BIGINT', 'BIGINT'],
      ['TINYINT', 'SMALLINT', 'SMALLINT'],
      ['INT', 'DECIMAL(5, 2)', 'DECIMAL(12, 2)'],
      ['BIGINT', 'DECIMAL(5, 2)', 'DECIMAL(21, 2)'],
      ['TINYINT', 'DECIMAL(2, 1)', 'DECIMAL(4, 1)'],
      ['BIGINT', 'DECIMAL(38, 10)', 'DECIMAL(38, 10)'],
      ['DECIMAL(10, 2)', 'DECIMAL(20, 5)', 'DECIMAL(20, 5)'],
      ['DECIMAL(38, 0)', 'DECIMAL(38, 10)', 'DECIMAL(38, 0)'],
      ['INT', 'DOUBLE', 'DOUBLE'],
      ['FLOAT', 'INT', 'FLOAT'],
      ['FLOAT', 'BIGINT', 'FLOAT'],
      ['FLOAT', 'DECIMAL(5, 2)', 'DOUBLE'],
      ['DECIMAL(5, 2)', 'FLOAT', 'DOUBLE'],
      ['DOUBLE', 'DECIMAL(5, 2)', 'DOUBLE'],
      ['FLOAT', 'DOUBLE', 'FLOAT'],
      ['DOUBLE', 'FLOAT', 'DOUBLE'],
      ['CHAR(3)', 'VARCHAR(10)', 'VARCHAR(10)'],
      ['CHAR(3)', 'STRING', 'STRING'],
      ['CHAR(3)', 'CHAR(5)', 'VARCHAR(5)'],
      ['CHAR(3)', 'CHAR(3)', 'CHAR(3)'],
      ['VARCHAR(3)', 'CHAR(3)', 'VARCHAR(3)'],
      ['BINARY(3)', 'BINARY(5)', 'VARBINARY(5)'],
      ['BINARY(3)', 'BYTES', 'BYTES'],
      ['TIMESTAMP(3)', 'TIMESTAMP(6)', 'TIMESTAMP(6)'],
      ['TIMESTAMP(3)', 'TIMESTAMP_LTZ(3)', 'TIMESTAMP(3)'],
      ['TIMESTAMP(6)', 'TIMESTAMP_LTZ(3)', 'TIMESTAMP_LTZ(6)'],
      ['TIMESTAMP_LTZ(6)', 'TIMESTAMP(3)', 'TIMESTAMP(6)'],
      ['TIME(3)', 'TIME(0)', 'TIME(0)'],
      ['TIME(0)', 'TIME(3)', 'TIME(0)'],
      ['ARRAY<INT>', 'ARRAY<BIGINT>', 'ARRAY<BIGINT>'],
      ['MAP<STRING, INT>', 'MAP<STRING, BIGINT>', 'MAP<STRING, BIGINT>'],
      ['ROW<a INT>', 'ROW<b BIGINT>', 'ROW<`a` BIGINT>'],
    ]
    for (const [a, b, common] of cases) {
      assert.equal(formatType(leastRestrictive(parseType(a!), parseType(b!))!), common, `${a} and ${b}`)
    }
    // Flink: "Type mismatch in column 1 of UNION ALL".
    assert.equal(leastRestrictive(parseType('INT'), parseType('STRING')), undefined)
    assert.equal(leastRestrictive(parseType('DATE'), parseType('TIMESTAMP(3)')), undefined)
  })

  test('is NOT NULL only when both are', () => {
    assert.equal(
      formatType(leastRestrictive(parseType('INT NOT NULL'), parseType('BIGINT NOT NULL'))!),
      'BIGINT NOT NULL',
    )
    assert.equal(formatType(leastRestrictive(parseType('INT NOT NULL'), parseType('BIGINT'))!), 'BIGINT')
    assert.equal(formatType(leastRestrictive(parseType('NULL'), parseType('INT NOT NULL'))!), 'INT')
  })
})
