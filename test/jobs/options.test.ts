// The jobs' options are validated where they enter: unknown keys (another job's options included),
// wrong values and contradictions are FRESHET_INVALID_OPTION naming the option.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ErrorCodes, FreshetError } from '../../src/errors/index.ts'
import { buildJob, JOBS, MAX_TOP_N, resolveJobOptions, type JobName } from '../../src/jobs/index.ts'
import { JsonSerializer } from '../../src/serde/index.ts'

function invalid(pattern: RegExp, option?: string) {
  return (error: unknown): boolean => {
    assert.ok(error instanceof FreshetError, String(error))
    assert.equal(error.code, ErrorCodes.INVALID_OPTION.code)
    assert.equal(error.retriable, false)
    assert.match(error.message, pattern)
    if (option !== undefined) assert.equal(error.details?.['option'], option)
    return true
  }
}

test('defaults: the topics, freshet-<job> as application id, no grace, and each job its windows', () => {
  assert.deepEqual(resolveJobOptions('event-counts', {}), {
    applicationId: 'freshet-event-counts',
    inputTopic: 'user-events',
    outputTopic: 'event-analytics',
    graceMs: 0,
    windowMs: 60_000,
  })
  assert.deepEqual(resolveJobOptions('revenue', {}), { ...JOBS.revenue.defaults })
  assert.equal(JOBS.revenue.defaults.windowMs, 300_000)
  assert.equal(JOBS.revenue.defaults.advanceMs, 60_000)
  assert.equal(JOBS.sessions.defaults.gapMs, 1_800_000)
  assert.equal(JOBS['top-users'].defaults.windowMs, 60_000)
  assert.equal(JOBS['top-users'].defaults.topN, 10)
  for (const [name, info] of Object.entries(JOBS)) {
    assert.equal(info.name, name)
    assert.deepEqual(resolveJobOptions(name as JobName, {}), { ...info.defaults })
  }
})

test('given options replace the defaults; undefined ones do not', () => {
  const outputSerde = new JsonSerializer()
  assert.deepEqual(
    resolveJobOptions('top-users', {
      applicationId: 'ranking.v2',
      inputTopic: 'events',
      outputTopic: 'ranks',
      graceMs: 2_000,
      windowMs: 600_000,
      topN: 3,
      outputSerde,
    }),
    {
      applicationId: 'ranking.v2',
      inputTopic: 'events',
      outputTopic: 'ranks',
      graceMs: 2_000,
      windowMs: 600_000,
      topN: 3,
      outputSerde,
    },
  )
  assert.equal(resolveJobOptions('sessions', { gapMs: undefined }).gapMs, 1_800_000)
})

test('an unknown job is an error listing the known ones', () => {
  assert.throws(
    () => buildJob('clicks' as JobName),
    invalid(/unknown job "clicks"; known: event-counts, revenue, sessions, top-users/, 'job'),
  )
  assert.throws(() => buildJob('toString' as JobName), invalid(/unknown job "toString"/))
})

test("another job's option, or a misspelt one, is rejected naming the allowed ones", () => {
  assert.throws(
    () => buildJob('event-counts', { gapMs: 60_000 } as never),
    invalid(
      /job event-counts: unknown option "gapMs"; allowed: applicationId, inputTopic, outputTopic, graceMs, outputSerde, windowMs/,
      'gapMs',
    ),
  )
  assert.throws(() => buildJob('sessions', { windowMs: 60_000 } as never), invalid(/"windowMs".*gapMs/))
  assert.throws(() => buildJob('revenue', { topN: 3 } as never), invalid(/"topN".*advanceMs/))
  assert.throws(() => buildJob('top-users', { advanceMs: 1 } as never), invalid(/"advanceMs".*topN/))
  assert.throws(() => buildJob('top-users', { windowMS: 1 } as never), invalid(/unknown option "windowMS"/))
})

test('wrong values are rejected naming the option', () => {
  const cases: Array<[JobName, Record<string, unknown>, string]> = [
    ['event-counts', { windowMs: 0 }, 'windowMs'],
    ['event-counts', { windowMs: 1.5 }, 'windowMs'],
    ['event-counts', { windowMs: '60000' }, 'windowMs'],
    ['event-counts', { windowMs: Number.NaN }, 'windowMs'],
    ['revenue', { advanceMs: -1 }, 'advanceMs'],
    ['sessions', { gapMs: 0 }, 'gapMs'],
    ['sessions', { graceMs: -1 }, 'graceMs'],
    ['top-users', { topN: 0 }, 'topN'],
    ['top-users', { topN: MAX_TOP_N + 1 }, 'topN'],
    ['top-users', { topN: 2.5 }, 'topN'],
    ['event-counts', { inputTopic: 'user events' }, 'inputTopic'],
    ['event-counts', { inputTopic: '' }, 'inputTopic'],
    ['revenue', { outputTopic: 'a'.repeat(250) }, 'outputTopic'],
    ['sessions', { applicationId: 'app/1' }, 'applicationId'],
    ['top-users', { outputSerde: {} }, 'outputSerde'],
    ['top-users', { outputSerde: 'avro' }, 'outputSerde'],
  ]
  for (const [name, options, option] of cases) {
    assert.throws(
      () => buildJob(name, options as never),
      invalid(new RegExp(`job ${name}: option "${option}" must be`), option),
      `${name} ${JSON.stringify(options)}`,
    )
  }
  assert.throws(() => buildJob('revenue', 'fast' as never), invalid(/job revenue: options must be an object/))
})

test('revenue: advanceMs at most windowMs, and not so small that an event is in too many windows', () => {
  assert.throws(
    () => buildJob('revenue', { windowMs: 60_000, advanceMs: 120_000 }),
    invalid(/"advanceMs" \(120000\) must be at most windowMs \(60000\)/, 'advanceMs'),
  )
  assert.throws(
    () => buildJob('revenue', { windowMs: 300_000, advanceMs: 1 }),
    invalid(/more than 10000 windows/, 'advanceMs'),
  )
  // Only the default of the other one: a window of one minute with the default advance of one minute.
  assert.doesNotThrow(() => buildJob('revenue', { windowMs: 60_000 }))
  assert.throws(() => buildJob('revenue', { windowMs: 30_000 }), invalid(/at most windowMs/))
})

test('a job cannot write the topic it reads', () => {
  assert.throws(
    () => buildJob('event-counts', { outputTopic: 'user-events' }),
    invalid(/"outputTopic" must differ from inputTopic \(user-events\)/, 'outputTopic'),
  )
})
