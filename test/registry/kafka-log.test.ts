/** The registry log on the run's real broker. */
import assert from 'node:assert/strict'
import { describe, test, type TestContext } from 'node:test'
import { isFreshetError } from '../../src/errors/index.ts'
import { KafkaAdmin } from '../../src/kafka/index.ts'
import { KafkaLog } from '../../src/registry/kafka-log.ts'
import { decodeRecord } from '../../src/registry/records.ts'
import { RegistryStore } from '../../src/registry/store.ts'
import type { LogEntry, RegistryLog } from '../../src/registry/types.ts'
import { brokers, createTopics, randomName } from '../helpers/kafka.ts'

/** A random registry topic name, deleted when the test ends. */
function registryTopic(t: TestContext): string {
  const topic = randomName('_schemas')
  t.after(async () => {
    const admin = new KafkaAdmin({ bootstrapBrokers: brokers() })
    try {
      await admin.deleteTopics([topic])
    } catch {
      // never created
    } finally {
      await admin.close()
    }
  })
  return topic
}

function openLog(topic: string): KafkaLog {
  return new KafkaLog({ bootstrapBrokers: brokers(), topic, replicas: 1, clientId: 'freshet-registry-test' })
}

/** Collects the entries a log delivers; `until(n)` resolves once n have arrived. */
function collector(): {
  entries: LogEntry[]
  onEntries: (e: LogEntry[]) => void
  until: (n: number) => Promise<void>
} {
  const entries: LogEntry[] = []
  let wake: (() => void) | undefined
  return {
    entries,
    onEntries: (batch) => {
      entries.push(...batch)
      wake?.()
    },
    until: async (n) => {
      while (entries.length < n) await new Promise<void>((resolve) => (wake = resolve))
    },
  }
}

/** The topic's records from the start to its current end. */
async function readAll(topic: string): Promise<LogEntry[]> {
  const log = openLog(topic)
  const seen = collector()
  try {
    await log.start(seen.onEntries)
    await seen.until(Number(await log.endOffset()))
  } finally {
    await log.close()
  }
  return seen.entries
}

describe('KafkaLog', () => {
  test('creates a compacted single-partition topic, appends at consecutive offsets and tails from the start', async (t) => {
    const topic = registryTopic(t)
    const first = openLog(topic)
    const seen = collector()
    await first.start(seen.onEntries)
    t.after(() => first.close())

    const admin = new KafkaAdmin({ bootstrapBrokers: brokers() })
    try {
      const description = await admin.describeTopic(topic)
      assert.equal(description.partitions.length, 1)
      assert.equal(description.configs['cleanup.policy'], 'compact')
    } finally {
      await admin.close()
    }

    assert.equal(await first.endOffset(), 0n)
    const last = await first.append([
      { key: Buffer.from('{"k":1}'), value: Buffer.from('one') },
      { key: Buffer.from('{"k":2}'), value: null },
    ])
    assert.equal(last, 1n)
    assert.equal(await first.append([{ key: Buffer.from('{"k":3}'), value: Buffer.from('three') }]), 2n)
    assert.equal(await first.endOffset(), 3n)
    await seen.until(3)
    assert.deepEqual(
      seen.entries.map((e) => [e.offset, e.key?.toString(), e.value?.toString() ?? null]),
      [
        [0n, '{"k":1}', 'one'],
        [1n, '{"k":2}', null],
        [2n, '{"k":3}', 'three'],
      ],
    )

    // A second reader (another instance, or this one restarted) sees the whole log from offset 0.
    const second = openLog(topic)
    const again = collector()
    await second.start(again.onEntries)
    t.after(() => second.close())
    await again.until(3)
    assert.deepEqual(
      again.entries.map((e) => e.offset),
      [0n, 1n, 2n],
    )
  })

  test('two registry stores racing on one topic: the write protocol resolves the conflict over Kafka', async (t) => {
    const topic = registryTopic(t)
    // Both appends are held until both writers have planned from the same state, then released.
    const waiting: Array<() => void> = []
    let parties = 0
    const gated = (log: KafkaLog): RegistryLog => ({
      start: (onEntries) => log.start(onEntries),
      endOffset: () => log.endOffset(),
      close: () => log.close(),
      append: async (records) => {
        if (parties > 1) {
          await new Promise<void>((resolve) => {
            waiting.push(resolve)
            if (waiting.length === parties) {
              parties = 0
              for (const release of waiting) release()
            }
          })
        }
        return log.append(records)
      },
    })
    const a = new RegistryStore(gated(openLog(topic)), { writeTimeoutMs: 20_000 })
    const b = new RegistryStore(gated(openLog(topic)), { writeTimeoutMs: 20_000 })
    await a.start()
    await b.start()
    t.after(() => Promise.all([a.close(), b.close()]))
    await a.setConfig('s', 'NONE')

    parties = 2
    const x = JSON.stringify({ type: 'record', name: 'X', fields: [{ name: 'a', type: 'int' }] })
    const y = JSON.stringify({ type: 'record', name: 'Y', fields: [{ name: 'b', type: 'int' }] })
    const [fromA, fromB] = await Promise.all([a.register('s', { schema: x }), b.register('s', { schema: y })])
    assert.deepEqual([fromA.id, fromB.id].sort(), [1, 2])
    await a.catchUp()
    await b.catchUp()
    assert.deepEqual(a.state.versions('s'), b.state.versions('s'))
    assert.deepEqual(
      a.state.versions('s').map((v) => [v.version, v.id]),
      [
        [1, 1],
        [2, 2],
      ],
    )
    // The topic holds the losing record, the repair of its key and the retried registration.
    const schemaRecords = []
    for (const e of await readAll(topic))
      if (decodeRecord(e.key, e.value)?.kind === 'schema') schemaRecords.push(e)
    assert.equal(schemaRecords.length, 4)
  })

  test('refuses a topic with more than one partition', async (t) => {
    const topic = randomName('_schemas')
    await createTopics(t, [{ topic, partitions: 2 }])
    const log = openLog(topic)
    await assert.rejects(
      log.start(() => undefined),
      (error: unknown) =>
        isFreshetError(error, 'FRESHET_REGISTRY_ERROR') && /2 partitions/.test((error as Error).message),
    )
    await log.close()
  })
})
