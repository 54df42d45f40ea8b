/** `/*+ OPTIONS(...) *\/` hints: read from the hidden channel, attached to the table before them. */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { assertRefused, parseOne, selectOf, shape, table } from './helpers.ts'

test('a hint belongs to the table name right before it, also before an alias', async () => {
  const select = await selectOf(
    "SELECT * FROM a /*+ OPTIONS('scan.startup.mode'='latest-offset', 'k' = 'it''s') */ x JOIN b ON x.id = b.id",
  )
  assert.equal(select.from?.kind, 'join')
  assert.deepEqual(
    shape(select.from.left),
    table('a', { alias: 'x', hints: { 'scan.startup.mode': 'latest-offset', k: "it's" } }),
  )
  assert.deepEqual(shape(select.from.right), table('b'))
})

test('the INSERT target and a window TVF input take hints; plain comments are not hints', async () => {
  const statement = await parseOne(
    "INSERT INTO sink /* a comment */ /*+ OPTIONS('sink.parallelism'='2') */ SELECT * FROM TABLE(TUMBLE(TABLE e /*+ OPTIONS('a'='b') */, DESCRIPTOR(ts), INTERVAL '1' MINUTE))",
  )
  assert.equal(statement.kind, 'insert')
  assert.deepEqual(statement.hints, { 'sink.parallelism': '2' })
  assert.equal(statement.query.kind, 'select')
  assert.equal(statement.query.from?.kind, 'window')
  assert.deepEqual(shape(statement.query.from.input), table('e', { hints: { a: 'b' } }))
})

test('two OPTIONS in one hint comment are merged', async () => {
  const select = await selectOf("SELECT * FROM a /*+ OPTIONS('x'='1'), OPTIONS('y'='2') */")
  assert.deepEqual(select.from?.kind === 'table' && select.from.hints, { x: '1', y: '2' })
})

test('a hint elsewhere, another hint name, or a malformed hint is refused, not dropped', async () => {
  await assertRefused("SELECT /*+ STATE_TTL('t'='1d') */ * FROM t", {
    code: 'FRESHET_SQL_UNSUPPORTED',
    line: 1,
    column: 8,
    construct: 'hint in this position',
  })
  await assertRefused("SELECT * FROM t /*+ LOOKUP('table'='t') */", {
    code: 'FRESHET_SQL_UNSUPPORTED',
    line: 1,
    column: 17,
    construct: 'LOOKUP hint',
  })
  await assertRefused("SELECT * FROM t /*+ OPTIONS('a') */", {
    code: 'FRESHET_SQL_INVALID',
    line: 1,
    column: 17,
  })
})
