// The example of docs/test-driver.md runs and prints what the page says it prints.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { examples, runExample } from '../stream/doc-examples.ts'

test('docs/test-driver.md: the example prints what the page shows', () => {
  const found = examples('docs/test-driver.md')
  assert.equal(found.length, 1)
  const run = runExample((found[0] as { code: string }).code)
  assert.equal(run.stderr, '')
  assert.equal(run.status, 0)
  assert.equal(run.stdout, (found[0] as { output: string }).output)
})
