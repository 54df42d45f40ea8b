// The metrics as a real Prometheus sees them: Debian's prometheus scrapes a MetricsServer on
// loopback, and its query API answers with the figures the workers' status gave. Two workers share
// the registry, as in `freshet demo`, told apart by their application label.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { FreshetError } from '../../src/errors/index.ts'
import { MetricsServer, processRegistry, WorkerMetrics } from '../../src/metrics/index.ts'
import type { WorkerStatus } from '../../src/runtime/index.ts'
import { freePort } from '../../src/stack/processes.ts'

function status(workerId: string, recordsIn: number, tasks: number): WorkerStatus {
  return {
    workerId,
    state: 'RUNNING',
    waiting: undefined,
    failure: undefined,
    resumes: 0,
    generationId: 1,
    tasks: Array.from({ length: tasks }, (_, i) => ({
      id: `0_${i}`,
      watermarkMs: 1_700_000_000_000,
      recordsIn: 0,
      recordsOut: 0,
      recordsSkipped: 0,
      recordsDeadLettered: 0,
      recordsLate: 0,
      openWindows: 0,
      stores: [],
    })),
    commits: 3,
    aborts: 0,
    rebalances: 1,
    totals: { recordsIn, recordsOut: 0, recordsSkipped: 0, recordsDeadLettered: 0, recordsLate: 0 },
    badRecords: {},
    topics: [{ topic: 'user-events', recordsIn, bytesIn: recordsIn * 100, recordsOut: 0, bytesOut: 0 }],
  }
}

test('a real Prometheus scrapes the metrics of two workers from one registry', async (t) => {
  const registry = processRegistry('demo')
  const metrics = new WorkerMetrics({ registry })
  metrics.add({ application: 'app-a', status: () => status('a', 1_234, 2) })
  metrics.add({ application: 'app-b', status: () => status('b', 5_678, 3) })
  assert.throws(
    () => metrics.add({ application: 'app-a', status: () => status('a', 0, 0) }),
    (error: unknown) => error instanceof FreshetError && error.code === 'FRESHET_INVALID_OPTION',
  )
  const server = new MetricsServer({ registry })
  t.after(() => server.close())
  const target = new URL(await server.start()).host

  const dir = mkdtempSync(join(tmpdir(), 'freshet-prometheus-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(
    join(dir, 'prometheus.yml'),
    `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: freshet\n    static_configs:\n      - targets: ['${target}']\n`,
  )
  const port = await freePort()
  const prometheus = spawn(
    'prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  )
  let log = ''
  prometheus.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()))
  // A process that could not be started (prometheus missing) emits 'error' and never 'exit'.
  const exited = new Promise((resolve) => {
    prometheus.once('exit', resolve)
    prometheus.once('error', resolve)
  })
  t.after(async () => {
    prometheus.kill('SIGTERM')
    await exited
  })

  type Vector = Array<{ metric: Record<string, string>; value: [number, string] }>
  const query = async (expr: string): Promise<Vector> => {
    const response = await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(expr)}`)
    const body = (await response.json()) as { status: string; data: { result: Vector } }
    assert.equal(body.status, 'success')
    return body.data.result
  }
  const deadline = Date.now() + 60_000
  let up: Vector = []
  while (Date.now() < deadline) {
    up = await query('up{job="freshet"}').catch(() => [])
    if (up.length > 0 && up[0]?.value[1] === '1') break
    await sleep(500)
  }
  assert.equal(up[0]?.value[1], '1', `Prometheus did not scrape the target:\n${log}`)

  const consumed = await query('freshet_worker_consumed_records_total{topic="user-events"}')
  assert.deepEqual(consumed.map((r) => [r.metric.application, r.value[1]]).sort(), [
    ['app-a', '1234'],
    ['app-b', '5678'],
  ])
  const tasks = await query('sum(freshet_worker_tasks)')
  assert.equal(tasks[0]?.value[1], '5')
  const cpu = await query('process_cpu_user_seconds_total{command="demo"}')
  assert.equal(cpu.length, 1, 'the process metrics, labelled by command')
})
