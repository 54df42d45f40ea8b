// `freshet produce` as a process against the test broker, for what its outage handling must not
// change: a failure no retry corrects still ends the run at once, and --outage-timeout is checked
// like every other flag. The CLI is spawned from src/ (not the built dist/ that bin/ runs), so the
// test runs the code under review. The outages themselves, with a broker that is killed and
// restarted, are test/integrity/cli-outage.test.ts.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { freshetProcess } from '../helpers/cli.ts'
import { bootstrap, randomName } from '../helpers/kafka.ts'

// A wait would show as a `waiting` record and end at the 3 s limit with the same exit code: the
// assertion on the records is what tells the two apart.
const SHORT_LIMIT = ['--outage-timeout', '3s', '--log-format', 'json', '--bootstrap']

test('produce to a topic that does not exist fails at once, without waiting for Kafka', async () => {
  const topic = randomName('nosuch')
  const run = await freshetProcess(
    'produce',
    '--topic',
    topic,
    '--format',
    'json',
    '--count',
    '5',
    '--json',
    ...SHORT_LIMIT,
    bootstrap(),
  )
  assert.equal(run.code, 1, run.stderr)
  assert.deepEqual(
    run.logs.filter((l) => l.type === 'waiting'),
    [],
    'a missing topic is not an outage',
  )
  assert.match(run.stderr, new RegExp(`Unknown topic ${topic}`))
  const summary = JSON.parse(run.stdout) as Record<string, number>
  assert.deepEqual([summary.sent, summary.failed, summary.resent], [0, 5, 0])
})

test('--outage-timeout takes a duration or never; anything else is a usage error naming it', async () => {
  const run = await freshetProcess(
    'produce',
    '--count',
    '1',
    '--outage-timeout',
    'soon',
    '--bootstrap',
    bootstrap(),
  )
  assert.equal(run.code, 2, run.stderr)
  assert.match(run.stderr, /--outage-timeout must be a duration like 30s, 5m or 500ms, got "soon"/)
  assert.match((await freshetProcess('produce', '--help')).stdout, /--outage-timeout D\|never/)
})
