// The runnable example of docs/windows-and-time.md must run and print what the page says it prints.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { examples, runExample } from '../stream/doc-examples.ts'

test('the example of docs/windows-and-time.md prints the output shown on the page', () => {
  const example = examples('docs/windows-and-time.md').find((e) => e.section === 'Example')
  assert.ok(example !== undefined, 'the page has an Example section with code and output')
  const run = runExample(example.code)
  assert.equal(run.stderr, '')
  assert.equal(run.status, 0)
  assert.equal(run.stdout, example.output)
})
