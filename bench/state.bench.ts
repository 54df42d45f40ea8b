/**
 * State store throughput and size: RocksDbStateStore (write cache + RocksDB) against the bare
 * RocksDB binding as the peer, in the same run, plus MemoryStateStore (docs/decisions/0002).
 *
 * The run, as numbered steps:
 *   1. Make N window-state entries: 20-byte keys (`windowKey` of an 11-byte id and a start time) and
 *      40-byte values of seeded random bytes (incompressible: the pessimistic case), in a shuffled
 *      order so that neither writes nor reads go in key order.
 *   2. For each run, in a fresh directory per side:
 *      a. store: put every entry, committing every `--batch` entries the way a task does (drain the
 *         changelog, write a checkpoint, flush); then read every key in another shuffled order;
 *         close, reopen, read every key again (cold), scan everything in key order.
 *      b. peer: the same batches written straight to RocksDB in one write batch each, the same
 *         reads and the same scan, without cache, changelog or merge.
 *      c. memory: put, get and scan on MemoryStateStore, and its heap per entry after a flush (as a
 *         task's commit leaves it).
 *   3. Print a BENCH line per figure (medians over the runs), the store/peer ratios and the bytes
 *      per key on disk and in memory.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { MemoryStateStore, RocksDbStateStore, windowKey } from '../src/state/index.ts'
import { RocksDb } from '../src/state/rocksdb-binding.ts'
import { flagsOrExit } from './lib/args.ts'
import { benchLine, formatRate, medianFigure, table, type Figure } from './lib/report.ts'

const BENCH = 'bench/state.bench.ts'

const spec = {
  count: { kind: 'int', default: 1_000_000, min: 1000, help: 'entries per run' },
  batch: { kind: 'int', default: 100_000, min: 1, help: 'entries per commit (one flush, one write batch)' },
  runs: { kind: 'int', default: 3, min: 1, max: 20, help: 'measured runs; figures are medians' },
  help: { kind: 'boolean', help: 'print this help' },
} as const

const flags = flagsOrExit(BENCH, spec)

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void
const log = (line: string): void => console.error(`# ${line}`)

function seeded(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

function shuffled(n: number, seed: number): Uint32Array {
  const order = new Uint32Array(n)
  for (let i = 0; i < n; i++) order[i] = i
  const random = seeded(seed)
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    const tmp = order[i] as number
    order[i] = order[j] as number
    order[j] = tmp
  }
  return order
}

// Step 1
const random = seeded(1)
const keys: Buffer[] = []
const values: Buffer[] = []
for (let i = 0; i < flags.count; i++) {
  const id = Buffer.allocUnsafe(11)
  id.writeUIntBE(Math.floor(random() * 2 ** 48), 0, 6)
  id.writeUIntBE(i, 6, 5)
  keys.push(windowKey(id, 1_700_000_000_000 + (i % 4) * 60_000))
  const value = Buffer.allocUnsafe(40)
  for (let j = 0; j < 40; j += 4) value.writeUInt32BE(Math.floor(random() * 2 ** 32), j)
  values.push(value)
}
const writeOrder = shuffled(flags.count, 2)
const readOrder = shuffled(flags.count, 3)
log(
  `${flags.count} entries, key ${keys[0]?.length} B, value 40 B, commit every ${flags.batch}, ${flags.runs} run(s)`,
)

function dirBytes(dir: string): number {
  let total = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    total += entry.isDirectory() ? dirBytes(path) : statSync(path).size
  }
  return total
}

const rate = (n: number, ms: number): number => (n / ms) * 1000
const now = (): number => performance.now()

interface RunFigures {
  [name: string]: number
}

async function runStore(dir: string): Promise<RunFigures> {
  const directory = join(dir, 'store')
  const out: RunFigures = {}
  let store = await RocksDbStateStore.open({ directory })
  let flushMs = 0
  let offset = 0n
  const start = now()
  for (let from = 0; from < flags.count; from += flags.batch) {
    const to = Math.min(flags.count, from + flags.batch)
    for (let i = from; i < to; i++) {
      const at = writeOrder[i] as number
      store.put(keys[at] as Buffer, values[at] as Buffer)
    }
    store.drainChangelog()
    store.writeCheckpoint((offset += BigInt(to - from)))
    const flushStart = now()
    await store.flush()
    flushMs += now() - flushStart
  }
  out['put_commit'] = rate(flags.count, now() - start)
  out['flush'] = rate(flags.count, flushMs)
  let t = now()
  for (let i = 0; i < flags.count; i++) store.get(keys[readOrder[i] as number] as Buffer)
  out['get_warm'] = rate(flags.count, now() - t)
  await store.close()
  t = now()
  store = await RocksDbStateStore.open({ directory })
  out['reopen_ms'] = now() - t
  t = now()
  let found = 0
  for (let i = flags.count - 1; i >= 0; i--)
    if (store.get(keys[readOrder[i] as number] as Buffer) !== undefined) found++
  out['get_cold'] = rate(flags.count, now() - t)
  if (found !== flags.count) throw new Error(`store lost ${flags.count - found} keys`)
  t = now()
  let scanned = 0
  for (const entry of store.range()) if (entry[1].length === 40) scanned++
  out['scan'] = rate(scanned, now() - t)
  if (scanned !== flags.count) throw new Error(`store scanned ${scanned} keys`)
  await store.close()
  out['disk_bytes_per_key'] = dirBytes(directory) / flags.count
  return out
}

async function runPeer(dir: string): Promise<RunFigures> {
  const directory = join(dir, 'peer')
  const out: RunFigures = {}
  const tuning = {
    blockCacheBytes: 8 * 1024 * 1024,
    memtableBudgetBytes: 16 * 1024 * 1024,
    compression: true,
  }
  let db = await RocksDb.open(directory, 'peer', tuning)
  const start = now()
  for (let from = 0; from < flags.count; from += flags.batch) {
    const to = Math.min(flags.count, from + flags.batch)
    const data: Array<[Buffer, Buffer]> = []
    for (let i = from; i < to; i++) {
      const at = writeOrder[i] as number
      data.push([keys[at] as Buffer, values[at] as Buffer])
    }
    db.write({ data, meta: [] })
  }
  out['put_commit'] = rate(flags.count, now() - start)
  let t = now()
  for (let i = 0; i < flags.count; i++) db.get(keys[readOrder[i] as number] as Buffer)
  out['get_warm'] = rate(flags.count, now() - t)
  await db.close()
  t = now()
  db = await RocksDb.open(directory, 'peer', tuning)
  out['reopen_ms'] = now() - t
  t = now()
  for (let i = flags.count - 1; i >= 0; i--) db.get(keys[readOrder[i] as number] as Buffer)
  out['get_cold'] = rate(flags.count, now() - t)
  t = now()
  const iterator = db.iterator({})
  let scanned = 0
  for (;;) {
    const { rows, finished } = db.next(iterator, 1024)
    scanned += rows.length / 2
    if (finished) break
  }
  db.closeIterator(iterator)
  out['scan'] = rate(scanned, now() - t)
  out['index_filter_bytes_per_key'] = db.property('rocksdb.estimate-table-readers-mem') / flags.count
  out['sst_bytes_per_key'] = db.property('rocksdb.total-sst-files-size') / flags.count
  await db.close()
  out['disk_bytes_per_key'] = dirBytes(directory) / flags.count
  return out
}

function heapBytes(): number {
  gc()
  gc()
  const usage = process.memoryUsage()
  return usage.heapUsed + usage.external + usage.arrayBuffers
}

async function runMemory(): Promise<RunFigures> {
  const out: RunFigures = {}
  const before = heapBytes()
  const store = new MemoryStateStore({ changelog: false })
  let t = now()
  for (let i = 0; i < flags.count; i++) {
    const at = writeOrder[i] as number
    store.put(keys[at] as Buffer, values[at] as Buffer)
  }
  out['put'] = rate(flags.count, now() - t)
  // As a task leaves it after its commit: the keys changed since the last flush are forgotten then.
  await store.flush()
  out['heap_bytes_per_key'] = (heapBytes() - before) / flags.count
  t = now()
  for (let i = 0; i < flags.count; i++) store.get(keys[readOrder[i] as number] as Buffer)
  out['get'] = rate(flags.count, now() - t)
  t = now()
  let scanned = 0
  for (const entry of store.range()) if (entry[1].length === 40) scanned++
  out['scan'] = rate(scanned, now() - t)
  await store.close()
  return out
}

// Step 2
const runs: Record<string, RunFigures[]> = { store: [], peer: [], memory: [] }
for (let run = 0; run < flags.runs; run++) {
  const dir = mkdtempSync(join(tmpdir(), 'freshet-state-bench-'))
  try {
    // Alternate which RocksDB side goes first, so that neither always runs on a warmer page cache.
    if (run % 2 === 0) {
      runs['store']!.push(await runStore(dir))
      runs['peer']!.push(await runPeer(dir))
    } else {
      runs['peer']!.push(await runPeer(dir))
      runs['store']!.push(await runStore(dir))
    }
    runs['memory']!.push(await runMemory())
    log(`run ${run + 1}/${flags.runs} done`)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

// Step 3
const figures: Figure[] = []
const unitOf = (name: string): string =>
  name.endsWith('_ms') ? 'ms' : name.includes('bytes_per_key') ? 'bytes/key' : 'keys/s'
for (const [side, list] of Object.entries(runs)) {
  for (const name of Object.keys(list[0] ?? {})) {
    figures.push(
      medianFigure(
        `state.${side}.${name}`,
        unitOf(name),
        list.map((r) => r[name] as number),
      ),
    )
  }
}
const value = (name: string): number => figures.find((f) => f.name === name)?.value ?? NaN
for (const name of ['put_commit', 'get_warm', 'get_cold', 'scan']) {
  figures.push({
    name: `state.ratio.store_over_peer.${name}`,
    value: value(`state.store.${name}`) / value(`state.peer.${name}`),
    unit: 'ratio',
  })
}
for (const figure of figures) console.log(benchLine(figure))
const rows = [['figure', 'value', 'unit']]
for (const f of figures) {
  rows.push([f.name, f.unit === 'keys/s' ? formatRate(f.value) : f.value.toFixed(2), f.unit])
}
console.error(table(rows))
