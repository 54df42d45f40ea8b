import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ErrorCodes, FreshetError } from '../../src/errors/index.ts'
import { hopping, TimeWindows, tumbling } from '../../src/windows/index.ts'

function codeOf(fn: () => unknown): string {
  try {
    fn()
  } catch (error) {
    assert.ok(error instanceof FreshetError, `expected a FreshetError, got ${String(error)}`)
    return error.code
  }
  assert.fail('expected an error')
}

/** Every window containing t, by enumerating all starts from the epoch: the oracle for `assign`. */
function bruteForceStarts(t: number, sizeMs: number, advanceMs: number): number[] {
  const starts: number[] = []
  for (let start = 0; start <= t; start += advanceMs) if (start <= t && t < start + sizeMs) starts.push(start)
  return starts
}

test('tumbling: a record at the start and at end - 1 is in the window; at end it is in the next', () => {
  const windows = tumbling({ sizeMs: 10 })
  assert.deepEqual(windows.assign(0), [0])
  assert.deepEqual(windows.assign(20), [20])
  assert.deepEqual(windows.assign(29), [20])
  assert.deepEqual(windows.assign(30), [30])
  assert.deepEqual(windows.window(20), { startMs: 20, endMs: 30 })
  assert.equal(windows.kind, 'tumbling')
  assert.equal(windows.advanceMs, 10)
  assert.equal(windows.maxWindowsPerRecord, 1)
})

test('windows are aligned to the epoch, not to the first record', () => {
  const windows = tumbling({ sizeMs: 60_000 })
  const t = Date.UTC(2024, 0, 1, 12, 34, 56, 789)
  assert.deepEqual(windows.assign(t), [Date.UTC(2024, 0, 1, 12, 34)])
})

test('hopping: a record belongs to every window with start <= t < start + size', () => {
  const windows = hopping({ sizeMs: 10, advanceMs: 5 })
  assert.deepEqual(windows.assign(12), [5, 10])
  assert.deepEqual(windows.assign(10), [5, 10], 't = start of one window, t = end - 5 of the other')
  assert.deepEqual(windows.assign(14), [5, 10], 't = end - 1 of window 5')
  assert.deepEqual(windows.assign(15), [10, 15], 't = end of window 5 leaves it')
  assert.equal(windows.maxWindowsPerRecord, 2)
})

test('hopping: windows never start before the epoch, so early records fall into fewer windows', () => {
  const windows = hopping({ sizeMs: 10, advanceMs: 3 })
  assert.deepEqual(windows.assign(0), [0])
  assert.deepEqual(windows.assign(2), [0])
  assert.deepEqual(windows.assign(3), [0, 3])
  assert.deepEqual(windows.assign(9), [0, 3, 6, 9])
})

test('hopping with a size that is not a multiple of the advance: 3 or 4 windows per record', () => {
  const windows = hopping({ sizeMs: 10, advanceMs: 3 })
  assert.equal(windows.maxWindowsPerRecord, 4)
  assert.deepEqual(windows.assign(10), [3, 6, 9])
  assert.deepEqual(windows.assign(12), [3, 6, 9, 12])
  assert.deepEqual(windows.assign(13), [6, 9, 12])
})

test('assign agrees with enumerating every window from the epoch', () => {
  const shapes: Array<[number, number]> = [
    [10, 10],
    [10, 5],
    [10, 3],
    [7, 7],
    [7, 2],
    [100, 1],
    [1, 1],
    [60_000, 7_000],
  ]
  for (const [sizeMs, advanceMs] of shapes) {
    const windows = advanceMs === sizeMs ? tumbling({ sizeMs }) : hopping({ sizeMs, advanceMs })
    for (let t = 0; t < 3 * sizeMs + 5; t++) {
      assert.deepEqual(
        windows.assign(t),
        bruteForceStarts(t, sizeMs, advanceMs),
        `size ${sizeMs}, advance ${advanceMs}, t ${t}`,
      )
    }
  }
})

test('assign writes into the array it is given, so the hot path allocates nothing', () => {
  const windows = hopping({ sizeMs: 10, advanceMs: 3 })
  const out: number[] = [99, 99, 99, 99, 99, 99]
  assert.equal(windows.assign(12, out), out)
  assert.deepEqual(out, [3, 6, 9, 12])
  windows.assign(2, out)
  assert.deepEqual(out, [0], 'stale entries are cut off')
})

test('assign rejects negative, non-finite and too large timestamps with FRESHET_TIMESTAMP_INVALID', () => {
  const windows = tumbling({ sizeMs: 10 })
  for (const t of [-1, -0.5, Number.NaN, Infinity, -Infinity, Number.MAX_SAFE_INTEGER + 2]) {
    assert.equal(
      codeOf(() => windows.assign(t)),
      ErrorCodes.TIMESTAMP_INVALID.code,
      String(t),
    )
  }
})

test('sub-millisecond timestamps fall into the window of their whole millisecond', () => {
  const windows = hopping({ sizeMs: 10, advanceMs: 5 })
  assert.deepEqual(windows.assign(14.999), [5, 10])
  assert.deepEqual(windows.assign(9.5), [0, 5])
})

test('a window closes when the watermark reaches end + grace, not a millisecond earlier', () => {
  const windows = tumbling({ sizeMs: 10, graceMs: 5 })
  const window = windows.window(10)
  assert.equal(windows.closeAtMs(window), 25)
  assert.equal(windows.isClosed(window, 24), false)
  assert.equal(windows.isClosed(window, 25), true)
  assert.equal(windows.isClosed(window, -Infinity), false)
})

test('late exactly at the boundary: watermark = end + grace makes the last millisecond late by 1', () => {
  const windows = tumbling({ sizeMs: 10, graceMs: 5 })
  const window = windows.window(10)
  assert.equal(windows.lateByMs(19, window, 24), 0, 'open one millisecond before')
  assert.equal(windows.lateByMs(19, window, 25), 1)
  assert.equal(windows.lateByMs(10, window, 25), 10)
  assert.equal(windows.lateByMs(19, window, 40), 16)
})

test('grace defaults to 0 and emit to final', () => {
  const windows = tumbling({ sizeMs: 10 })
  assert.equal(windows.graceMs, 0)
  assert.equal(windows.emit, 'final')
  assert.equal(windows.isClosed(windows.window(0), 10), true)
  assert.equal(hopping({ sizeMs: 10, advanceMs: 5, emit: 'updates' }).emit, 'updates')
})

test('options are checked where they enter, naming the option', () => {
  const invalid = (fn: () => unknown, option: string): void => {
    try {
      fn()
    } catch (error) {
      assert.ok(error instanceof FreshetError)
      assert.equal(error.code, ErrorCodes.INVALID_OPTION.code)
      assert.match(error.message, new RegExp(`"${option}"`))
      return
    }
    assert.fail(`expected an error about ${option}`)
  }
  invalid(() => hopping({ sizeMs: 10, advanceMs: 11 }), 'advanceMs')
  invalid(() => hopping({ sizeMs: 86_400_000, advanceMs: 1 }), 'advanceMs')
  invalid(() => tumbling({ sizeMs: 0 }), 'sizeMs')
  invalid(() => tumbling({ sizeMs: 1.5 }), 'sizeMs')
  invalid(() => tumbling({ sizeMs: 10, graceMs: -1 }), 'graceMs')
  invalid(() => tumbling({ sizeMs: 10, emit: 'eager' as 'final' }), 'emit')
  invalid(() => tumbling({ sizeMs: 10, sizeSeconds: 1 } as never), 'sizeSeconds')
  invalid(() => tumbling({} as never), 'sizeMs')
  invalid(() => hopping({ sizeMs: 10 } as never), 'advanceMs')
  invalid(() => new TimeWindows('hopping', { sizeMs: 5, advanceMs: 10 }), 'advanceMs')
})

test('an offset shifts every start by it, modulo the advance, as Flink window offsets do', () => {
  for (const [sizeMs, advanceMs, offsetMs] of [
    [10, 10, 3],
    [10, 10, -7], // the same windows as +3
    [10, 5, 2],
    [12, 4, 13], // 13 mod 4 = 1
  ] as const) {
    const windows =
      sizeMs === advanceMs ? tumbling({ sizeMs, offsetMs }) : hopping({ sizeMs, advanceMs, offsetMs })
    const shift = (((offsetMs % advanceMs) + advanceMs) % advanceMs) as number
    assert.equal(windows.offsetMs, shift)
    for (let t = sizeMs; t < 5 * sizeMs; t++) {
      const expected = bruteForceStarts(t - shift, sizeMs, advanceMs).map((s) => s + shift)
      assert.deepEqual(
        windows.assign(t),
        expected,
        `size ${sizeMs} advance ${advanceMs} offset ${offsetMs} t ${t}`,
      )
    }
  }
  // A daily window eight hours west of UTC: midnight there is 08:00 UTC.
  const day = tumbling({ sizeMs: 86_400_000, offsetMs: 8 * 3_600_000 })
  assert.deepEqual(day.assign(Date.UTC(2026, 0, 2, 7, 59)), [Date.UTC(2026, 0, 1, 8)])
  assert.deepEqual(day.assign(Date.UTC(2026, 0, 2, 8)), [Date.UTC(2026, 0, 2, 8)])
})
