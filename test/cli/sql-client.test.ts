// `freshet sql`, the interactive client, as a process fed statements on stdin against the test
// broker: a SELECT over a bounded table prints every row and ends by itself; an updating GROUP BY
// prints -U/+U pairs; a SELECT over the registry's catalog runs until SIGINT, which ends the query
// and not the client, where SIGTERM ends both; each query leaves no topic or consumer group behind;
// the first error of a script stops it with exit code 1 and the statement's position.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { KafkaAdmin, KafkaProducer } from '../../src/kafka/index.ts'
import { UserEventSchema, type UserEvent } from '../../src/schemas/index.ts'
import { createSerializer } from '../../src/serde/index.ts'
import { freshetBackground, freshetProcessWithInput } from '../helpers/cli.ts'
import { bootstrap, brokers, randomTopic } from '../helpers/kafka.ts'
import { testRegistry } from '../helpers/registry.ts'

const BASE_MS = Date.UTC(2026, 0, 1, 10)
const QUERY_PREFIX = 'freshet-sql-query-'

/** The table lines of the output: `[op, ...values]` per row, without the frame and header. */
function rowsOf(stdout: string): string[][] {
  return stdout
    .split('\n')
    .filter((l) => /^\| [+-][IU] \|/.test(l))
    .map((l) =>
      l
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim()),
    )
}

function clicksTable(topic: string, bounded: boolean): string {
  return `CREATE TABLE clicks (
  user_id STRING,
  qty INT,
  ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH (
  'connector' = 'kafka',
  'topic' = '${topic}',
  'properties.bootstrap.servers' = '${bootstrap()}',
  'format' = 'json',
  'scan.startup.mode' = 'earliest-offset'${bounded ? ",\n  'scan.bounded.mode' = 'latest-offset'" : ''}
);`
}

async function produceClicks(topic: string): Promise<void> {
  const rows = [
    { user_id: 'ada', qty: 1, ts: '2026-01-01 10:00:00.000' },
    { user_id: 'bob', qty: 4, ts: '2026-01-01 10:00:01.000' },
    { user_id: 'ada', qty: 2, ts: '2026-01-01 10:00:02.000' },
    { user_id: 'cyd', qty: null, ts: '2026-01-01 10:00:03.000' },
  ]
  const producer = new KafkaProducer({ bootstrapBrokers: brokers() })
  try {
    await producer.send(rows.map((r) => ({ topic, value: Buffer.from(JSON.stringify(r)) })))
  } finally {
    await producer.close()
  }
}

/** Topics and groups of the client's queries still on the broker. */
async function leftovers(): Promise<string[]> {
  const admin = new KafkaAdmin({ bootstrapBrokers: brokers() })
  try {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(QUERY_PREFIX))
    const groups = (await admin.consumerGroups())
      .map((g) => g.groupId)
      .filter((g) => g.startsWith(QUERY_PREFIX))
    return [...topics, ...groups]
  } finally {
    await admin.close()
  }
}

test('freshet sql from a script: a bounded SELECT prints every row and ends, a GROUP BY prints -U/+U, a datagen table is generated, nothing is left behind', async (t) => {
  const topic = await randomTopic(t, 'client-clicks', 1)
  await produceClicks(topic)
  const script = [
    clicksTable(topic, true),
    'SELECT user_id, qty, ts FROM clicks WHERE qty IS NULL OR qty > 1;',
    // One partition: the rows arrive in offset order, so the updates are known.
    'SELECT user_id, SUM(qty) AS total FROM clicks GROUP BY user_id;',
    'SHOW TABLES;',
    `CREATE TEMPORARY TABLE seq (id INT, s VARCHAR(3)) WITH ('connector' = 'datagen',
      'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '3',
      'fields.s.kind' = 'sequence', 'fields.s.start' = '7', 'fields.s.end' = '90');`,
    'SELECT id, s FROM seq;',
  ].join('\n')
  const { code, stdout, stderr } = await freshetProcessWithInput(
    script,
    'sql',
    '--bootstrap',
    bootstrap(),
    '--no-catalog',
  )
  assert.equal(code, 0, stderr)
  const [selected, grouped, generated] = stdout.split(/Received a total of \d+ rows?\n/)
  assert.deepEqual(rowsOf(selected!), [
    ['+I', 'bob', '4', '2026-01-01 10:00:01.000'],
    ['+I', 'ada', '2', '2026-01-01 10:00:02.000'],
    ['+I', 'cyd', '<NULL>', '2026-01-01 10:00:03.000'],
  ])
  assert.deepEqual(rowsOf(grouped!), [
    ['+I', 'ada', '1'],
    ['+I', 'bob', '4'],
    ['-U', 'ada', '1'],
    ['+U', 'ada', '3'],
    ['+I', 'cyd', '<NULL>'],
  ])
  assert.deepEqual(rowsOf(generated!), [
    ['+I', '1', '7'],
    ['+I', '2', '8'],
    ['+I', '3', '9'],
  ])
  assert.match(stdout, /Received a total of 3 rows\n/)
  assert.match(stdout, /Received a total of 5 rows\n/)
  assert.match(stdout, /\|\s+clicks \|\n\+-+\+\n1 row in set/)
  assert.deepEqual(await leftovers(), [])
})

test('freshet sql: the registry catalog is there, an unbounded SELECT runs until SIGINT, and the client goes on', async (t) => {
  const { url, client } = await testRegistry(t)
  const topic = await randomTopic(t, 'client-events', 2)
  const serializer = createSerializer<UserEvent>({
    format: 'avro',
    topic,
    schema: UserEventSchema,
    registry: client,
  })
  await serializer.init()
  const types = ['page_view', 'purchase', 'page_view', 'search', 'page_view'] as const
  const producer = new KafkaProducer({ bootstrapBrokers: brokers() })
  try {
    await producer.send(
      types.map((type, i) => ({
        topic,
        key: Buffer.from(`user_${i}`),
        value: serializer.serialize({
          timestamp: BASE_MS + i * 1000,
          event_type: type,
          user_id: `user_${i}`,
          version: '1.0',
          data: {
            product_id: null,
            amount: null,
            currency: null,
            session_id: `sess_${i}`,
            device: 'mobile',
            browser: 'firefox',
            search_query: null,
            transaction_id: null,
          },
        }),
      })),
    )
  } finally {
    await producer.close()
  }
  const table = topic.replace(/[^A-Za-z0-9_]/g, '_')
  const cli = freshetBackground(t, ['sql', '--bootstrap', bootstrap(), '--registry-url', url], {
    input: `SELECT event_type, COUNT(*) AS n FROM ${table} GROUP BY event_type;\nSHOW TABLES;\n`,
  })
  // The last update of every type: 3 page views, 1 purchase, 1 search.
  const final = (): boolean => {
    const latest = new Map(
      rowsOf(cli.stdout())
        .filter((r) => r[0] !== '-U')
        .map((r) => [r[1], r[2]]),
    )
    return latest.get('page_view') === '3' && latest.get('purchase') === '1' && latest.get('search') === '1'
  }
  for (let waitedMs = 0; !final(); waitedMs += 100) {
    if (cli.child.exitCode !== null || waitedMs > 60_000)
      assert.fail(`no final counts; stdout:\n${cli.stdout()}\nstderr:\n${cli.stderr()}`)
    await sleep(100)
  }
  cli.child.kill('SIGINT')
  assert.equal(await cli.exited, 0, cli.stderr())
  assert.match(cli.stdout(), /Received a total of \d+ rows\n/)
  // The statement after the query ran: the client went on after SIGINT ended the query.
  assert.match(cli.stdout(), new RegExp(`\\|\\s+${table} \\|`))
  assert.deepEqual(await leftovers(), [])
})

test('freshet sql: SIGTERM during a query ends the query, cleans it up, and ends the client', async (t) => {
  const topic = await randomTopic(t, 'client-term', 1)
  await produceClicks(topic)
  const cli = freshetBackground(t, ['sql', '--bootstrap', bootstrap(), '--no-catalog'], {
    input: `${clicksTable(topic, false)}\nSELECT user_id, qty FROM clicks;\nSHOW TABLES;\n`,
  })
  for (let waitedMs = 0; rowsOf(cli.stdout()).length < 4; waitedMs += 100) {
    if (cli.child.exitCode !== null || waitedMs > 60_000)
      assert.fail(`no rows; stdout:\n${cli.stdout()}\nstderr:\n${cli.stderr()}`)
    await sleep(100)
  }
  assert.equal(await cli.stop(), 0, cli.stderr())
  assert.match(cli.stdout(), /Received a total of 4 rows\n/)
  assert.doesNotMatch(cli.stdout(), /table name/, 'the statement after the query did not run')
  assert.deepEqual(await leftovers(), [])
})

test('freshet sql from a script: the first error stops it with exit 1, naming the statement position', async (t) => {
  const topic = await randomTopic(t, 'client-bad', 1)
  const script = [clicksTable(topic, true), 'SELECT user_id,', '  nope FROM clicks;', 'SHOW TABLES;'].join(
    '\n',
  )
  const { code, stdout, stderr } = await freshetProcessWithInput(
    script,
    'sql',
    '--bootstrap',
    bootstrap(),
    '--no-catalog',
  )
  assert.equal(code, 1)
  assert.match(
    stderr,
    /\[ERROR\] Could not execute SQL statement\. Reason:\nFRESHET_SQL_INVALID: <sql-client>:2:3: /,
  )
  assert.doesNotMatch(stdout, /table name/)
})
