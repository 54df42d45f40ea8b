/**
 * The jobs' options: defaults, and their validation where they enter (`buildJob`). Each job takes
 * the common options plus its own; an option of another job is rejected like any unknown key, so a
 * `gapMs` given to `event-counts` is an error instead of being ignored.
 */
import { FreshetError } from '../errors/index.ts'
import { checks, validateOptions, type Check, type Spec } from '../options/index.ts'
import type { AnalyticsResult } from '../schemas/index.ts'
import type { Serializer } from '../serde/index.ts'
import { DEFAULT_GRACE_MS, MAX_WINDOWS_PER_RECORD } from '../windows/index.ts'
import type { CommonJobOptions, JobDefaults, JobName, JobOptionsByName, ResolvedJobOptions } from './types.ts'

export const DEFAULT_INPUT_TOPIC = 'user-events'
export const DEFAULT_OUTPUT_TOPIC = 'event-analytics'
/** Longest ranking `top-users` keeps: every window holds this many counts in its state. */
export const MAX_TOP_N = 1_000

const MINUTE_MS = 60_000

function commonDefaults(job: JobName): Required<Omit<CommonJobOptions, 'outputSerde'>> {
  return {
    applicationId: `freshet-${job}`,
    inputTopic: DEFAULT_INPUT_TOPIC,
    outputTopic: DEFAULT_OUTPUT_TOPIC,
    graceMs: DEFAULT_GRACE_MS,
  }
}

/** The value of every option (but `outputSerde`) that is not given, per job. */
export const JOB_DEFAULTS: { readonly [N in JobName]: JobDefaults<N> } = Object.freeze({
  'event-counts': Object.freeze({ ...commonDefaults('event-counts'), windowMs: MINUTE_MS }),
  revenue: Object.freeze({ ...commonDefaults('revenue'), windowMs: 5 * MINUTE_MS, advanceMs: MINUTE_MS }),
  sessions: Object.freeze({ ...commonDefaults('sessions'), gapMs: 30 * MINUTE_MS }),
  'top-users': Object.freeze({ ...commonDefaults('top-users'), windowMs: MINUTE_MS, topN: 10 }),
})

/** Kafka's rule for topic names, which the application id is the prefix of too. */
const TOPIC_PATTERN = /^[a-zA-Z0-9._-]{1,249}$/

const topicName: Check<string> = (where, key, value) => {
  if (typeof value !== 'string' || !TOPIC_PATTERN.test(value)) {
    throw new FreshetError(
      'INVALID_OPTION',
      `${where}: option "${key}" must be a topic name of letters, digits, '.', '_' and '-', got ${JSON.stringify(value)}`,
      { details: { option: key, expected: 'a name matching [a-zA-Z0-9._-]{1,249}' } },
    )
  }
  return value
}

const serializer: Check<Serializer<AnalyticsResult>> = (where, key, value) => {
  const serde = value as Partial<Serializer<unknown>> | null
  if (serde === null || typeof serde !== 'object' || typeof serde.serialize !== 'function') {
    throw new FreshetError(
      'INVALID_OPTION',
      `${where}: option "${key}" must be a Serializer (AvroSerializer, JsonSerializer)`,
      { details: { option: key, expected: 'an object with serialize' } },
    )
  }
  return value as Serializer<AnalyticsResult>
}

const positiveMs = checks.int(1)

function commonSpec(job: JobName): Spec<CommonJobOptions> {
  const defaults = commonDefaults(job)
  return {
    applicationId: { check: topicName, default: defaults.applicationId },
    inputTopic: { check: topicName, default: defaults.inputTopic },
    outputTopic: { check: topicName, default: defaults.outputTopic },
    graceMs: { check: checks.int(0), default: defaults.graceMs },
    outputSerde: { check: serializer },
  }
}

const SPECS: { readonly [N in JobName]: Spec<JobOptionsByName[N]> } = {
  'event-counts': {
    ...commonSpec('event-counts'),
    windowMs: { check: positiveMs, default: JOB_DEFAULTS['event-counts'].windowMs },
  },
  revenue: {
    ...commonSpec('revenue'),
    windowMs: { check: positiveMs, default: JOB_DEFAULTS.revenue.windowMs },
    advanceMs: { check: positiveMs, default: JOB_DEFAULTS.revenue.advanceMs },
  },
  sessions: {
    ...commonSpec('sessions'),
    gapMs: { check: positiveMs, default: JOB_DEFAULTS.sessions.gapMs },
  },
  'top-users': {
    ...commonSpec('top-users'),
    windowMs: { check: positiveMs, default: JOB_DEFAULTS['top-users'].windowMs },
    topN: { check: checks.int(1, MAX_TOP_N), default: JOB_DEFAULTS['top-users'].topN },
  },
}

/**
 * Validates the options of job `name` and fills in the defaults. Throws FRESHET_INVALID_OPTION
 * naming the option for an unknown key (the allowed ones listed), a wrong value, an `advanceMs`
 * larger than `windowMs`, or an output topic that is the input topic.
 */
export function resolveJobOptions<N extends JobName>(name: N, input: unknown): ResolvedJobOptions<N> {
  const where = `job ${name}`
  const options = validateOptions(where, input, SPECS[name] as Spec<JobOptionsByName[N]>)
  // Every option but outputSerde has a default, so validateOptions filled them all in.
  const resolved = options as ResolvedJobOptions<N>
  if (resolved.inputTopic === resolved.outputTopic) {
    throw new FreshetError(
      'INVALID_OPTION',
      `${where}: option "outputTopic" must differ from inputTopic (${resolved.inputTopic}): a job cannot write the topic it reads`,
      { details: { option: 'outputTopic' } },
    )
  }
  const hop = resolved as { windowMs?: number; advanceMs?: number }
  if (hop.windowMs !== undefined && hop.advanceMs !== undefined) checkHop(where, hop.windowMs, hop.advanceMs)
  return resolved
}

function checkHop(where: string, windowMs: number, advanceMs: number): void {
  if (advanceMs > windowMs) {
    throw new FreshetError(
      'INVALID_OPTION',
      `${where}: option "advanceMs" (${advanceMs}) must be at most windowMs (${windowMs}); a larger advance leaves gaps no window covers`,
      { details: { option: 'advanceMs', expected: `an integer in [1, ${windowMs}]` } },
    )
  }
  if (Math.ceil(windowMs / advanceMs) > MAX_WINDOWS_PER_RECORD) {
    const least = Math.ceil(windowMs / MAX_WINDOWS_PER_RECORD)
    throw new FreshetError(
      'INVALID_OPTION',
      `${where}: option "advanceMs" (${advanceMs}) puts each event in more than ${MAX_WINDOWS_PER_RECORD} windows of ${windowMs} ms; check its unit`,
      { details: { option: 'advanceMs', expected: `an integer in [${least}, ${windowMs}]` } },
    )
  }
}
