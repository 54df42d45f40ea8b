import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, test } from 'node:test'
import { isFreshetError } from '../../src/errors/index.ts'
import { RegistryClient } from '../../src/registry/client.ts'
import { MemoryLog } from '../../src/registry/memory-log.ts'
import { serveRegistry, type ListeningRegistry } from '../../src/registry/server.ts'
import { RegistryStore } from '../../src/registry/store.ts'
import type { SchemaRegistryClient } from '../../src/serde/index.ts'

const USER = JSON.stringify({ type: 'record', name: 'User', fields: [{ name: 'id', type: 'int' }] })
const USER_V2 = JSON.stringify({
  type: 'record',
  name: 'User',
  fields: [
    { name: 'id', type: 'int' },
    { name: 'name', type: 'string', default: '' },
  ],
})
const USER_BAD = JSON.stringify({
  type: 'record',
  name: 'User',
  fields: [
    { name: 'id', type: 'int' },
    { name: 'name', type: 'string' },
  ],
})

let registry: ListeningRegistry
let store: RegistryStore

before(async () => {
  store = new RegistryStore(new MemoryLog().connect(), { writeTimeoutMs: 2_000 })
  await store.start()
  registry = await serveRegistry(store, { host: '127.0.0.1', port: 0 })
})

after(async () => {
  await registry.close()
  await store.close()
})

/** A stub HTTP server answering every request with `reply`; counts the requests. */
async function stub(reply: (count: number) => { status: number; body: string } | 'hang'): Promise<{
  url: string
  requests: () => number
  close: () => Promise<void>
}> {
  let count = 0
  const server: Server = createServer((req, res) => {
    count++
    req.resume()
    const answer = reply(count)
    if (answer === 'hang') return
    res.writeHead(answer.status, { 'content-type': 'application/vnd.schemaregistry.v1+json' })
    res.end(answer.body)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests: () => count,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

function freshetError(code: string, errorCode?: number, retriable?: boolean) {
  return (error: unknown): boolean =>
    isFreshetError(error) &&
    error.code === code &&
    (errorCode === undefined || error.details?.errorCode === errorCode) &&
    (retriable === undefined || error.retriable === retriable)
}

describe('RegistryClient against the registry', () => {
  test('is what the serde needs', () => {
    const client: SchemaRegistryClient = new RegistryClient({ url: registry.url })
    assert.equal(typeof client.getSchemaById, 'function')
  })

  test('register, getSchemaById, getLatest, lookup, listings', async () => {
    const client = new RegistryClient({ url: registry.url })
    const id = await client.register('client-users', USER)
    assert.equal(await client.getSchemaById(id), USER)
    const id2 = await client.register('client-users', USER_V2)
    assert.notEqual(id2, id)
    assert.deepEqual(await client.getLatest('client-users'), {
      subject: 'client-users',
      id: id2,
      version: 2,
      schema: USER_V2,
    })
    assert.deepEqual(await client.getVersion('client-users', 1), {
      subject: 'client-users',
      id,
      version: 1,
      schema: USER,
    })
    assert.equal((await client.lookup('client-users', USER)).version, 1)
    assert.ok((await client.listSubjects()).includes('client-users'))
    assert.deepEqual(await client.listVersions('client-users'), [1, 2])
    await client.register('client-users-copy', USER)
    assert.deepEqual((await client.subjectsOf(id)).sort(), ['client-users', 'client-users-copy'])
  })

  test('checkCompatibility, with messages when verbose', async () => {
    const client = new RegistryClient({ url: registry.url })
    await client.register('client-compat', USER)
    assert.deepEqual(await client.checkCompatibility('client-compat', USER_V2), {
      compatible: true,
      messages: [],
    })
    const refused = await client.checkCompatibility('client-compat', USER_BAD, {
      version: 'latest',
      verbose: true,
    })
    assert.equal(refused.compatible, false)
    assert.match(refused.messages.join('\n'), /User\.name/)
  })

  test('compatibility level and mode', async () => {
    const client = new RegistryClient({ url: registry.url })
    assert.equal(await client.getCompatibility('client-level'), 'BACKWARD')
    await client.setCompatibility('FULL', 'client-level')
    assert.equal(await client.getCompatibility('client-level'), 'FULL')
    assert.equal(await client.getCompatibility(), 'BACKWARD')
    assert.equal(await client.getMode(), 'READWRITE')
  })

  test('deleteSubject, soft then permanent', async () => {
    const client = new RegistryClient({ url: registry.url })
    await client.register('client-del', USER)
    assert.deepEqual(await client.deleteSubject('client-del'), [1])
    assert.deepEqual(await client.deleteSubject('client-del', { permanent: true }), [1])
    assert.ok(!(await client.listSubjects({ deleted: true })).includes('client-del'))
  })

  test('error mapping: 40403 SCHEMA_NOT_FOUND, 409 SCHEMA_INCOMPATIBLE, 42201 SCHEMA_INVALID, others REGISTRY_ERROR', async () => {
    const client = new RegistryClient({ url: registry.url })
    await assert.rejects(
      client.getSchemaById(987_654),
      freshetError('FRESHET_SCHEMA_NOT_FOUND', 40403, false),
    )
    await client.register('client-errors', USER)
    await assert.rejects(
      client.register('client-errors', USER_BAD),
      freshetError('FRESHET_SCHEMA_INCOMPATIBLE', 409, false),
    )
    await assert.rejects(
      client.register('client-errors', '{"type":"wat"}'),
      freshetError('FRESHET_SCHEMA_INVALID', 42201),
    )
    await assert.rejects(
      client.getLatest('client-nobody'),
      freshetError('FRESHET_REGISTRY_ERROR', 40401, false),
    )
  })
})

describe('RegistryClient: an unreachable or failing registry', () => {
  test('connection refused is REGISTRY_UNREACHABLE and retriable', async () => {
    const gone = await stub(() => ({ status: 200, body: '{}' }))
    await gone.close()
    const client = new RegistryClient({ url: gone.url })
    await assert.rejects(
      client.getSchemaById(1),
      freshetError('FRESHET_REGISTRY_UNREACHABLE', undefined, true),
    )
  })

  test('a timeout is REGISTRY_UNREACHABLE and retriable', async (t) => {
    const slow = await stub(() => 'hang')
    t.after(() => slow.close())
    const client = new RegistryClient({ url: slow.url, timeoutMs: 100 })
    await assert.rejects(client.register('s', USER), (error: unknown) => {
      assert.ok(freshetError('FRESHET_REGISTRY_UNREACHABLE', undefined, true)(error))
      assert.match((error as Error).message, /no answer within 100 ms/)
      return true
    })
  })

  test('a 5xx answer is REGISTRY_UNREACHABLE and retriable, keeping the error code', async (t) => {
    const failing = await stub(() => ({ status: 500, body: '{"error_code":50001,"message":"store down"}' }))
    t.after(() => failing.close())
    const client = new RegistryClient({ url: failing.url })
    await assert.rejects(client.getSchemaById(1), freshetError('FRESHET_REGISTRY_UNREACHABLE', 50001, true))
  })

  test('schemas by id are cached, concurrent asks share a request, failures are not cached', async (t) => {
    const server = await stub((count) =>
      count === 1
        ? { status: 503, body: 'busy' }
        : { status: 200, body: JSON.stringify({ schema: '"int"' }) },
    )
    t.after(() => server.close())
    const client = new RegistryClient({ url: server.url })
    await assert.rejects(client.getSchemaById(3), freshetError('FRESHET_REGISTRY_UNREACHABLE'))
    const answers = await Promise.all([client.getSchemaById(3), client.getSchemaById(3)])
    assert.deepEqual(answers, ['"int"', '"int"'])
    assert.equal(await client.getSchemaById(3), '"int"')
    assert.equal(server.requests(), 2)
  })

  test('registrations are cached per subject and schema', async (t) => {
    const server = await stub(() => ({ status: 200, body: '{"id":12}' }))
    t.after(() => server.close())
    const client = new RegistryClient({ url: server.url })
    assert.equal(await client.register('a', USER), 12)
    assert.equal(await client.register('a', USER), 12)
    assert.equal(server.requests(), 1)
    await client.register('b', USER)
    assert.equal(server.requests(), 2)
  })

  test('options are validated', () => {
    assert.throws(() => new RegistryClient({ url: 'localhost:8081' }), freshetError('FRESHET_INVALID_OPTION'))
    assert.throws(
      () => new RegistryClient({ url: 'http://x', timeout: 5 } as never),
      (error: unknown) =>
        freshetError('FRESHET_INVALID_OPTION')(error) &&
        /unknown option "timeout"/.test((error as Error).message),
    )
  })
})
