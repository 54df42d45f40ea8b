import { spawn, type ChildProcessByStdio } from 'node:child_process'
import { join } from 'node:path'
import type { Readable, Writable } from 'node:stream'
import type { TestContext } from 'node:test'
import { main } from '../../src/cli/main.ts'
import { freePort } from '../../src/stack/index.ts'
import { bootstrap } from './kafka.ts'
import { NODE_FLAGS } from '../../src/cli/node-flags.ts'

/** Runs `freshet <args>` in this process against the test broker; its exit code and stdout. */
export async function freshet(t: TestContext, args: string[]): Promise<{ code: number; stdout: string }> {
  const log = t.mock.method(console, 'log', () => {})
  try {
    const code = await main([...args, '--bootstrap', bootstrap()])
    return { code, stdout: log.mock.calls.map((call) => call.arguments.join(' ')).join('\n') }
  } finally {
    log.mock.restore()
  }
}

/**
 * Runs `freshet <args>` as a process from src/ (not the built dist/ that bin/ runs) to its end: its
 * exit code, stdout, stderr and the JSON log records of stderr.
 */
export async function freshetProcess(
  ...args: string[]
): Promise<{ code: number | null; stdout: string; stderr: string; logs: Array<Record<string, unknown>> }> {
  return freshetProcessWithInput(undefined, ...args)
}

/** `freshetProcess` with `input` written to its stdin (then closed); undefined: no stdin. */
export async function freshetProcessWithInput(
  input: string | undefined,
  ...args: string[]
): Promise<{ code: number | null; stdout: string; stderr: string; logs: Array<Record<string, unknown>> }> {
  const child = spawn(
    process.execPath,
    [...NODE_FLAGS, join(import.meta.dirname, '../../src/cli/main.ts'), ...args],
    {
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    },
  )
  if (input !== undefined) child.stdin?.end(input)
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
  const logs = stderr
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
  return { code, stdout, stderr, logs }
}

/**
 * The environment of a local stack of a test's own (`freshet up` in a child process): its state
 * directory and free ports, and none of the suite's own broker or registry addresses.
 */
export async function stackEnv(stateDir: string): Promise<NodeJS.ProcessEnv & Record<string, string>> {
  return {
    ...process.env,
    FRESHET_STATE_DIR: stateDir,
    FRESHET_KAFKA_PORT: String(await freePort()),
    FRESHET_CONTROLLER_PORT: String(await freePort()),
    FRESHET_REGISTRY_PORT: String(await freePort()),
    FRESHET_BOOTSTRAP: '',
    FRESHET_REGISTRY_URL: '',
  }
}

/** A `freshet` process running in the background (see `freshetBackground`). */
export interface BackgroundCli {
  readonly child: ChildProcessByStdio<Writable | null, Readable, Readable>
  readonly exited: Promise<number | null>
  stdout(): string
  stderr(): string
  /** Sends SIGTERM and waits for the exit code; fails the test if it does not exit in `timeoutMs`. */
  stop(timeoutMs?: number): Promise<number | null>
}

/**
 * `freshet <args>` as a child process (from src/, or `options.bin`), killed with SIGKILL after the
 * test if it still runs; `options.input` is written to its stdin, which is then closed.
 */
export function freshetBackground(
  t: TestContext,
  args: readonly string[],
  options: { bin?: string; cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {},
): BackgroundCli {
  const bin = options.bin ?? join(import.meta.dirname, '../../src/cli/main.ts')
  const child = spawn(process.execPath, [...NODE_FLAGS, bin, ...args], {
    stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    ...(options.env === undefined ? {} : { env: options.env }),
  }) as ChildProcessByStdio<Writable | null, Readable, Readable>
  if (options.input !== undefined) child.stdin!.end(options.input)
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
    child,
    exited,
    stdout: () => stdout,
    stderr: () => stderr,
    async stop(timeoutMs = 25_000) {
      child.kill('SIGTERM')
      const timer = new Promise<'timeout'>((resolve) => setTimeout(resolve, timeoutMs, 'timeout').unref())
      const code = await Promise.race([exited, timer])
      if (code === 'timeout')
        throw new Error(`freshet ${args[0]} did not stop; output:\n${stdout}\n${stderr}`)
      return code
    },
  }
}
