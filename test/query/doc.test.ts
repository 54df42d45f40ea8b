// Every ts block of docs/interactive-queries.md type-checks against the code it documents.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { tsBlocks, typecheckExamples } from '../stream/doc-examples.ts'

test('every ts block of docs/interactive-queries.md type-checks', () => {
  const codes = tsBlocks('docs/interactive-queries.md')
  assert.ok(codes.length >= 1, 'the page has its examples')
  assert.deepEqual(typecheckExamples(codes), { output: '', status: 0 })
})
