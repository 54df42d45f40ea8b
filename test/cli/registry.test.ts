// `freshet registry` as a process: it logs where it listens and where its metrics are, counts the
// requests it answers, and stops cleanly on SIGTERM.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { RegistryClient } from '../../src/registry/index.ts'
import { bootstrap, randomName } from '../helpers/kafka.ts'

const BIN = join(import.meta.dirname, '../../bin/freshet.js')
const DEADLINE_MS = 60_000

test('freshet registry serves the API and its metrics, ready once it answers; SIGTERM stops it', async (t) => {
  const child = spawn(
    process.execPath,
    [BIN, 'registry', '--port', '0', '--topic', randomName('_schemas'), '--bootstrap', bootstrap()],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let logs = ''
  child.stderr.on('data', (chunk: Buffer) => (logs += chunk.toString()))
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGKILL')
  })
  const records = (): Array<{ msg: string; url?: string; level: number; name: string }> =>
    logs
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { msg: string; url?: string; level: number; name: string })
  const deadline = Date.now() + DEADLINE_MS
  while (!records().some((r) => r.msg.startsWith('listening on')) && Date.now() < deadline) await sleep(100)
  const apiUrl = records().find((r) => r.msg.startsWith('listening on'))?.url
  const metricsUrl = records().find((r) => r.url?.endsWith('/metrics'))?.url
  assert.ok(apiUrl !== undefined && metricsUrl !== undefined, `addresses not logged:\n${logs}`)
  for (const line of logs.split('\n').filter((l) => l !== '')) {
    const record = JSON.parse(line) as { name?: string }
    assert.equal(record.name, 'registry', `a JSON log record of the registry: ${line}`)
  }

  assert.equal((await fetch(new URL('/ready', metricsUrl))).status, 200)
  const client = new RegistryClient({ url: apiUrl })
  await client.register(
    'clicks-value',
    JSON.stringify({ type: 'record', name: 'Click', fields: [{ name: 'page', type: 'string' }] }),
  )
  const exposition = await (await fetch(metricsUrl)).text()
  assert.match(
    exposition,
    /^freshet_registry_http_requests_total\{method="POST",route="\/subjects\/:subject\/versions",status="200",command="registry"\} 1$/m,
  )
  assert.match(exposition, /^freshet_registry_subjects\{command="registry"\} 1$/m)

  child.kill('SIGTERM')
  assert.equal(await exited, 0, logs)
  assert.ok(
    records().some((r) => r.msg === 'stopped'),
    logs,
  )
})
