import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, test, type TestContext } from 'node:test'
import { pathToFileURL } from 'node:url'
import { isFreshetError } from '../../src/errors/index.ts'
import {
  MemoryStateStore,
  RocksDbStateStore,
  rocksDbAvailable,
  type ChangelogEntry,
  type RocksDbStateStoreOptions,
  type StateStore,
} from '../../src/state/index.ts'
import { RocksDb } from '../../src/state/rocksdb-binding.ts'
import { stateStoreContract } from './contract.ts'
import { b, defer, hex, seededRandom, show, tempDir } from './helpers.ts'

const root = resolve(import.meta.dirname, '../..')

async function openStore(
  t: TestContext,
  options: Partial<RocksDbStateStoreOptions> = {},
): Promise<RocksDbStateStore> {
  const store = await RocksDbStateStore.open({ directory: join(tempDir(t), 'store'), ...options })
  defer(t, () => store.close())
  return store
}

async function reopenStore(
  t: TestContext,
  store: StateStore,
  options: Partial<RocksDbStateStoreOptions> = {},
): Promise<RocksDbStateStore> {
  const { directory } = store as RocksDbStateStore
  await store.close()
  const reopened = await RocksDbStateStore.open({ directory, ...options })
  defer(t, () => reopened.close())
  return reopened
}

async function commit(store: StateStore, nextOffset?: bigint): Promise<ChangelogEntry[]> {
  const drained = store.drainChangelog()
  if (nextOffset !== undefined) store.writeCheckpoint(nextOffset)
  await store.flush()
  return drained
}

test('the RocksDB binding loads on this platform', () => {
  assert.equal(rocksDbAvailable(), true)
})

// The whole contract with the default cache, and again with a cache that keeps no clean entry, so
// that every read after a flush goes to disk.
stateStoreContract('RocksDbStateStore', {
  create: (t, options = {}) => openStore(t, options),
  reopen: (t, store) => reopenStore(t, store),
})

stateStoreContract('RocksDbStateStore, cacheMaxEntries 0', {
  create: (t, options = {}) => openStore(t, { ...options, cacheMaxEntries: 0 }),
  reopen: (t, store) => reopenStore(t, store, { cacheMaxEntries: 0 }),
})

describe('RocksDbStateStore: write cache over disk', () => {
  test('a range merges cache and disk: cache wins, cached deletes hide disk keys, order is kept', async (t) => {
    const store = await openStore(t)
    for (const key of ['b', 'd', 'f', 'h', 'j']) store.put(b(key), b(`disk-${key}`))
    await commit(store)
    store.put(b('a'), b('cache-a')) // before every disk key
    store.put(b('d'), b('cache-d')) // shadows a disk key
    store.delete(b('f')) // hides a disk key
    store.put(b('g'), b('cache-g')) // between disk keys
    store.delete(b('i')) // a delete of a key the disk never had
    store.put(b('k'), b('cache-k')) // after every disk key
    const expected = ['a=cache-a', 'b=disk-b', 'd=cache-d', 'g=cache-g', 'h=disk-h', 'j=disk-j', 'k=cache-k']
    assert.deepEqual(show(store.range()), expected)
    assert.deepEqual(show(store.range(b('c'), b('j'))), ['d=cache-d', 'g=cache-g', 'h=disk-h'])
    assert.deepEqual(show(store.range(b('f'), b('g'))), [])
    assert.equal(store.get(b('f')), undefined)
    assert.deepEqual(store.get(b('h')), b('disk-h'))
    await commit(store)
    assert.deepEqual(show(store.range()), expected)
  })

  test('a range keeps its place across a flush in the middle of it', async (t) => {
    for (const cacheMaxEntries of [0, 1, 10_000]) {
      const store = await openStore(t, { cacheMaxEntries })
      for (let i = 0; i < 40; i += 2) store.put(b(`k${String(i).padStart(2, '0')}`), b(`v${i}`))
      await commit(store)
      for (let i = 1; i < 40; i += 2) store.put(b(`k${String(i).padStart(2, '0')}`), b(`v${i}`))
      const seen: string[] = []
      for (const [key] of store.range()) {
        seen.push(key.toString())
        if (seen.length === 7) await commit(store)
        if (seen.length === 20) {
          store.delete(b('k25'))
          store.put(b('k99'), b('late'))
          await commit(store)
        }
      }
      const expected = Array.from({ length: 40 }, (_, i) => `k${String(i).padStart(2, '0')}`).filter(
        (k) => k !== 'k25',
      )
      assert.deepEqual(seen, [...expected, 'k99'], `cacheMaxEntries ${cacheMaxEntries}`)
    }
  })

  test('dirty entries are never evicted; clean ones beyond cacheMaxEntries are, and are read back from disk', async (t) => {
    const store = await openStore(t, { cacheMaxEntries: 2 })
    for (let i = 0; i < 100; i++) store.put(b(`k${i}`), b(`v${i}`))
    assert.equal(store.unflushedCount(), 100)
    for (let i = 0; i < 100; i++) assert.deepEqual(store.get(b(`k${i}`)), b(`v${i}`))
    await commit(store)
    assert.equal(store.unflushedCount(), 0)
    for (let i = 99; i >= 0; i--) assert.deepEqual(store.get(b(`k${i}`)), b(`v${i}`))
    assert.equal([...store.range()].length, 100)
  })

  test('a restore replaces what the cache holds of the restored keys', async (t) => {
    const store = await openStore(t)
    store.put(b('a'), b('old'))
    store.put(b('b'), b('old'))
    await commit(store)
    assert.deepEqual(store.get(b('a')), b('old')) // now a clean cache entry
    await store.restore([
      { key: b('a'), value: b('new') },
      { key: b('b'), value: null },
    ])
    assert.deepEqual(store.get(b('a')), b('new'))
    assert.equal(store.get(b('b')), undefined)
    assert.deepEqual(show(store.range()), ['a=new'])
  })

  test('approximateCount estimates keys on disk plus cached puts minus cached deletes', async (t) => {
    const store = await openStore(t)
    for (let i = 0; i < 1000; i++) store.put(b(`key-${String(i).padStart(4, '0')}`), Buffer.alloc(40))
    await commit(store)
    assert.equal(store.approximateCount(), 1000)
    store.put(b('extra'), b('1'))
    store.delete(b('key-0000'))
    store.delete(b('key-0001'))
    assert.equal(store.approximateCount(), 999)
    assert.ok(store.approximateBytes() > 1000 * 40, `bytes ${store.approximateBytes()}`)
  })
})

describe('RocksDbStateStore: directory and lifecycle', () => {
  test('a store open elsewhere fails with a retriable FRESHET_STATE_LOCKED; it opens once released', async (t) => {
    const store = await openStore(t)
    store.put(b('a'), b('1'))
    await commit(store, 7n)
    await assert.rejects(RocksDbStateStore.open({ directory: store.directory }), (error: unknown) => {
      assert.ok(isFreshetError(error, 'FRESHET_STATE_LOCKED'), String(error))
      assert.equal(error.retriable, true)
      assert.match(error.message, /is open elsewhere/)
      return true
    })
    const reopened = await reopenStore(t, store)
    assert.deepEqual(reopened.get(b('a')), b('1'))
    assert.equal(reopened.readCheckpoint(), 7n)
  })

  test('a directory of another layout version is refused, not misread', async (t) => {
    const directory = join(tempDir(t), 'store')
    const db = await RocksDb.open(directory, 'future', {
      blockCacheBytes: 0,
      memtableBudgetBytes: 1 << 20,
      compression: false,
    })
    db.write({ data: [], meta: [[Buffer.from('format'), Buffer.from([2])]] })
    await db.close()
    await assert.rejects(RocksDbStateStore.open({ directory }), (error: unknown) => {
      assert.ok(isFreshetError(error, 'FRESHET_STATE_FORMAT_UNSUPPORTED'), String(error))
      assert.match(error.message, /layout version 02/)
      return true
    })
    // The refused open released the directory.
    const again = await RocksDb.open(directory, 'future', {
      blockCacheBytes: 0,
      memtableBudgetBytes: 1 << 20,
      compression: false,
    })
    await again.close()
  })

  test('a killed process leaves the last flush and its checkpoint, and nothing after it', async (t) => {
    const dir = tempDir(t)
    const directory = join(dir, 'store')
    const script = join(dir, 'crash.ts')
    const state = pathToFileURL(join(root, 'src/state/index.ts')).href
    writeFileSync(
      script,
      [
        `import { RocksDbStateStore } from '${state}'`,
        `const store = await RocksDbStateStore.open({ directory: ${JSON.stringify(directory)} })`,
        `for (let i = 0; i < 500; i++) store.put(Buffer.from('committed-' + i), Buffer.from(String(i)))`,
        `store.drainChangelog()`,
        `store.writeCheckpoint(500n)`,
        `await store.flush()`,
        `store.put(Buffer.from('committed-0'), Buffer.from('uncommitted'))`,
        `store.put(Buffer.from('uncommitted'), Buffer.from('x'))`,
        `store.drainChangelog()`,
        `store.writeCheckpoint(900n)`,
        `process.kill(process.pid, 'SIGKILL')`,
      ].join('\n'),
    )
    const run = spawnSync(process.execPath, [script], { encoding: 'utf8' })
    assert.equal(run.signal, 'SIGKILL', run.stderr)
    const store = await RocksDbStateStore.open({ directory })
    defer(t, () => store.close())
    assert.equal(store.readCheckpoint(), 500n)
    assert.equal([...store.range()].length, 500)
    assert.deepEqual(store.get(b('committed-0')), b('0'))
    assert.equal(store.get(b('uncommitted')), undefined)
  })

  test('options are validated where they enter', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{}, /option "directory" is required/],
      [
        { directory: '/tmp/x', cacheSize: 1 },
        /unknown option "cacheSize"; allowed: directory, name, changelog/,
      ],
      [{ directory: '/tmp/x', cacheMaxEntries: -1 }, /"cacheMaxEntries" must be an integer in \[0, /],
      [
        { directory: '/tmp/x', blockCacheBytes: 2 ** 32 },
        /"blockCacheBytes" must be an integer in \[0, 4294967295\]/,
      ],
      [
        { directory: '/tmp/x', memtableBudgetBytes: 1000 },
        /"memtableBudgetBytes" must be an integer in \[1048576, /,
      ],
      [{ directory: '' }, /"directory" must be a non-empty string/],
    ]
    for (const [options, message] of cases) {
      await assert.rejects(RocksDbStateStore.open(options as RocksDbStateStoreOptions), (error: unknown) => {
        assert.ok(isFreshetError(error, 'FRESHET_INVALID_OPTION'), String(error))
        assert.match(error.message, message)
        return true
      })
    }
  })

  test('the store is named after its directory unless named', async (t) => {
    const dir = tempDir(t)
    const named = await RocksDbStateStore.open({ directory: join(dir, 'counts'), name: 'word-counts' })
    const unnamed = await RocksDbStateStore.open({ directory: join(dir, 'totals') })
    assert.equal(named.name, 'word-counts')
    assert.equal(unnamed.name, 'totals')
    await named.close()
    await unnamed.close()
  })
})

/**
 * The RocksDB store against the memory store as a model, on seeded random operations over a small
 * key space (keys of 0-3 bytes from 0x00, 0x01, 0x61, 0xfe, 0xff, so prefixes, the empty key and
 * byte-order edges all come up): every read, scan, drain, checkpoint and count must agree. Reopening
 * drops the real store's unflushed changes; the model is then rebuilt from its last flushed contents.
 */
describe('RocksDbStateStore behaves like MemoryStateStore (seeded model test)', () => {
  const alphabet = [0x00, 0x01, 0x61, 0xfe, 0xff]

  for (const [seed, cacheMaxEntries] of [
    [1, 4],
    [2, 0],
    [3, 10_000],
    [4, 1],
    [5, 16],
  ] as const) {
    test(`seed ${seed}, cacheMaxEntries ${cacheMaxEntries}`, async (t) => {
      const random = seededRandom(seed)
      const pick = (n: number): number => Math.floor(random() * n)
      const bytes = (max: number): Buffer =>
        Buffer.from(Array.from({ length: pick(max + 1) }, () => alphabet[pick(alphabet.length)] as number))
      const maybe = (make: () => Buffer): Buffer | undefined => (random() < 0.3 ? undefined : make())
      const entries = (store: StateStore, gte?: Buffer, lt?: Buffer): string[] =>
        [...store.range(gte, lt)].map(([key, value]) => `${hex(key)}=${hex(value)}`)
      const changelog = (drained: ChangelogEntry[]): string[] =>
        drained.map(({ key, value }) => `${hex(key)}=${value === null ? 'null' : hex(value)}`)

      let real: StateStore = await openStore(t, { cacheMaxEntries })
      let model = new MemoryStateStore({ name: 'model' })
      let flushed: ChangelogEntry[] = []
      let flushedCheckpoint: bigint | null = null
      let offset = 0n
      const counts: Record<string, number> = {}

      for (let step = 0; step < 4000; step++) {
        const roll = random()
        const where = `seed ${seed} step ${step}`
        let op: string
        if (roll < 0.3) {
          op = 'put'
          const key = bytes(3)
          const value = bytes(3)
          real.put(key, value)
          model.put(key, value)
        } else if (roll < 0.45) {
          op = 'delete'
          const key = bytes(3)
          real.delete(key)
          model.delete(key)
        } else if (roll < 0.6) {
          op = 'get'
          const key = bytes(3)
          assert.deepEqual(real.get(key), model.get(key), where)
        } else if (roll < 0.68) {
          op = 'range'
          const gte = maybe(() => bytes(3))
          const lt = maybe(() => bytes(3))
          assert.deepEqual(entries(real, gte, lt), entries(model, gte, lt), where)
        } else if (roll < 0.72) {
          op = 'prefix'
          const prefix = bytes(2)
          assert.deepEqual(
            [...real.prefix(prefix)].map(([k]) => hex(k)),
            [...model.prefix(prefix)].map(([k]) => hex(k)),
            where,
          )
        } else if (roll < 0.78) {
          op = 'scan-and-change'
          // Walk both in lockstep, changing both at random points of the walk.
          const gte = maybe(() => bytes(2))
          const realIt = real.range(gte)
          const modelIt = model.range(gte)
          for (;;) {
            const r = realIt.next()
            const m = modelIt.next()
            assert.equal(r.done, m.done, where)
            if (r.done === true || m.done === true) break
            assert.equal(
              `${hex(r.value[0])}=${hex(r.value[1])}`,
              `${hex(m.value[0])}=${hex(m.value[1])}`,
              where,
            )
            if (random() < 0.3) {
              const key = random() < 0.5 ? r.value[0] : bytes(3)
              if (random() < 0.5) {
                real.delete(key)
                model.delete(key)
              } else {
                const value = bytes(3)
                real.put(key, value)
                model.put(key, value)
              }
            }
            if (random() < 0.05) {
              assert.deepEqual(changelog(await commit(real)), changelog(await commit(model)), where)
              flushed = [...model.range()].map(([key, value]) => ({ key, value }))
            }
            if (random() < 0.1) break
          }
        } else if (roll < 0.88) {
          op = 'commit'
          const nextOffset = random() < 0.7 ? (offset += BigInt(1 + pick(50))) : undefined
          assert.deepEqual(
            changelog(await commit(real, nextOffset)),
            changelog(await commit(model, nextOffset)),
            where,
          )
          flushed = [...model.range()].map(([key, value]) => ({ key, value }))
          flushedCheckpoint = model.readCheckpoint()
        } else if (roll < 0.91) {
          op = 'reopen'
          real = await reopenStore(t, real, { cacheMaxEntries })
          await model.close()
          model = new MemoryStateStore({ name: 'model' })
          await model.restore(flushed, flushedCheckpoint ?? undefined)
        } else if (roll < 0.94) {
          op = 'restore'
          if (real.unflushedCount() === 0) {
            const batch = Array.from({ length: pick(8) }, () => ({
              key: bytes(3),
              value: random() < 0.3 ? null : bytes(3),
            }))
            const nextOffset = random() < 0.5 ? (offset += 10n) : undefined
            await real.restore(batch, nextOffset)
            await model.restore(batch, nextOffset)
            flushed = [...model.range()].map(([key, value]) => ({ key, value }))
            if (nextOffset !== undefined) flushedCheckpoint = nextOffset
          }
        } else {
          op = 'counts'
          assert.equal(real.unflushedCount(), model.unflushedCount(), where)
          assert.equal(real.readCheckpoint(), model.readCheckpoint(), where)
        }
        counts[op] = (counts[op] ?? 0) + 1
      }
      assert.deepEqual(entries(real), entries(model))
      assert.deepEqual(changelog(real.drainChangelog()), changelog(model.drainChangelog()))
      // Every kind of operation ran, so the comparison covered them all.
      for (const op of [
        'put',
        'delete',
        'get',
        'range',
        'prefix',
        'scan-and-change',
        'commit',
        'reopen',
        'restore',
        'counts',
      ]) {
        assert.ok((counts[op] ?? 0) > 10, `${op} ran ${counts[op] ?? 0} times`)
      }
      await model.close()
    })
  }
})
