/** Jobs on a Flink cluster, through the JobManager's REST API. */
import { setTimeout as sleep } from 'node:timers/promises'
import { FreshetError } from '../errors/index.ts'

/** States after which a job does nothing more. */
const TERMINAL = ['FINISHED', 'FAILED', 'CANCELED'] as const
export type TerminalJobState = (typeof TERMINAL)[number]

export interface JobOutcome {
  state: TerminalJobState
  /** The root exception of a failed job, as Flink reports it. */
  failure: string | null
}

async function getJson(url: string): Promise<Record<string, unknown>> {
  let response: Response
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(10_000) })
  } catch (error) {
    throw new FreshetError('FLINK_GATEWAY_UNREACHABLE', `Flink at ${url} did not answer`, { cause: error })
  }
  if (!response.ok) {
    throw new FreshetError(
      'FLINK_GATEWAY_ERROR',
      `GET ${url}: HTTP ${response.status} ${await response.text()}`,
    )
  }
  return (await response.json()) as Record<string, unknown>
}

/**
 * Why a job failed: the root cause of the newest entry of its exception history (the first line is
 * only "Recovery is suppressed by ..." once the restart strategy gives up).
 */
async function rootCause(restUrl: string, jobId: string): Promise<string> {
  const body = await getJson(`${restUrl}/jobs/${jobId}/exceptions`)
  const entries = ((body.exceptionHistory as { entries?: Array<{ stacktrace?: string }> } | undefined)
    ?.entries ?? []) as Array<{ stacktrace?: string }>
  const trace = entries[0]?.stacktrace ?? ''
  const causes = trace.split('\n').filter((line) => line.startsWith('Caused by: '))
  const cause = causes.at(-1)?.replace(/^Caused by: /, '') ?? trace.split('\n')[0] ?? ''
  return cause || 'no exception recorded'
}

/** A job's state (CREATED, RUNNING, FINISHED, FAILED, ...). */
export async function jobState(restUrl: string, jobId: string): Promise<string> {
  return String((await getJson(`${restUrl}/jobs/${jobId}`)).state)
}

/** Waits until the job reaches a terminal state; a bounded job (a bounded Kafka scan) finishes. */
export async function waitForJob(
  restUrl: string,
  jobId: string,
  options: { timeoutMs?: number } = {},
): Promise<JobOutcome> {
  const deadline = Date.now() + (options.timeoutMs ?? 300_000)
  for (;;) {
    const state = await jobState(restUrl, jobId)
    if ((TERMINAL as readonly string[]).includes(state)) {
      const failure = state === 'FAILED' ? await rootCause(restUrl, jobId) : null
      return { state: state as TerminalJobState, failure }
    }
    if (Date.now() > deadline) {
      throw new FreshetError(
        'FLINK_TIMEOUT',
        `job ${jobId} is still ${state} after ${options.timeoutMs ?? 300_000} ms`,
      )
    }
    await sleep(500)
  }
}

/**
 * Cancels a job and waits until it is CANCELED (or ended otherwise): an unbounded job holds its
 * task slots until then, and a session cluster has few.
 */
export async function cancelJob(
  restUrl: string,
  jobId: string,
  options: { timeoutMs?: number } = {},
): Promise<JobOutcome> {
  const url = `${restUrl}/jobs/${jobId}?mode=cancel`
  let response: Response
  try {
    response = await fetch(url, { method: 'PATCH', signal: AbortSignal.timeout(10_000) })
  } catch (error) {
    throw new FreshetError('FLINK_GATEWAY_UNREACHABLE', `Flink at ${url} did not answer`, { cause: error })
  }
  if (!response.ok) {
    throw new FreshetError(
      'FLINK_GATEWAY_ERROR',
      `PATCH ${url}: HTTP ${response.status} ${await response.text()}`,
    )
  }
  return waitForJob(restUrl, jobId, options)
}
