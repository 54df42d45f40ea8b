/**
 * No process left behind: a broker started by a process that is killed with SIGKILL (so it cannot
 * clean up) is stopped by the watchdog.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { isAlive, stopProcess } from '../../src/stack/processes.ts'

test('a broker whose owner is killed -9 is stopped by the watchdog', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'freshet-owner-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  // The owner: starts a broker attached to itself plus a watchdog, prints the broker pid, waits.
  const script = `
    import { startBroker } from ${JSON.stringify(join(import.meta.dirname, '../../src/stack/broker.ts'))}
    import { freePort, watchOwner } from ${JSON.stringify(join(import.meta.dirname, '../../src/stack/processes.ts'))}
    const b = await startBroker({ dir: ${JSON.stringify(dir)}, port: await freePort(), controllerPort: await freePort(), heapMb: 384 })
    await watchOwner(process.pid, [b.pid])
    console.log(b.pid)
    setInterval(() => {}, 1000)
  `
  const owner = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const brokerPid = await new Promise<number>((resolve, reject) => {
    owner.stdout.on('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim())))
    owner.once('exit', (code) => reject(new Error(`owner exited early with ${code}`)))
  })
  t.after(async () => {
    await stopProcess(brokerPid, 1_000)
  })
  assert.ok(isAlive(brokerPid))

  owner.kill('SIGKILL')
  const deadline = Date.now() + 60_000
  while (isAlive(brokerPid) && Date.now() < deadline) await sleep(200)
  assert.equal(isAlive(brokerPid), false, 'the broker outlived its killed owner')
})
