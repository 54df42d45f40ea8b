// What the job tests share: generated shop traffic with bounded disorder, and `runJob`, which runs a
// job on the test driver (straight through, or restarting every N records) with an Avro serializer
// on its sink, and checks every record it wrote against the .avsc and the job's keying contract.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import avro from 'avsc'
import { buildJob, RANKING_KEY, type JobName, type JobOptions } from '../../src/jobs/index.ts'
import { analyticsResult, type Figures } from '../../src/jobs/result.ts'
import { EventGenerator } from '../../src/producer/index.ts'
import { AnalyticsResultSchema, type AnalyticsResult, type UserEvent } from '../../src/schemas/index.ts'
import { AvroSerializer, HEADER_BYTES } from '../../src/serde/index.ts'
import { TestDriver } from '../../src/testing/index.ts'
import { random } from '../operators/harness.ts'
import { MemoryRegistry } from '../../src/testing/index.ts'

export const MINUTE = 60_000
export const START_MS = 1_767_225_600_000 // 2026-01-01T00:00:00Z
export const MAX_OUT_OF_ORDERNESS_MS = 5_000

/** The schema as written in schemas/, not the generated copy: a stale codegen cannot hide a mismatch. */
export const RESULT_TYPE = avro.Type.forSchema(
  JSON.parse(
    readFileSync(join(import.meta.dirname, '../../schemas/analytics_result.avsc'), 'utf8'),
  ) as avro.Schema,
)

/**
 * Shop traffic of 300 users, one event every 2 s (20 000 events are about 11 hours), in
 * producer-like disorder: each event may arrive up to `maxDelayMs` after later ones.
 */
export function shopTraffic(count: number, maxDelayMs = 3_000): UserEvent[] {
  let clockMs = START_MS
  const generator = new EventGenerator({
    seed: 42,
    users: 300,
    activeSessions: 25,
    clock: () => (clockMs += 2_000),
  })
  const next = random(5)
  return generator
    .batch(count)
    .map((event) => ({ event, arrival: event.timestamp + next() * maxDelayMs }))
    .sort((a, b) => a.arrival - b.arrival)
    .map((e) => e.event)
}

/** Within the watermark bound: no event is late. */
export const EVENTS = shopTraffic(20_000)

export interface RunOptions {
  events?: readonly UserEvent[]
  /** Crash and restore from the changelogs after every this many records. */
  restartEvery?: number | undefined
}

export interface JobRun {
  /** The values written to the output topic, in the order written. */
  rows: AnalyticsResult[]
  /** How many records came too late for their window. */
  late: number
}

/**
 * Runs job `name` over the events, keyed by user as the producer writes them, to the end of the
 * input. Every output record must decode from its Avro bytes to its value, carry the row's key
 * (top-users: RANKING_KEY) and the row's event time.
 */
export async function runJob<N extends JobName>(
  name: N,
  options: JobOptions<N> = {},
  { events = EVENTS, restartEvery }: RunOptions = {},
): Promise<JobRun> {
  const outputSerde = new AvroSerializer({
    registry: new MemoryRegistry(),
    topic: 'event-analytics',
    schema: AnalyticsResultSchema,
  })
  await outputSerde.init()
  const driver = new TestDriver(buildJob(name, { ...options, outputSerde }), {
    partitions: 4,
    maxOutOfOrdernessMs: MAX_OUT_OF_ORDERNESS_MS,
  })
  const input = driver.input<UserEvent, string>(options.inputTopic ?? 'user-events')
  for (const [i, event] of events.entries()) {
    input.pipe(event, { key: event.user_id, timestampMs: event.timestamp })
    if (restartEvery !== undefined && i % restartEvery === restartEvery - 1) await driver.restart()
  }
  driver.advanceWatermark(Infinity)
  const records = driver.output<AnalyticsResult, unknown>(options.outputTopic ?? 'event-analytics').readAll()
  for (const record of records) {
    const row = record.value
    assert.ok(record.bytes !== undefined, 'the sink serialized the row')
    assert.deepEqual({ ...RESULT_TYPE.fromBuffer(record.bytes.subarray(HEADER_BYTES)) }, row)
    assert.equal(record.key, name === 'top-users' ? RANKING_KEY : row.key)
    assert.equal(row.job, name)
    assert.equal(record.timestampMs, name === 'sessions' ? row.window_end : row.window_end - 1)
  }
  const late = driver.late().length
  await driver.close()
  return { rows: records.map((r) => r.value), late }
}

/** Rows in a canonical order, for jobs whose output order across keys is not part of the contract. */
export function sortRows<T>(rows: readonly T[]): T[] {
  return rows
    .map((r) => [JSON.stringify(r), r] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, r]) => r)
}

/** A row with every figure null but the given ones, as the oracles build them. */
export function row(
  job: JobName,
  key: string,
  windowStart: number,
  windowEnd: number,
  figures: Partial<Figures>,
): AnalyticsResult {
  return analyticsResult(job, key, { startMs: windowStart, endMs: windowEnd }, figures)
}
