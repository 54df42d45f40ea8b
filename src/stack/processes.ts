import { createServer } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'

/** True while a process with this pid exists (signal 0 probes without sending anything). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Stops a process: SIGTERM, then SIGKILL when it has not exited after `graceMs`.
 * Resolves true when it had to be killed.
 */
export async function stopProcess(pid: number, graceMs = 15_000): Promise<boolean> {
  if (!isAlive(pid)) return false
  try {
    process.kill(pid, 'SIGTERM')
  } catch {
    return false
  }
  const deadline = Date.now() + graceMs
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return false
    await sleep(100)
  }
  try {
    process.kill(pid, 'SIGKILL')
  } catch {
    return false
  }
  while (isAlive(pid)) await sleep(50)
  return true
}

/** A TCP port free on 127.0.0.1 at the time of the call. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port)
        else reject(new Error('no port'))
      })
    })
  })
}

/** True when something accepts TCP connections on host:port. */
export async function portAnswers(host: string, port: number, timeoutMs = 1_000): Promise<boolean> {
  const { connect } = await import('node:net')
  return new Promise((resolve) => {
    const socket = connect({ host, port })
    const done = (ok: boolean): void => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(timeoutMs, () => done(false))
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
  })
}

/** Starts a detached watchdog that stops `children` if `ownerPid` dies without stopping them. */
export async function watchOwner(ownerPid: number, children: number[]): Promise<void> {
  const { spawn } = await import('node:child_process')
  const { fileURLToPath } = await import('node:url')
  const script = fileURLToPath(
    new URL('./watchdog' + (import.meta.url.endsWith('.ts') ? '.ts' : '.js'), import.meta.url),
  )
  const child = spawn(process.execPath, [script, String(ownerPid), ...children.map(String)], {
    detached: true,
    stdio: 'ignore',
  })
  child.unref()
}
