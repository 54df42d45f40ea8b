import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { decodeRecord, encodeRecord } from '../../src/registry/records.ts'
import { canonicalText } from '../../src/registry/schema.ts'
import { RegistryState } from '../../src/registry/state.ts'
import type { LogWrite, RegistryRecord } from '../../src/registry/types.ts'

const X = canonicalText({ type: 'record', name: 'X', fields: [{ name: 'a', type: 'int' }] })
const Y = canonicalText({ type: 'record', name: 'Y', fields: [{ name: 'b', type: 'string' }] })
const Z = canonicalText({ type: 'enum', name: 'Z', symbols: ['A'] })

function schema(subject: string, version: number, id: number, text: string, deleted = false): RegistryRecord {
  return { kind: 'schema', subject, version, value: { id, schema: text, deleted } }
}

function tombstone(subject: string, version: number): RegistryRecord {
  return { kind: 'schema', subject, version, value: null }
}

function replay(log: readonly LogWrite[]): RegistryState {
  return replayCounting(log).state
}

function replayCounting(log: readonly LogWrite[]): { state: RegistryState; ignored: number } {
  const state = new RegistryState()
  let ignored = 0
  for (const entry of log) {
    const record = decodeRecord(entry.key, entry.value)
    if (record !== undefined && state.apply(record) === 'ignored') ignored++
  }
  return { state, ignored }
}

/** What Kafka's log cleaner leaves: the last record of every key, in log order. */
function compact(log: readonly LogWrite[]): LogWrite[] {
  const last = new Map<string, number>()
  log.forEach((entry, i) => last.set(entry.key.toString('hex'), i))
  return log.filter((entry, i) => last.get(entry.key.toString('hex')) === i)
}

/** Everything a client can observe, for comparing two states. */
function snapshot(state: RegistryState, maxId: number): unknown {
  const subjects = state.subjects(true).map((s) => ({
    subject: s,
    versions: state.versions(s, true),
    compatibility: state.subjectCompatibility(s),
    mode: state.subjectMode(s),
  }))
  const ids: unknown[] = []
  for (let id = 1; id <= maxId; id++) ids.push([id, state.schemaById(id), state.usesOf(id, true)])
  return { subjects, ids, compatibility: state.globalCompatibility(), mode: state.globalMode() }
}

/** A registry instance's decision in step 2 of the write protocol: the record registering `text`. */
function plan(state: RegistryState, subject: string, text: string): RegistryRecord {
  const id = state.idOf(text) ?? state.nextId()
  return schema(subject, state.nextVersion(subject), id, text)
}

describe('RegistryState: applying the log', () => {
  test('versions, ids and lookups', () => {
    const state = new RegistryState()
    assert.equal(state.apply(schema('a', 1, 1, X)), 'accepted')
    assert.equal(state.apply(schema('a', 2, 2, Y)), 'accepted')
    assert.equal(state.apply(schema('b', 1, 1, X)), 'accepted')
    assert.deepEqual(state.subjects(), ['a', 'b'])
    assert.deepEqual(
      state.versions('a').map((v) => [v.version, v.id]),
      [
        [1, 1],
        [2, 2],
      ],
    )
    assert.equal(state.latest('a')?.id, 2)
    assert.equal(state.idOf(X), 1)
    assert.equal(state.schemaById(2)?.schema, Y)
    assert.deepEqual(state.usesOf(1), [
      { subject: 'a', version: 1 },
      { subject: 'b', version: 1 },
    ])
    assert.equal(state.findInSubject('a', X)?.version, 1)
    assert.equal(state.nextId(), 3)
    assert.equal(state.nextVersion('a'), 3)
  })

  test('a soft delete hides a version; a tombstone after it removes it; ids stay unique', () => {
    const state = new RegistryState()
    state.apply(schema('a', 1, 1, X))
    assert.equal(state.apply(schema('a', 1, 1, X, true)), 'accepted')
    assert.deepEqual(state.subjects(), [])
    assert.deepEqual(state.subjects(true), ['a'])
    assert.equal(state.version('a', 1), undefined)
    assert.equal(state.version('a', 1, true)?.deleted, true)
    assert.equal(state.schemaById(1)?.schema, X, 'a soft-deleted schema is still readable by id')
    assert.equal(state.nextVersion('a'), 2, 'soft-deleted versions still count')
    assert.equal(state.apply(tombstone('a', 1)), 'accepted')
    assert.deepEqual(state.subjects(true), [])
    assert.equal(state.schemaById(1), undefined)
    assert.equal(state.nextId(), 2, 'an id is never handed out twice by one log')
  })

  test('DELETE_SUBJECT marks every version up to its version deleted', () => {
    const state = new RegistryState()
    state.apply(schema('a', 1, 1, X))
    state.apply(schema('a', 2, 2, Y))
    state.apply({ kind: 'delete-subject', subject: 'a', version: 1 })
    assert.deepEqual(
      state.versions('a').map((v) => v.version),
      [2],
    )
  })

  test('config and mode: last writer wins, tombstones fall back to the defaults', () => {
    const state = new RegistryState()
    assert.equal(state.compatibility('s'), 'BACKWARD')
    state.apply({ kind: 'config', subject: null, compatibility: 'FULL' })
    state.apply({ kind: 'config', subject: 's', compatibility: 'NONE' })
    assert.equal(state.compatibility('s'), 'NONE')
    assert.equal(state.compatibility('t'), 'FULL')
    state.apply({ kind: 'config', subject: 's', compatibility: null })
    assert.equal(state.compatibility('s'), 'FULL')
    state.apply({ kind: 'config', subject: null, compatibility: null })
    assert.equal(state.globalCompatibility(), 'BACKWARD')
    state.apply({ kind: 'mode', subject: null, mode: 'READONLY' })
    state.apply({ kind: 'mode', subject: 's', mode: 'READWRITE' })
    assert.equal(state.mode('s'), 'READWRITE')
    assert.equal(state.mode('t'), 'READONLY')
  })
})

describe('RegistryState: conflicting writers', () => {
  test('two records for the same version: the first wins, the second is ignored and repaired', () => {
    const state = new RegistryState()
    assert.equal(state.apply(schema('s', 1, 1, X)), 'accepted')
    assert.equal(state.apply(schema('s', 1, 2, Y)), 'ignored')
    assert.equal(state.version('s', 1)?.schema, X)
    assert.equal(state.idOf(Y), undefined)
    assert.deepEqual(state.repairs(), [schema('s', 1, 1, X)])
    assert.equal(state.apply(schema('s', 1, 1, X)), 'accepted')
    assert.deepEqual(state.repairs(), [])
  })

  test('two schemas given the same id: the second is ignored, its key repaired with a tombstone', () => {
    const state = new RegistryState()
    state.apply(schema('s', 1, 1, X))
    assert.equal(state.apply(schema('t', 1, 1, Y)), 'ignored')
    assert.deepEqual(state.subjects(), ['s'])
    assert.deepEqual(state.repairs(), [tombstone('t', 1)])
    assert.equal(state.apply(tombstone('t', 1)), 'accepted')
    assert.deepEqual(state.repairs(), [])
  })

  test('the same registration written twice (same id and schema) is accepted both times', () => {
    const state = new RegistryState()
    assert.equal(state.apply(schema('s', 1, 1, X)), 'accepted')
    assert.equal(state.apply(schema('s', 1, 1, X)), 'accepted')
    assert.equal(
      state.apply(schema('t', 1, 1, X)),
      'accepted',
      'the same schema under another subject shares the id',
    )
    assert.deepEqual(state.repairs(), [])
  })

  test('a tombstone for a live version is ignored: permanent deletes need a soft delete first', () => {
    const state = new RegistryState()
    state.apply(schema('s', 1, 1, X))
    assert.equal(state.apply(tombstone('s', 1)), 'ignored')
    assert.equal(state.version('s', 1)?.id, 1)
    assert.deepEqual(state.repairs(), [schema('s', 1, 1, X)])
  })

  test('two instances racing for the next version end with the same state, before and after compaction', () => {
    const log: LogWrite[] = []
    const a = new RegistryState()
    const b = new RegistryState()
    const applyNew = (state: RegistryState, from: number): void => {
      for (const entry of log.slice(from)) {
        const record = decodeRecord(entry.key, entry.value)
        if (record !== undefined) state.apply(record)
      }
    }
    // Shared history both have applied.
    log.push(encodeRecord(schema('s', 1, 1, X)))
    applyNew(a, 0)
    applyNew(b, 0)

    // Step 2 on both instances from the same state, then both append (step 3).
    const fromA = plan(
      a,
      's',
      canonicalText({ type: 'record', name: 'X', fields: [{ name: 'a', type: 'long' }] }),
    )
    const fromB = plan(b, 's', Y)
    assert.equal((fromA as { version: number }).version, 2)
    assert.equal((fromB as { version: number }).version, 2)
    const base = log.length
    log.push(encodeRecord(fromA), encodeRecord(fromB))
    // Step 4: both tails apply both records; step 5: A won, B lost, identically on both.
    applyNew(a, base)
    applyNew(b, base)
    for (const state of [a, b]) {
      assert.equal(state.version('s', 2)?.id, 2)
      assert.equal(state.idOf(Y), undefined)
    }

    // B starts again from step 1: repairs first, then its record at the next version and id.
    const retryBase = log.length
    const retry = plan(b, 's', Y)
    log.push(...b.repairs().map(encodeRecord), encodeRecord(retry))
    applyNew(a, retryBase)
    applyNew(b, retryBase)
    assert.equal(b.version('s', 3)?.id, 3)
    assert.equal(b.idOf(Y), 3)

    const expected = snapshot(a, 3)
    assert.deepEqual(snapshot(b, 3), expected)
    assert.deepEqual(snapshot(replay(log), 3), expected, 'a new instance replaying the log agrees')
    assert.deepEqual(
      snapshot(replay(compact(log)), 3),
      expected,
      'and so does one replaying the compacted log',
    )
  })

  test('without the repair, compaction would resurrect the losing record', () => {
    // The reason repairs exist: compaction keeps the later (ignored) record of the key.
    const log = [schema('s', 1, 1, X), schema('s', 1, 2, Y)].map(encodeRecord)
    assert.equal(replay(log).version('s', 1)?.schema, X)
    assert.equal(replay(compact(log)).version('s', 1)?.schema, Y)
    const repaired = [...log, ...replay(log).repairs().map(encodeRecord)]
    assert.equal(replay(compact(repaired)).version('s', 1)?.schema, X)
  })

  test('a long random history of racing writers replays identically from the full and the compacted log', () => {
    let seed = 42
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31
      return seed % n
    }
    const schemas = [
      X,
      Y,
      Z,
      canonicalText('int'),
      canonicalText('string'),
      canonicalText({ type: 'array', items: 'long' }),
    ]
    const subjects = ['s1', 's2', 's3']
    const log: LogWrite[] = []
    const instances = [new RegistryState(), new RegistryState(), new RegistryState()]
    const positions = [0, 0, 0]
    const catchUp = (i: number, upTo = log.length): void => {
      const state = instances[i] as RegistryState
      for (const entry of log.slice(positions[i], upTo)) {
        const record = decodeRecord(entry.key, entry.value)
        if (record !== undefined) state.apply(record)
      }
      positions[i] = upTo
    }
    for (let round = 0; round < 300; round++) {
      const i = random(instances.length)
      // Instances lag behind by a random amount: the source of conflicts.
      catchUp(i, log.length - random(Math.min(3, log.length + 1)))
      const state = instances[i] as RegistryState
      const subject = subjects[random(subjects.length)] as string
      const action = random(10)
      const records: RegistryRecord[] = [...state.repairs()]
      const live = state.versions(subject)
      if (action < 6) records.push(plan(state, subject, schemas[random(schemas.length)] as string))
      else if (action < 8 && live.length > 0) {
        const v = live[random(live.length)]
        if (v !== undefined) records.push(schema(subject, v.version, v.id, v.schema, true))
      } else {
        const deleted = state.versions(subject, true).filter((v) => v.deleted)
        const v = deleted[random(deleted.length)]
        if (v !== undefined) records.push(tombstone(subject, v.version))
      }
      log.push(...records.map(encodeRecord))
    }
    // A final writer that has caught up repairs what is left, as the next write would.
    catchUp(0)
    log.push(...(instances[0] as RegistryState).repairs().map(encodeRecord))

    const { state: full, ignored } = replayCounting(log)
    assert.ok(ignored >= 5, `the history had conflicting writes to resolve (${ignored})`)
    assert.deepEqual(full.repairs(), [])
    const maxId = full.nextId()
    for (let i = 0; i < instances.length; i++) catchUp(i)
    for (const state of instances) assert.deepEqual(snapshot(state, maxId), snapshot(full, maxId))
    assert.deepEqual(snapshot(replay(compact(log)), maxId), snapshot(full, maxId))
    assert.ok(compact(log).length < log.length, 'the history had superseded records to compact away')
  })
})
