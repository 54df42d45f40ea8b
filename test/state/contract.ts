// The StateStore contract, written once and run against every backend (memory-store.test.ts,
// rocksdb-store.test.ts). A backend passes when it behaves exactly like the interface's doc comments.
import assert from 'node:assert/strict'
import { describe, test, type TestContext } from 'node:test'
import { isFreshetError, type ErrorCode } from '../../src/errors/index.ts'
import { UndoLog, type ChangelogEntry, type StateStore } from '../../src/state/index.ts'
import { b, seededRandom, show, showHex } from './helpers.ts'

export interface Backend {
  /** A new, empty store, closed when the test ends. */
  create(t: TestContext, options?: { changelog?: boolean }): Promise<StateStore>
  /** Persistent backends: closes `store` and opens its data again, closed when the test ends. */
  reopen?: (t: TestContext, store: StateStore) => Promise<StateStore>
}

function throwsCode(fn: () => unknown, code: ErrorCode, message?: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(isFreshetError(error, code), `expected ${code}, got ${String(error)}`)
    if (message !== undefined) assert.match(error.message, message)
    return true
  })
}

async function rejectsCode(fn: () => Promise<unknown>, code: ErrorCode): Promise<void> {
  await assert.rejects(fn, (error: unknown) => {
    assert.ok(isFreshetError(error, code), `expected ${code}, got ${String(error)}`)
    return true
  })
}

/** Commits what is pending the way a task does: drain, (produce), checkpoint, flush. */
async function commit(store: StateStore, nextOffset?: bigint): Promise<void> {
  store.drainChangelog()
  if (nextOffset !== undefined) store.writeCheckpoint(nextOffset)
  await store.flush()
}

export function stateStoreContract(backendName: string, backend: Backend): void {
  describe(`StateStore contract: ${backendName}`, () => {
    test('get, put, overwrite and delete; deleting a missing key is allowed', async (t) => {
      const store = await backend.create(t)
      assert.equal(store.state, 'open')
      assert.equal(store.get(b('a')), undefined)
      store.put(b('a'), b('1'))
      assert.deepEqual(store.get(b('a')), b('1'))
      store.put(b('a'), b('2'))
      assert.deepEqual(store.get(b('a')), b('2'))
      store.delete(b('a'))
      assert.equal(store.get(b('a')), undefined)
      store.delete(b('never-there'))
      assert.equal(store.get(b('never-there')), undefined)
    })

    test('the same reads before and after a flush', async (t) => {
      const store = await backend.create(t)
      store.put(b('a'), b('1'))
      store.put(b('b'), b('2'))
      store.put(b('c'), b('3'))
      await commit(store)
      store.delete(b('b'))
      store.put(b('c'), b('33'))
      store.put(b('d'), b('4'))
      assert.deepEqual(show(store.range()), ['a=1', 'c=33', 'd=4'])
      await commit(store)
      assert.deepEqual(show(store.range()), ['a=1', 'c=33', 'd=4'])
      assert.equal(store.get(b('b')), undefined)
      assert.deepEqual(store.get(b('c')), b('33'))
    })

    test('keys and values are copied in; returned buffers are the caller’s', async (t) => {
      const store = await backend.create(t)
      const key = b('key')
      const value = b('value')
      store.put(key, value)
      key.write('KEY')
      value.write('VALUE')
      assert.deepEqual(store.get(b('key')), b('value'))
      assert.equal(store.get(b('KEY')), undefined)
      const read = store.get(b('key')) as Buffer
      read.write('XXXXX')
      assert.deepEqual(store.get(b('key')), b('value'))
      await commit(store)
      const [[scannedKey, scannedValue]] = [...store.range()] as [[Buffer, Buffer]]
      scannedKey.write('zzz')
      scannedValue.write('zzzzz')
      assert.deepEqual(show(store.range()), ['key=value'])
    })

    test('plain Uint8Array keys and values are accepted like Buffers', async (t) => {
      const store = await backend.create(t)
      const backing = new Uint8Array([9, 9, 1, 2, 3, 9])
      store.put(backing.subarray(2, 5), new Uint8Array([7, 8]))
      assert.deepEqual(store.get(Buffer.from([1, 2, 3])), Buffer.from([7, 8]))
      assert.deepEqual(store.get(new Uint8Array([1, 2, 3])), Buffer.from([7, 8]))
      assert.deepEqual(showHex(store.range(new Uint8Array([1]), new Uint8Array([2]))), ['010203=0708'])
    })

    test('the empty key and empty values are ordinary entries', async (t) => {
      const store = await backend.create(t)
      store.put(Buffer.alloc(0), b('empty-key'))
      store.put(b('k'), Buffer.alloc(0))
      assert.deepEqual(store.get(Buffer.alloc(0)), b('empty-key'))
      assert.deepEqual(store.get(b('k')), Buffer.alloc(0))
      assert.deepEqual(show(store.range()), ['=empty-key', 'k='])
      await commit(store)
      assert.deepEqual(store.get(Buffer.alloc(0)), b('empty-key'))
      assert.deepEqual(store.get(b('k')), Buffer.alloc(0))
      assert.deepEqual(show(store.range()), ['=empty-key', 'k='])
    })

    test('range is in unsigned byte order with [gte, lt) bounds', async (t) => {
      const store = await backend.create(t)
      const keys = ['ff', '00', '7f', '80', '0000', '00ff', '01', 'ff00', 'ffff', '']
      for (const [i, key] of keys.entries()) store.put(Buffer.from(key, 'hex'), Buffer.from([i]))
      // Half flushed, half cached: the order must not depend on where an entry lives.
      await commit(store)
      store.put(Buffer.from('7f00', 'hex'), Buffer.from([99]))
      store.delete(Buffer.from('ff00', 'hex'))
      const order = (gte?: string, lt?: string): string[] =>
        [
          ...store.range(
            gte === undefined ? undefined : Buffer.from(gte, 'hex'),
            lt === undefined ? undefined : Buffer.from(lt, 'hex'),
          ),
        ].map(([key]) => key.toString('hex'))
      assert.deepEqual(order(), ['', '00', '0000', '00ff', '01', '7f', '7f00', '80', 'ff', 'ffff'])
      assert.deepEqual(order('00', '7f'), ['00', '0000', '00ff', '01'])
      assert.deepEqual(order('0001', '7f01'), ['00ff', '01', '7f', '7f00'])
      assert.deepEqual(order('80'), ['80', 'ff', 'ffff'])
      assert.deepEqual(order(undefined, '01'), ['', '00', '0000', '00ff'])
      assert.deepEqual(order('', '00'), [''])
      assert.deepEqual(order('7f', '7f'), [])
      assert.deepEqual(order('80', '7f'), [])
      assert.deepEqual(order(undefined, ''), [], 'nothing is below the empty key')
    })

    test('keys gives the keys of range, bounds and order included, from the cache and the disk alike', async (t) => {
      const store = await backend.create(t)
      for (const key of ['00', '0000', '01', '7f', '80', 'ff', 'ffff'])
        store.put(Buffer.from(key, 'hex'), b('v'))
      await commit(store)
      store.put(Buffer.from('7f00', 'hex'), b('w'))
      store.delete(Buffer.from('80', 'hex'))
      const keysOf = (gte?: string, lt?: string): string[] =>
        [
          ...store.keys(
            gte === undefined ? undefined : Buffer.from(gte, 'hex'),
            lt === undefined ? undefined : Buffer.from(lt, 'hex'),
          ),
        ].map((key) => key.toString('hex'))
      const rangeOf = (gte?: string, lt?: string): string[] =>
        [
          ...store.range(
            gte === undefined ? undefined : Buffer.from(gte, 'hex'),
            lt === undefined ? undefined : Buffer.from(lt, 'hex'),
          ),
        ].map(([key]) => key.toString('hex'))
      assert.deepEqual(keysOf(), ['00', '0000', '01', '7f', '7f00', 'ff', 'ffff'])
      for (const [gte, lt] of [
        ['00', '7f'],
        ['0001', '80'],
        ['', '01'],
        ['7f', undefined],
        [undefined, ''],
      ]) {
        assert.deepEqual(keysOf(gte, lt), rangeOf(gte, lt), `keys(${gte}, ${lt})`)
      }
    })

    test('prefix scans include the prefix itself and nothing beside it', async (t) => {
      const store = await backend.create(t)
      for (const key of ['a', 'ab', 'abc', 'abd', 'ac', 'b', 'aa']) store.put(b(key), b(key.toUpperCase()))
      store.put(Buffer.from('ff', 'hex'), b('x'))
      store.put(Buffer.from('ffff', 'hex'), b('y'))
      store.put(Buffer.from('fe', 'hex'), b('z'))
      await commit(store)
      store.put(b('abb'), b('ABB'))
      store.delete(b('abc'))
      assert.deepEqual(show(store.prefix(b('ab'))), ['ab=AB', 'abb=ABB', 'abd=ABD'])
      assert.deepEqual(show(store.prefix(b('a'))), ['a=A', 'aa=AA', 'ab=AB', 'abb=ABB', 'abd=ABD', 'ac=AC'])
      assert.deepEqual(show(store.prefix(b('abz'))), [])
      assert.deepEqual(showHex(store.prefix(Buffer.from('ff', 'hex'))), ['ff=78', 'ffff=79'])
      assert.equal([...store.prefix(Buffer.alloc(0))].length, 10, 'the empty prefix is everything')
    })

    test('changes made while iterating are seen from the current position on', async (t) => {
      const store = await backend.create(t)
      for (const key of ['a', 'c', 'e', 'g', 'i']) store.put(b(key), b(key))
      await commit(store)
      store.put(b('k'), b('k'))
      const seen: string[] = []
      for (const [key] of store.range()) {
        const k = key.toString()
        seen.push(k)
        if (k === 'c') {
          store.delete(b('c')) // the current key
          store.delete(b('g')) // ahead, on disk: skipped
          store.delete(b('k')) // ahead, cached: skipped
          store.put(b('f'), b('f')) // ahead: visited
          store.put(b('b'), b('b')) // behind: not visited
        }
        if (k === 'f') store.put(b('e'), b('E')) // behind now
      }
      assert.deepEqual(seen, ['a', 'c', 'e', 'f', 'i'])
      assert.deepEqual(show(store.range()), ['a=a', 'b=b', 'e=E', 'f=f', 'i=i'])
    })

    test('rewriting the current key while scanning, with any value, visits each key once', async (t) => {
      const store = await backend.create(t)
      for (const key of ['a', 'b', 'c']) store.put(b(key), Buffer.from([0]))
      await commit(store)
      const seen: string[] = []
      for (const [key, value] of store.range()) {
        seen.push(key.toString())
        if (seen.length > 3) break // visited again: fail below rather than loop forever
        // A longer value, and one that sorts above every other byte: the key still comes once.
        store.put(key, Buffer.concat([value, Buffer.from([0xff, 0xff])]))
      }
      assert.deepEqual(seen, ['a', 'b', 'c'])
      assert.deepEqual(showHex(store.range()), ['61=00ffff', '62=00ffff', '63=00ffff'])
    })

    test('keys and values made of 0x00 and 0xff bytes: reads and scans agree with a sorted model', async (t) => {
      const store = await backend.create(t)
      const random = seededRandom(5)
      const alphabet = [0x00, 0x01, 0xfe, 0xff]
      const bytes = (max: number): Buffer =>
        Buffer.from(
          Array.from(
            { length: Math.floor(random() * (max + 1)) },
            () => alphabet[Math.floor(random() * 4)] as number,
          ),
        )
      const model = new Map<string, string>()
      const expected = (gte?: Buffer, lt?: Buffer): string[] =>
        [...model.entries()]
          .filter(
            ([key]) =>
              (gte === undefined || Buffer.compare(Buffer.from(key, 'hex'), gte) >= 0) &&
              (lt === undefined || Buffer.compare(Buffer.from(key, 'hex'), lt) < 0),
          )
          .sort(([x], [y]) => Buffer.compare(Buffer.from(x, 'hex'), Buffer.from(y, 'hex')))
          .map(([key, value]) => `${key}=${value}`)
      for (let step = 0; step < 3000; step++) {
        const key = bytes(4)
        if (random() < 0.7) {
          const value = bytes(3)
          store.put(key, value)
          model.set(key.toString('hex'), value.toString('hex'))
        } else {
          store.delete(key)
          model.delete(key.toString('hex'))
        }
        const probe = bytes(4)
        assert.equal(
          store.get(probe)?.toString('hex'),
          model.get(probe.toString('hex')),
          `get at step ${step}`,
        )
        if (step % 300 === 299) {
          await commit(store)
          const gte = random() < 0.3 ? undefined : bytes(3)
          const lt = random() < 0.3 ? undefined : bytes(3)
          assert.deepEqual(showHex(store.range(gte, lt)), expected(gte, lt), `range at step ${step}`)
        }
      }
      assert.deepEqual(showHex(store.range()), expected())
    })

    test('deleting every entry of a range while scanning it (window expiry)', async (t) => {
      const store = await backend.create(t)
      for (let i = 0; i < 300; i++) store.put(b(`w${String(i).padStart(3, '0')}`), b(String(i)))
      await commit(store)
      for (let i = 300; i < 400; i++) store.put(b(`w${String(i).padStart(3, '0')}`), b(String(i)))
      let visited = 0
      for (const [key] of store.range(b('w'), b('w350'))) {
        store.delete(key)
        visited++
      }
      assert.equal(visited, 350)
      assert.deepEqual(
        [...store.range()].map(([key]) => key.toString()),
        Array.from({ length: 50 }, (_, i) => `w${350 + i}`),
      )
    })

    test('drainChangelog: one entry per key, latest value, null for deletes, in first-change order', async (t) => {
      const store = await backend.create(t)
      assert.deepEqual(store.drainChangelog(), [])
      store.put(b('b'), b('1'))
      store.put(b('a'), b('1'))
      store.put(b('b'), b('2'))
      store.delete(b('a'))
      store.delete(b('missing'))
      store.put(b('c'), b('3'))
      const drained = store.drainChangelog()
      assert.deepEqual(
        drained.map(({ key, value }) => [key.toString(), value === null ? null : value.toString()]),
        [
          ['b', '2'],
          ['a', null],
          ['missing', null],
          ['c', '3'],
        ],
      )
      assert.deepEqual(store.drainChangelog(), [], 'a drain empties the buffer')
      store.put(b('a'), b('again'))
      assert.deepEqual(
        store.drainChangelog().map(({ key, value }) => `${key}=${value}`),
        ['a=again'],
      )
    })

    test('flush refuses changes that were not drained to the changelog', async (t) => {
      const store = await backend.create(t)
      store.put(b('a'), b('1'))
      await rejectsCode(() => store.flush(), 'FRESHET_STATE_CHANGELOG_NOT_DRAINED')
      assert.equal(store.unflushedCount(), 1, 'a refused flush persists nothing')
      store.drainChangelog()
      await store.flush()
      assert.equal(store.unflushedCount(), 0)
      assert.deepEqual(store.get(b('a')), b('1'))
    })

    test('changelog: false tracks nothing and flushes freely', async (t) => {
      const store = await backend.create(t, { changelog: false })
      store.put(b('a'), b('1'))
      store.delete(b('b'))
      assert.deepEqual(store.drainChangelog(), [])
      await store.flush()
      assert.deepEqual(store.get(b('a')), b('1'))
    })

    test('unflushedCount counts changed keys until the next flush', async (t) => {
      const store = await backend.create(t)
      assert.equal(store.unflushedCount(), 0)
      store.put(b('a'), b('1'))
      store.put(b('b'), b('1'))
      store.put(b('a'), b('2'))
      store.delete(b('c'))
      assert.equal(store.unflushedCount(), 3)
      await commit(store)
      assert.equal(store.unflushedCount(), 0)
    })

    test('restore applies puts and deletes in order, without logging them', async (t) => {
      const store = await backend.create(t)
      store.put(b('stale'), b('x'))
      store.put(b('kept'), b('k'))
      await commit(store, 5n)
      await store.restore(
        [
          { key: b('a'), value: b('1') },
          { key: b('stale'), value: null },
          { key: b('a'), value: b('2') },
          { key: b('b'), value: b('1') },
          { key: b('b'), value: null },
          { key: b('c'), value: b('3') },
        ],
        17n,
      )
      assert.deepEqual(show(store.range()), ['a=2', 'c=3', 'kept=k'])
      assert.deepEqual(store.drainChangelog(), [], 'restored records are not logged again')
      assert.equal(store.unflushedCount(), 0)
      assert.equal(store.readCheckpoint(), 17n)
      await store.restore([{ key: b('d'), value: b('4') }])
      assert.equal(store.readCheckpoint(), 17n, 'a restore without an offset keeps the checkpoint')
      assert.deepEqual(store.get(b('d')), b('4'))
    })

    test('restore refuses a store with unflushed changes', async (t) => {
      const store = await backend.create(t)
      store.put(b('a'), b('1'))
      await rejectsCode(
        () => store.restore([{ key: b('a'), value: b('2') }]),
        'FRESHET_STATE_UNFLUSHED_CHANGES',
      )
      assert.deepEqual(store.get(b('a')), b('1'))
    })

    test('checkpoints: none at first, the last written one after, invalid offsets refused', async (t) => {
      const store = await backend.create(t)
      assert.equal(store.readCheckpoint(), null)
      store.writeCheckpoint(0n)
      assert.equal(store.readCheckpoint(), 0n)
      store.writeCheckpoint(9_007_199_254_740_993n)
      assert.equal(store.readCheckpoint(), 9_007_199_254_740_993n)
      await store.flush()
      assert.equal(store.readCheckpoint(), 9_007_199_254_740_993n)
      store.writeCheckpoint((1n << 63n) - 1n)
      for (const bad of [-1n, 1n << 63n, 5 as unknown as bigint, null as unknown as bigint]) {
        throwsCode(() => store.writeCheckpoint(bad), 'FRESHET_STATE_CHECKPOINT_INVALID')
      }
      await rejectsCode(() => store.restore([], -2n), 'FRESHET_STATE_CHECKPOINT_INVALID')
      assert.equal(store.readCheckpoint(), (1n << 63n) - 1n)
    })

    test('approximate count and bytes follow the data', async (t) => {
      const store = await backend.create(t)
      assert.equal(store.approximateCount(), 0)
      for (let i = 0; i < 100; i++) store.put(b(`key-${i}`), Buffer.alloc(40, i))
      assert.equal(store.approximateCount(), 100)
      const cachedBytes = store.approximateBytes()
      assert.ok(cachedBytes >= 100 * 45, `bytes ${cachedBytes}`)
      await commit(store)
      assert.equal(store.approximateCount(), 100)
      assert.ok(store.approximateBytes() > 0)
    })

    test('an undo log takes back a record’s writes: data, changelog entries and their order, unflushed keys', async (t) => {
      const store = await backend.create(t)
      const undo = new UndoLog()
      store.setUndoLog(undo)
      store.put(b('a'), b('1'))
      store.put(b('z'), b('26'))
      await commit(store) // a and z on disk (RocksDB), nothing pending
      store.put(b('b'), b('2')) // pending and unflushed before the record
      store.delete(b('z'))

      undo.begin()
      store.put(b('a'), b('10'))
      store.delete(b('b'))
      store.put(b('c'), b('3'))
      store.put(b('c'), b('4'))
      store.delete(b('missing'))
      store.put(b('a'), b('11'))
      store.put(b('z'), b('back'))
      assert.deepEqual(show(store.range()), ['a=11', 'c=4', 'z=back'])
      assert.equal(undo.size, 7)
      undo.rollback()

      assert.deepEqual(show(store.range()), ['a=1', 'b=2'])
      assert.equal(store.get(b('a'))?.toString(), '1')
      assert.equal(store.get(b('c')), undefined)
      assert.equal(store.get(b('z')), undefined)
      assert.equal(store.unflushedCount(), 2, 'b and z, changed before the record')
      assert.deepEqual(
        store.drainChangelog().map((e) => `${e.key.toString()}=${e.value?.toString() ?? null}`),
        ['b=2', 'z=null'],
      )
      await store.flush()
      assert.equal(store.get(b('a'))?.toString(), '1', 'the rolled-back write never reaches the disk')
    })

    test('an undo log keeps what a record that went through wrote, and logs nothing outside a record', async (t) => {
      const store = await backend.create(t)
      const undo = new UndoLog()
      store.setUndoLog(undo)
      undo.begin()
      store.put(b('kept'), b('1'))
      undo.end()
      store.put(b('outside'), b('2'))
      assert.equal(undo.size, 0)
      undo.begin()
      undo.rollback()
      store.setUndoLog(undefined)
      undo.begin()
      store.put(b('unlogged'), b('3'))
      undo.rollback()
      assert.deepEqual(show(store.range()), ['kept=1', 'outside=2', 'unlogged=3'])
    })

    test('undo against a model: random records, some rolled back, with commits between them', async (t) => {
      const store = await backend.create(t)
      const undo = new UndoLog()
      store.setUndoLog(undo)
      const random = seededRandom(7)
      const data = new Map<string, string>()
      let pending = new Map<string, string | null>()
      let unflushed = new Set<string>()
      const changelogText = (entries: ChangelogEntry[]): string[] =>
        entries.map((e) => `${e.key.toString()}=${e.value?.toString() ?? null}`)
      for (let record = 0; record < 400; record++) {
        const failing = random() < 0.4
        const before = { data: new Map(data), pending: new Map(pending), unflushed: new Set(unflushed) }
        undo.begin()
        const writes = 1 + Math.floor(random() * 5)
        for (let w = 0; w < writes; w++) {
          const key = `k${Math.floor(random() * 24)}`
          unflushed.add(key)
          if (random() < 0.3) {
            store.delete(b(key))
            data.delete(key)
            pending.set(key, null)
          } else {
            const value = `${record}.${w}`
            store.put(b(key), b(value))
            data.set(key, value)
            pending.set(key, value)
          }
        }
        if (failing) {
          undo.rollback()
          data.clear()
          for (const [key, value] of before.data) data.set(key, value)
          pending = before.pending
          unflushed = before.unflushed
        } else {
          undo.end()
        }
        const sorted = [...data].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))
        assert.deepEqual(
          show(store.range()),
          sorted.map(([key, value]) => `${key}=${value}`),
          `record ${record}`,
        )
        assert.equal(store.unflushedCount(), unflushed.size, `unflushed keys after record ${record}`)
        if (random() < 0.1) {
          assert.deepEqual(
            changelogText(store.drainChangelog()),
            [...pending].map(([key, value]) => `${key}=${value}`),
            `changelog after record ${record}`,
          )
          pending = new Map()
          unflushed = new Set()
          await store.flush()
          assert.equal(store.unflushedCount(), 0)
        }
      }
    })

    test('after close every operation fails naming the state; closing again is a no-op', async (t) => {
      const store = await backend.create(t)
      store.put(b('a'), b('1'))
      await commit(store)
      const iterator = store.range()
      await store.close()
      assert.equal(store.state, 'closed')
      await store.close()
      const calls: Array<[string, () => unknown]> = [
        ['get', () => store.get(b('a'))],
        ['put', () => store.put(b('a'), b('1'))],
        ['delete', () => store.delete(b('a'))],
        ['range', () => store.range()],
        ['prefix', () => store.prefix(b('a'))],
        ['approximateCount', () => store.approximateCount()],
        ['approximateBytes', () => store.approximateBytes()],
        ['unflushedCount', () => store.unflushedCount()],
        ['drainChangelog', () => store.drainChangelog()],
        ['writeCheckpoint', () => store.writeCheckpoint(1n)],
        ['readCheckpoint', () => store.readCheckpoint()],
        ['iterate', () => iterator.next()],
      ]
      for (const [operation, call] of calls) {
        throwsCode(call, 'FRESHET_INVALID_STATE', new RegExp(`cannot ${operation} in state CLOSED`))
      }
      await rejectsCode(() => store.flush(), 'FRESHET_INVALID_STATE')
      await rejectsCode(() => store.restore([]), 'FRESHET_INVALID_STATE')
    })

    if (backend.reopen !== undefined) {
      const reopen = backend.reopen

      test('flushed data and checkpoint survive a reopen; unflushed changes do not', async (t) => {
        let store = await backend.create(t)
        store.put(b('a'), b('1'))
        store.put(b('b'), b('2'))
        await commit(store, 41n)
        store.put(b('a'), b('changed'))
        store.delete(b('b'))
        store.put(b('c'), b('new'))
        store.drainChangelog()
        store.writeCheckpoint(99n)
        store = await reopen(t, store)
        assert.deepEqual(show(store.range()), ['a=1', 'b=2'])
        assert.equal(store.readCheckpoint(), 41n)
        assert.deepEqual(store.drainChangelog(), [])
      })

      test('a restore with an offset is persisted with its checkpoint', async (t) => {
        let store = await backend.create(t)
        await store.restore(
          [
            { key: b('x'), value: b('1') },
            { key: b('y'), value: b('2') },
          ],
          3n,
        )
        store = await reopen(t, store)
        assert.deepEqual(show(store.range()), ['x=1', 'y=2'])
        assert.equal(store.readCheckpoint(), 3n)
      })
    }
  })
}
