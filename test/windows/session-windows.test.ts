import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ErrorCodes, FreshetError } from '../../src/errors/index.ts'
import { session, type Window } from '../../src/windows/index.ts'

const w = (startMs: number, endMs: number): Window => ({ startMs, endMs })

test('the first event of a key starts a session of one event', () => {
  const sessions = session({ gapMs: 10 })
  assert.deepEqual(sessions.merge([], 100), { session: w(100, 100), absorbed: [], changed: true })
})

test('an event less than the gap after a session extends it', () => {
  const sessions = session({ gapMs: 10 })
  const existing = [w(100, 105)]
  const merged = sessions.merge(existing, 114)
  assert.deepEqual(merged.session, w(100, 114))
  assert.deepEqual(merged.absorbed, [w(100, 105)])
  assert.equal(merged.changed, true)
  assert.deepEqual(existing, [w(100, 105)], 'the input is not modified')
})

test('an event less than the gap before a session extends it backwards (out of order)', () => {
  const sessions = session({ gapMs: 10 })
  assert.deepEqual(sessions.merge([w(100, 105)], 91).session, w(91, 105))
})

test('an out-of-order event inside a session leaves its bounds unchanged', () => {
  const sessions = session({ gapMs: 10 })
  const existing = w(100, 120)
  for (const t of [100, 110, 120]) {
    const merged = sessions.merge([existing], t)
    assert.equal(merged.session, existing, `t = ${t}: the same session`)
    assert.deepEqual(merged.absorbed, [existing])
    assert.equal(merged.changed, false)
  }
})

test('an event in the gap between two sessions bridges them into one', () => {
  const sessions = session({ gapMs: 10 })
  const left = w(100, 105)
  const right = w(120, 130)
  const merged = sessions.merge([right, left], 112)
  assert.deepEqual(merged.session, w(100, 130))
  assert.deepEqual(merged.absorbed, [left, right], 'absorbed sessions come ascending by start')
  assert.equal(merged.changed, true)
})

test('an event far from every session starts a new one and absorbs nothing', () => {
  const sessions = session({ gapMs: 10 })
  const merged = sessions.merge([w(100, 105), w(200, 210)], 150)
  assert.deepEqual(merged, { session: w(150, 150), absorbed: [], changed: true })
})

test('events exactly the gap apart are one session (as in Flink and Kafka Streams); one millisecond more are two', () => {
  const sessions = session({ gapMs: 10 })
  assert.deepEqual(sessions.merge([w(100, 105)], 115).session, w(100, 115))
  assert.deepEqual(sessions.merge([w(100, 105)], 90).session, w(90, 105))
  assert.deepEqual(sessions.merge([w(100, 105)], 116).absorbed, [])
  assert.deepEqual(sessions.merge([w(100, 105)], 89).absorbed, [])
  assert.deepEqual(sessions.merge([w(100, 105)], 115.5).absorbed, [])
  assert.equal(sessions.reaches(w(100, 105), 115), true)
  assert.equal(sessions.reaches(w(100, 105), 116), false)
  assert.equal(sessions.reaches(w(100, 105), 90), true)
  assert.equal(sessions.reaches(w(100, 105), 89), false)
  // Page views at 10:00:00.000 and 10:00:30.000 with a 30-second gap: one session.
  const tenAm = Date.UTC(2026, 0, 1, 10)
  const views = session({ gapMs: 30_000 })
  const first = views.merge([], tenAm).session
  assert.deepEqual(views.merge([first], tenAm + 30_000).session, w(tenAm, tenAm + 30_000))
})

test('merging is transitive whatever the order of the sessions given', () => {
  const sessions = session({ gapMs: 10 })
  // The event reaches only the middle session at first; the grown session then reaches the others.
  const existing = [w(130, 131), w(100, 101), w(105, 121)]
  assert.deepEqual(sessions.merge(existing, 112).session, w(100, 131))
  assert.equal(sessions.merge(existing, 112).absorbed.length, 3)
})

test('the sessions drawn in docs/windows-and-time.md', () => {
  const sessions = session({ gapMs: 10 })
  let open: Window[] = []
  for (const t of [1, 4, 7, 25, 33]) {
    const merged = sessions.merge(open, t)
    open = [...open.filter((s) => !merged.absorbed.includes(s)), merged.session]
  }
  assert.deepEqual(
    open.sort((a, b) => a.startMs - b.startMs),
    [w(1, 7), w(25, 33)],
  )
  assert.deepEqual(sessions.merge(open, 14).session, w(1, 14))
  assert.deepEqual(sessions.merge(open, 15).session, w(1, 33))
  assert.deepEqual(sessions.merge(open, 18).session, w(18, 33))
})

test('a session closes once the watermark passes its last event + gap + grace', () => {
  const sessions = session({ gapMs: 10, graceMs: 5 })
  const s = w(100, 120)
  // An event at 130 (the last + the gap) still joins it, and is on time while the watermark <= 135.
  assert.equal(sessions.closeAtMs(s), 136)
  assert.equal(sessions.isClosed(s, 135), false)
  assert.equal(sessions.isClosed(s, 136), true)
})

test('late exactly at the boundary: an event whose merged session closes at the watermark', () => {
  const sessions = session({ gapMs: 10, graceMs: 5 })
  // An event at 120 on its own makes the session [120, 120], closing at 136.
  const alone = sessions.merge([], 120).session
  assert.equal(sessions.lateByMs(120, alone, 135), 0)
  assert.equal(sessions.lateByMs(120, alone, 136), 11, 'watermark - grace - t: more than the gap')
  // The same event joining an open session that reaches further is not late.
  const joined = sessions.merge([w(125, 125)], 120).session
  assert.deepEqual(joined, w(120, 125))
  assert.equal(sessions.lateByMs(120, joined, 136), 0)
})

test('merge rejects invalid timestamps; options are checked', () => {
  const sessions = session({ gapMs: 10 })
  assert.throws(
    () => sessions.merge([], -1),
    (error) => error instanceof FreshetError && error.code === ErrorCodes.TIMESTAMP_INVALID.code,
  )
  assert.throws(
    () => session({ gapMs: 0 }),
    (error) => error instanceof FreshetError && /"gapMs"/.test(error.message),
  )
  assert.throws(
    () => session({ gapMs: 10, gap: 5 } as never),
    (error) => error instanceof FreshetError && /unknown option "gap"/.test(error.message),
  )
  assert.equal(sessions.graceMs, 0)
  assert.equal(sessions.emit, 'final')
  assert.equal(sessions.kind, 'session')
})
