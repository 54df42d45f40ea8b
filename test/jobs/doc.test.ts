// Every example of docs/jobs.md runs and prints what the page says it prints, and every ts block on
// the page (the runnable ones and the snippets) type-checks.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { examples, runExample, tsBlocks, typecheckExamples } from '../stream/doc-examples.ts'

const PAGE = 'docs/jobs.md'
const found = examples(PAGE)

test('docs/jobs.md has its runnable examples', () => {
  assert.ok(found.length >= 2, `${found.length} examples`)
})

for (const example of found) {
  test(`docs/jobs.md, ${example.section}: the example prints what the page shows`, () => {
    const run = runExample(example.code)
    assert.equal(run.stderr, '')
    assert.equal(run.status, 0)
    assert.equal(run.stdout, example.output)
  })
}

test('every ts block of docs/jobs.md type-checks', () => {
  const codes = tsBlocks(PAGE)
  assert.equal(codes.length, found.length, 'every ts block is a runnable example')
  const { output, status } = typecheckExamples(codes)
  assert.equal(output, '')
  assert.equal(status, 0)
})
