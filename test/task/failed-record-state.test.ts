// A record that fails under the `skip` or `dlq` policy must leave no trace in state.
//
// Root cause: StreamTask dropped what a failed record had sent, but not what it had written. An
// operator ahead of the one that threw (a window count, a deduplication, a join buffer, a user
// `process`) had already put its update into its store and the store's changelog buffer; the task
// then skipped or dead-lettered the record and committed that update with the next transaction.
// So a skipped record was counted in a window, remembered by the deduplication, buffered by the
// join, and (for a session it bridged) merged sessions whose close-queue entries were gone.
//
// The oracle: the same input without the bad records. With them, the run must produce the same
// outputs, the same changelog records in the same order, the same store contents, the same open
// windows and operator counters, and one dead letter (or one skip) per bad record.
import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { rocksDbAvailable } from '../../src/state/index.ts'
import { pipeline, valueStore } from '../../src/stream/index.ts'
import type { BadRecordPolicy } from '../../src/task/index.ts'
import { session, tumbling } from '../../src/windows/index.ts'
import { TaskHarness, type Backend } from './harness.ts'

interface Event {
  readonly id: string
  readonly timestamp: number
  readonly bad?: boolean
}

/** Every stateful operator, then one that throws on bad events, all fed by the same stream. */
function topology() {
  const app = pipeline({ applicationId: 'failed-record' })
  const events = app.stream<Event>('events').byRecordKey<string>()
  const other = app.stream<Event>('other').byRecordKey<string>()
  events
    .window(tumbling({ sizeMs: 100, graceMs: 0 }))
    .count({ name: 'per-window' })
    .map((r) => `${r.key}@${r.window.startMs}=${r.value}`)
    .to('per-window')
  events
    .window(session({ gapMs: 50, graceMs: 0 }))
    .count({ name: 'per-session' })
    .map((r) => `${r.key}@${r.window.startMs}-${r.window.endMs}=${r.value}`)
    .to('per-session')
  events
    .deduplicate({ withinMs: 1_000, id: (e) => e.id, name: 'dedup' })
    .map((e) => e.id)
    .to('unique')
  events
    .intervalJoin(other, { beforeMs: 100, afterMs: 100, name: 'join' }, (l, r) => `${l.id}+${r.id}`)
    .to('joined')
  // Each event reaches the process twice: a failed record writes the same key twice, and only the
  // older of the values it replaced may come back.
  events
    .flatMap((e) => [e, e])
    .process(
      (r, context) => {
        const total = (context.stores.totals.get(r.key) ?? 0) + 1
        context.stores.totals.put(r.key, total)
        return total
      },
      { stores: { totals: valueStore<number>() }, name: 'totals' },
    )
    .to('totals')
  events
    .map((e) => {
      if (e.bad === true) throw new Error(`bad event ${e.id}`)
      return e.id
    })
    .to('checked')
  return app.build()
}

type Step =
  | { readonly topic: 'events' | 'other'; readonly key: string; readonly event: Event }
  | { readonly commit: true }

const ev = (key: string, id: string, timestamp: number, bad = false): Step => ({
  topic: 'events',
  key,
  event: bad ? { id, timestamp, bad } : { id, timestamp },
})
const otherEv = (key: string, id: string, timestamp: number): Step => ({
  topic: 'other',
  key,
  event: { id, timestamp },
})
const commit: Step = { commit: true }

/**
 * Bad records of three kinds, each between good ones: one of a new key (it would open windows,
 * a session, a dedup entry, a join buffer with its expiry, a process total); one of a key whose
 * state this commit already changed (the changelog has a pending value to go back to); and one
 * behind the watermark (80, held there by `other`) that bridges the two open sessions of `b` (a
 * merge, whose deletes and close-queue removals must come back: no later `b` record would merge
 * them again) and is late for the deduplication and the join (a late dead letter and late
 * counts that must go too).
 */
const STEPS: readonly Step[] = [
  ev('a', 'e1', 0),
  otherEv('a', 'r1', 80),
  ev('b', 'e2', 40),
  ev('a', 'e3', 80),
  commit,
  ev('z', 'bad-new-key', 80, true),
  ev('a', 'e5', 85),
  ev('a', 'bad-pending', 85, true),
  ev('b', 'e6', 100),
  ev('b', 'bad-bridge', 70, true),
  ev('a', 'e8', 90),
  commit,
  otherEv('c', 'r2', 1_000),
  ev('c', 'e9', 300),
  commit,
]

const BAD_IDS = new Set(['bad-new-key', 'bad-pending', 'bad-bridge'])

interface Observed {
  readonly outputs: string[]
  readonly changelog: TaskHarness['changelog']
  /** Store contents after each commit. */
  readonly states: Array<Record<string, string[]>>
  /** Keys each store has changed since its last flush, before each commit. */
  readonly unflushed: Array<Record<string, number>>
  /** Open windows after each commit. */
  readonly openWindows: number[]
  readonly operatorMetrics: Record<string, Record<string, number>>
  readonly recordsOut: number
  readonly recordsLate: number
}

async function run(
  t: TestContext,
  steps: readonly Step[],
  onBadRecord: BadRecordPolicy,
  backend: Backend,
): Promise<{ harness: TaskHarness; observed: Observed }> {
  const harness = await TaskHarness.create(t, topology(), { onBadRecord, backend })
  const openWindows: number[] = []
  const states: Array<Record<string, string[]>> = []
  const unflushed: Array<Record<string, number>> = []
  for (const step of steps) {
    if ('commit' in step) {
      unflushed.push(
        Object.fromEntries([...harness.stores].map(([name, store]) => [name, store.unflushedCount()])),
      )
      await harness.commit()
      openWindows.push(harness.task.openWindows)
      states.push(harness.state())
    } else {
      harness.pipe(step.topic, step.key, step.event, step.event.timestamp)
    }
  }
  const operatorMetrics: Record<string, Record<string, number>> = {}
  for (const [node, metrics] of harness.task.operatorMetrics) {
    operatorMetrics[node] = Object.fromEntries([...metrics].sort())
  }
  return {
    harness,
    observed: {
      outputs: harness.outputLines(),
      changelog: harness.changelog,
      states,
      unflushed,
      openWindows,
      operatorMetrics,
      recordsOut: harness.task.counters.recordsOut,
      recordsLate: harness.task.counters.recordsLate,
    },
  }
}

const good = STEPS.filter((s) => 'commit' in s || !BAD_IDS.has(s.event.id))

for (const backend of ['memory', 'rocksdb'] as const) {
  for (const policy of ['skip', 'dlq'] as const) {
    test(
      `${backend}, ${policy}: a record that fails after operators wrote state leaves every store and changelog as the same run without it`,
      { skip: backend === 'rocksdb' && !rocksDbAvailable() ? 'RocksDB binding unavailable' : false },
      async (t) => {
        const expected = await run(t, good, policy, backend)
        const actual = await run(t, STEPS, policy, backend)

        // The good records around the bad ones were applied: the oracle's results are these.
        assert.deepEqual(
          expected.observed.outputs.filter((line) => line.startsWith('per-window ')),
          ['per-window a "a@0=4"', 'per-window b "b@0=1"', 'per-window b "b@100=1"'],
        )
        assert.deepEqual(
          expected.observed.outputs.filter((line) => line.startsWith('per-session ')),
          [
            'per-session a "a@0-0=1"',
            'per-session b "b@40-40=1"',
            'per-session a "a@80-90=3"',
            'per-session b "b@100-100=1"',
          ],
        )
        assert.deepEqual(
          expected.observed.outputs.filter((line) => line.startsWith('totals ')),
          ['a', 'b', 'a', 'a', 'b', 'a', 'c'].flatMap((key, i, keys) => {
            const before = keys.slice(0, i).filter((k) => k === key).length
            return [`totals ${key} ${2 * before + 1}`, `totals ${key} ${2 * before + 2}`]
          }),
        )
        assert.ok((expected.observed.openWindows[1] as number) > 0, 'windows were open at the second commit')

        assert.deepEqual(actual.observed.states, expected.observed.states, 'store contents at each commit')
        assert.deepEqual(
          actual.observed.changelog,
          expected.observed.changelog,
          'changelog records, in order',
        )
        assert.deepEqual(actual.observed.unflushed, expected.observed.unflushed, 'unflushed keys')
        assert.deepEqual(actual.observed.outputs, expected.observed.outputs, 'outputs')
        assert.deepEqual(actual.observed.openWindows, expected.observed.openWindows, 'open windows')
        assert.deepEqual(
          actual.observed.operatorMetrics,
          expected.observed.operatorMetrics,
          'operator counters',
        )
        assert.equal(actual.observed.recordsOut, expected.observed.recordsOut, 'records out')
        assert.equal(actual.observed.recordsLate, expected.observed.recordsLate, 'late records')

        // The bad records met the policy, once each, and nothing else of theirs was kept.
        const counters = actual.harness.task.counters
        if (policy === 'skip') {
          assert.equal(counters.recordsSkipped, 3)
          assert.equal(actual.harness.deadLetters.length, 0)
        } else {
          assert.equal(counters.recordsDeadLettered, 3)
          assert.deepEqual(
            actual.harness.deadLetters.map((d) => [
              JSON.parse((d.value as Buffer).toString()).id,
              d.headers?.['freshet.dlq.stage'],
            ]),
            [
              ['bad-new-key', 'process'],
              ['bad-pending', 'process'],
              ['bad-bridge', 'process'],
            ],
          )
        }
        assert.equal(actual.harness.deadLetters.length + counters.recordsSkipped, 3)
      },
    )
  }
}
