import type { TestContext } from 'node:test'
import { main } from '../../src/cli/main.ts'
import { bootstrap } from './kafka.ts'

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
