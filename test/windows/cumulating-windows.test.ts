import assert from 'node:assert/strict'
import { test } from 'node:test'
import { FreshetError } from '../../src/errors/index.ts'
import { cumulating, type Window } from '../../src/windows/index.ts'

/** Every cumulating window containing t, by enumerating every start and end: the oracle for `assign`. */
function bruteForce(t: number, sizeMs: number, stepMs: number): Window[] {
  const windows: Window[] = []
  for (let start = 0; start <= t; start += sizeMs) {
    for (let end = start + stepMs; end <= start + sizeMs; end += stepMs) {
      if (start <= t && t < end) windows.push({ startMs: start, endMs: end })
    }
  }
  return windows
}

test('cumulating: windows share the start of the largest and end every step after the record', () => {
  const windows = cumulating({ sizeMs: 40, stepMs: 10 })
  assert.equal(windows.kind, 'cumulating')
  assert.equal(windows.maxWindowsPerRecord, 4)
  assert.deepEqual(windows.assign(0), [
    { startMs: 0, endMs: 10 },
    { startMs: 0, endMs: 20 },
    { startMs: 0, endMs: 30 },
    { startMs: 0, endMs: 40 },
  ])
  assert.deepEqual(windows.assign(29), [
    { startMs: 0, endMs: 30 },
    { startMs: 0, endMs: 40 },
  ])
  assert.deepEqual(windows.assign(39), [{ startMs: 0, endMs: 40 }])
  assert.deepEqual(windows.assign(40)[0], { startMs: 40, endMs: 50 })
})

test('cumulating: assign equals the brute-force windows for every timestamp of several periods', () => {
  for (const [sizeMs, stepMs] of [
    [40, 10],
    [30, 30],
    [60, 1],
    [21, 7],
  ] as const) {
    const windows = cumulating({ sizeMs, stepMs })
    for (let t = 0; t < 3 * sizeMs; t++) {
      assert.deepEqual(
        windows.assign(t),
        bruteForce(t, sizeMs, stepMs),
        `size ${sizeMs} step ${stepMs} t ${t}`,
      )
    }
    assert.deepEqual(windows.assign(12.7), windows.assign(12), 'fractions of a millisecond')
  }
})

test('cumulating: a window closes at its own end plus grace', () => {
  const windows = cumulating({ sizeMs: 40, stepMs: 10, graceMs: 5 })
  const first = { startMs: 0, endMs: 10 }
  assert.equal(windows.closeAtMs(first), 15)
  assert.equal(windows.isClosed(first, 14), false)
  assert.equal(windows.isClosed(first, 15), true)
  assert.equal(windows.lateByMs(3, first, 15), 7)
  assert.equal(windows.lateByMs(3, { startMs: 0, endMs: 20 }, 15), 0)
})

test('cumulating: the size must be a whole multiple of the step, both positive', () => {
  for (const options of [
    { sizeMs: 25, stepMs: 10 },
    { sizeMs: 10, stepMs: 20 },
    { sizeMs: 0, stepMs: 10 },
    { sizeMs: 10, stepMs: 0 },
    { sizeMs: 100_000, stepMs: 1 },
  ]) {
    assert.throws(
      () => cumulating(options),
      (error: unknown) => error instanceof FreshetError && error.code === 'FRESHET_INVALID_OPTION',
      JSON.stringify(options),
    )
  }
  assert.throws(() => cumulating({ sizeMs: 10 } as never), /stepMs/)
})

test('cumulating: an offset shifts the starts, the ends follow every step after them', () => {
  const windows = cumulating({ sizeMs: 40, stepMs: 10, offsetMs: -35 }) // starts at 5 mod 40
  assert.equal(windows.offsetMs, 5)
  for (let t = 5; t < 200; t++) {
    const expected = bruteForce(t - 5, 40, 10).map((w) => ({ startMs: w.startMs + 5, endMs: w.endMs + 5 }))
    assert.deepEqual(windows.assign(t), expected, `t ${t}`)
  }
})
