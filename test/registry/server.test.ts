import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { MemoryLog } from '../../src/registry/memory-log.ts'
import { serveRegistry, type ListeningRegistry } from '../../src/registry/server.ts'
import { RegistryStore } from '../../src/registry/store.ts'

const V1 = 'application/vnd.schemaregistry.v1+json'

const record = (name: string, fields: unknown[]): string => JSON.stringify({ type: 'record', name, fields })
const USER_V1 = record('User', [{ name: 'id', type: 'int' }])
const USER_V2 = record('User', [
  { name: 'id', type: 'long' },
  { name: 'email', type: ['null', 'string'], default: null },
])
const USER_BAD = record('User', [
  { name: 'id', type: 'long' },
  { name: 'name', type: 'string' },
])

interface Answer {
  status: number
  body: unknown
  contentType: string | null
}

let registry: ListeningRegistry
let store: RegistryStore
let log: MemoryLog

async function api(method: string, path: string, body?: unknown, contentType = V1): Promise<Answer> {
  const response = await fetch(`${registry.url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': contentType },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  })
  const text = await response.text()
  return {
    status: response.status,
    body: text.length > 0 ? JSON.parse(text) : undefined,
    contentType: response.headers.get('content-type'),
  }
}

/** Asserts a Confluent error answer: status, error_code and a message. */
function assertError(answer: Answer, errorCode: number, message?: RegExp): void {
  const status = Number(String(errorCode).slice(0, 3))
  assert.equal(answer.status, status, JSON.stringify(answer.body))
  const body = answer.body as { error_code: number; message: string }
  assert.equal(body.error_code, errorCode, body.message)
  assert.equal(typeof body.message, 'string')
  if (message) assert.match(body.message, message)
}

let counter = 0
const fresh = (name: string): string => `${name}-${++counter}`

before(async () => {
  log = new MemoryLog()
  store = new RegistryStore(log.connect(), { writeTimeoutMs: 2_000 })
  await store.start()
  registry = await serveRegistry(store, { host: '127.0.0.1', port: 0 })
})

after(async () => {
  await registry.close()
  await store.close()
})

describe('registry HTTP API', () => {
  test('GET / and /schemas/types', async () => {
    const root = await api('GET', '/')
    assert.equal(root.status, 200)
    assert.deepEqual(root.body, {})
    assert.equal(root.contentType, V1)
    assert.deepEqual((await api('GET', '/schemas/types')).body, ['AVRO'])
  })

  test('register, fetch by id, by version and latest', async () => {
    const subject = fresh('users-value')
    const first = await api('POST', `/subjects/${subject}/versions`, { schema: USER_V1 })
    assert.equal(first.status, 200)
    const id = (first.body as { id: number }).id
    assert.ok(Number.isInteger(id) && id >= 1)

    const byId = await api('GET', `/schemas/ids/${id}`)
    assert.deepEqual(byId.body, { schema: USER_V1 })
    const raw = await api('GET', `/schemas/ids/${id}/schema`)
    assert.deepEqual(raw.body, JSON.parse(USER_V1))

    const second = await api('POST', `/subjects/${subject}/versions`, { schema: USER_V2, schemaType: 'AVRO' })
    const id2 = (second.body as { id: number }).id
    assert.notEqual(id2, id)

    assert.deepEqual((await api('GET', `/subjects/${subject}/versions`)).body, [1, 2])
    assert.deepEqual((await api('GET', `/subjects/${subject}/versions/1`)).body, {
      subject,
      version: 1,
      id,
      schema: USER_V1,
    })
    for (const latest of ['latest', '-1']) {
      const answer = await api('GET', `/subjects/${subject}/versions/${latest}`)
      assert.equal((answer.body as { version: number }).version, 2)
      assert.equal((answer.body as { id: number }).id, id2)
    }
    assert.deepEqual((await api('GET', `/subjects/${subject}/versions/2/schema`)).body, JSON.parse(USER_V2))
    assert.deepEqual((await api('GET', `/schemas/ids/${id2}/subjects`)).body, [subject])
    assert.deepEqual((await api('GET', `/schemas/ids/${id2}/versions`)).body, [{ subject, version: 2 }])
    assert.ok(((await api('GET', '/subjects')).body as string[]).includes(subject))
  })

  test('registering the same schema again returns its id without a new version', async () => {
    const subject = fresh('same')
    const a = await api('POST', `/subjects/${subject}/versions`, { schema: USER_V1 })
    const before = log.entries.length
    const reformatted = JSON.stringify(JSON.parse(USER_V1), null, 2)
    const b = await api('POST', `/subjects/${subject}/versions`, { schema: reformatted })
    assert.deepEqual(b.body, a.body)
    assert.equal(log.entries.length, before, 'nothing written')
    assert.deepEqual((await api('GET', `/subjects/${subject}/versions`)).body, [1])
  })

  test('the same schema under another subject gets the same global id', async () => {
    const schema = record(fresh('Shared').replace('-', '_'), [{ name: 'x', type: 'string' }])
    const a = await api('POST', `/subjects/${fresh('one')}/versions`, { schema })
    const b = await api('POST', `/subjects/${fresh('two')}/versions`, { schema })
    assert.deepEqual(a.body, b.body)
  })

  test('ids are global and increase: a new schema gets the next id', async () => {
    const a = (await api('POST', `/subjects/${fresh('ids')}/versions`, { schema: '"string"' })).body as {
      id: number
    }
    const schema = record(fresh('Next').replace('-', '_'), [{ name: 'x', type: 'int' }])
    const b = (await api('POST', `/subjects/${fresh('ids')}/versions`, { schema })).body as { id: number }
    assert.ok(b.id > a.id)
  })

  test('an incompatible schema is refused with 409 and says why', async () => {
    const subject = fresh('compat')
    await api('POST', `/subjects/${subject}/versions`, { schema: USER_V1 })
    const refused = await api('POST', `/subjects/${subject}/versions`, { schema: USER_BAD })
    assertError(refused, 409, /incompatible.*User\.name.*no default/)
    assert.deepEqual((await api('GET', `/subjects/${subject}/versions`)).body, [1])
  })

  test('invalid Avro and unsupported schema types are 42201', async () => {
    assertError(await api('POST', `/subjects/${fresh('bad')}/versions`, { schema: '{"type":"nope"}' }), 42201)
    assertError(await api('POST', `/subjects/${fresh('bad')}/versions`, { schema: 'not json' }), 42201)
    assertError(await api('POST', `/subjects/${fresh('bad')}/versions`, {}), 42201)
    assertError(
      await api('POST', `/subjects/${fresh('bad')}/versions`, {
        schema: '{"type":"object"}',
        schemaType: 'JSON',
      }),
      42201,
      /JSON/,
    )
    assertError(
      await api('POST', `/subjects/${fresh('bad')}/versions`, {
        schema: USER_V1,
        references: [{ name: 'x', subject: 'y', version: 1 }],
      }),
      42201,
      /references/,
    )
  })

  test('lookup under a subject: 200 with the version, 40403 for an unregistered schema, 40401 for no subject', async () => {
    const subject = fresh('lookup')
    const { id } = (await api('POST', `/subjects/${subject}/versions`, { schema: USER_V1 })).body as {
      id: number
    }
    const found = await api('POST', `/subjects/${subject}`, { schema: USER_V1 })
    assert.deepEqual(found.body, { subject, version: 1, id, schema: USER_V1 })
    assertError(await api('POST', `/subjects/${subject}`, { schema: USER_V2 }), 40403)
    assertError(await api('POST', `/subjects/${fresh('nobody')}`, { schema: USER_V1 }), 40401)
  })

  test('not found and invalid version errors', async () => {
    const subject = fresh('nf')
    assertError(await api('GET', `/subjects/${subject}/versions`), 40401)
    assertError(await api('GET', `/subjects/${subject}/versions/1`), 40401)
    await api('POST', `/subjects/${subject}/versions`, { schema: USER_V1 })
    assertError(await api('GET', `/subjects/${subject}/versions/9`), 40402)
    assertError(await api('GET', `/subjects/${subject}/versions/0`), 42202)
    assertError(await api('GET', `/subjects/${subject}/versions/abc`), 42202)
    assertError(await api('GET', '/schemas/ids/99999'), 40403)
    assertError(await api('GET', '/schemas/ids/99999/subjects'), 40403)
  })

  test('soft and permanent deletion of versions: 40406, 40407', async () => {
    const subject = fresh('delv')
    await api('PUT', `/config/${subject}`, { compatibility: 'NONE' })
    await api('POST', `/subjects/${subject}/versions`, { schema: USER_V1 })
    const { id: id2 } = (await api('POST', `/subjects/${subject}/versions`, { schema: USER_BAD })).body as {
      id: number
    }
    assertError(await api('DELETE', `/subjects/${subject}/versions/2?permanent=true`), 40407)
    assert.equal((await api('DELETE', `/subjects/${subject}/versions/latest`)).body, 2)
    assertError(await api('DELETE', `/subjects/${subject}/versions/2`), 40406)
    assert.deepEqual((await api('GET', `/subjects/${subject}/versions`)).body, [1])
    assert.deepEqual((await api('GET', `/subjects/${subject}/versions?deleted=true`)).body, [1, 2])
    assertError(await api('GET', `/subjects/${subject}/versions/2`), 40402)
    assert.equal(
      ((await api('GET', `/subjects/${subject}/versions/2?deleted=true`)).body as { id: number }).id,
      id2,
    )
    assert.equal(
      (await api('GET', `/schemas/ids/${id2}`)).status,
      200,
      'a soft-deleted schema is still served by id',
    )
    assert.equal((await api('DELETE', `/subjects/${subject}/versions/2?permanent=true`)).body, 2)
    assertError(await api('GET', `/subjects/${subject}/versions/2?deleted=true`), 40402)
    assertError(await api('GET', `/schemas/ids/${id2}`), 40403)
    assertError(await api('DELETE', `/subjects/${subject}/versions/7`), 40402)
    assertError(await api('DELETE', `/subjects/${fresh('none')}/versions/1`), 40401)
  })

  test('soft and permanent deletion of subjects: 40404, 40405, version numbers continue', async () => {
    const subject = fresh('dels')
    await api('POST', `/subjects/${subject}/versions`, { schema: USER_V1 })
    await api('POST', `/subjects/${subject}/versions`, { schema: USER_V2 })
    await api('PUT', `/config/${subject}`, { compatibility: 'FULL' })
    assertError(await api('DELETE', `/subjects/${subject}?permanent=true`), 40405)
    assert.deepEqual((await api('DELETE', `/subjects/${subject}`)).body, [1, 2])
    assertError(await api('DELETE', `/subjects/${subject}`), 40404)
    assert.ok(!((await api('GET', '/subjects')).body as string[]).includes(subject))
    assert.ok(((await api('GET', '/subjects?deleted=true')).body as string[]).includes(subject))
    assertError(await api('GET', `/config/${subject}`), 40408, /compatibility/)
    assertError(await api('POST', `/subjects/${subject}`, { schema: USER_V1 }), 40401)
    assert.equal(
      (
        (await api('POST', `/subjects/${subject}?deleted=true`, { schema: USER_V1 })).body as {
          version: number
        }
      ).version,
      1,
    )

    // Registering again after a soft delete continues the version numbers, with the same id.
    const oldId = ((await api('GET', `/subjects/${subject}/versions/1?deleted=true`)).body as { id: number })
      .id
    assert.deepEqual((await api('POST', `/subjects/${subject}/versions`, { schema: USER_V1 })).body, {
      id: oldId,
    })
    assert.deepEqual((await api('GET', `/subjects/${subject}/versions`)).body, [3])

    assert.deepEqual((await api('DELETE', `/subjects/${subject}`)).body, [3])
    assert.deepEqual((await api('DELETE', `/subjects/${subject}?permanent=true`)).body, [1, 2, 3])
    assert.ok(!((await api('GET', '/subjects?deleted=true')).body as string[]).includes(subject))
    assertError(await api('DELETE', `/subjects/${subject}`), 40401)
  })

  test('global and subject config', async () => {
    assert.deepEqual((await api('GET', '/config')).body, { compatibilityLevel: 'BACKWARD' })
    const subject = fresh('cfg')
    assertError(await api('GET', `/config/${subject}`), 40408)
    assert.deepEqual((await api('GET', `/config/${subject}?defaultToGlobal=true`)).body, {
      compatibilityLevel: 'BACKWARD',
    })
    assert.deepEqual((await api('PUT', `/config/${subject}`, { compatibility: 'full_transitive' })).body, {
      compatibility: 'FULL_TRANSITIVE',
    })
    assert.deepEqual((await api('GET', `/config/${subject}`)).body, { compatibilityLevel: 'FULL_TRANSITIVE' })
    assertError(await api('PUT', `/config/${subject}`, { compatibility: 'SOMETIMES' }), 42203)
    assertError(await api('PUT', '/config', { compatibility: 'SOMETIMES' }), 42203)
    assert.deepEqual((await api('DELETE', `/config/${subject}`)).body, {
      compatibilityLevel: 'FULL_TRANSITIVE',
    })
    assertError(await api('GET', `/config/${subject}`), 40408)
  })

  test('the subject level governs registration', async () => {
    const subject = fresh('level')
    await api('PUT', `/config/${subject}`, { compatibility: 'NONE' })
    await api('POST', `/subjects/${subject}/versions`, { schema: USER_V1 })
    assert.equal((await api('POST', `/subjects/${subject}/versions`, { schema: USER_BAD })).status, 200)
    await api('PUT', `/config/${subject}`, { compatibility: 'FORWARD' })
    // Old readers must read the new schema: dropping the required "name" breaks them.
    const withoutName = record('User', [{ name: 'id', type: 'long' }])
    assertError(await api('POST', `/subjects/${subject}/versions`, { schema: withoutName }), 409, /FORWARD/)
  })

  test('compatibility checks with and without verbose', async () => {
    const subject = fresh('check')
    await api('POST', `/subjects/${subject}/versions`, { schema: USER_V1 })
    const good = await api('POST', `/compatibility/subjects/${subject}/versions/latest`, { schema: USER_V2 })
    assert.deepEqual(good.body, { is_compatible: true })
    const bad = await api('POST', `/compatibility/subjects/${subject}/versions/1?verbose=true`, {
      schema: USER_BAD,
    })
    const body = bad.body as { is_compatible: boolean; messages: string[] }
    assert.equal(body.is_compatible, false)
    assert.equal(body.messages.length, 1)
    assert.match(body.messages[0] ?? '', /version 1.*User\.name.*no default/)
    const all = await api('POST', `/compatibility/subjects/${subject}/versions?verbose=true`, {
      schema: USER_V2,
    })
    assert.deepEqual(all.body, { is_compatible: true, messages: [] })
    assert.deepEqual(
      (await api('POST', `/compatibility/subjects/${fresh('empty')}/versions/latest`, { schema: USER_V1 }))
        .body,
      { is_compatible: true },
    )
    assertError(
      await api('POST', `/compatibility/subjects/${subject}/versions/5`, { schema: USER_V1 }),
      40402,
    )
    assertError(
      await api('POST', `/compatibility/subjects/${subject}/versions/latest`, { schema: '{' }),
      42201,
    )
  })

  test('content types: Confluent, plain JSON and vnd.schemaregistry+json are accepted, others 415', async () => {
    for (const type of [
      V1,
      'application/json',
      'application/vnd.schemaregistry+json',
      'application/json; charset=utf-8',
    ]) {
      const answer = await api('POST', `/subjects/${fresh('ct')}/versions`, { schema: '"int"' }, type)
      assert.equal(answer.status, 200, type)
    }
    const refused = await api('POST', `/subjects/${fresh('ct')}/versions`, { schema: '"int"' }, 'text/plain')
    assert.equal(refused.status, 415)
    assert.equal((await api('POST', `/subjects/${fresh('ct')}/versions`, '{"schema": ')).status, 400)
  })

  test('unknown paths are 404, wrong methods 405', async () => {
    assert.equal((await api('GET', '/nope')).status, 404)
    assert.equal((await api('PATCH', '/config')).status, 405)
  })

  test('subject names are percent-decoded', async () => {
    const subject = `${fresh('odd')}/with space:and.dots`
    const path = `/subjects/${encodeURIComponent(subject)}/versions`
    assert.equal((await api('POST', path, { schema: '"bytes"' })).status, 200)
    assert.ok(((await api('GET', '/subjects')).body as string[]).includes(subject))
  })
})

describe('registry HTTP API: modes', () => {
  test('READONLY refuses writes with 42205 and allows reads; READWRITE restores them', async () => {
    const subject = fresh('ro')
    await api('POST', `/subjects/${subject}/versions`, { schema: USER_V1 })
    assert.deepEqual((await api('PUT', '/mode', { mode: 'READONLY' })).body, { mode: 'READONLY' })
    try {
      assert.deepEqual((await api('GET', '/mode')).body, { mode: 'READONLY' })
      assertError(await api('POST', `/subjects/${subject}/versions`, { schema: USER_V2 }), 42205)
      assertError(await api('DELETE', `/subjects/${subject}`), 42205)
      assertError(await api('DELETE', `/subjects/${subject}/versions/1`), 42205)
      assert.equal((await api('GET', `/subjects/${subject}/versions/latest`)).status, 200)
    } finally {
      await api('PUT', '/mode', { mode: 'READWRITE' })
    }
    assert.equal((await api('POST', `/subjects/${subject}/versions`, { schema: USER_V2 })).status, 200)
  })

  test('invalid modes are 42204; subject modes override the global one', async () => {
    assertError(await api('PUT', '/mode', { mode: 'SLEEPY' }), 42204)
    const subject = fresh('sm')
    assertError(await api('GET', `/mode/${subject}`), 40409)
    assert.deepEqual((await api('GET', `/mode/${subject}?defaultToGlobal=true`)).body, { mode: 'READWRITE' })
    await api('PUT', `/mode/${subject}`, { mode: 'READONLY' })
    assertError(await api('POST', `/subjects/${subject}/versions`, { schema: USER_V1 }), 42205)
    assert.equal((await api('POST', `/subjects/${fresh('other')}/versions`, { schema: USER_V1 })).status, 200)
    assert.deepEqual((await api('DELETE', `/mode/${subject}`)).body, { mode: 'READONLY' })
    assert.equal((await api('POST', `/subjects/${subject}/versions`, { schema: USER_V1 })).status, 200)
  })

  test('IMPORT keeps the given ids and versions and needs an empty subject unless forced', async () => {
    const subject = fresh('imp')
    await api('POST', `/subjects/${subject}/versions`, { schema: '"long"' })
    assertError(await api('PUT', `/mode/${subject}`, { mode: 'IMPORT' }), 42205, /existing/)
    const target = fresh('imp')
    assert.deepEqual((await api('PUT', `/mode/${target}`, { mode: 'IMPORT' })).body, { mode: 'IMPORT' })
    assertError(
      await api('POST', `/subjects/${target}/versions`, { schema: '"float"' }),
      42205,
      /id is required/,
    )
    const imported = await api('POST', `/subjects/${target}/versions`, {
      schema: '"float"',
      id: 50_000,
      version: 4,
    })
    assert.deepEqual(imported.body, { id: 50_000 })
    assert.deepEqual((await api('GET', `/subjects/${target}/versions/4`)).body, {
      subject: target,
      version: 4,
      id: 50_000,
      schema: '"float"',
    })
    assertError(
      await api('POST', `/subjects/${target}/versions`, { schema: '"double"', id: 50_000 }),
      42205,
      /id 50000/,
    )
    await api('DELETE', `/mode/${target}`)
    assertError(await api('POST', `/subjects/${target}/versions`, { schema: '"double"', id: 50_001 }), 42205)
    // New ids continue above the imported one.
    const next = await api('POST', `/subjects/${target}/versions`, { schema: '"double"' })
    assert.ok((next.body as { id: number }).id > 50_000)
  })
})
