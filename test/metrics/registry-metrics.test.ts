// The registry's metrics: requests counted by method, route pattern and status, durations, and the
// subjects and schemas it holds; promtool accepts the exposition.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { processRegistry, RegistryMetrics } from '../../src/metrics/index.ts'
import { RegistryClient, startRegistry } from '../../src/registry/index.ts'
import { brokers, randomName } from '../helpers/kafka.ts'
import { parseExposition, promtoolCheck, sample } from './exposition.ts'

const schema = (field: string): string =>
  JSON.stringify({ type: 'record', name: 'R', fields: [{ name: field, type: 'string' }] })

test('registry metrics: requests by route pattern and status, subjects and schemas held', async (t) => {
  const metricsRegistry = processRegistry('registry')
  // Read at scrape time only, once the registry runs.
  const metrics = new RegistryMetrics({ registry: metricsRegistry, status: () => running.status() })
  const running = await startRegistry({
    bootstrapBrokers: brokers(),
    port: 0,
    topic: randomName('_schemas'),
    onRequest: metrics.observe,
  })
  t.after(() => running.close())
  const client = new RegistryClient({ url: running.url })
  await client.register('a-value', schema('x'))
  await client.register('b-value', schema('y'))
  // The same schema again, past the client's cache: the same id.
  const again = await fetch(`${running.url}/subjects/a-value/versions`, {
    method: 'POST',
    headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
    body: JSON.stringify({ schema: schema('x') }),
  })
  assert.equal(again.status, 200)
  assert.equal((await fetch(`${running.url}/subjects/nosuch/versions/1`)).status, 404)
  assert.equal((await fetch(`${running.url}/nothing/here`)).status, 404)

  const text = await metricsRegistry.metrics()
  const samples = parseExposition(text)
  const requests = (method: string, route: string, status: string): number =>
    sample(samples, 'freshet_registry_http_requests_total', { method, route, status })
  assert.equal(requests('POST', '/subjects/:subject/versions', '200'), 3)
  assert.equal(requests('GET', '/subjects/:subject/versions/:version', '404'), 1)
  assert.equal(requests('GET', 'unmatched', '404'), 1)
  assert.ok(
    !samples.some((s) => s.labels.route?.includes('a-value')),
    'a subject never becomes a label value',
  )
  assert.equal(
    sample(samples, 'freshet_registry_http_request_duration_seconds_count', {
      method: 'POST',
      route: '/subjects/:subject/versions',
    }),
    3,
  )
  assert.equal(sample(samples, 'freshet_registry_subjects', {}), 2)
  assert.equal(sample(samples, 'freshet_registry_schemas', {}), 2)
  const check = await promtoolCheck(text)
  assert.equal(check.code, 0, check.output)
})
