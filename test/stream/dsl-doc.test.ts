// Every example of docs/dsl.md runs and prints what the page says it prints.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { examples, runExample, typecheckExamples } from './doc-examples.ts'

const found = examples('docs/dsl.md')

test('docs/dsl.md has a runnable example for each operator family', () => {
  assert.ok(found.length >= 15, `${found.length} examples`)
})

for (const example of found) {
  test(`docs/dsl.md, ${example.section}: the example prints what the page shows`, () => {
    const run = runExample(example.code)
    assert.equal(run.stderr, '')
    assert.equal(run.status, 0)
    assert.equal(run.stdout, example.output)
  })
}

test('the examples of docs/dsl.md and docs/test-driver.md type-check', () => {
  const codes = [...found, ...examples('docs/test-driver.md')].map((e) => e.code)
  const { output, status } = typecheckExamples(codes)
  assert.equal(output, '')
  assert.equal(status, 0)
})
