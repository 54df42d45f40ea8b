/**
 * The demo end to end: producer, the four jobs and a Flink SQL file as workers, their metrics and
 * the dashboard, against the run's broker and a registry; the dashboard is opened in a real headless
 * Chromium (Debian's, driven by playwright-core) and must fill with live data, the SQL job listed
 * like the seed jobs. A screenshot is kept in test-results/.
 */
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { chromium, type Browser } from 'playwright-core'
import { Demo } from '../../src/demo/index.ts'
import type { DashboardSnapshot } from '../../src/dashboard/index.ts'
import { JOB_NAMES } from '../../src/jobs/index.ts'
import { bootstrap, brokers, createTopics, randomName } from '../helpers/kafka.ts'
import { testRegistry } from '../helpers/registry.ts'
import { parseExposition } from '../metrics/exposition.ts'
import { seedSqlFile } from '../helpers/sql.ts'

const CHROMIUM = '/usr/bin/chromium'
const RESULTS_DIR = 'test-results'

/** The launch flags of a headless Chromium on a machine without outside network. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

test('the demo runs the pipeline and its dashboard fills with live data in Chromium', async (t) => {
  const registry = await testRegistry(t)
  const input = randomName('demo-events')
  const output = randomName('demo-analytics')
  const sqlOutput = randomName('demo-sql-analytics')
  await createTopics(t, [
    { topic: input, partitions: 3 },
    { topic: output, partitions: 3 },
    { topic: sqlOutput, partitions: 3 },
  ])
  const stateDir = mkdtempSync(join(tmpdir(), 'freshet-demo-test-'))
  t.after(() => rmSync(stateDir, { recursive: true, force: true }))
  const prefix = randomName('demo')
  // sql/event-counts.sql on the test's topics, under an application id of its own.
  const sqlJob = `${prefix}-sql-event-counts`
  const sqlFile = join(stateDir, 'event-counts.sql')
  writeFileSync(
    sqlFile,
    seedSqlFile('event-counts', {
      input,
      output: sqlOutput,
      bootstrap: bootstrap(),
      registryUrl: registry.url,
      applicationId: sqlJob,
    }),
  )
  const demo = new Demo({
    bootstrapBrokers: brokers(),
    registryUrl: registry.url,
    stateDir,
    ratePerSec: 400,
    inputTopic: input,
    outputTopic: output,
    applicationPrefix: prefix,
    workerId: 'demo-test',
    dashboardPort: 0,
    sql: [sqlFile],
    // Windows of 5 s, sessions ending after 5 s without an event: every chart has data in seconds.
    jobs: {
      'event-counts': { windowMs: 5_000 },
      revenue: { windowMs: 10_000, advanceMs: 5_000 },
      sessions: { gapMs: 5_000 },
      'top-users': { windowMs: 5_000, topN: 5 },
    },
  })
  t.after(() => demo.stop())
  await demo.start()
  assert.deepEqual(
    demo.jobs.map((j) => [j.job, j.worker.state]),
    [...JOB_NAMES, sqlJob].map((job) => [job, 'RUNNING']),
  )

  // The metrics: one endpoint, every job's worker labelled by its application id.
  const ready = await fetch(demo.metricsUrl.replace(/\/metrics$/, '/ready'))
  assert.equal(ready.status, 200)
  const samples = parseExposition(await (await fetch(demo.metricsUrl)).text())
  const up = samples.filter((s) => s.name === 'freshet_worker_up' && s.value === 1)
  assert.deepEqual(
    up.map((s) => s.labels.application).sort(),
    [...JOB_NAMES.map((job) => `${prefix}-${job}`), sqlJob].sort(),
  )

  // The dashboard in a real browser.
  const browser: Browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
  })
  t.after(() => browser.close())
  const context = await browser.newContext({ viewport: { width: 1600, height: 1300 } })
  const page = await context.newPage()
  const pageErrors: string[] = []
  page.on('pageerror', (error) => pageErrors.push(error.message))
  page.on('console', (message) => {
    if (message.type() === 'error') pageErrors.push(message.text())
  })
  await page.goto(demo.dashboardUrl)
  assert.equal(await page.title(), 'freshet · live pipeline')

  // Live data arrives: the time charts draw points, each analytics panel gets its rows.
  const filled = async (selector: string, attribute: string, least: number): Promise<void> => {
    const read = `document.querySelector(${JSON.stringify(selector)})?.getAttribute(${JSON.stringify(attribute)})`
    await page.waitForFunction(`Number(${read} ?? 0) >= ${least}`, undefined, {
      timeout: 90_000,
      polling: 250,
    })
  }
  await page.waitForSelector('#connection[data-state="live"]', { timeout: 30_000 })
  await filled('#jobs', 'data-rows', 5)
  await filled('[data-chart="throughput"]', 'data-points', 10)
  await filled('[data-chart="event-counts"]', 'data-points', 2)
  await filled('#revenue', 'data-rows', 1)
  await filled('#top-users', 'data-rows', 5)
  await filled('[data-chart="sessions"]', 'data-points', 1)
  await filled('[data-chart="latency"]', 'data-points', 1)
  // Every job of the demo writes window results: its delay is measured from when a window could close.
  await filled('#jobs', 'data-window-latency', 3)
  await page.waitForSelector('.pill[data-up="true"]:has-text("Kafka")', { timeout: 30_000 })
  await page.waitForSelector('.pill[data-up="true"]:has-text("Registry")', { timeout: 30_000 })
  for (const job of [...JOB_NAMES, sqlJob]) {
    await page.waitForSelector(`.pill[data-up="true"]:has-text("${job}")`, { timeout: 30_000 })
  }
  await page.waitForSelector(`#jobs tr[data-job="${sqlJob}"] .state[data-state="RUNNING"]`, {
    timeout: 30_000,
  })
  // Figures the page shows agree with the running pipeline.
  const inPerSec = Number((await page.textContent('#kpi-in .value'))?.replace(/,/g, ''))
  assert.ok(inPerSec > 0, `events in/s shown: ${inPerSec}`)
  const closed = Number((await page.textContent('#sessions-closed .value'))?.replace(/,/g, ''))
  assert.ok(closed > 0, `closed sessions shown: ${closed}`)
  const open = Number((await page.textContent('#sessions-open .value'))?.replace(/,/g, ''))
  assert.ok(open > 0, `open sessions shown: ${open}`)

  mkdirSync(RESULTS_DIR, { recursive: true })
  const screenshot = join(RESULTS_DIR, 'dashboard.png')
  await page.screenshot({ path: screenshot, fullPage: true })
  assert.ok(statSync(screenshot).size > 20_000, 'a screenshot with content')
  t.diagnostic(`dashboard screenshot: ${screenshot}`)
  assert.deepEqual(pageErrors, [], 'no errors on the page')

  // The same picture as JSON.
  const state = (await (await fetch(`${demo.dashboardUrl}/api/state`)).json()) as DashboardSnapshot
  assert.equal(state.jobs.length, 5)
  const sql = state.jobs.find((j) => j.job === sqlJob)
  assert.ok(sql !== undefined && sql.recordsIn > 0, 'the SQL job reads the events the producer sends')
  const sessions = state.jobs.find((j) => j.job === 'sessions')
  assert.ok(sessions !== undefined && sessions.openWindows > 0, 'the sessions job holds sessions open')
  assert.ok(state.health.kafka.up && state.health.registry?.up)
  assert.ok(state.analytics.eventCounts.length > 0 && state.analytics.topUsers !== null)
  assert.ok(state.samples.length >= 10)
  assert.equal((await fetch(`${demo.dashboardUrl}/nope`)).status, 404)
})
