// Runs the whole suite with node's test runner in two phases:
//   1. unit and integration tests, against one real Kafka broker for the run (started by
//      test/helpers/global-setup.ts), two files at a time;
//   2. the integrity suite (test/integrity/), one file at a time: it starts, kills and restarts
//      its own broker and worker processes, so it runs alone.
// `npm test -- test/kafka` runs a subset (an integrity file given by path runs in phase 2).
import { spawnSync } from 'node:child_process'
import { globSync } from 'node:fs'

const INTEGRITY = 'test/integrity/'
const args = process.argv.slice(2)
const patterns =
  args.length > 0
    ? args.map((a) => (a.endsWith('.ts') ? a : `${a.replace(/\/$/, '')}/**/*.test.ts`))
    : ['test/**/*.test.ts']
const files = patterns.flatMap((p) => globSync(p)).sort()
if (files.length === 0) {
  console.error(`no test files match ${patterns.join(' ')}`)
  process.exit(1)
}

function run(phase: string[], options: string[]): number {
  if (phase.length === 0) return 0
  const result = spawnSync(
    process.execPath,
    ['--test', ...options, '--test-timeout=600000', '--test-reporter=spec', ...phase],
    { stdio: 'inherit' },
  )
  return result.status ?? 1
}

// Phase 1
const first = run(
  files.filter((f) => !f.startsWith(INTEGRITY)),
  ['--test-global-setup=test/helpers/global-setup.ts', '--test-concurrency=2'],
)
// Phase 2 runs even after a failure in phase 1: its verdict is worth having.
const second = run(
  files.filter((f) => f.startsWith(INTEGRITY)),
  ['--test-concurrency=1'],
)
process.exit(first !== 0 ? first : second)
