/**
 * The example projects in examples/, used the way a team that installs freshet uses it: freshet
 * packed (`npm pack`, the tarball npm would publish), installed into a copy of each example, and
 * then, through the installed `freshet` command:
 *   1. `schema codegen` from the example's own .avsc files;
 *   2. `tsc` over the example with `skipLibCheck: false` (freshet's declarations and everything
 *      they reach must type-check in a user's project);
 *   3. the example's own unit tests (the test driver from `freshet/testing`);
 *   4. for real: `freshet up --no-default-topics` on a stack of the test's own, the example's
 *      topics created, its input produced, `freshet run ./src/pipeline.ts` until its results are
 *      written, SIGTERM, then `freshet down`. The results are read back and checked against an
 *      oracle computed from the input.
 *
 * dist/ must be built from the sources under test (`make test` builds it first).
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { after, test, type TestContext } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
import { PartitionReader } from '../../src/kafka/index.ts'
import { freshetBackground, stackEnv } from '../helpers/cli.ts'

const execFileAsync = promisify(execFile)
const ROOT = join(import.meta.dirname, '../..')
const EXAMPLES = join(ROOT, 'examples')
const DEADLINE_MS = 60_000

/** The newest modification time of the files under `dir` whose name passes `keep`. */
function newestMs(dir: string, keep: (name: string) => boolean): number {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !keep(entry.name)) continue
    newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs)
  }
  return newest
}

/** A command of an installed package (its package.json `bin`), or node itself. */
type Command = 'freshet' | 'tsc' | 'vitest' | 'node'

/** The package whose `bin` each command is. */
const PACKAGE_OF: Record<Exclude<Command, 'node'>, string> = {
  freshet: 'freshet',
  tsc: 'typescript',
  vitest: 'vitest',
}

interface Project {
  readonly dir: string
  /** Runs `command args` in the project, through the installed package's own entry point. */
  exec(command: Command, args: string[], env?: NodeJS.ProcessEnv): Promise<string>
  /** The script the installed package runs for `command`. */
  bin(command: Exclude<Command, 'node'>): string
  /**
   * Runs `cleanup` after the test, before the project is removed (last deferred first): a
   * `freshet down` needs the project's installed package. `t.after` hooks run in the order they
   * were added, so one added after the removal would find the package gone.
   */
  defer(cleanup: () => Promise<void> | void): void
}

/**
 * The environment of a user's shell: without the variables this test runner sets for its own
 * child processes (a nested `node --test` would report to this runner instead of printing).
 */
function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra }
  delete env.NODE_TEST_CONTEXT
  return env
}

let packed: Promise<string> | undefined
/** Where freshet is packed, for every test of the file. */
const PACK_DIR = mkdtempSync(join(tmpdir(), 'freshet-pack-'))
after(() => rmSync(PACK_DIR, { recursive: true, force: true }))

/** freshet packed, once for the file's tests. */
function tarball(): Promise<string> {
  packed ??= pack()
  return packed
}

async function pack(): Promise<string> {
  // A tarball of stale declarations would check the wrong code: dist must be newer than src.
  const srcMs = newestMs(join(ROOT, 'src'), (name) => name.endsWith('.ts'))
  const distMs = newestMs(join(ROOT, 'dist'), (name) => name.endsWith('.js'))
  assert.ok(distMs >= srcMs, 'dist/ is older than src/: run `npm run build` (make test does)')
  const dir = PACK_DIR
  const { stdout } = await execFileAsync(
    'npm',
    ['pack', '--ignore-scripts', '--silent', '--pack-destination', dir],
    { cwd: ROOT },
  )
  return join(dir, stdout.trim().split('\n').at(-1) as string)
}

/** A copy of examples/<name> with freshet installed from `tarball`. */
async function install(t: TestContext, name: string): Promise<Project> {
  const packedFreshet = await tarball()
  const dir = mkdtempSync(join(tmpdir(), `freshet-example-${name}-`))
  const cleanups: Array<() => Promise<void> | void> = []
  t.after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup()
    rmSync(dir, { recursive: true, force: true })
  })
  const source = join(EXAMPLES, name)
  cpSync(source, dir, {
    recursive: true,
    filter: (path) => !/(^|\/)(node_modules|generated|\.freshet)(\/|$)/.test(relative(source, path)),
  })
  await execFileAsync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', packedFreshet], {
    cwd: dir,
    maxBuffer: 16 * 1024 * 1024,
  })
  const bin = (command: Exclude<Command, 'node'>): string => {
    const root = join(dir, 'node_modules', PACKAGE_OF[command])
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      bin: string | Record<string, string>
    }
    return join(root, typeof manifest.bin === 'string' ? manifest.bin : (manifest.bin[command] as string))
  }
  return {
    dir,
    bin,
    defer: (cleanup) => void cleanups.push(cleanup),
    exec: async (command, args, env = userEnv()) => {
      const argv = command === 'node' ? args : [bin(command), ...args]
      try {
        const { stdout } = await execFileAsync(process.execPath, argv, {
          cwd: dir,
          env,
          maxBuffer: 64 * 1024 * 1024,
        })
        return stdout
      } catch (error) {
        const e = error as { stdout?: string; stderr?: string; message: string }
        assert.fail(
          `${command} ${args.join(' ')} failed in ${dir}:\n${e.stdout ?? ''}\n${e.stderr ?? e.message}`,
        )
      }
    },
  }
}

/** A stack of the test's own (`freshet up --no-default-topics`), stopped after the test. */
async function stack(project: Project): Promise<{ env: NodeJS.ProcessEnv; bootstrap: string }> {
  const stateDir = mkdtempSync(join(tmpdir(), 'freshet-example-stack-'))
  const env = userEnv(await stackEnv(stateDir))
  project.defer(async () => {
    await project.exec('freshet', ['down'], env)
    rmSync(stateDir, { recursive: true, force: true })
  })
  await project.exec('freshet', ['up', '--no-default-topics'], env)
  return {
    env,
    bootstrap: `127.0.0.1:${env.FRESHET_KAFKA_PORT}`,
  }
}

/** `freshet run ...` in the project, in the background; stopped with SIGKILL after the test if it still runs. */
function background(t: TestContext, project: Project, args: string[], env: NodeJS.ProcessEnv) {
  const run = freshetBackground(t, args, { bin: project.bin('freshet'), cwd: project.dir, env })
  return {
    output: () => `${run.stdout()}\n${run.stderr()}`,
    stop: () => run.stop(DEADLINE_MS),
  }
}

/** The tasks of the last assignment a `freshet run` logged (its log records are JSON lines). */
function lastAssigned(output: string): string[] | undefined {
  const assigned = output
    .split('\n')
    .filter((line) => line.startsWith('{') && line.includes('"type":"assigned"'))
    .map((line) => JSON.parse(line) as { tasks: string[] })
  return assigned.at(-1)?.tasks
}

/** Waits until `topic` holds `count` committed records over all its partitions. */
async function awaitRecords(
  bootstrap: string,
  topic: string,
  partitions: number,
  count: number,
  output: () => string,
): Promise<void> {
  const reader = new PartitionReader({ bootstrapBrokers: [bootstrap], isolationLevel: 'read_committed' })
  try {
    const deadline = Date.now() + DEADLINE_MS
    for (;;) {
      let records = 0
      for (let partition = 0; partition < partitions; partition++) {
        const end = await reader.settledEndOffset(topic, partition, 30_000)
        for await (const batch of reader.read(topic, partition, 0n, end)) records += batch.length
      }
      if (records >= count) return
      if (Date.now() > deadline) {
        assert.fail(`${topic} has ${records} of ${count} records; freshet run said:\n${output()}`)
      }
      await sleep(250)
    }
  } finally {
    await reader.close()
  }
}

/** Writes `values` as JSON lines into the project and sends them with `freshet produce --schema`. */
async function produceLines(
  project: Project,
  env: NodeJS.ProcessEnv,
  topic: string,
  schema: string,
  keyField: string,
  values: readonly object[],
): Promise<void> {
  const file = `${topic}.jsonl`
  writeFileSync(join(project.dir, file), values.map((v) => JSON.stringify(v)).join('\n') + '\n')
  const args = ['produce', '--topic', topic, '--schema', schema, '--key-field', keyField, '--file', file]
  const summary = JSON.parse(await project.exec('freshet', [...args, '--json'], env)) as { sent: number }
  assert.equal(summary.sent, values.length, `${topic}: every line sent`)
}

/** What `freshet consume --print` prints of `count` records of `topic`, one value per line. */
async function consumeAll(
  project: Project,
  env: NodeJS.ProcessEnv,
  topic: string,
  count: number,
): Promise<Array<Record<string, unknown>>> {
  const printed = await project.exec(
    'freshet',
    ['consume', '--topic', topic, '--from-beginning', '--max-messages', String(count), '--print'],
    env,
  )
  return printed
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>)
}

/**
 * Steps 1-3 for an example: codegen, tsc, its own tests (with the runner its package.json names),
 * then a stack of its own with `topics` created on it.
 */
async function prepare(
  t: TestContext,
  name: string,
  tests: { runner: 'node' | 'vitest'; passed: RegExp },
  topics: ReadonlyArray<{ names: string[]; partitions: number; config?: string }>,
): Promise<{ project: Project; env: NodeJS.ProcessEnv; bootstrap: string }> {
  const project = await install(t, name)
  // Step 1
  await project.exec('freshet', ['schema', 'codegen', '--schemas', 'schemas', '--out', 'src/generated'])
  // Step 2
  await project.exec('tsc', ['-p', 'tsconfig.json'])
  // Step 3
  const output =
    tests.runner === 'node'
      ? await project.exec('node', ['--test', 'test/pipeline.test.ts'])
      : await project.exec('vitest', ['run'], userEnv({ NO_COLOR: '1' }))
  assert.match(output, tests.passed)
  // Step 4
  const { env, bootstrap } = await stack(project)
  for (const { names, partitions, config } of topics) {
    const args = ['topics', 'create', ...names, '--partitions', String(partitions)]
    await project.exec('freshet', config === undefined ? args : [...args, '--config', config], env)
  }
  const listed = (await project.exec('freshet', ['topics', 'list'], env)).trim().split('\n')
  assert.deepEqual(
    listed.filter((topic) => topic.startsWith('user-events')),
    [],
    'freshet up --no-default-topics created no topic of the demo',
  )
  return { project, env, bootstrap }
}

interface Payment {
  id: string
  user_id: string
  merchant: string
  amount: number
  currency: 'EUR' | 'USD' | 'GBP'
  country: string | null
  timestamp: number
}

test('fraud-alerts: installed from the packed tarball; codegen, tsc with skipLibCheck false, node:test, and freshet run on a stack of its own', async (t) => {
  const { project, env, bootstrap } = await prepare(
    t,
    'fraud-alerts',
    { runner: 'node', passed: /ℹ pass 3\n[\s\S]*ℹ fail 0/ },
    [{ names: ['payments', 'alerts'], partitions: 1 }],
  )

  const baseMs = Date.UTC(2026, 0, 1)
  const payments: Payment[] = Array.from({ length: 60 }, (_, i) => ({
    id: `p${i}`,
    user_id: `user-${i % 4}`,
    merchant: `m${i % 3}`,
    amount: 20 + ((i * 53) % 200),
    currency: 'EUR',
    country: i % 5 === 0 ? null : 'FR',
    timestamp: baseMs + i * 1_000,
  }))
  // A payment far past the others closes their windows (the watermark trails by 5 s).
  const closing = { ...(payments[0] as Payment), id: 'close', amount: 0, timestamp: baseMs + 600_000 }
  await produceLines(project, env, 'payments', 'schemas/payment.avsc', 'user_id', [...payments, closing])

  // The oracle: per user and 20-second window, the payments and their total, above 500.
  const windowMs = 20_000
  const totals = new Map<string, Record<string, number | string>>()
  for (const p of payments) {
    const start = p.timestamp - (p.timestamp % windowMs)
    const id = `${p.user_id}@${start}`
    const entry = totals.get(id) ?? {
      user_id: p.user_id,
      window_start: start,
      window_end: start + windowMs,
      payments: 0,
      total: 0,
    }
    entry.payments = (entry.payments as number) + 1
    entry.total = (entry.total as number) + p.amount
    totals.set(id, entry)
  }
  const expected = [...totals.values()].filter((e) => (e.total as number) > 500)
  assert.ok(expected.length > 0 && expected.length < totals.size, 'some windows alert, not all')

  const run = background(
    t,
    project,
    ['run', './src/pipeline.ts', '--param', 'limit=500', '--param', 'window=20', '--worker-id', 'w1'],
    env,
  )
  await awaitRecords(bootstrap, 'alerts', 1, expected.length, run.output)
  assert.equal(await run.stop(), 0, run.output())
  assert.match(
    run.output(),
    new RegExp(`freshet run ./src/pipeline.ts: worker w1 stopped after .*out ${expected.length} `),
  )

  // Read back as a user would: consume decodes with the writer's schema, no --schema needed.
  const alerts = await consumeAll(project, env, 'alerts', expected.length)
  const order = (a: Record<string, unknown>, b: Record<string, unknown>): number =>
    Number(a.window_start) - Number(b.window_start) || String(a.user_id).localeCompare(String(b.user_id))
  assert.deepEqual(alerts.sort(order), expected.sort(order))
})

test('clickstream: a global table on two workers, tested with vitest; every click enriched from a pages topic of another partition count', async (t) => {
  const { project, env, bootstrap } = await prepare(
    t,
    'clickstream',
    { runner: 'vitest', passed: /Tests\s+3 passed/ },
    [
      { names: ['clicks', 'page-views'], partitions: 3 },
      { names: ['pages'], partitions: 1, config: 'cleanup.policy=compact' },
    ],
  )
  const pages = [
    { id: 'home', title: 'Home', section: 'front' },
    { id: 'boots', title: 'Winter boots', section: 'shoes' },
    { id: 'sale', title: 'Sale', section: 'offers' },
  ]
  await produceLines(project, env, 'pages', 'schemas/page.avsc', 'id', pages)

  const workers = ['w1', 'w2'].map((id) =>
    background(t, project, ['run', './src/pipeline.ts', '--worker-id', id], env),
  )
  const output = (): string => workers.map((w) => w.output()).join('\n')
  // The clicks go in once the two workers share the three tasks, so that both enrich some.
  const deadline = Date.now() + DEADLINE_MS
  while (!workers.every((w) => (lastAssigned(w.output())?.length ?? 0) > 0)) {
    if (Date.now() > deadline) assert.fail(`the workers did not share the tasks:\n${output()}`)
    await sleep(200)
  }
  const baseMs = Date.UTC(2026, 0, 1)
  const clicks = Array.from({ length: 90 }, (_, i) => ({
    user_id: `user-${i % 9}`,
    page_id: ['home', 'boots', 'sale', 'gone'][i % 4] as string,
    timestamp: baseMs + i * 100,
  }))
  await produceLines(project, env, 'clicks', 'schemas/click.avsc', 'user_id', clicks)
  await awaitRecords(bootstrap, 'page-views', 3, clicks.length, output)
  for (const worker of workers) assert.equal(await worker.stop(), 0, output())
  // Both workers had tasks, and each enriched its own clicks from the whole table.
  for (const id of ['w1', 'w2']) assert.match(output(), new RegExp(`worker ${id} stopped after .*out [1-9]`))

  const byPage = new Map(pages.map((p) => [p.id, p]))
  const expected = clicks.map((c) => ({
    user_id: c.user_id,
    page_id: c.page_id,
    title: byPage.get(c.page_id)?.title ?? null,
    section: byPage.get(c.page_id)?.section ?? 'unknown',
    timestamp: c.timestamp,
  }))
  const order = (a: Record<string, unknown>, b: Record<string, unknown>): number =>
    Number(a.timestamp) - Number(b.timestamp)
  assert.deepEqual((await consumeAll(project, env, 'page-views', clicks.length)).sort(order), expected)
})
