import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { test } from 'node:test'
import { GroupConsumer, KafkaProducer, type Compression, type InRecord } from '../../src/kafka/index.ts'
import { bootstrap, brokers, randomName, randomTopic } from '../helpers/kafka.ts'

for (const compression of ['gzip', 'snappy', 'lz4', 'zstd'] as Compression[]) {
  test(`${compression}: batches are readable by freshet and by kcat (librdkafka)`, async (t) => {
    const topic = await randomTopic(t, `compression-${compression}`, 1)
    const producer = new KafkaProducer({ bootstrapBrokers: brokers(), compression })
    t.after(() => producer.close())
    // Repetitive values so that every codec actually shrinks them.
    const values = Array.from({ length: 500 }, (_, i) => `event-${i}-${'x'.repeat(200)}`)
    await producer.send(
      values.map((v, i) => ({ topic, key: Buffer.from(`k${i % 7}`), value: Buffer.from(v) })),
    )

    const consumer = new GroupConsumer({
      bootstrapBrokers: brokers(),
      groupId: randomName('g'),
      topics: [topic],
      fromBeginning: true,
    })
    t.after(() => consumer.close())
    await consumer.start()
    const got: InRecord[] = []
    while (got.length < values.length) got.push(...(await consumer.nextBatch()))
    assert.deepEqual(
      got.map((r) => r.value!.toString()),
      values,
    )

    const kcat = spawnSync(
      'kcat',
      ['-b', bootstrap(), '-t', topic, '-C', '-o', 'beginning', '-e', '-q', '-f', '%s\n'],
      {
        encoding: 'utf8',
        maxBuffer: 16 * 1024 * 1024,
      },
    )
    assert.equal(kcat.status, 0, kcat.stderr)
    assert.deepEqual(kcat.stdout.trimEnd().split('\n'), values)
  })
}
