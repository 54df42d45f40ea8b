// Watermark markers through a repartition topic under exactly-once, against the real broker: while
// no watermark moves, no marker is written (the repartition topic's end stays put, an idle upstream
// task included); a worker that takes the downstream tasks over after a stop takes every upstream
// task's latest marker back from the committed checkpoints, so its windows close without waiting
// for an idle upstream task to write again.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { KafkaAdmin, KafkaProducer } from '../../src/kafka/index.ts'
import { Worker } from '../../src/runtime/index.ts'
import { awaitRecords, brokers, randomName, randomTopic, readToEnd } from '../helpers/kafka.ts'
import { countTopology, oracle, sortCounts, TYPES, type Count, type Input } from './counts.ts'

/** Events `from` .. `to - 1` (event time = sequence number, ms), all into partition 0. */
async function produce(topic: string, from: number, to: number): Promise<Input[]> {
  const events = Array.from({ length: to - from }, (_, i): Input => {
    const seq = from + i
    return { seq, type: TYPES[seq % TYPES.length] as string, timestamp: seq }
  })
  const producer = new KafkaProducer({ bootstrapBrokers: brokers() })
  try {
    await producer.send(events.map((e) => ({ topic, partition: 0, value: Buffer.from(JSON.stringify(e)) })))
  } finally {
    await producer.close()
  }
  return events
}

async function endOffsets(topic: string): Promise<bigint[]> {
  const admin = new KafkaAdmin({ bootstrapBrokers: brokers() })
  try {
    return [...(await admin.endOffsets(topic)).values()]
  } finally {
    await admin.close()
  }
}

test('exactly-once: no marker while no watermark moves; a takeover restores every upstream marker and closes windows', async (t) => {
  const input = await randomTopic(t, 'markers-in', 2)
  const output = await randomTopic(t, 'markers-out', 2)
  const applicationId = randomName('markers')
  const topology = countTopology(applicationId, input, output)
  const repartition = topology.description.topics.repartition[0] as string
  const options = {
    bootstrapBrokers: brokers(),
    topology,
    processingGuarantee: 'exactly-once' as const,
    maxOutOfOrdernessMs: 0,
    // Partition 1 never gets a record: its upstream task goes idle and says so once.
    idleTimeoutMs: 500,
  }
  const first = new Worker({ ...options, workerId: 'a' })
  t.after(() => first.stop().catch(() => {}))
  await first.start()
  const events = await produce(input, 0, 3_000)
  // [0, 1000) and [1000, 2000) close: three types each.
  await awaitRecords(output, 6)
  // Both upstream tasks are idle by now, and nothing moves: the repartition topic stays as it is.
  await sleep(1_500)
  const settled = await endOffsets(repartition)
  await sleep(3_000)
  assert.deepEqual(await endOffsets(repartition), settled, 'markers written while no watermark moved')
  await first.stop()

  const second = new Worker({ ...options, workerId: 'b' })
  t.after(() => second.stop().catch(() => {}))
  await second.start()
  events.push(...(await produce(input, 3_000, 6_000)))
  // Closing [2000, 3000) .. [4000, 5000) needs the idle upstream task's marker: from the checkpoint.
  await awaitRecords(output, 15, { timeoutMs: 30_000 })
  await second.stop()
  const counts = (await readToEnd(output)).map(
    (r) => JSON.parse((r.value as Buffer).toString('utf8')) as Count,
  )
  assert.deepEqual(sortCounts(counts), oracle(events, 5_000))
})
