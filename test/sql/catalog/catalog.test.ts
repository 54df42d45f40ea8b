import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { Catalog } from '../../../src/sql/catalog/index.ts'
import { AT, createTable, createView, FILE } from './statements.ts'

const blackhole = (name: string, extra = {}) =>
  createTable(['a INT'], { connector: 'blackhole' }, { name, ...extra })

describe('Catalog', () => {
  test('holds tables and views by name', () => {
    const catalog = new Catalog()
    catalog.defineTable(blackhole('user_events'), FILE)
    catalog.defineView(createView('recent'), FILE)
    assert.deepEqual(catalog.names(), ['recent', 'user_events'])
    assert.equal(catalog.get('user_events')?.kind, 'table')
    assert.equal(catalog.get('recent')?.kind, 'view')
    assert.equal(catalog.get('default_catalog.default_database.user_events')?.name, 'user_events')
    assert.equal(catalog.get('default_database.user_events')?.name, 'user_events')
    assert.equal(catalog.get('USER_EVENTS'), undefined)
    assert.deepEqual(
      catalog.tables().map((t) => t.name),
      ['user_events'],
    )
    assert.deepEqual(
      catalog.views().map((v) => v.name),
      ['recent'],
    )
  })

  test('a second object of the same name fails unless IF NOT EXISTS', () => {
    const catalog = new Catalog()
    const first = catalog.defineTable(blackhole('t'), FILE)
    assert.throws(() => catalog.defineTable(blackhole('t', { at: { line: 9, column: 1 } }), FILE), {
      code: 'FRESHET_SQL_INVALID',
      message: `jobs.sql:9:1: Table (or view) t already exists (created at jobs.sql:${AT.line}:${AT.column})`,
    })
    assert.throws(() => catalog.defineView(createView('t'), FILE), /Table \(or view\) t already exists/)
    assert.equal(catalog.defineTable(blackhole('t', { ifNotExists: true }), FILE), first)
  })

  test('a temporary object shadows a permanent one of the same name', () => {
    const catalog = new Catalog()
    catalog.defineTable(blackhole('t'), FILE)
    const temporary = catalog.defineTable(blackhole('t', { temporary: true }), FILE)
    assert.equal(catalog.get('t'), temporary)
    assert.throws(
      () => catalog.defineTable(blackhole('t', { temporary: true }), FILE),
      /Temporary table 't' already exists/,
    )
  })

  test('lookup names the closest names of an unknown one', () => {
    const catalog = new Catalog()
    catalog.defineTable(blackhole('user_events'), FILE)
    catalog.defineTable(blackhole('transactions'), FILE)
    const at = { line: 12, column: 6 }
    assert.throws(() => catalog.lookup('user_event', FILE, at), {
      code: 'FRESHET_SQL_INVALID',
      message: "jobs.sql:12:6: Object 'user_event' not found; did you mean 'user_events'?",
    })
    assert.throws(() => catalog.lookup('nothing_like_it', FILE, at), {
      message: "jobs.sql:12:6: Object 'nothing_like_it' not found",
    })
    assert.equal(catalog.lookup('transactions', FILE, at).name, 'transactions')
  })

  test('INSERT INTO needs a table, not a view', () => {
    const catalog = new Catalog()
    catalog.defineView(createView('v'), FILE)
    assert.throws(() => catalog.lookupTable('v', FILE, AT), /'v' is a view; INSERT INTO needs a table/)
  })

  test('refuses a name in another catalog or database', () => {
    assert.throws(() => new Catalog().defineTable(blackhole('other_db.t'), FILE), /one catalog and database/)
  })
})
