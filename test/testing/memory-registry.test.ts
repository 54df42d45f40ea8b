import assert from 'node:assert/strict'
import { test } from 'node:test'
import { MemoryRegistry } from '../../src/testing/index.ts'

test('ids are global per schema text, from the first id given; every call is counted', async () => {
  const registry = new MemoryRegistry(100)
  const a = '{"type":"string"}'
  assert.equal(await registry.register('x-value', a), 100)
  assert.equal(await registry.register('y-value', a), 100, 'the same text under another subject')
  assert.equal(registry.add({ type: 'long' }), 101, 'setup adds without counting')
  assert.equal(await registry.getSchemaById(101), '{"type":"long"}')
  assert.deepEqual(registry.registerCalls, [
    { subject: 'x-value', schema: a },
    { subject: 'y-value', schema: a },
  ])
  assert.deepEqual(registry.getCalls, [101])
  await assert.rejects(registry.getSchemaById(7), { code: 'FRESHET_SCHEMA_NOT_FOUND' })
})

test('an unreachable registry fails every call as one that is down, until it is back', async () => {
  const registry = new MemoryRegistry()
  const id = registry.add('"string"')
  registry.unreachable = true
  await assert.rejects(registry.getSchemaById(id), { code: 'FRESHET_REGISTRY_UNREACHABLE', retriable: true })
  await assert.rejects(registry.register('x-value', '"int"'), { code: 'FRESHET_REGISTRY_UNREACHABLE' })
  registry.unreachable = false
  assert.equal(await registry.getSchemaById(id), '"string"')
})
