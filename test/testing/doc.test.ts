// The examples of docs/test-driver.md run and print what the page says they print.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { examples, runExample } from '../stream/doc-examples.ts'

const found = examples('docs/test-driver.md')

test('docs/test-driver.md has its three examples', () => {
  assert.deepEqual(
    found.map((e) => e.section),
    [
      'Example',
      'Schemas: what a worker decodes and encodes',
      'Sinks with a serde, and the in-memory registry',
    ],
  )
})

for (const example of found) {
  test(`docs/test-driver.md, ${example.section}: the example prints what the page shows`, () => {
    const run = runExample(example.code)
    assert.equal(run.stderr, '')
    assert.equal(run.status, 0)
    assert.equal(run.stdout, example.output)
  })
}
