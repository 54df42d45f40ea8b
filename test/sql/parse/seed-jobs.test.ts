/**
 * The four seed jobs in Flink SQL (bench/sql-parser/corpus.ts), tree by tree: these are the
 * statements the planner compiles first, so every node is checked, `FILTER (WHERE ...)` and the
 * SESSION TVF with its PARTITION BY included.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { VALID } from '../../../bench/sql-parser/corpus.ts'
import type { CallExpr, SelectQuery } from '../../../src/sql/ast.ts'
import { parseSql } from '../../../src/sql/parse/index.ts'
import { bin, call, col, countStar, int, interval, item, parseOne, shape, str, table } from './helpers.ts'

function corpus(id: string): string {
  const statement = VALID.find((v) => v.id === id)
  assert.ok(statement, id)
  return statement.sql
}

const windowBounds = [item(col('window_start')), item(col('window_end'))]
const groupByWindow = [col('window_start'), col('window_end')]

test('event counts: INSERT of a TUMBLE window aggregation', async () => {
  const statement = await parseOne(corpus('seed-event-counts'))
  assert.deepEqual(shape(statement), {
    kind: 'insert',
    table: 'analytics_results',
    overwrite: false,
    columns: ['job', 'window_start', 'window_end', 'key', 'events'],
    hints: {},
    query: {
      kind: 'select',
      with: [],
      distinct: false,
      items: [item(str('event-counts')), ...windowBounds, item(col('event_type')), item(countStar)],
      from: {
        kind: 'window',
        fn: 'TUMBLE',
        input: table('user_events'),
        timeColumn: 'event_time',
        args: [interval(60_000, "INTERVAL '1' MINUTE")],
        partitionBy: [],
      },
      groupBy: [...groupByWindow, col('event_type')],
      orderBy: [],
    },
  })
  assert.deepEqual(statement.at, { line: 1, column: 1 })
})

test('revenue: INSERT of a HOP window aggregation, slide before size, FILTER on two aggregates', async () => {
  const statement = await parseOne(corpus('seed-revenue'))
  const completed = bin('=', col('status'), str('completed'))
  assert.deepEqual(shape(statement), {
    kind: 'insert',
    table: 'analytics_results',
    overwrite: false,
    columns: ['job', 'window_start', 'window_end', 'key', 'purchases', 'revenue', 'avg_amount'],
    hints: {},
    query: {
      kind: 'select',
      with: [],
      distinct: false,
      items: [
        item(str('revenue')),
        ...windowBounds,
        item(col('currency')),
        item(call('COUNT', [], { star: true, filter: completed })),
        item(call('SUM', [col('amount')], { filter: completed })),
        item({
          kind: 'cast',
          operand: call('AVG', [col('amount')]),
          type: { kind: 'DOUBLE', nullable: true },
          try: false,
        }),
      ],
      from: {
        kind: 'window',
        fn: 'HOP',
        input: table('transactions'),
        timeColumn: 'ts',
        args: [interval(60_000, "INTERVAL '1' MINUTE"), interval(300_000, "INTERVAL '5' MINUTE")],
        partitionBy: [],
      },
      groupBy: [...groupByWindow, col('currency')],
      orderBy: [],
    },
  })
  assert.equal(statement.kind, 'insert')
  const select = statement.query as SelectQuery
  const purchases = select.items[4] as { expr: CallExpr }
  assert.deepEqual(purchases.expr.at, { line: 3, column: 3 })
  assert.deepEqual(purchases.expr.filter?.at, { line: 3, column: 26 })
})

test('top users: ROW_NUMBER() OVER a TUMBLE aggregation, filtered on the rank', async () => {
  const statement = await parseOne(corpus('seed-top-users'))
  const perWindow = {
    kind: 'select',
    with: [],
    distinct: false,
    items: [...windowBounds, item(col('user_id')), item(countStar, 'events')],
    from: {
      kind: 'window',
      fn: 'TUMBLE',
      input: table('user_events'),
      timeColumn: 'event_time',
      args: [interval(3_600_000, "INTERVAL '1' HOUR")],
      partitionBy: [],
    },
    groupBy: [...groupByWindow, col('user_id')],
    orderBy: [],
  }
  const ranked = {
    kind: 'select',
    with: [],
    distinct: false,
    items: [
      { kind: 'star' },
      item(
        {
          kind: 'over',
          call: call('ROW_NUMBER', []),
          partitionBy: groupByWindow,
          orderBy: [{ expr: col('events'), descending: true }],
        },
        'rn',
      ),
    ],
    from: { kind: 'subquery', query: perWindow },
    groupBy: [],
    orderBy: [],
  }
  assert.deepEqual(shape(statement), {
    kind: 'insert',
    table: 'analytics_results',
    overwrite: false,
    columns: ['job', 'window_start', 'window_end', 'key', 'events', 'rank'],
    hints: {},
    query: {
      kind: 'select',
      with: [],
      distinct: false,
      items: [
        item(str('top-users')),
        ...windowBounds,
        item(col('user_id')),
        item(col('events')),
        item({ kind: 'cast', operand: col('rn'), type: { kind: 'INT', nullable: true }, try: false }),
      ],
      from: { kind: 'subquery', query: ranked },
      where: bin('<=', col('rn'), int(10)),
      groupBy: [],
      orderBy: [],
    },
  })
})

test('sessions: INSERT of a SESSION window aggregation partitioned by user, with FILTER', async () => {
  const statement = await parseOne(corpus('seed-sessions'))
  const countOf = (type: string) =>
    call('COUNT', [], { star: true, filter: bin('=', col('event_type'), str(type)) })
  assert.deepEqual(shape(statement), {
    kind: 'insert',
    table: 'analytics_results',
    overwrite: false,
    columns: ['job', 'window_start', 'window_end', 'key', 'events', 'page_views', 'purchases', 'revenue'],
    hints: {},
    query: {
      kind: 'select',
      with: [],
      distinct: false,
      items: [
        item(str('sessions')),
        ...windowBounds,
        item(col('user_id')),
        item(countStar),
        item(countOf('page_view')),
        item(countOf('purchase')),
        item(
          call('SUM', [
            {
              kind: 'case',
              whens: [{ when: bin('=', col('event_type'), str('purchase')), then: col('amount', 'data') }],
              else: int(0),
            },
          ]),
        ),
      ],
      from: {
        kind: 'window',
        fn: 'SESSION',
        input: table('user_events'),
        timeColumn: 'event_time',
        args: [interval(1_800_000, "INTERVAL '30' MINUTE")],
        partitionBy: ['user_id'],
      },
      groupBy: [...groupByWindow, col('user_id')],
      orderBy: [],
    },
  })
  assert.equal(statement.kind, 'insert')
  const select = statement.query as SelectQuery
  assert.deepEqual(select.from?.at, { line: 7, column: 6 })
  assert.equal(select.from?.kind, 'window')
  assert.deepEqual(select.from.input.at, { line: 7, column: 26 })
})

test('sessions as a legacy group window: SESSION(...) in GROUP BY, SESSION_START/END', async () => {
  const sql = `INSERT INTO analytics_results (job, window_start, window_end, \`key\`, events, page_views, purchases, revenue)
SELECT 'sessions', SESSION_START(event_time, INTERVAL '30' MINUTE), SESSION_END(event_time, INTERVAL '30' MINUTE), user_id,
  COUNT(*),
  SUM(CASE WHEN event_type = 'page_view' THEN 1 ELSE 0 END),
  SUM(CASE WHEN event_type = 'purchase' THEN 1 ELSE 0 END),
  SUM(CASE WHEN event_type = 'purchase' THEN data.amount ELSE 0 END)
FROM user_events
GROUP BY user_id, SESSION(event_time, INTERVAL '30' MINUTE)`
  const gap = interval(1_800_000, "INTERVAL '30' MINUTE")
  const countIf = (type: string) => ({
    kind: 'case',
    whens: [{ when: bin('=', col('event_type'), str(type)), then: int(1) }],
    else: int(0),
  })
  assert.deepEqual(shape(await parseOne(sql)), {
    kind: 'insert',
    table: 'analytics_results',
    overwrite: false,
    columns: ['job', 'window_start', 'window_end', 'key', 'events', 'page_views', 'purchases', 'revenue'],
    hints: {},
    query: {
      kind: 'select',
      with: [],
      distinct: false,
      items: [
        item(str('sessions')),
        item(call('SESSION_START', [col('event_time'), gap])),
        item(call('SESSION_END', [col('event_time'), gap])),
        item(col('user_id')),
        item(countStar),
        item(call('SUM', [countIf('page_view')])),
        item(call('SUM', [countIf('purchase')])),
        item(
          call('SUM', [
            {
              kind: 'case',
              whens: [{ when: bin('=', col('event_type'), str('purchase')), then: col('amount', 'data') }],
              else: int(0),
            },
          ]),
        ),
      ],
      from: table('user_events'),
      groupBy: [col('user_id'), call('SESSION', [col('event_time'), gap])],
      orderBy: [],
    },
  })
})

test('the statement set of two seed jobs: two INSERTs, TUMBLE and CUMULATE, COUNT(DISTINCT)', async () => {
  const script = await parseSql(corpus('seed-statement-set'), 'jobs.sql')
  const [only] = script.statements
  assert.equal(script.statements.length, 1)
  const statement = only!.statement
  assert.equal(statement.kind, 'statement-set')
  assert.equal(statement.inserts.length, 2)
  const second = shape(statement.inserts[1]) as { query: { items: unknown[]; from: unknown } }
  assert.deepEqual(second.query.items[4], item(call('COUNT', [col('user_id')], { distinct: true })))
  assert.deepEqual(second.query.from, {
    kind: 'window',
    fn: 'CUMULATE',
    input: table('user_events'),
    timeColumn: 'event_time',
    args: [interval(3_600_000, "INTERVAL '1' HOUR"), interval(86_400_000, "INTERVAL '1' DAY")],
    partitionBy: [],
  })
  assert.deepEqual(statement.inserts[1]!.at, { line: 7, column: 3 })
})
