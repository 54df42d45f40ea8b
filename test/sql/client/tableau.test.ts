// Results as Flink's client prints them in tableau mode: values as CAST to STRING writes them,
// NULL as <NULL>, widths by type, long values cut, and an updating result as -U/+U pairs per key.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { formatTable, LiveTable, StreamingTable } from '../../../src/sql/client/tableau.ts'
import { T } from '../helpers.ts'

test('a streaming result: a framed header, one line per row with its change, the total at the end', () => {
  const table = new StreamingTable(
    {
      columns: [
        { name: 'user_id', type: { kind: 'VARCHAR', length: 8, nullable: true } },
        { name: 'n', type: T.bigint },
        { name: 'ts', type: T.ts },
      ],
      updating: false,
    },
    'UTC',
  )
  assert.deepEqual(table.header(), [
    '+----+----------+----------------------+-------------------------+',
    '| op |  user_id |                    n |                      ts |',
    '+----+----------+----------------------+-------------------------+',
  ])
  assert.deepEqual(table.row(['ada', 3, Date.UTC(2026, 0, 1, 10)]), [
    '| +I |      ada |                    3 | 2026-01-01 10:00:00.000 |',
  ])
  assert.deepEqual(table.row(['a-very-long-name', null, null]), [
    '| +I | a-ver... |               <NULL> |                  <NULL> |',
  ])
  assert.deepEqual(table.footer(), [
    '+----+----------+----------------------+-------------------------+',
    'Received a total of 2 rows',
  ])
})

test('an updating result prints the old row as -U and the new as +U for a key seen before', () => {
  const table = new StreamingTable(
    {
      columns: [
        { name: 'k', type: T.string },
        { name: 'total', type: T.int },
      ],
      updating: true,
      keyIndexes: [0],
    },
    'UTC',
  )
  const lines = [...table.row(['a', 1]), ...table.row(['b', 5]), ...table.row(['a', 3])].map((l) =>
    l.replace(/ +/g, ' '),
  )
  assert.deepEqual(lines, ['| +I | a | 1 |', '| +I | b | 5 |', '| -U | a | 1 |', '| +U | a | 3 |'])
  assert.equal(table.count, 4)
})

test('a finished result: widths from the contents, the row count, or Empty set', () => {
  assert.equal(
    formatTable(['table name'], [['clicks'], ['orders']]),
    [
      '+------------+',
      '| table name |',
      '+------------+',
      '|     clicks |',
      '|     orders |',
      '+------------+',
      '2 rows in set',
    ].join('\n'),
  )
  assert.equal(
    formatTable(['key', 'value'], []),
    ['+-----+-------+', '| key | value |', '+-----+-------+', 'Empty set'].join('\n'),
  )
})

test('table mode: one row per key, the latest, moved to the bottom; insert-only rows capped, oldest dropped', () => {
  const updating = new LiveTable(
    {
      columns: [
        { name: 'k', type: T.string },
        { name: 'n', type: T.bigint },
      ],
      updating: true,
      keyIndexes: [0],
    },
    'UTC',
  )
  updating.add(['a', 1])
  updating.add(['b', 1])
  updating.add(['a', 2])
  assert.equal(updating.size, 2)
  assert.equal(updating.changes, 3)
  const screen = updating.render(24).map((l) => l.replace(/ +/g, ' '))
  assert.deepEqual(screen.slice(3, 5), ['| b | 1 |', '| a | 2 |'])
  assert.match(screen.at(-1)!, /^2 rows, 3 changes received\. Ctrl-C stops the query\.$/)

  const appended = new LiveTable({ columns: [{ name: 'n', type: T.int }], updating: false }, 'UTC', 3)
  for (let i = 1; i <= 5; i++) appended.add([i])
  assert.equal(appended.size, 3)
  // A screen of 7 lines has room for 2 rows: the newest.
  const small = appended.render(7).map((l) => l.replace(/ +/g, ' '))
  assert.deepEqual(small.slice(3, 5), ['| 4 |', '| 5 |'])
  assert.match(small.at(-1)!, /^3 rows \(the newest 2 shown\), 5 changes received/)
})
