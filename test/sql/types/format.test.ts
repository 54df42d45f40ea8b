import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { SqlType } from '../../../src/sql/ast.ts'
import { formatType, parseType } from '../../../src/sql/types/index.ts'

describe('formatType', () => {
  test('writes the types as Flink spells them in DDL', () => {
    const cases: Array<[SqlType, string]> = [
      [{ kind: 'TIMESTAMP_LTZ', precision: 3, nullable: false }, 'TIMESTAMP_LTZ(3) NOT NULL'],
      [{ kind: 'VARCHAR', nullable: true }, 'STRING'],
      [{ kind: 'VARCHAR', length: 2147483647, nullable: true }, 'STRING'],
      [{ kind: 'VARCHAR', length: 10, nullable: true }, 'VARCHAR(10)'],
      [{ kind: 'VARBINARY', nullable: false }, 'BYTES NOT NULL'],
      [{ kind: 'DECIMAL', precision: 10, scale: 2, nullable: true }, 'DECIMAL(10, 2)'],
      [
        {
          kind: 'ROW',
          fields: [
            { name: 'a', type: { kind: 'INT', nullable: true } },
            { name: 'b', type: { kind: 'VARCHAR', nullable: true } },
          ],
          nullable: true,
        },
        'ROW<`a` INT, `b` STRING>',
      ],
      [
        {
          kind: 'MAP',
          key: { kind: 'VARCHAR', nullable: false },
          value: { kind: 'ARRAY', element: { kind: 'BIGINT', nullable: true }, nullable: true },
          nullable: false,
        },
        'MAP<STRING NOT NULL, ARRAY<BIGINT>> NOT NULL',
      ],
      [{ kind: 'NULL', nullable: true }, 'NULL'],
    ]
    for (const [type, text] of cases) assert.equal(formatType(type), text)
  })

  test('round trips through parseType, Flink serializable spellings included', () => {
    const texts = [
      'INT NOT NULL',
      'STRING',
      'CHAR(3)',
      'BINARY(4) NOT NULL',
      'TIME(3)',
      'TIMESTAMP(6)',
      'TIMESTAMP_LTZ(3) NOT NULL',
      'DECIMAL(38, 18)',
      'MULTISET<STRING>',
      'ROW<`a b` INT NOT NULL, `c``d` ROW<`e` DATE>> NOT NULL',
    ]
    for (const text of texts) assert.equal(formatType(parseType(text)), text)
    assert.equal(formatType(parseType('VARCHAR(2147483647) NOT NULL')), 'STRING NOT NULL')
    assert.equal(formatType(parseType('TIMESTAMP(3) WITH LOCAL TIME ZONE')), 'TIMESTAMP_LTZ(3)')
    assert.equal(formatType(parseType('INTEGER')), 'INT')
    assert.equal(formatType(parseType('ROW(a INT, b STRING)')), 'ROW<`a` INT, `b` STRING>')
  })

  test('refuses what is not a type', () => {
    assert.throws(() => parseType('INT NOT'), { code: 'FRESHET_SQL_INVALID' })
    assert.throws(() => parseType('WIDGET'), /unknown type WIDGET/)
  })
})
