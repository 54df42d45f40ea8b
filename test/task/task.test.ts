import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { isFreshetError } from '../../src/errors/index.ts'
import { pipeline } from '../../src/stream/index.ts'
import {
  TASK_TRANSITIONS,
  watermarkMarker,
  type TaskState,
  type WatermarkMarker,
} from '../../src/task/index.ts'
import { tumbling } from '../../src/windows/index.ts'
import { TaskHarness } from './harness.ts'

const STATES: readonly TaskState[] = ['CREATED', 'RUNNING', 'CLOSED', 'CLOSED_DIRTY']

function counts() {
  const app = pipeline({ applicationId: 'lifecycle' })
  app
    .stream<{ timestamp: number }>('in')
    .byRecordKey<string>()
    .window(tumbling({ sizeMs: 100, graceMs: 0 }))
    .count({ name: 'count' })
    .map((r) => r.value)
    .to('out')
  return app.build()
}

/** Throws FRESHET_INVALID_STATE, not retriable, with a message matching `message`. */
function refused(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(
      isFreshetError(error, 'FRESHET_INVALID_STATE'),
      `expected FRESHET_INVALID_STATE, got ${String(error)}`,
    )
    assert.equal(error.retriable, false)
    assert.match(error.message, message)
    return true
  })
}

/** A task brought to `state` the way a worker would: committed before a clean close. */
async function taskIn(t: TestContext, state: TaskState): Promise<TaskHarness> {
  const harness = await TaskHarness.create(t, counts(), { onBadRecord: 'skip' })
  if (state === 'CREATED') return harness
  harness.pipe('in', 'k', { timestamp: 10 }, 10)
  await harness.commit()
  if (state === 'CLOSED') harness.task.closeClean()
  if (state === 'CLOSED_DIRTY') harness.task.closeDirty()
  assert.equal(harness.task.state, state)
  return harness
}

/** The call that asks for each transition. Nothing leads back to CREATED. */
const ENTER: Partial<Record<TaskState, (harness: TaskHarness) => void>> = {
  RUNNING: (harness) => harness.pipe('in', 'k', { timestamp: 20 }, 20),
  CLOSED: (harness) => harness.task.closeClean(),
  CLOSED_DIRTY: (harness) => harness.task.closeDirty(),
}

test('the task enforces TASK_TRANSITIONS: every allowed transition works, every other one throws naming both states', async (t) => {
  let checked = 0
  for (const from of STATES) {
    for (const to of STATES) {
      const enter = ENTER[to]
      if (enter === undefined) continue
      const harness = await taskIn(t, from)
      // A running task may run on: `process` keeps it RUNNING without a transition.
      if (TASK_TRANSITIONS[from].includes(to) || (from === 'RUNNING' && to === 'RUNNING')) {
        enter(harness)
        assert.equal(harness.task.state, to, `${from} -> ${to}`)
      } else {
        refused(() => enter(harness), new RegExp(`illegal transition ${from} -> ${to}`))
        assert.equal(harness.task.state, from, `a refused ${from} -> ${to} leaves the state`)
      }
      checked++
    }
  }
  assert.equal(checked, STATES.length * 3)
})

test('close twice, or process after close, throws FRESHET_INVALID_STATE naming both states', async (t) => {
  const clean = await taskIn(t, 'CLOSED')
  refused(() => clean.task.close(), /task 0_0: cannot closeClean: illegal transition CLOSED -> CLOSED/)
  refused(() => clean.task.closeDirty(), /illegal transition CLOSED -> CLOSED_DIRTY/)
  refused(
    () => clean.pipe('in', 'k', { timestamp: 30 }, 30),
    /cannot process: illegal transition CLOSED -> RUNNING/,
  )
  refused(() => clean.task.advanceIdle(), /cannot advanceIdle: illegal transition CLOSED -> RUNNING/)
  refused(() => clean.task.takeOutput(), /cannot takeOutput in state CLOSED, only in CREATED or RUNNING/)
  refused(() => clean.task.prepareCommit(), /cannot prepareCommit in state CLOSED/)
  refused(() => clean.task.watermarkCheckpoint('in', 0), /cannot watermarkCheckpoint in state CLOSED/)

  const dirty = await taskIn(t, 'CLOSED_DIRTY')
  refused(() => dirty.task.closeDirty(), /illegal transition CLOSED_DIRTY -> CLOSED_DIRTY/)
  refused(() => dirty.task.close(), /illegal transition CLOSED_DIRTY -> CLOSED/)
  refused(() => dirty.pipe('in', 'k', { timestamp: 30 }, 30), /illegal transition CLOSED_DIRTY -> RUNNING/)
})

test('restoreWatermarks only before the task has started: it governs what the task does next', async (t) => {
  const harness = await taskIn(t, 'CREATED')
  harness.task.restoreWatermarks([])
  harness.task.advanceIdle()
  assert.equal(harness.task.state, 'RUNNING', 'advanceIdle starts the task too')
  refused(
    () => harness.task.restoreWatermarks([]),
    /cannot restoreWatermarks in state RUNNING, only in CREATED/,
  )
})

test('a clean close needs the task committed: work since the last prepareCommit is refused, a dirty close discards it', async (t) => {
  const harness = await taskIn(t, 'RUNNING')
  // Nothing since the commit: a clean close would be allowed. One more record, and it is not.
  harness.pipe('in', 'k', { timestamp: 20 }, 20)
  refused(
    () => harness.task.closeClean(),
    /cannot closeClean in state RUNNING: it has processed records since its last commit/,
  )
  refused(() => harness.task.close(), /cannot closeClean in state RUNNING/)
  assert.equal(harness.task.state, 'RUNNING')
  harness.task.closeDirty()
  assert.equal(harness.task.state, 'CLOSED_DIRTY')

  const committed = await taskIn(t, 'RUNNING')
  committed.pipe('in', 'k', { timestamp: 20 }, 20)
  await committed.commit()
  committed.task.close()
  assert.equal(committed.task.state, 'CLOSED', 'close() is the clean close')

  const fresh = await taskIn(t, 'CREATED')
  fresh.task.closeClean()
  assert.equal(fresh.task.state, 'CLOSED', 'a task that did nothing has nothing to commit')
})

test('a watermark restored into a created task is work to commit: the operators have seen it', async (t) => {
  const harness = await taskIn(t, 'CREATED')
  const checkpoint = JSON.stringify({ freshet: 1, watermarkMs: 500, maxTimestampMs: 500, idle: false })
  harness.task.restoreWatermarks([{ topic: 'in', partition: 0, offset: 1n, metadata: checkpoint }])
  assert.equal(harness.task.watermarkMs, 500)
  refused(() => harness.task.closeClean(), /since its last commit/)
  await harness.commit()
  harness.task.closeClean()
  assert.equal(harness.task.state, 'CLOSED')
})

test("a repartition input takes every upstream task's latest marker back from its checkpoint", async (t) => {
  const app = pipeline({ applicationId: 'markers' })
  app
    .stream<{ type: string; timestamp: number }>('in')
    .keyBy((e) => e.type, { name: 'by-type' })
    .window(tumbling({ sizeMs: 1_000 }))
    .count({ name: 'counts' })
    .to('out')
  const topology = app.build()
  const repartition = topology.description.topics.repartition[0] as string
  let offset = 0n
  const mark = (harness: TaskHarness, marker: WatermarkMarker): void => {
    const out = watermarkMarker(repartition, 0, marker, 0)
    harness.task.process({
      topic: repartition,
      partition: 0,
      offset: offset++,
      timestampMs: out.timestampMs ?? 0,
      key: null,
      value: out.value,
      headers: new Map(Object.entries(out.headers ?? {}).map(([k, v]) => [k, Buffer.from(v)])),
      leaderEpoch: 0,
    })
  }
  // Two upstream tasks: 0_0 at 1,500 ms, 0_1 idle (it writes nothing more while it stays idle).
  const first = await TaskHarness.create(t, topology, { subtopology: 1 })
  mark(first, { task: '0_0', tasks: 2, watermarkMs: 1_500, idle: false })
  mark(first, { task: '0_1', tasks: 2, watermarkMs: null, idle: true })
  assert.equal(first.task.watermarkMs, 1_500)
  const checkpoint = first.task.watermarkCheckpoint(repartition, 0)

  // The task that resumes from the checkpoint needs only 0_0's next marker to move on.
  const resumed = await TaskHarness.create(t, topology, { subtopology: 1 })
  resumed.task.restoreWatermarks([{ topic: repartition, partition: 0, offset, metadata: checkpoint }])
  mark(resumed, { task: '0_0', tasks: 2, watermarkMs: 3_000, idle: false })
  assert.equal(resumed.task.watermarkMs, 3_000)

  // Without the markers in the checkpoint, it would wait for 0_1 to write again.
  const { upstream: _, tasks: __, ...bare } = JSON.parse(checkpoint) as Record<string, unknown>
  const waiting = await TaskHarness.create(t, topology, { subtopology: 1 })
  waiting.task.restoreWatermarks([
    { topic: repartition, partition: 0, offset, metadata: JSON.stringify(bare) },
  ])
  mark(waiting, { task: '0_0', tasks: 2, watermarkMs: 3_000, idle: false })
  assert.equal(waiting.task.watermarkMs, 1_500)
})

test('a window of live data that closes makes the task want a commit; an old one waits for the interval', async (t) => {
  const nowMs = 10_000_000
  const harness = await TaskHarness.create(t, counts(), { clock: () => nowMs })
  // A backfill: windows of an hour ago close.
  harness.pipe('in', 'k', { timestamp: nowMs - 3_600_000 }, 0)
  harness.pipe('in', 'k', { timestamp: nowMs - 3_500_000 }, 0)
  assert.equal(harness.outputs.length, 1, 'an old window closed')
  assert.equal(harness.task.commitWanted, false)
  // Live data: the window of a moment ago closes.
  harness.pipe('in', 'k', { timestamp: nowMs - 250 }, 0)
  harness.pipe('in', 'k', { timestamp: nowMs }, 0)
  assert.equal(harness.outputs.length, 3)
  assert.equal(harness.task.commitWanted, true)
  await harness.commit()
  assert.equal(harness.task.commitWanted, false, 'the commit took what it wanted')
})
