import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Counter } from 'prom-client'
import { MetricsServer, processRegistry, type Readiness } from '../../src/metrics/index.ts'
import { parseExposition, promtoolCheck, sample } from './exposition.ts'

test('/metrics serves the registry in the text format promtool accepts; /health and /ready answer', async (t) => {
  const registry = processRegistry('test')
  const counter = new Counter({
    name: 'freshet_test_events_total',
    help: 'Events.',
    labelNames: ['kind'],
    registers: [registry],
  })
  counter.inc({ kind: 'a' }, 3)
  let readiness: Readiness = { ready: false, reason: 'restoring' }
  const server = new MetricsServer({ registry, readiness: () => readiness })
  t.after(() => server.close())
  const url = await server.start()
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/)

  const metrics = await fetch(`${url}/metrics`)
  assert.equal(metrics.status, 200)
  assert.match(metrics.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/)
  const text = await metrics.text()
  const samples = parseExposition(text)
  assert.equal(sample(samples, 'freshet_test_events_total', { kind: 'a', command: 'test' }), 3)
  assert.ok(
    samples.some((s) => s.name === 'process_cpu_seconds_total'),
    'process metrics are there',
  )
  const check = await promtoolCheck(text)
  assert.equal(check.code, 0, check.output)

  assert.deepEqual(await (await fetch(`${url}/health`)).json(), { status: 'ok' })
  const notReady = await fetch(`${url}/ready`)
  assert.equal(notReady.status, 503)
  assert.deepEqual(await notReady.json(), { status: 'not ready', reason: 'restoring' })
  readiness = { ready: true }
  assert.equal((await fetch(`${url}/ready`)).status, 200)
  assert.equal((await fetch(`${url}/nothing`)).status, 404)
  assert.equal((await fetch(`${url}/metrics`, { method: 'POST' })).status, 405)
})

test('options are checked, and a port in use is a clear error', async (t) => {
  const registry = processRegistry('test')
  assert.throws(() => new MetricsServer({ registry, port: 70_000 }), { code: 'FRESHET_INVALID_OPTION' })
  assert.throws(() => new MetricsServer({ registry: {} as never }), { code: 'FRESHET_INVALID_OPTION' })
  const first = new MetricsServer({ registry })
  t.after(() => first.close())
  const port = Number(new URL(await first.start()).port)
  const second = new MetricsServer({ registry, port })
  await assert.rejects(second.start(), { code: 'FRESHET_INVALID_OPTION', message: /EADDRINUSE/ })
})
