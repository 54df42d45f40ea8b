// KafkaAdmin's view of consumer groups against the test broker: a group's lag when a topic it has
// committed offsets on is deleted while the lag is being asked.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { GroupConsumer, KafkaAdmin, KafkaProducer } from '../../src/kafka/index.ts'
import { brokers, randomName, randomTopic } from '../helpers/kafka.ts'
import { topicEndsBeforeItsOffsets } from '../helpers/admin-races.ts'

test('groupLag leaves out a topic deleted while its end offsets are asked, and names it', async (t) => {
  // Root cause: groupLag asked the end offsets of every topic the group had committed offsets on,
  // one after the other, and the error for a topic deleted in between ended the whole call.
  const kept = await randomTopic(t, 'admin-kept', 2)
  const gone = await randomTopic(t, 'admin-gone', 1)
  const groupId = randomName('admin-group')
  const producer = new KafkaProducer({ bootstrapBrokers: brokers() })
  await producer.send(
    [
      { topic: kept, partition: 0 },
      { topic: kept, partition: 1 },
      { topic: gone, partition: 0 },
    ].flatMap((p) => Array.from({ length: 3 }, (_, i) => ({ ...p, value: Buffer.from(`${i}`) }))),
  )
  await producer.close()
  const consumer = new GroupConsumer({ bootstrapBrokers: brokers(), groupId, topics: [kept, gone] })
  t.after(() => consumer.close())
  await consumer.start()
  await consumer.commit([
    { topic: kept, partition: 0, offset: 3n },
    { topic: kept, partition: 1, offset: 1n },
    { topic: gone, partition: 0, offset: 1n },
  ])
  await consumer.close()
  const admin = new KafkaAdmin({ bootstrapBrokers: brokers() })
  t.after(() => admin.close())
  const race = topicEndsBeforeItsOffsets(t, gone)

  const report = await admin.groupLagReport(groupId)
  assert.ok(race.deleted(), `${gone} was deleted while its end offsets were asked`)
  assert.deepEqual(report, {
    partitions: [
      { topic: kept, partition: 0, committedOffset: 3n, endOffset: 3n, lag: 0n },
      { topic: kept, partition: 1, committedOffset: 1n, endOffset: 3n, lag: 2n },
    ],
    deletedTopics: [gone],
  })
  // A topic asked for by name is not left out: that it does not exist is the answer.
  await assert.rejects(admin.groupLag(groupId, gone), { code: 'FRESHET_TOPIC_NOT_FOUND' })
})
