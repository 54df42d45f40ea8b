import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { test } from 'node:test'
import { KafkaProducer, type Compression } from '../../src/kafka/index.ts'
import { bootstrap, brokers, randomTopic, readToSentinel } from '../helpers/kafka.ts'

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

    // kcat first: it reads to the end of the log, where readToSentinel leaves its sentinel.
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

    const got = await readToSentinel(topic)
    assert.deepEqual(
      got.map((r) => r.value!.toString()),
      values,
    )
  })
}
