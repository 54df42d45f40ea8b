import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ErrorCodes, FreshetError } from '../../src/errors/index.ts'
import {
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_MAX_FUTURE_SKEW_MS,
  DEFAULT_MAX_OUT_OF_ORDERNESS_MS,
  MAX_TIMESTAMP_MS,
  WatermarkTracker,
  type WatermarkOptions,
} from '../../src/time/index.ts'

/** A tracker on a driven clock: `clock.nowMs` is processing time, moved by the test. */
function tracker(options: WatermarkOptions = {}): { wm: WatermarkTracker; clock: { nowMs: number } } {
  const clock = { nowMs: 1_000_000 }
  const wm = new WatermarkTracker({
    maxOutOfOrdernessMs: 0,
    idleTimeoutMs: 1_000,
    maxFutureSkewMs: Infinity,
    clock: () => clock.nowMs,
    ...options,
  })
  return { wm, clock }
}

test('defaults: 5 s out of orderness, 30 s idle timeout, 60 s future skew, no clock following', () => {
  const wm = new WatermarkTracker()
  assert.equal(wm.maxOutOfOrdernessMs, DEFAULT_MAX_OUT_OF_ORDERNESS_MS)
  assert.equal(DEFAULT_MAX_OUT_OF_ORDERNESS_MS, 5_000)
  assert.equal(wm.idleTimeoutMs, DEFAULT_IDLE_TIMEOUT_MS)
  assert.equal(DEFAULT_IDLE_TIMEOUT_MS, 30_000)
  assert.equal(wm.maxFutureSkewMs, DEFAULT_MAX_FUTURE_SKEW_MS)
  assert.equal(DEFAULT_MAX_FUTURE_SKEW_MS, 60_000)
  assert.equal(wm.followClockWhenIdle, false)
  assert.equal(wm.watermarkMs, -Infinity)
})

test('a partition watermark is its largest timestamp minus the out-of-orderness bound', () => {
  const { wm } = tracker({ maxOutOfOrdernessMs: 100 })
  wm.assign(['t:0'])
  wm.observe('t:0', 1_000)
  assert.equal(wm.watermarkMs, 900)
  wm.observe('t:0', 950)
  assert.equal(wm.watermarkMs, 900, 'an older record does not move it')
  wm.observe('t:0', 1_500)
  assert.equal(wm.watermarkMs, 1_400)
})

test('the task watermark is the minimum over its partitions', () => {
  const { wm } = tracker()
  wm.assign(['t:0', 't:1', 't:2'])
  wm.observe('t:0', 500)
  wm.observe('t:1', 300)
  assert.equal(wm.watermarkMs, -Infinity, 't:2 has delivered nothing yet')
  wm.observe('t:2', 400)
  assert.equal(wm.watermarkMs, 300)
  wm.observe('t:1', 700)
  assert.equal(wm.watermarkMs, 400)
  assert.deepEqual(
    wm.partitionWatermarks().map((p) => [p.partition, p.watermarkMs, p.idle]),
    [
      ['t:0', 500, false],
      ['t:1', 700, false],
      ['t:2', 400, false],
    ],
  )
})

test('a partition that never gets data holds the watermark until its idle timeout, then is released', () => {
  const { wm, clock } = tracker({ idleTimeoutMs: 1_000 })
  wm.assign(['t:0', 't:1'])
  clock.nowMs += 500
  wm.observe('t:0', 5_000)
  assert.equal(wm.watermarkMs, -Infinity)
  clock.nowMs += 499
  assert.deepEqual(wm.advanceIdle(), [])
  assert.equal(wm.watermarkMs, -Infinity)
  clock.nowMs += 1
  assert.deepEqual(wm.advanceIdle(), ['t:1'], 'idle exactly idleTimeoutMs after its assignment')
  assert.equal(wm.watermarkMs, 5_000)
})

test('idleness is measured from the last record and detected by observe on another partition', () => {
  const { wm, clock } = tracker({ idleTimeoutMs: 1_000 })
  wm.assign(['t:0', 't:1'])
  wm.observe('t:0', 100)
  wm.observe('t:1', 100)
  clock.nowMs += 600
  wm.observe('t:0', 200)
  clock.nowMs += 600
  // t:1 last delivered 1200 ms ago; t:0 only 600 ms ago. No advanceIdle call needed.
  wm.observe('t:0', 300)
  assert.equal(wm.watermarkMs, 300)
  assert.deepEqual(
    wm.partitionWatermarks().map((p) => [p.partition, p.idle]),
    [
      ['t:0', false],
      ['t:1', true],
    ],
  )
})

test('an idle partition that comes back with old data rejoins without moving the watermark back', () => {
  const { wm, clock } = tracker({ idleTimeoutMs: 1_000 })
  wm.assign(['t:0', 't:1'])
  wm.observe('t:0', 100)
  wm.observe('t:1', 100)
  clock.nowMs += 1_000
  wm.observe('t:0', 2_000)
  assert.equal(wm.watermarkMs, 2_000, 't:1 went quiet and no longer holds it back')
  wm.observe('t:1', 150)
  assert.equal(wm.watermarkMs, 2_000, 'monotonic: the old record does not pull it back')
  wm.observe('t:0', 3_000)
  assert.equal(wm.watermarkMs, 2_000, 'active again, t:1 holds it until it catches up')
  wm.observe('t:1', 2_500)
  assert.equal(wm.watermarkMs, 2_500)
  wm.observe('t:1', 4_000)
  assert.equal(wm.watermarkMs, 3_000)
})

test('the task watermark never decreases, whatever the records, idleness and rebalances', () => {
  const { wm, clock } = tracker({ idleTimeoutMs: 50, maxOutOfOrdernessMs: 10 })
  let seed = 7
  const next = (n: number): number => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648
    return seed % n
  }
  wm.assign(['a', 'b', 'c'])
  let last = wm.watermarkMs
  for (let i = 0; i < 5_000; i++) {
    clock.nowMs += next(20)
    const action = next(100)
    const partition = ['a', 'b', 'c'][next(3)] as string
    if (action < 80) {
      if (wm.partitions.includes(partition)) wm.observe(partition, next(10_000))
    } else if (action < 90) wm.advanceIdle()
    else if (action < 95) wm.revoke([partition])
    else wm.assign([partition])
    assert.ok(wm.watermarkMs >= last, `step ${i}: ${wm.watermarkMs} < ${last}`)
    last = wm.watermarkMs
  }
  assert.ok(Number.isFinite(last), 'the stream did make progress')
})

test('an event too far ahead of the clock is rejected and moves nothing, not even idleness', () => {
  const { wm, clock } = tracker({ maxFutureSkewMs: 60_000, idleTimeoutMs: 1_000 })
  wm.assign(['t:0', 't:1'])
  wm.observe('t:0', clock.nowMs - 10)
  wm.observe('t:1', clock.nowMs - 20)
  const before = wm.snapshot()
  const ahead = clock.nowMs + 60_001
  assert.deepEqual(wm.observe('t:0', ahead), {
    ok: false,
    code: ErrorCodes.TIMESTAMP_FUTURE.code,
    timestampMs: ahead,
    aheadByMs: 60_001,
  })
  assert.deepEqual(wm.snapshot(), before)
  assert.deepEqual(wm.observe('t:0', clock.nowMs + 60_000), { ok: true }, 'exactly the bound is accepted')
  // Rejected records do not count as activity: a partition sending only those goes idle.
  clock.nowMs += 1_000
  wm.observe('t:1', clock.nowMs + 100_000)
  assert.deepEqual(wm.advanceIdle(), ['t:0', 't:1'])
})

test('invalid timestamps are rejected with FRESHET_TIMESTAMP_INVALID and change nothing', () => {
  const { wm } = tracker()
  wm.assign(['t:0'])
  for (const t of [-1, Number.NaN, Infinity, Number.MAX_SAFE_INTEGER + 2]) {
    const verdict = wm.observe('t:0', t)
    assert.equal(verdict.ok, false)
    assert.equal(verdict.ok === false && verdict.code, ErrorCodes.TIMESTAMP_INVALID.code)
  }
  assert.equal(wm.watermarkMs, -Infinity)
})

test('a record of a partition that is not assigned is an error naming the partition', () => {
  const { wm } = tracker()
  wm.assign(['t:0'])
  assert.throws(
    () => wm.observe('t:9', 1),
    (error) =>
      error instanceof FreshetError &&
      error.code === ErrorCodes.INVALID_STATE.code &&
      /t:9/.test(error.message),
  )
})

test('revoking the partition that holds the watermark back releases it', () => {
  const { wm } = tracker()
  wm.assign(['t:0', 't:1'])
  wm.observe('t:0', 1_000)
  wm.observe('t:1', 200)
  assert.equal(wm.watermarkMs, 200)
  wm.revoke(['t:1'])
  assert.equal(wm.watermarkMs, 1_000)
  wm.assign(['t:1'])
  assert.equal(wm.watermarkMs, 1_000, 'a newly assigned partition holds it, never pulls it back')
  wm.observe('t:0', 2_000)
  assert.equal(wm.watermarkMs, 1_000)
  assert.deepEqual(wm.partitions, ['t:0', 't:1'])
})

test('a finished partition holds nothing back; when all are finished the watermark is final', () => {
  const { wm, clock } = tracker({ maxOutOfOrdernessMs: 100 })
  wm.assign(['t:0', 't:1', 't:2'])
  wm.observe('t:0', 5_000)
  wm.observe('t:1', 1_000)
  assert.equal(wm.watermarkMs, -Infinity, 't:2 has delivered nothing')
  assert.equal(wm.finish('t:2'), true)
  assert.equal(wm.finish('t:2'), false, 'finishing twice changes nothing')
  assert.equal(wm.watermarkMs, 900)
  assert.equal(wm.finished, false)
  wm.finish('t:1')
  assert.equal(wm.watermarkMs, 4_900, 'the one partition left decides')
  // A finished partition never becomes idle, and idleness of the others does not finish the task.
  clock.nowMs += 10_000
  wm.advanceIdle()
  assert.equal(wm.watermarkMs, 4_900)
  assert.deepEqual(
    wm.partitionWatermarks().map((p) => [p.partition, p.idle, p.finished]),
    [
      ['t:0', true, false],
      ['t:1', false, true],
      ['t:2', false, true],
    ],
  )
  wm.finish('t:0')
  assert.equal(wm.finished, true)
  assert.equal(wm.watermarkMs, MAX_TIMESTAMP_MS, 'every window closes')
  assert.throws(() => wm.finish('t:9'), /not assigned/)
})

test('when every partition is idle the watermark moves to the largest partition watermark', () => {
  const { wm, clock } = tracker({ idleTimeoutMs: 1_000 })
  wm.assign(['t:0', 't:1'])
  wm.observe('t:0', 900)
  wm.observe('t:1', 400)
  assert.equal(wm.watermarkMs, 400)
  clock.nowMs += 1_000
  wm.advanceIdle()
  assert.equal(wm.watermarkMs, 900)
  clock.nowMs += 60_000
  wm.advanceIdle()
  assert.equal(wm.watermarkMs, 900, 'without followClockWhenIdle a quiet stream stays put')
})

test('followClockWhenIdle: a quiet stream keeps closing windows as processing time passes', () => {
  const { wm, clock } = tracker({ idleTimeoutMs: 1_000, maxOutOfOrdernessMs: 100, followClockWhenIdle: true })
  clock.nowMs = 10_000
  wm.assign(['t:0'])
  wm.observe('t:0', 10_000)
  assert.equal(wm.watermarkMs, 9_900)
  clock.nowMs = 10_999
  wm.advanceIdle()
  assert.equal(wm.watermarkMs, 9_900)
  clock.nowMs = 11_000
  wm.advanceIdle()
  assert.equal(wm.watermarkMs, 9_900, 'no jump when the partition goes idle')
  clock.nowMs = 16_000
  wm.advanceIdle()
  assert.equal(wm.watermarkMs, 14_900, 'now - idleTimeoutMs - maxOutOfOrdernessMs')
  wm.observe('t:0', 12_000)
  assert.equal(wm.watermarkMs, 14_900, 'data again, older: the watermark does not go back')
  wm.observe('t:0', 15_500)
  assert.equal(wm.watermarkMs, 15_400, 'from then on the partition rules again')
})

test('snapshot and restore: equal state, plain JSON, and the same behaviour afterwards', () => {
  const { wm, clock } = tracker({ idleTimeoutMs: 1_000, maxOutOfOrdernessMs: 10 })
  wm.assign(['t:1', 't:0', 't:2'])
  wm.observe('t:0', 500)
  wm.observe('t:1', 300)
  clock.nowMs += 1_000
  wm.observe('t:0', 600)
  const snapshot = wm.snapshot()
  assert.deepEqual(JSON.parse(JSON.stringify(snapshot)), snapshot, 'survives JSON unchanged')
  assert.deepEqual(snapshot, {
    version: 1,
    watermarkMs: 590,
    partitions: [
      { partition: 't:0', maxTimestampMs: 600, idle: false },
      { partition: 't:1', maxTimestampMs: 300, idle: true },
      { partition: 't:2', maxTimestampMs: null, idle: true },
    ],
  })
  const restored = tracker({ idleTimeoutMs: 1_000, maxOutOfOrdernessMs: 10 })
  restored.clock.nowMs = clock.nowMs
  restored.wm.restore(JSON.parse(JSON.stringify(snapshot)))
  assert.deepEqual(restored.wm.snapshot(), snapshot)
  assert.equal(restored.wm.watermarkMs, wm.watermarkMs)
  for (const [partition, t] of [
    ['t:1', 550],
    ['t:0', 900],
    ['t:2', 700],
    ['t:1', 1_000],
  ] as const) {
    wm.observe(partition, t)
    restored.wm.observe(partition, t)
    assert.equal(restored.wm.watermarkMs, wm.watermarkMs)
  }
  assert.deepEqual(restored.wm.snapshot(), wm.snapshot())
})

test('restore rejects what snapshot() could not have produced', () => {
  const { wm } = tracker()
  const bad: unknown[] = [
    null,
    {},
    { version: 2, watermarkMs: null, partitions: [] },
    { version: 1, watermarkMs: 'x', partitions: [] },
    { version: 1, watermarkMs: null, partitions: {} },
    { version: 1, watermarkMs: null, partitions: [{ partition: 't:0', maxTimestampMs: 1 }] },
    { version: 1, watermarkMs: null, partitions: [{ partition: '', maxTimestampMs: 1, idle: false }] },
    {
      version: 1,
      watermarkMs: null,
      partitions: [
        { partition: 'a', maxTimestampMs: 1, idle: false },
        { partition: 'a', maxTimestampMs: 2, idle: false },
      ],
    },
  ]
  for (const snapshot of bad) {
    assert.throws(
      () => wm.restore(snapshot),
      (error) => error instanceof FreshetError && error.code === ErrorCodes.WATERMARK_SNAPSHOT_INVALID.code,
      JSON.stringify(snapshot),
    )
  }
})

test('options are checked where they enter, naming the option', () => {
  const cases: Array<[unknown, string]> = [
    [{ maxOutOfOrdernessMs: -1 }, 'maxOutOfOrdernessMs'],
    [{ maxOutOfOrdernessMs: Infinity }, 'maxOutOfOrdernessMs'],
    [{ idleTimeoutMs: 0 }, 'idleTimeoutMs'],
    [{ idleTimeoutMs: 1.5 }, 'idleTimeoutMs'],
    [{ maxFutureSkewMs: '60s' }, 'maxFutureSkewMs'],
    [{ followClockWhenIdle: 'yes' }, 'followClockWhenIdle'],
    [{ clock: 5 }, 'clock'],
    [{ idleTimeout: 5 }, 'idleTimeout'],
  ]
  for (const [options, option] of cases) {
    assert.throws(
      () => new WatermarkTracker(options as WatermarkOptions),
      (error) =>
        error instanceof FreshetError &&
        error.code === ErrorCodes.INVALID_OPTION.code &&
        error.message.includes(`"${option}"`),
      option,
    )
  }
  const never = new WatermarkTracker({ idleTimeoutMs: Infinity, maxFutureSkewMs: Infinity })
  assert.equal(never.idleTimeoutMs, Infinity)
})
