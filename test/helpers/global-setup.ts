/**
 * Starts one real Kafka broker for the whole test run, on free ports in a temporary directory,
 * and stops it at the end. A watchdog stops it too if the runner itself is killed, so no broker
 * outlives a run. Test files reach it through FRESHET_TEST_BOOTSTRAP.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startBroker, type RunningBroker } from '../../src/stack/broker.ts'
import { freePort, watchOwner } from '../../src/stack/processes.ts'

let broker: RunningBroker | undefined
let dir: string | undefined

export async function globalSetup(): Promise<void> {
  dir = mkdtempSync(join(tmpdir(), 'freshet-test-'))
  broker = await startBroker({
    dir,
    port: await freePort(),
    controllerPort: await freePort(),
    heapMb: 768,
    // Transactions left open past their timeout are aborted within a second, not ten: the tests of
    // recovery from a timed-out transaction wait for that abort.
    overrides: { 'transaction.abort.timed.out.transaction.cleanup.interval.ms': '500' },
  })
  await watchOwner(process.pid, [broker.pid])
  process.env.FRESHET_TEST_BOOTSTRAP = broker.bootstrap
  process.env.FRESHET_TEST_BROKER_PID = String(broker.pid)
  process.env.FRESHET_TEST_BROKER_DIR = dir
  console.log(`# test broker: Kafka ${broker.version} on ${broker.bootstrap} (pid ${broker.pid})`)
}

export async function globalTeardown(): Promise<void> {
  try {
    await broker?.stop()
  } finally {
    if (dir && !process.env.FRESHET_TEST_KEEP) rmSync(dir, { recursive: true, force: true })
  }
}
