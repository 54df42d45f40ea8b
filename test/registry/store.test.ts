import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { FreshetError, isFreshetError } from '../../src/errors/index.ts'
import type { AvailabilityChange } from '../../src/registry/availability.ts'
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

/** Resolves once `condition` holds; fails after a deadline generous enough for a loaded machine. */
async function until(what: string, condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 30_000
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

/** The store's availability state (a call, so that an assertion on it narrows nothing). */
function stateOf(store: RegistryStore): string {
  return store.availability.state
}

/** Quick retries, so that a test sees many of them. */
const FAST_RETRIES = { checkIntervalMs: 20, retryDelayMs: 2, maxRetryDelayMs: 20 }

/**
 * A connection to a MemoryLog that can lose its broker: while `down`, every call fails as the
 * Kafka client fails when no broker answers, and `goDown()` reports a failed read as a tail would.
 */
function losable(log: MemoryLog) {
  const inner = log.connect()
  const control = { down: false, endOffsetCalls: 0, readErrors: 0, reportReadError: () => {} }
  const unreachable = (): Error => new FreshetError('KAFKA_UNREACHABLE', 'metadata: Kafka is unreachable')
  const connection: RegistryLog = {
    start: async (onEntries, onReadError) => {
      control.reportReadError = () => {
        control.readErrors++
        onReadError?.(unreachable())
      }
      await inner.start(onEntries)
    },
    endOffset: async () => {
      control.endOffsetCalls++
      if (control.down) throw unreachable()
      return inner.endOffset()
    },
    append: async (records) => {
      if (control.down) throw unreachable()
      return inner.append(records)
    },
    close: () => inner.close(),
  }
  return { connection, control }
}

describe('RegistryStore: waiting for Kafka', () => {
  test('reports the wait once, answers reads from memory and writes with 50002 at once, and serves again by itself', async (t) => {
    const { connection, control } = losable(new MemoryLog())
    const changes: AvailabilityChange[] = []
    const store = new RegistryStore(connection, {
      writeTimeoutMs: 2_000,
      onAvailabilityChange: (change) => changes.push(change),
      ...FAST_RETRIES,
    })
    await store.start()
    t.after(() => store.close())
    const x = await store.register('s', { schema: X })
    assert.equal(stateOf(store), 'SERVING')

    control.down = true
    control.reportReadError()
    await until('the store to wait for Kafka', () => store.availability.state === 'WAITING_FOR_KAFKA')
    const waiting = store.availability
    assert.ok(waiting.state === 'WAITING_FOR_KAFKA' && /Kafka is unreachable/.test(waiting.reason))
    // Many attempts later (and more failed reads), still one report.
    const attempts = control.endOffsetCalls
    await until('ten more attempts', () => {
      control.reportReadError()
      return control.endOffsetCalls >= attempts + 10
    })
    assert.deepEqual(
      changes.map((c) => c.state),
      ['WAITING_FOR_KAFKA'],
    )

    assert.equal((await store.schemaById(x.id)).schema, JSON.stringify(JSON.parse(X)))
    assert.deepEqual(await store.subjects(), ['s'])
    await assert.rejects(
      store.register('s', { schema: Y }),
      (error: unknown) => hasCode(50002)(error) && /Kafka is unreachable/.test((error as Error).message),
    )

    control.down = false
    await until('the store to serve again', () => store.availability.state === 'SERVING')
    assert.deepEqual(
      changes.map((c) => c.state),
      ['WAITING_FOR_KAFKA', 'SERVING'],
    )
    await store.setConfig('s', 'NONE')
    assert.deepEqual(await store.register('s', { schema: Y }), { id: x.id + 1 })
  })

  test('a tail that stops short of the end of the log is read again on new connections', async (t) => {
    const log = new MemoryLog()
    const inner = log.connect()
    let stalled = false
    let reconnects = 0
    let deliver: (entries: LogEntry[]) => void = () => {}
    // Drops what arrives while stalled, as a reader stuck on a dead connection never sees it.
    const stalling: RegistryLog = {
      ...inner,
      start: async (onEntries) => {
        deliver = onEntries
        await inner.start((entries) => {
          if (!stalled) onEntries(entries)
        })
      },
      reconnect: () => {
        reconnects++
        stalled = false
        deliver([...log.entries])
      },
    }
    const changes: AvailabilityChange[] = []
    const store = new RegistryStore(stalling, {
      writeTimeoutMs: 200,
      onAvailabilityChange: (change) => changes.push(change),
      ...FAST_RETRIES,
    })
    await store.start()
    t.after(() => store.close())

    stalled = true
    const writer = await started(log.connect())
    t.after(() => writer.close())
    const x = await writer.register('s', { schema: X })

    await until('the stalled tail to be read again', () => reconnects > 0)
    await until(
      'the store to serve again',
      () => store.availability.state === 'SERVING' && changes.length === 2,
    )
    assert.deepEqual(
      changes.map((c) => c.state),
      ['WAITING_FOR_KAFKA', 'SERVING'],
    )
    assert.equal((await store.schemaById(x.id)).schema, JSON.stringify(JSON.parse(X)))
  })
})
