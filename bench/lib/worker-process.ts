/**
 * The benchmark's side of pipeline-worker.ts: forks the worker process, puts it under the
 * cluster's watchdog and teardown, and turns its IPC messages into promises.
 */
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { BenchCluster } from './cluster.ts'
import type { FromWorker, ToWorker, WorkerConfig } from './pipeline-worker.ts'
import { NODE_FLAGS } from '../../src/cli/node-flags.ts'

type Message<T extends FromWorker['type']> = Extract<FromWorker, { type: T }>

export interface WorkerProcess {
  readonly pid: number
  /** Sends the configuration; resolves once `Worker.start()` has resolved in the child. */
  start(config: WorkerConfig): Promise<Message<'started'>>
  /**
   * The next message of `type` (from now on) for which `accept` holds. Rejects if the worker
   * fails, the process exits, or `timeoutMs` passes first.
   */
  next<T extends FromWorker['type']>(
    type: T,
    accept?: (message: Message<T>) => boolean,
    timeoutMs?: number,
  ): Promise<Message<T>>
  /** Calls `listener` with every message until the process exits. */
  onMessage(listener: (message: FromWorker) => void): void
  /** The worker's stores and the process's usage now; the worker goes on running. */
  status(): Promise<Message<'status'>>
  /** Stops the worker (its final commit) and waits for the process to exit. */
  stop(): Promise<Message<'stopped'>>
  /**
   * Kills the process with SIGKILL, a crash: no final commit, no leaving the group. Resolves with
   * the time the signal was sent, once the process has exited.
   */
  kill(): Promise<number>
}

export interface WorkerProcessOptions {
  /** Extra Node.js flags for the child, e.g. `--cpu-prof --cpu-prof-dir=DIR`. */
  execArgv?: string[]
}

const SCRIPT = fileURLToPath(new URL('./pipeline-worker.ts', import.meta.url))

export async function startWorkerProcess(
  cluster: BenchCluster,
  options: WorkerProcessOptions = {},
): Promise<WorkerProcess> {
  const child = fork(SCRIPT, [], {
    // The flags the freshet command runs with, so that the worker measured is the one users run.
    execArgv: [...NODE_FLAGS, ...(options.execArgv ?? [])],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  if (child.pid === undefined) throw new Error('could not fork the worker process')
  const pid = child.pid
  const release = await cluster.adopt(pid)
  const listeners = new Set<(message: FromWorker) => void>()
  let failure: Error | undefined
  const failed = new Set<(error: Error) => void>()
  const setFailure = (error: Error): void => {
    failure ??= error
    for (const reject of failed) reject(failure)
  }
  child.on('message', (message: FromWorker) => {
    if (message.type === 'failed') setFailure(new Error(`worker process failed: ${message.message}`))
    for (const listener of listeners) listener(message)
  })
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      release()
      setFailure(new Error(`worker process exited (status ${code})`))
      resolve(code)
    })
  })

  const next = <T extends FromWorker['type']>(
    type: T,
    accept: (message: Message<T>) => boolean = () => true,
    timeoutMs = 600_000,
  ): Promise<Message<T>> =>
    new Promise<Message<T>>((resolve, reject) => {
      if (failure) {
        reject(failure)
        return
      }
      const timer = setTimeout(
        () => done(new Error(`no "${type}" from the worker in ${timeoutMs} ms`)),
        timeoutMs,
      )
      const listener = (message: FromWorker): void => {
        if (message.type === type && accept(message as Message<T>)) done(undefined, message as Message<T>)
      }
      const onFailure = (error: Error): void => done(error)
      const done = (error: Error | undefined, message?: Message<T>): void => {
        clearTimeout(timer)
        listeners.delete(listener)
        failed.delete(onFailure)
        if (error) reject(error)
        else resolve(message as Message<T>)
      }
      listeners.add(listener)
      failed.add(onFailure)
    })

  const post = (message: ToWorker): void => {
    child.send(message)
  }

  await next('ready', undefined, 60_000)
  return {
    pid,
    async start(config) {
      const started = next('started')
      post({ type: 'start', config })
      return started
    },
    next,
    onMessage(listener) {
      listeners.add(listener)
    },
    async status() {
      const status = next('status', undefined, 60_000)
      post({ type: 'status' })
      return status
    },
    async stop() {
      const stopped = next('stopped', undefined, 120_000)
      post({ type: 'stop' })
      try {
        return await stopped
      } finally {
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
        await exited
        clearTimeout(timer)
      }
    },
    async kill() {
      const killedAtMs = Date.now()
      child.kill('SIGKILL')
      await exited
      return killedAtMs
    },
  }
}
