/**
 * The differential corpus (test/sql/corpus/): every query runs on freshet and on a local Apache
 * Flink 2.2 over the same input topic, and both output topics must hold the same rows. Flink is
 * started once for the file and stopped at its end, also when the runner is killed (watchOwner).
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import {
  flinkDown,
  flinkUp,
  gatewayUrl,
  resolveFlinkOptions,
  restUrl,
  type FlinkTarget,
} from '../../src/flink/index.ts'
import { freePort, watchOwner } from '../../src/stack/processes.ts'
import { bootstrap, createTopics, randomName } from '../helpers/kafka.ts'
import { CASES } from '../sql/corpus/cases.ts'
import {
  caseFile,
  clicks,
  CLICKS_PARTITIONS,
  produceClicks,
  rowsOf,
  runOnFlink,
  runOnFreshet,
} from '../sql/corpus/harness.ts'

/** Cases run on each engine at once: Flink has two task slots. */
const CONCURRENCY = 2

let target: FlinkTarget | undefined
let stateDir: string | undefined

before(async () => {
  stateDir = mkdtempSync(join(tmpdir(), 'freshet-corpus-'))
  target = {
    stateDir,
    host: '127.0.0.1',
    flink: resolveFlinkOptions({
      restPort: await freePort(),
      rpcPort: await freePort(),
      gatewayPort: await freePort(),
      taskSlots: 2,
    }),
  }
  const services = await flinkUp(target)
  await watchOwner(
    process.pid,
    services.flatMap((s) => (s.pid === null ? [] : [s.pid])),
  )
})

after(async () => {
  if (target !== undefined) await flinkDown(target)
  if (stateDir !== undefined && !process.env.FRESHET_TEST_KEEP)
    rmSync(stateDir, { recursive: true, force: true })
})

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!.slice(0, 400)
}

async function inPool<T>(items: readonly T[], size: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  await Promise.all(
    Array.from({ length: size }, async () => {
      while (next < items.length) await work(items[next++]!)
    }),
  )
}

test(`differential corpus: ${CASES.length} queries give the same rows on freshet and on Flink 2.2`, async (t) => {
  assert.ok(CASES.length >= 40, `${CASES.length} cases`)
  const flink = target as FlinkTarget
  const urls = { gateway: gatewayUrl(flink), rest: restUrl(flink) }
  const input = randomName('corpus-clicks')
  const outputs = CASES.map((_, i) => ({
    freshet: randomName(`corpus-${i}-freshet`),
    flink: randomName(`corpus-${i}-flink`),
  }))
  await createTopics(t, [
    { topic: input, partitions: CLICKS_PARTITIONS },
    ...outputs.flatMap((o) => [
      { topic: o.freshet, partitions: 1 },
      { topic: o.flink, partitions: 1 },
    ]),
  ])
  await produceClicks(input, clicks())

  const files = CASES.map((c, i) => ({
    c,
    i,
    freshet: caseFile(c, {
      input,
      output: outputs[i]!.freshet,
      bootstrap: bootstrap(),
      applicationId: randomName(`corpus-${i}`),
    }),
    flink: caseFile(c, {
      input,
      output: outputs[i]!.flink,
      bootstrap: bootstrap(),
      applicationId: `corpus-${i}`,
    }),
  }))
  const failures: string[] = []
  const startedMs = Date.now()
  await Promise.all([
    inPool(files, CONCURRENCY, async ({ c, i, freshet }) => {
      await runOnFreshet(freshet, `corpus-${i}.sql`).catch((error: unknown) => {
        failures.push(`[${i}] ${c.name}: freshet: ${firstLine(error)}`)
      })
    }),
    inPool(files, CONCURRENCY, async ({ c, i, flink }) => {
      await runOnFlink(flink, `corpus-${i}.sql`, urls).catch((error: unknown) => {
        failures.push(`[${i}] ${c.name}: Flink: ${firstLine(error)}`)
      })
    }),
  ])
  t.diagnostic(`both engines ran ${CASES.length} cases in ${Date.now() - startedMs} ms`)

  for (const { c, i } of files) {
    if (failures.some((f) => f.startsWith(`[${i}] `))) continue
    const [ours, theirs] = await Promise.all([rowsOf(outputs[i]!.freshet), rowsOf(outputs[i]!.flink)])
    if (theirs.length === 0) failures.push(`[${i}] ${c.name}: Flink wrote no row`)
    try {
      assert.deepEqual(ours, theirs)
    } catch {
      const missing = theirs.filter((r) => !ours.includes(r)).slice(0, 3)
      const extra = ours.filter((r) => !theirs.includes(r)).slice(0, 3)
      failures.push(
        `[${i}] ${c.name}: ${ours.length} rows on freshet, ${theirs.length} on Flink; only Flink's: ${missing.join(' ')}; only freshet's: ${extra.join(' ')}`,
      )
    }
  }
  assert.equal(
    failures.length,
    0,
    `${failures.length} of ${CASES.length} cases differ:\n${failures.sort().join('\n')}`,
  )
})
