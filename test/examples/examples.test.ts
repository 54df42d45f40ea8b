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
import { execFile, spawn } from 'node:child_process'
import { cpSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { test, type TestContext } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
import { PartitionReader, type InRecord } from '../../src/kafka/index.ts'
import { freePort } from '../../src/stack/index.ts'

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

interface Project {
  readonly dir: string
  /** Runs `command args` in the project (a `freshet` command through the installed package). */
  exec(command: 'freshet' | 'tsc' | 'node', args: string[], env?: NodeJS.ProcessEnv): Promise<string>
  bin(command: 'freshet'): string
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

/** Packs freshet once per run. */
async function pack(t: TestContext): Promise<string> {
  // A tarball of stale declarations would check the wrong code: dist must be newer than src.
  const srcMs = newestMs(join(ROOT, 'src'), (name) => name.endsWith('.ts'))
  const distMs = newestMs(join(ROOT, 'dist'), (name) => name.endsWith('.js'))
  assert.ok(distMs >= srcMs, 'dist/ is older than src/: run `npm run build` (make test does)')
  const dir = mkdtempSync(join(tmpdir(), 'freshet-pack-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const { stdout } = await execFileAsync(
    'npm',
    ['pack', '--ignore-scripts', '--silent', '--pack-destination', dir],
    { cwd: ROOT },
  )
  return join(dir, stdout.trim().split('\n').at(-1) as string)
}

/** A copy of examples/<name> with freshet installed from `tarball`. */
async function install(t: TestContext, name: string, tarball: string): Promise<Project> {
  const dir = mkdtempSync(join(tmpdir(), `freshet-example-${name}-`))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const source = join(EXAMPLES, name)
  cpSync(source, dir, {
    recursive: true,
    filter: (path) => !/(^|\/)(node_modules|generated|\.freshet)(\/|$)/.test(relative(source, path)),
  })
  await execFileAsync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball], {
    cwd: dir,
    maxBuffer: 16 * 1024 * 1024,
  })
  const bins = { freshet: join(dir, 'node_modules/freshet/bin/freshet.js') }
  return {
    dir,
    bin: (command) => bins[command],
    exec: async (command, args, env = userEnv()) => {
      const argv =
        command === 'freshet'
          ? [bins.freshet, ...args]
          : command === 'tsc'
            ? [join(dir, 'node_modules/typescript/bin/tsc'), ...args]
            : args
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
async function stack(
  t: TestContext,
  project: Project,
): Promise<{ env: NodeJS.ProcessEnv; bootstrap: string }> {
  const stateDir = mkdtempSync(join(tmpdir(), 'freshet-example-stack-'))
  const env = userEnv({
    FRESHET_STATE_DIR: stateDir,
    FRESHET_KAFKA_PORT: String(await freePort()),
    FRESHET_CONTROLLER_PORT: String(await freePort()),
    FRESHET_REGISTRY_PORT: String(await freePort()),
    FRESHET_BOOTSTRAP: '',
    FRESHET_REGISTRY_URL: '',
  })
  t.after(async () => {
    await project.exec('freshet', ['down'], env).catch(() => {})
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
  const child = spawn(process.execPath, [project.bin('freshet'), ...args], {
    cwd: project.dir,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL')
      await exited
    }
  })
  return {
    output: () => `${stdout}\n${stderr}`,
    stop: async (): Promise<number | null> => {
      child.kill('SIGTERM')
      const code = await Promise.race([exited, sleep(DEADLINE_MS).then(() => 'timeout' as const)])
      if (code === 'timeout') assert.fail(`freshet run did not stop; output:\n${stdout}\n${stderr}`)
      return code
    },
  }
}

/** Waits until `alerts` (one partition) holds `count` committed records. */
async function awaitAlerts(bootstrap: string, count: number, output: () => string): Promise<void> {
  const topic = 'alerts'
  const reader = new PartitionReader({ bootstrapBrokers: [bootstrap], isolationLevel: 'read_committed' })
  try {
    const deadline = Date.now() + DEADLINE_MS
    for (;;) {
      const end = await reader.settledEndOffset(topic, 0, 30_000)
      const records: InRecord[] = []
      for await (const batch of reader.read(topic, 0, 0n, end)) records.push(...batch)
      if (records.length >= count) return
      if (Date.now() > deadline) {
        assert.fail(`${topic} has ${records.length} of ${count} records; freshet run said:\n${output()}`)
      }
      await sleep(250)
    }
  } finally {
    await reader.close()
  }
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

test('fraud-alerts: packed freshet installs; codegen, tsc with skipLibCheck false, its tests, and freshet run against a stack of its own', async (t) => {
  const tarball = await pack(t)
  const project = await install(t, 'fraud-alerts', tarball)

  // Steps 1-3
  await project.exec('freshet', ['schema', 'codegen', '--schemas', 'schemas', '--out', 'src/generated'])
  await project.exec('tsc', ['-p', 'tsconfig.json'])
  const tests = await project.exec('node', ['--test', 'test/pipeline.test.ts'])
  assert.match(tests, /ℹ pass [1-9]/)
  assert.match(tests, /ℹ fail 0/)

  // Step 4
  const { env, bootstrap } = await stack(t, project)
  await project.exec('freshet', ['topics', 'create', 'payments', 'alerts', '--partitions', '1'], env)
  const topics = (await project.exec('freshet', ['topics', 'list'], env)).trim().split('\n')
  assert.deepEqual(
    topics.filter((name) => name.startsWith('user-events')),
    [],
    '--no-default-topics',
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
  const closing: Payment = {
    ...(payments[0] as Payment),
    id: 'close',
    amount: 0,
    timestamp: baseMs + 600_000,
  }
  writeFileSync(
    join(project.dir, 'payments.jsonl'),
    [...payments, closing].map((p) => JSON.stringify(p)).join('\n') + '\n',
  )
  const produced = JSON.parse(
    await project.exec(
      'freshet',
      ['produce', '--topic', 'payments', '--schema', 'schemas/payment.avsc', '--key-field', 'user_id'].concat(
        ['--file', 'payments.jsonl', '--json'],
      ),
      env,
    ),
  ) as { sent: number }
  assert.equal(produced.sent, payments.length + 1)

  // The oracle: per user and 20-second window, the payments and their total, above 500.
  const windowMs = 20_000
  const totals = new Map<string, { user_id: string; window_start: number; payments: number; total: number }>()
  for (const p of payments) {
    const start = p.timestamp - (p.timestamp % windowMs)
    const id = `${p.user_id}@${start}`
    const entry = totals.get(id) ?? { user_id: p.user_id, window_start: start, payments: 0, total: 0 }
    entry.payments++
    entry.total += p.amount
    totals.set(id, entry)
  }
  const expected = [...totals.values()]
    .filter((e) => e.total > 500)
    .map((e) => ({ ...e, window_end: e.window_start + windowMs }))
  assert.ok(expected.length > 0 && expected.length < totals.size, 'some windows alert, not all')

  const run = background(
    t,
    project,
    ['run', './src/pipeline.ts', '--param', 'limit=500', '--param', 'window=20', '--worker-id', 'w1'],
    env,
  )
  await awaitAlerts(bootstrap, expected.length, run.output)
  assert.equal(await run.stop(), 0, run.output())
  assert.match(
    run.output(),
    new RegExp(`freshet run ./src/pipeline.ts: worker w1 stopped after .*out ${expected.length} `),
  )

  // Read back as a user would: consume decodes with the writer's schema, no --schema needed.
  const printed = await project.exec(
    'freshet',
    [
      'consume',
      '--topic',
      'alerts',
      '--from-beginning',
      '--max-messages',
      String(expected.length),
      '--print',
    ],
    env,
  )
  const alerts = printed
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>)
  const order = (a: Record<string, unknown>, b: Record<string, unknown>): number =>
    Number(a.window_start) - Number(b.window_start) || String(a.user_id).localeCompare(String(b.user_id))
  assert.deepEqual(
    alerts.sort(order),
    expected
      .map(({ user_id, window_start, window_end, payments: count, total }) => ({
        user_id,
        window_start,
        window_end,
        payments: count,
        total,
      }))
      .sort(order),
  )
})
