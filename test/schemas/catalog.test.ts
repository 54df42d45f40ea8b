import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { ErrorCodes, FreshetError } from '../../src/errors/index.ts'
import {
  knownSchemaNames,
  knownSchemas,
  loadSchema,
  readSchemaFile,
  TransactionEventSchema,
  UserEventSchema,
} from '../../src/schemas/index.ts'

test('known schemas are found by file, type and full name', () => {
  assert.deepEqual(knownSchemaNames(), ['analytics_result', 'transaction_event', 'user_event'])
  assert.equal(knownSchemas.user_event, UserEventSchema)
  for (const name of ['user_event', 'UserEvent', 'dev.freshet.events.UserEvent'])
    assert.equal(loadSchema(name), UserEventSchema)
  assert.equal(loadSchema('transaction_event'), TransactionEventSchema)
  assert.equal(UserEventSchema.source, 'schemas/user_event.avsc')
})

test('an unknown name is FRESHET_SCHEMA_NOT_FOUND listing the known ones', () => {
  assert.throws(
    () => loadSchema('OrderEvent'),
    (error: unknown) =>
      error instanceof FreshetError &&
      error.code === ErrorCodes.SCHEMA_NOT_FOUND.code &&
      error.message.includes('user_event') &&
      !error.retriable,
  )
})

test('readSchemaFile validates an .avsc from disk', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'freshet-catalog-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const good = join(dir, 'good.avsc')
  await writeFile(
    good,
    JSON.stringify({ type: 'record', name: 'Good', namespace: 'x', fields: [{ name: 'a', type: 'int' }] }),
  )
  const schema = await readSchemaFile(good)
  assert.equal(schema.name, 'x.Good')
  assert.equal(schema.source, good)
  const bad = join(dir, 'bad.avsc')
  await writeFile(bad, JSON.stringify({ type: 'record', name: 'Bad' }))
  const code = (c: string) => (error: unknown) => error instanceof FreshetError && error.code === c
  await assert.rejects(readSchemaFile(bad), code(ErrorCodes.SCHEMA_INVALID.code))
  await assert.rejects(readSchemaFile(join(dir, 'missing.avsc')), code(ErrorCodes.SCHEMA_NOT_FOUND.code))
})
