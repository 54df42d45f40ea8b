/**
 * An AbortSignal that fires on the first SIGINT or SIGTERM, so long-running commands can finish
 * their batch, commit and leave cleanly. A second signal exits at once.
 */
export function shutdownSignal(onSignal?: (name: NodeJS.Signals) => void): AbortSignal {
  const controller = new AbortController()
  const handler = (name: NodeJS.Signals): void => {
    if (controller.signal.aborted) process.exit(130)
    onSignal?.(name)
    controller.abort()
  }
  process.once('SIGINT', handler)
  process.once('SIGTERM', handler)
  controller.signal.addEventListener('abort', () => {
    // A later signal must reach the "exit at once" path above.
    process.once('SIGINT', handler)
    process.once('SIGTERM', handler)
  })
  return controller.signal
}

/**
 * Closes every resource, each even when another fails, then rethrows the first failure: a close
 * that throws must not leave a server or client open and the process hanging.
 */
export async function closeAll(...closers: Array<() => Promise<unknown> | undefined>): Promise<void> {
  const results = await Promise.allSettled(closers.map(async (close) => close()))
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
  if (failed !== undefined) throw failed.reason
}
