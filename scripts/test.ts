// Runs the whole suite with node's test runner: one real Kafka broker for the run (started by
// test/helpers/global-setup.ts), unit and integration tests, then the integrity suite.
// `npm test -- test/kafka` runs a subset.
import { spawnSync } from 'node:child_process'
import { globSync } from 'node:fs'

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
const result = spawnSync(
  process.execPath,
  [
    '--test',
    '--test-global-setup=test/helpers/global-setup.ts',
    '--test-concurrency=2',
    '--test-timeout=300000',
    '--test-reporter=spec',
    ...files,
  ],
  { stdio: 'inherit' },
)
process.exit(result.status ?? 1)
