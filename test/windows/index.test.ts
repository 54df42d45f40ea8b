// Property test of windows and watermarks together, on seeded random streams: out-of-order events on
// three partitions, partitions that pause and come back with old data, events from the future. For
// every accepted record and every window it belongs to, the record is either added to the open window
// or reported late with lateByMs > 0, never both and never neither; every window that received a
// record is emitted exactly once, and only once closed.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { WatermarkTracker } from '../../src/time/index.ts'
import {
  hopping,
  session,
  tumbling,
  WindowCloseQueue,
  type TimeWindows,
  type Window,
} from '../../src/windows/index.ts'

/** xorshift32: a tiny deterministic generator; uniform in [0, 1). */
function random(seed: number): () => number {
  let x = seed | 0 || 1
  return () => {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    return (x >>> 0) / 4_294_967_296
  }
}

interface Tally {
  assigned: number
  late: number
}

/** A minimal windowed operator over time windows: what a real one does, minus the aggregation. */
class TimeWindowModel {
  readonly windows: TimeWindows
  readonly queue: WindowCloseQueue<string>
  readonly received = new Set<string>()
  readonly emitted = new Set<string>()
  readonly tally: Tally = { assigned: 0, late: 0 }
  readonly #starts: number[] = []

  constructor(windows: TimeWindows) {
    this.windows = windows
    this.queue = new WindowCloseQueue<string>(windows)
  }

  process(key: string, timestampMs: number, watermarkMs: number): void {
    const starts = this.windows.assign(timestampMs, this.#starts)
    assert.ok(starts.length >= 1, 'every record belongs to a window')
    assert.deepEqual([...starts], oracleStarts(this.windows, timestampMs))
    for (const startMs of starts) {
      const window = this.windows.window(startMs)
      const id = `${key}@${startMs}`
      const closed = this.windows.isClosed(window, watermarkMs)
      const lateByMs = this.windows.lateByMs(timestampMs, window, watermarkMs)
      if (closed) {
        assert.ok(
          lateByMs > 0,
          `late record ${timestampMs} for ${id} at ${watermarkMs} has lateByMs ${lateByMs}`,
        )
        this.tally.late++
      } else {
        assert.equal(lateByMs, 0, `record ${timestampMs} in open ${id} is not late`)
        assert.ok(!this.emitted.has(id), `${id} was emitted already, yet received ${timestampMs}`)
        this.queue.add(key, window)
        this.received.add(id)
        this.tally.assigned++
      }
    }
  }

  emit(watermarkMs: number): void {
    let lastCloseAtMs = -Infinity
    for (const { key, window, closeAtMs } of this.queue.popClosed(watermarkMs)) {
      const id = `${key}@${window.startMs}`
      assert.ok(this.windows.isClosed(window, watermarkMs), `${id} emitted while open`)
      assert.ok(closeAtMs >= lastCloseAtMs, 'emitted in close-time order')
      assert.ok(!this.emitted.has(id), `${id} emitted twice`)
      lastCloseAtMs = closeAtMs
      this.emitted.add(id)
    }
  }
}

function oracleStarts(windows: TimeWindows, timestampMs: number): number[] {
  const starts: number[] = []
  const t = Math.floor(timestampMs)
  for (let start = 0; start <= t; start += windows.advanceMs)
    if (t < start + windows.sizeMs) starts.push(start)
  return starts
}

/** A minimal session operator: the open sessions of each key, in the queue until they close. */
class SessionModel {
  readonly sessions = session({ gapMs: 40, graceMs: 10 })
  readonly queue = new WindowCloseQueue<string>(this.sessions)
  readonly open = new Map<string, Window[]>()
  readonly emitted = new Set<string>()
  readonly tally: Tally = { assigned: 0, late: 0 }

  process(key: string, timestampMs: number, watermarkMs: number): void {
    const open = this.open.get(key) ?? []
    const merge = this.sessions.merge(open, timestampMs)
    const lateByMs = this.sessions.lateByMs(timestampMs, merge.session, watermarkMs)
    if (this.sessions.isClosed(merge.session, watermarkMs)) {
      assert.ok(lateByMs > 0, `late session event ${timestampMs} has lateByMs ${lateByMs}`)
      assert.equal(merge.absorbed.length, 0, 'an event that reaches an open session is never late')
      this.tally.late++
      return
    }
    assert.equal(lateByMs, 0)
    assert.ok(merge.session.startMs <= timestampMs && timestampMs <= merge.session.endMs)
    const kept = open.filter((s) => !merge.absorbed.includes(s))
    for (const absorbed of merge.absorbed) assert.ok(this.queue.remove(key, absorbed), 'absorbed was queued')
    kept.push(merge.session)
    this.queue.add(key, merge.session)
    kept.sort((a, b) => a.startMs - b.startMs)
    for (let i = 1; i < kept.length; i++) {
      const [a, b] = [kept[i - 1], kept[i]] as [Window, Window]
      assert.ok(b.startMs - a.endMs >= this.sessions.gapMs, `open sessions of ${key} closer than the gap`)
    }
    this.open.set(key, kept)
    this.tally.assigned++
  }

  emit(watermarkMs: number): void {
    for (const { key, window } of this.queue.popClosed(watermarkMs)) {
      const id = `${key}@${window.startMs}-${window.endMs}`
      assert.ok(this.sessions.isClosed(window, watermarkMs), `${id} emitted while open`)
      assert.ok(!this.emitted.has(id), `${id} emitted twice`)
      this.emitted.add(id)
      const open = this.open.get(key) ?? []
      assert.ok(
        open.includes(window) || open.some((s) => s.startMs === window.startMs && s.endMs === window.endMs),
      )
      this.open.set(
        key,
        open.filter((s) => s.startMs !== window.startMs || s.endMs !== window.endMs),
      )
    }
    for (const [key, open] of this.open) {
      for (const s of open) {
        assert.ok(!this.sessions.isClosed(s, watermarkMs), `${key} keeps a closed session`)
        assert.ok(this.queue.has(key, s), `${key}'s open session is queued`)
      }
    }
  }
}

function runStream(
  seed: number,
  events: number,
): { hop: TimeWindowModel; tumble: TimeWindowModel; sessions: SessionModel; rejected: number } {
  const next = random(seed)
  const int = (n: number): number => Math.floor(next() * n)
  const clock = { nowMs: 100_000 }
  const tracker = new WatermarkTracker({
    maxOutOfOrdernessMs: 50,
    idleTimeoutMs: 200,
    maxFutureSkewMs: 1_000,
    clock: () => clock.nowMs,
  })
  const partitions = ['orders:0', 'orders:1', 'orders:2']
  const pausedUntilMs = new Map(partitions.map((p) => [p, 0]))
  tracker.assign(partitions)
  const hop = new TimeWindowModel(hopping({ sizeMs: 100, advanceMs: 30, graceMs: 20 }))
  const tumble = new TimeWindowModel(tumbling({ sizeMs: 70 }))
  const sessions = new SessionModel()
  const keys = ['k0', 'k1', 'k2', 'k3']
  let rejected = 0

  for (let i = 0; i < events; i++) {
    clock.nowMs += int(6)
    if (next() < 0.05) tracker.advanceIdle()
    const partition = partitions[int(partitions.length)] as string
    if (next() < 0.003) pausedUntilMs.set(partition, clock.nowMs + 300 + int(600))
    if ((pausedUntilMs.get(partition) as number) > clock.nowMs) continue
    // Event time trails processing time; a few records are far behind (a partition coming back with
    // old data, a slow producer) and a few are from a broken clock far ahead.
    const roll = next()
    const timestampMs =
      roll < 0.01
        ? clock.nowMs + 2_000
        : roll < 0.06
          ? clock.nowMs - 100 - int(400)
          : clock.nowMs - 20 - int(60)
    const verdict = tracker.observe(partition, timestampMs)
    if (!verdict.ok) {
      assert.equal(verdict.code, 'FRESHET_TIMESTAMP_FUTURE')
      rejected++
      continue
    }
    const watermarkMs = tracker.watermarkMs
    const key = keys[int(keys.length)] as string
    // The operator protocol: observe, emit what the new watermark closed, then assign. Emitting first
    // keeps a session closed by this very record's watermark from being merged into and reopened.
    for (const model of [hop, tumble, sessions]) {
      model.emit(watermarkMs)
      model.process(key, timestampMs, watermarkMs)
    }
  }
  for (const model of [hop, tumble, sessions]) model.emit(Infinity)
  return { hop, tumble, sessions, rejected }
}

for (const seed of [1, 42, 2024, 31_337, 987_654_321]) {
  test(`seeded stream ${seed}: each record is in an open window or late (lateByMs > 0), never both, never neither`, () => {
    const { hop, tumble, sessions, rejected } = runStream(seed, 4_000)
    for (const [name, model] of [
      ['hopping', hop],
      ['tumbling', tumble],
    ] as const) {
      assert.ok(model.tally.assigned > 1_000, `${name}: on-time records ${model.tally.assigned}`)
      assert.ok(model.tally.late > 10, `${name}: late records ${model.tally.late}`)
      assert.deepEqual(
        [...model.emitted].sort(),
        [...model.received].sort(),
        `${name}: every window emitted once`,
      )
      assert.equal(model.queue.size, 0)
    }
    assert.ok(sessions.tally.assigned > 1_000, `sessions: on-time ${sessions.tally.assigned}`)
    assert.ok(sessions.tally.late > 10, `sessions: late ${sessions.tally.late}`)
    assert.equal(sessions.queue.size, 0)
    assert.ok(
      [...sessions.open.values()].every((open) => open.length === 0),
      'every session was emitted',
    )
    assert.ok(rejected > 0, 'future events were rejected')
  })
}

test('the same seed gives the same stream and the same results', () => {
  const a = runStream(7, 1_000)
  const b = runStream(7, 1_000)
  assert.deepEqual([...a.hop.emitted], [...b.hop.emitted])
  assert.deepEqual([...a.sessions.emitted], [...b.sessions.emitted])
  assert.deepEqual(a.hop.tally, b.hop.tally)
})
