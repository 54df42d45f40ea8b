// The deployment files in deploy/: there is no Docker engine to run them here, so they are checked
// with the tools that read them: Debian's docker-compose validates the compose file, promtool the
// scrape config, and the Grafana dashboard may only query metrics freshet serves.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { JOB_NAMES } from '../../src/jobs/index.ts'
import { processRegistry, WorkerMetrics } from '../../src/metrics/index.ts'
import { workerStatus } from '../helpers/worker-status.ts'

const DEPLOY = join(import.meta.dirname, '../../deploy')
const METRICS_PORT = 9400

function run(command: string, args: string[]): { status: number | null; output: string } {
  const result = spawnSync(command, args, { cwd: DEPLOY, encoding: 'utf8' })
  if (result.error) {
    throw new Error(
      `${command}: ${result.error.message} (make system-deps installs it from Debian's packages)`,
    )
  }
  return { status: result.status, output: `${result.stdout}${result.stderr}` }
}

/** The `command` list of a service in `docker-compose config` output. */
function composeCommand(config: string, service: string): string[] {
  const lines = config.split('\n')
  const start = lines.indexOf(`  ${service}:`)
  assert.ok(start >= 0, `service ${service} in the resolved config`)
  const items: string[] = []
  let inCommand = false
  for (const line of lines.slice(start + 1)) {
    if (/^ {2}\S/.test(line)) break
    if (line === '    command:') inCommand = true
    else if (inCommand && line.startsWith('    - ')) items.push(line.slice(6).replace(/^'(.*)'$/, '$1'))
    else inCommand = false
  }
  return items
}

test('docker-compose.yml is valid for docker-compose and runs every job, the producer and the registry with a metrics port', () => {
  const check = run('docker-compose', ['-f', 'docker-compose.yml', 'config', '-q'])
  assert.equal(check.status, 0, check.output)
  const services = run('docker-compose', ['-f', 'docker-compose.yml', 'config', '--services']).output.split(
    '\n',
  )
  for (const service of ['kafka', 'registry', 'producer', 'prometheus', 'grafana', ...JOB_NAMES]) {
    assert.ok(services.includes(service), `service ${service}`)
  }
  // The command of each job, as docker-compose resolved it (anchors merged, one item per line).
  const resolved = run('docker-compose', ['-f', 'docker-compose.yml', 'config']).output
  const metricsFlags = new RegExp(`--metrics-port ${METRICS_PORT} --metrics-host 0\\.0\\.0\\.0`)
  for (const job of JOB_NAMES) {
    assert.deepEqual(composeCommand(resolved, job).slice(0, 2), ['run', job])
    assert.match(composeCommand(resolved, job).join(' '), metricsFlags)
  }
  for (const service of ['producer', 'registry']) {
    assert.match(composeCommand(resolved, service).join(' '), metricsFlags, service)
  }
})

test('prometheus.yml passes promtool and scrapes every job worker, the producer and the registry', () => {
  const check = run('promtool', ['check', 'config', 'prometheus.yml'])
  assert.equal(check.status, 0, check.output)
  const targets = [...readFileSync(join(DEPLOY, 'prometheus.yml'), 'utf8').matchAll(/- ([\w-]+):(\d+)$/gm)]
  assert.deepEqual(targets.map((m) => m[1]).sort(), [...JOB_NAMES, 'producer', 'registry'].sort())
  assert.ok(targets.every((m) => Number(m[2]) === METRICS_PORT))
})

test('the Grafana dashboard queries only metrics a worker serves', async () => {
  const registry = processRegistry('run')
  const status = workerStatus()
  new WorkerMetrics({ registry }).add({ application: 'app', status: () => status, lag: async () => [] })
  const served = new Set<string>()
  for (const metric of await registry.getMetricsAsJSON()) {
    served.add(metric.name)
    if (String(metric.type) === 'histogram')
      for (const suffix of ['_bucket', '_sum', '_count']) served.add(metric.name + suffix)
  }
  const dashboard = JSON.parse(readFileSync(join(DEPLOY, 'grafana/dashboards/freshet.json'), 'utf8')) as {
    uid: string
    panels: Array<{ title: string; targets: Array<{ expr: string; datasource: { uid: string } }> }>
  }
  const datasource = readFileSync(join(DEPLOY, 'grafana/provisioning/datasources/prometheus.yml'), 'utf8')
  assert.ok(dashboard.panels.length >= 10)
  for (const panel of dashboard.panels) {
    for (const target of panel.targets) {
      assert.ok(
        datasource.includes(`uid: ${target.datasource.uid}`),
        `${panel.title}: a provisioned datasource`,
      )
      const names = target.expr.match(/\b(?:freshet|process|nodejs)_[a-z0-9_]+/g) ?? []
      assert.ok(names.length > 0, `${panel.title}: queries a metric`)
      for (const name of names) assert.ok(served.has(name), `${panel.title}: ${name} is not served`)
    }
  }
})
