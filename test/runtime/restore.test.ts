import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { PartitionReader, type OutRecord } from '../../src/kafka/index.ts'
import { restoreStore, type RestoreProgress } from '../../src/runtime/restore.ts'
import { MemoryStateStore } from '../../src/state/index.ts'
import { brokers, randomTopic, testTransactional } from '../helpers/kafka.ts'

function reader(t: TestContext): PartitionReader {
  const r = new PartitionReader({ bootstrapBrokers: brokers() })
  t.after(() => r.close())
  return r
}

function entries(topic: string, pairs: Array<[string, string | null]>): OutRecord[] {
  return pairs.map(([key, value]) => ({
    topic,
    partition: 0,
    key: Buffer.from(key),
    value: value === null ? null : Buffer.from(value),
  }))
}

function contents(store: MemoryStateStore): Record<string, string> {
  return Object.fromEntries([...store.range()].map(([key, value]) => [key.toString(), value.toString()]))
}

test('a restore includes a transaction of the changelog that commits while it starts', async (t) => {
  // A new owner restores right after the previous one committed: the group's offsets already show
  // that commit while its marker may not be in the changelog yet. Here the transaction commits
  // 300 ms after the restore began; a restore that read the last stable offset at once would stop
  // before it, with the state before the commit.
  const changelog = await randomTopic(t, 'restore-settle', 1)
  const owner = testTransactional(t)
  await owner.init()
  await owner.begin()
  await owner.send(
    entries(changelog, [
      ['a', '1'],
      ['b', '1'],
    ]),
  )
  await owner.commit()
  await owner.begin()
  await owner.send(
    entries(changelog, [
      ['a', '2'],
      ['b', null],
      ['c', '1'],
    ]),
  )
  const progress: RestoreProgress[] = []
  const restoring = restoreStore(reader(t), async () => new MemoryStateStore({ name: 'sums' }), {
    topic: changelog,
    partition: 0,
    settleTimeoutMs: 30_000,
    onProgress: (p) => progress.push(p),
  })
  await sleep(300)
  assert.equal(progress.length, 0, 'the restore waits for the open transaction before it reads')
  await owner.commit()
  const store = (await restoring) as MemoryStateStore
  t.after(() => store.close())
  assert.deepEqual(contents(store), { a: '2', c: '1' })
  assert.deepEqual(progress.at(-1), { restoredRecords: 7, totalRecords: 7, done: true })
})

test('a restore fails, retriably, while a transaction of the changelog stays undecided', async (t) => {
  const changelog = await randomTopic(t, 'restore-open', 1)
  const zombie = testTransactional(t)
  await zombie.init()
  await zombie.begin()
  await zombie.send(entries(changelog, [['a', '1']]))
  await assert.rejects(
    restoreStore(reader(t), async () => new MemoryStateStore({ name: 'sums' }), {
      topic: changelog,
      partition: 0,
      settleTimeoutMs: 500,
      onProgress: () => {},
    }),
    (error: unknown) => {
      assert.equal((error as { code?: string }).code, 'FRESHET_KAFKA_ERROR')
      assert.equal((error as { retriable?: boolean }).retriable, true)
      return true
    },
  )
  await zombie.abort()
})
