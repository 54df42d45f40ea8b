import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { isFreshetError } from '../../src/errors/index.ts'
import { MemoryLog } from '../../src/registry/memory-log.ts'
import { decodeRecord } from '../../src/registry/records.ts'
import { RegistryState } from '../../src/registry/state.ts'
import { RegistryStore } from '../../src/registry/store.ts'
import type { LogEntry, LogWrite, RegistryLog } from '../../src/registry/types.ts'

const X = JSON.stringify({ type: 'record', name: 'X', fields: [{ name: 'a', type: 'int' }] })
const Y = JSON.stringify({ type: 'record', name: 'Y', fields: [{ name: 'b', type: 'string' }] })

/**
 * A connection to a MemoryLog whose appends are held until `parties` of them are waiting, then
 * released together in arrival order: two writers that both computed their records from the same
 * state, the race the write protocol has to survive.
 */
function gated(log: MemoryLog, barrier: { parties: number; waiting: Array<() => void> }): RegistryLog {
  const inner = log.connect()
  return {
    ...inner,
    append: async (records: LogWrite[]) => {
      if (barrier.parties > 1) {
        await new Promise<void>((resolve) => {
          barrier.waiting.push(resolve)
          if (barrier.waiting.length === barrier.parties) {
            barrier.parties = 0
            for (const release of barrier.waiting) release()
          }
        })
      }
      return inner.append(records)
    },
  }
}

function replay(entries: readonly LogEntry[]): RegistryState {
  const state = new RegistryState()
  for (const e of entries) {
    const record = decodeRecord(e.key, e.value)
    if (record !== undefined) state.apply(record)
  }
  return state
}

function compact(entries: readonly LogEntry[]): LogEntry[] {
  const last = new Map<string, bigint>()
  for (const e of entries) last.set(e.key?.toString('hex') ?? '', e.offset)
  return entries.filter((e) => last.get(e.key?.toString('hex') ?? '') === e.offset)
}

async function started(log: RegistryLog, writeTimeoutMs = 2_000): Promise<RegistryStore> {
  const store = new RegistryStore(log, { writeTimeoutMs })
  await store.start()
  return store
}

function hasCode(code: number) {
  return (error: unknown): boolean => isFreshetError(error) && error.details?.errorCode === code
}

describe('RegistryStore: the write protocol', () => {
  test('two instances racing to register under one subject both succeed, in distinct versions and ids', async (t) => {
    const log = new MemoryLog()
    const barrier = { parties: 0, waiting: [] as Array<() => void> }
    const a = await started(gated(log, barrier))
    const b = await started(gated(log, barrier))
    t.after(() => Promise.all([a.close(), b.close()]))
    await a.setConfig('s', 'NONE')
    barrier.parties = 2

    const [fromA, fromB] = await Promise.all([a.register('s', { schema: X }), b.register('s', { schema: Y })])
    assert.deepEqual([fromA.id, fromB.id].sort(), [1, 2])

    // The loser's first record sits in the log, ignored; its retry and the repair follow.
    const schemaRecords = log.entries.filter((e) => decodeRecord(e.key, e.value)?.kind === 'schema')
    assert.equal(schemaRecords.length, 4, 'winner, loser, repair of the loser key, retried registration')

    for (const store of [a, b]) {
      await store.catchUp()
      assert.deepEqual(
        store.state.versions('s').map((v) => v.id),
        [1, 2],
      )
    }
    assert.equal(a.state.schemaById(fromA.id)?.schema, JSON.stringify(JSON.parse(X)))
    assert.equal(b.state.schemaById(fromB.id)?.schema, JSON.stringify(JSON.parse(Y)))
    const replayed = replay(compact(log.entries))
    assert.deepEqual(
      replayed.versions('s'),
      a.state.versions('s'),
      'the compacted log holds the same versions',
    )
  })

  test('the same schema registered under one subject by two racing instances gets one version', async (t) => {
    const log = new MemoryLog()
    const barrier = { parties: 2, waiting: [] as Array<() => void> }
    const a = await started(gated(log, barrier))
    const b = await started(gated(log, barrier))
    t.after(() => Promise.all([a.close(), b.close()]))
    const [fromA, fromB] = await Promise.all([a.register('s', { schema: X }), b.register('s', { schema: X })])
    assert.equal(fromA.id, 1)
    assert.equal(fromB.id, 1)
    await a.catchUp()
    assert.deepEqual(
      a.state.versions('s').map((v) => v.version),
      [1],
    )
  })

  test('a restarted instance reads the same state back from the log', async () => {
    const log = new MemoryLog()
    const first = await started(log.connect())
    await first.setConfig(null, 'NONE')
    const x = await first.register('a', { schema: X })
    const y = await first.register('a', { schema: Y })
    await first.register('b', { schema: Y })
    await first.deleteVersion('a', '1')
    await first.close()

    const second = await started(log.connect())
    assert.equal(await second.globalConfig(), 'NONE')
    assert.deepEqual(await second.versions('a'), [2])
    assert.deepEqual(await second.versions('a', true), [1, 2])
    assert.equal((await second.version('b', 'latest')).id, y.id)
    assert.equal((await second.schemaById(x.id)).schema, JSON.stringify(JSON.parse(X)))
    assert.deepEqual(await second.register('c', { schema: X }), { id: x.id })
    await second.close()
  })

  test('a write the log never acknowledges back times out with 50002', async () => {
    const log = new MemoryLog()
    const silent: RegistryLog = {
      start: async () => undefined,
      endOffset: async () => BigInt(log.entries.length),
      append: async (records) => log.append(records),
      close: async () => undefined,
    }
    const store = new RegistryStore(silent, { writeTimeoutMs: 200 })
    await store.start()
    await assert.rejects(store.register('s', { schema: X }), hasCode(50002))
  })

  test('a failing append answers 50001 and the next write still runs', async () => {
    const log = new MemoryLog()
    const inner = log.connect()
    let fail = true
    const flaky: RegistryLog = {
      ...inner,
      append: async (records) => {
        if (fail) throw new Error('disk on fire')
        return inner.append(records)
      },
    }
    const store = await started(flaky)
    await assert.rejects(store.register('s', { schema: X }), hasCode(50001))
    fail = false
    assert.deepEqual(await store.register('s', { schema: X }), { id: 1 })
    await store.close()
  })

  test('writes of one instance are serialized: concurrent registrations get consecutive versions', async () => {
    const log = new MemoryLog()
    const store = await started(log.connect())
    await store.setConfig(null, 'NONE')
    const schemas = Array.from({ length: 10 }, (_, i) =>
      JSON.stringify({ type: 'fixed', name: `F${i}`, size: i + 1 }),
    )
    const ids = await Promise.all(schemas.map((schema) => store.register('s', { schema })))
    assert.deepEqual(
      ids.map((r) => r.id),
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    )
    assert.deepEqual(await store.versions('s'), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    const ignored = log.entries.filter((e) => {
      const state = replay(log.entries.filter((o) => o.offset < e.offset))
      const record = decodeRecord(e.key, e.value)
      return record !== undefined && state.apply(record) === 'ignored'
    })
    assert.deepEqual(ignored, [], 'one instance alone never writes a record that loses')
    await store.close()
  })
})
