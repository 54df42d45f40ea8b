/**
 * Window TVFs: positional and named arguments, both put in positional order; SESSION with its
 * PARTITION BY, which no other window function takes.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { FromItem } from '../../../src/sql/ast.ts'
import { assertRefused, interval, selectOf, shape, table } from './helpers.ts'

async function windowOf(tvf: string): Promise<FromItem> {
  const select = await selectOf(`SELECT * FROM TABLE(${tvf})`)
  assert.ok(select.from)
  return select.from
}

const min = (n: number) => interval(n * 60_000, `INTERVAL '${n}' MINUTES`)
const window = (fn: string, args: unknown[]) => ({
  kind: 'window',
  fn,
  input: table('Bid'),
  timeColumn: 'bidtime',
  args,
  partitionBy: [],
})

test('positional arguments: TUMBLE size [offset], HOP slide size, CUMULATE step max size', async () => {
  const d = "TABLE Bid, DESCRIPTOR(bidtime), INTERVAL '"
  assert.deepEqual(shape(await windowOf(`TUMBLE(${d}10' MINUTES)`)), window('TUMBLE', [min(10)]))
  assert.deepEqual(
    shape(await windowOf(`TUMBLE(${d}10' MINUTES, INTERVAL '1' MINUTES)`)),
    window('TUMBLE', [min(10), min(1)]),
  )
  assert.deepEqual(
    shape(await windowOf(`HOP(${d}5' MINUTES, INTERVAL '10' MINUTES)`)),
    window('HOP', [min(5), min(10)]),
  )
  assert.deepEqual(
    shape(await windowOf(`CUMULATE(${d}2' MINUTES, INTERVAL '10' MINUTES)`)),
    window('CUMULATE', [min(2), min(10)]),
  )
})

test('named arguments in any order are put in positional order', async () => {
  const tumble = await windowOf(
    "TUMBLE(DATA => TABLE Bid, TIMECOL => DESCRIPTOR(bidtime), SIZE => INTERVAL '10' MINUTES)",
  )
  assert.deepEqual(shape(tumble), window('TUMBLE', [min(10)]))
  const hop = await windowOf(
    "HOP(TIMECOL => DESCRIPTOR(bidtime), SIZE => INTERVAL '10' MINUTES, DATA => TABLE Bid, SLIDE => INTERVAL '5' MINUTES)",
  )
  assert.deepEqual(shape(hop), window('HOP', [min(5), min(10)]))
  const offset = await windowOf(
    "TUMBLE(DATA => TABLE Bid, TIMECOL => DESCRIPTOR(bidtime), OFFSET => INTERVAL '1' MINUTES, SIZE => INTERVAL '10' MINUTES)",
  )
  assert.deepEqual(shape(offset), window('TUMBLE', [min(10), min(1)]))
  const cumulate = await windowOf(
    "CUMULATE(DATA => TABLE Bid, TIMECOL => DESCRIPTOR(bidtime), STEP => INTERVAL '2' MINUTES, OFFSET => INTERVAL '1' MINUTES)",
  ).catch((error: Error) => error)
  assert.ok(cumulate instanceof Error, 'CUMULATE without its max size is refused')
})

test('the position of the window is the TABLE keyword; the input keeps its own', async () => {
  const select = await selectOf(
    "SELECT *\nFROM TABLE(TUMBLE(TABLE Bid, DESCRIPTOR(bidtime), INTERVAL '1' MINUTE))",
  )
  assert.equal(select.from?.kind, 'window')
  assert.deepEqual(select.from.at, { line: 2, column: 6 })
  assert.deepEqual(select.from.input.at, { line: 2, column: 25 })
})

test('wrong arguments are refused: count, mixing named and positional, unknown names', async () => {
  const invalid = { code: 'FRESHET_SQL_INVALID' as const, line: 1, column: 21 }
  const d = 'TABLE Bid, DESCRIPTOR(bidtime)'
  await assertRefused(`SELECT * FROM TABLE(HOP(${d}, INTERVAL '5' MINUTES))`, invalid)
  await assertRefused(
    `SELECT * FROM TABLE(TUMBLE(${d}, INTERVAL '1' MINUTE, INTERVAL '1' MINUTE, INTERVAL '1' MINUTE))`,
    invalid,
  )
  await assertRefused(
    `SELECT * FROM TABLE(TUMBLE(${d}, SIZE => INTERVAL '1' MINUTE, INTERVAL '1' MINUTE))`,
    invalid,
  )
  await assertRefused(`SELECT * FROM TABLE(TUMBLE(${d}, SLIDE => INTERVAL '1' MINUTE))`, invalid)
  await assertRefused(`SELECT * FROM TABLE(TUMBLE(TABLE Bid, INTERVAL '1' MINUTE))`, invalid)
})

test('SESSION: the gap positional or as GAP =>, PARTITION BY one column or a list, or none', async () => {
  const session = (partitionBy: string[]) => ({ ...window('SESSION', [min(5)]), partitionBy })
  assert.deepEqual(
    shape(await windowOf("SESSION(TABLE Bid, DESCRIPTOR(bidtime), INTERVAL '5' MINUTES)")),
    session([]),
  )
  assert.deepEqual(
    shape(await windowOf("SESSION(TABLE Bid PARTITION BY item, DESCRIPTOR(bidtime), INTERVAL '5' MINUTES)")),
    session(['item']),
  )
  assert.deepEqual(
    shape(
      await windowOf(
        "SESSION(TABLE Bid PARTITION BY (item, `supplier id`), DESCRIPTOR(bidtime), INTERVAL '5' MINUTES)",
      ),
    ),
    session(['item', 'supplier id']),
  )
  assert.deepEqual(
    shape(
      await windowOf(
        "SESSION(GAP => INTERVAL '5' MINUTES, DATA => TABLE Bid PARTITION BY item, TIMECOL => DESCRIPTOR(bidtime))",
      ),
    ),
    session(['item']),
  )
})

test('SESSION takes its gap only; a PARTITION BY column is a plain name', async () => {
  const invalid = (column: number) => ({ code: 'FRESHET_SQL_INVALID' as const, line: 1, column })
  const d = 'TABLE Bid, DESCRIPTOR(bidtime)'
  await assertRefused(
    `SELECT * FROM TABLE(SESSION(${d}, INTERVAL '5' MINUTES, INTERVAL '1' MINUTES))`,
    invalid(21),
  )
  await assertRefused(`SELECT * FROM TABLE(SESSION(${d}, SIZE => INTERVAL '5' MINUTES))`, invalid(21))
  await assertRefused(
    "SELECT * FROM TABLE(SESSION(TABLE Bid PARTITION BY b.item, DESCRIPTOR(bidtime), INTERVAL '5' MINUTES))",
    invalid(52),
  )
})

test('PARTITION BY is refused outside SESSION, at PARTITION, as Flink refuses it', async () => {
  const error = await assertRefused(
    "SELECT *\nFROM TABLE(TUMBLE(TABLE Bid PARTITION BY item, DESCRIPTOR(bidtime), INTERVAL '10' MINUTES))",
    { code: 'FRESHET_SQL_INVALID', line: 2, column: 29 },
  )
  assert.match(error.message, /^test\.sql:2:29: TUMBLE takes no PARTITION BY/)
  await assertRefused(
    "SELECT * FROM TABLE(HOP(DATA => TABLE Bid PARTITION BY (item, supplier), TIMECOL => DESCRIPTOR(bidtime), SLIDE => INTERVAL '5' MINUTES, SIZE => INTERVAL '10' MINUTES))",
    { code: 'FRESHET_SQL_INVALID', line: 1, column: 43 },
  )
})

test('a column named gap is still a column (GAP is a non-reserved keyword)', async () => {
  const select = await selectOf(
    "SELECT gap, COUNT(*) FROM TABLE(SESSION(TABLE Bid PARTITION BY gap, DESCRIPTOR(bidtime), GAP => INTERVAL '5' MINUTES)) GROUP BY gap",
  )
  assert.deepEqual(shape(select.items[0]), { kind: 'expr', expr: { kind: 'column', name: 'gap' } })
  assert.deepEqual(shape(select.groupBy), [{ kind: 'column', name: 'gap' }])
  assert.deepEqual(shape(select.from), { ...window('SESSION', [min(5)]), partitionBy: ['gap'] })
})

test("CUMULATE's named size is SIZE, as in Flink", async () => {
  const cumulate = await windowOf(
    "CUMULATE(DATA => TABLE Bid, TIMECOL => DESCRIPTOR(bidtime), SIZE => INTERVAL '10' MINUTES, STEP => INTERVAL '2' MINUTES)",
  )
  assert.deepEqual(shape(cumulate), window('CUMULATE', [min(2), min(10)]))
})
