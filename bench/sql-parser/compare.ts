/**
 * Flink SQL parsers compared on freshet's corpus (docs/decisions/0009-sql-parser.md).
 *
 * The run, as numbered steps:
 *   1. Import each candidate (dt-sql-parser through the resolve hook of bench/sql-parser/resolve-hook.ts), timing
 *      the import and the first parse, which for ANTLR includes building its prediction tables.
 *   2. Parse every valid statement of corpus.ts once: accepted (no error) or not, and for each
 *      construct the statement exercises, whether the output shows it (candidates.ts).
 *   3. Parse every invalid statement: the first error's line and column against the expected ones.
 *   4. Speed, warm: two passes over the valid statements, then `--runs` runs of `--passes` passes
 *      each; statements per second per run, median over the runs, and each candidate's ratio to
 *      dt-sql-parser's in the same run: over the whole corpus (a parser that gives up at the
 *      first unknown token does less work there), and over the statements every candidate accepts.
 *   5. Package facts: installed size with dependencies, dependency count, license, types, whether
 *      plain Node can import it, and (unless --offline) release history from `npm view`.
 */
import { performance } from 'node:perf_hooks'
import { flagsOrExit } from '../lib/args.ts'
import { benchLine, formatRate, median, medianFigure, table } from '../lib/report.ts'
import { dtSqlParser, nodeSqlParser, sqlparserTs, type Candidate } from './candidates.ts'
import { INVALID, VALID, type Construct } from './corpus.ts'
import { packageFacts, type PackageFacts } from './package-facts.ts'
import { registerDtSqlParserResolution } from './resolve-hook.ts'

const BENCH = 'bench/sql-parser/compare.ts'

const spec = {
  runs: { kind: 'int', default: 7, min: 1, max: 50, help: 'measured runs; speed figures are medians' },
  passes: { kind: 'int', default: 10, min: 1, help: 'passes over the corpus per run' },
  offline: { kind: 'boolean', help: 'skip the release history (npm view)' },
  verbose: { kind: 'boolean', help: 'print every rejected statement and missed construct' },
  help: { kind: 'boolean', help: 'print this help' },
} as const

const flags = flagsOrExit(BENCH, spec)
const root = new URL('../../', import.meta.url).pathname

// Step 1
interface Loaded {
  candidate: Candidate
  importMs: number
  firstParseMs: number
}

async function load(make: () => Promise<Candidate>): Promise<Loaded> {
  const started = performance.now()
  const candidate = await make()
  const imported = performance.now()
  candidate.parse(VALID[0]!.sql)
  return { candidate, importMs: imported - started, firstParseMs: performance.now() - imported }
}

registerDtSqlParserResolution()
const loaded: Loaded[] = [
  await load(async () => {
    const { FlinkSQL } = await import('dt-sql-parser')
    return dtSqlParser(new FlinkSQL())
  }),
  await load(async () => {
    const { default: nsp } = await import('node-sql-parser')
    return nodeSqlParser(new nsp.Parser())
  }),
  await load(async () => {
    const sqlparser = await import('@guanmingchiu/sqlparser-ts')
    await sqlparser.init()
    return sqlparserTs(sqlparser)
  }),
]

// Step 2
interface Coverage {
  accepted: string[]
  /** Accepted, and every construct the statement exercises shown in the output. */
  faithful: string[]
  rejected: { id: string; message: string }[]
  /** Per construct: statements exercising it, accepted, shown. */
  constructs: Map<Construct, { total: number; accepted: number; shown: number }>
  missed: { id: string; constructs: Construct[] }[]
}

function coverage(candidate: Candidate): Coverage {
  const result: Coverage = { accepted: [], faithful: [], rejected: [], constructs: new Map(), missed: [] }
  for (const statement of VALID) {
    const parsed = candidate.parse(statement.sql)
    const ok = parsed.errors.length === 0
    if (ok) result.accepted.push(statement.id)
    else result.rejected.push({ id: statement.id, message: firstError(parsed.errors) })
    const missed: Construct[] = []
    for (const construct of statement.constructs) {
      const entry = result.constructs.get(construct) ?? { total: 0, accepted: 0, shown: 0 }
      entry.total++
      if (ok) entry.accepted++
      if (ok && parsed.shows(construct)) entry.shown++
      else if (ok) missed.push(construct)
      result.constructs.set(construct, entry)
    }
    if (ok && missed.length === 0) result.faithful.push(statement.id)
    if (ok && missed.length > 0) result.missed.push({ id: statement.id, constructs: missed })
  }
  return result
}

function firstError(errors: { line: number; column: number; message: string }[]): string {
  const e = errors[0]!
  return `${e.line}:${e.column} ${e.message.split('\n')[0]!.slice(0, 160)}`
}

// Step 3
interface ErrorReport {
  id: string
  expected: string
  got: string
  exact: boolean
  sameLine: boolean
}

function errorPositions(candidate: Candidate): ErrorReport[] {
  return INVALID.map((statement) => {
    const { errors } = candidate.parse(statement.sql)
    const expected = `${statement.line}:${statement.column}`
    if (errors.length === 0)
      return { id: statement.id, expected, got: 'accepted', exact: false, sameLine: false }
    const e = errors[0]!
    return {
      id: statement.id,
      expected,
      got: firstError(errors),
      exact: e.line === statement.line && e.column === statement.column,
      sameLine: e.line === statement.line,
    }
  })
}

// Step 4
function speed(candidate: Candidate, statements: readonly string[]): number[] {
  const pass = (): void => {
    for (const sql of statements) candidate.parse(sql)
  }
  pass()
  pass()
  const rates: number[] = []
  for (let run = 0; run < flags.runs; run++) {
    const started = performance.now()
    for (let p = 0; p < flags.passes; p++) pass()
    const seconds = (performance.now() - started) / 1000
    rates.push((statements.length * flags.passes) / seconds)
  }
  return rates
}

// Steps 2-5 for each candidate, then the report.
interface Result {
  loaded: Loaded
  coverage: Coverage
  errors: ErrorReport[]
  rates: number[]
  commonRates: number[]
  facts: PackageFacts
}

const coverages = loaded.map((l) => coverage(l.candidate))
const everySql = VALID.map((s) => s.sql)
const commonSql = VALID.filter((s) => coverages.every((c) => c.accepted.includes(s.id))).map((s) => s.sql)
const results: Result[] = loaded.map((l, i) => ({
  loaded: l,
  coverage: coverages[i]!,
  errors: errorPositions(l.candidate),
  rates: speed(l.candidate, everySql),
  commonRates: speed(l.candidate, commonSql),
  facts: packageFacts(l.candidate.packageName, root, !flags.offline),
}))
const peerCommonRate = median(results[0]!.commonRates)

const peerRate = median(results[0]!.rates)
for (const r of results) {
  const name = r.loaded.candidate.name
  const rate = medianFigure(`sql-parser.${name}.statements-per-s`, 'statements/s', r.rates)
  console.log(benchLine(rate))
  console.log(
    benchLine({ name: `sql-parser.${name}.ratio-to-dt-sql-parser`, value: rate.value / peerRate, unit: 'x' }),
  )
  const commonRate = medianFigure(`sql-parser.${name}.common.statements-per-s`, 'statements/s', r.commonRates)
  console.log(benchLine(commonRate))
  console.log(
    benchLine({
      name: `sql-parser.${name}.common.ratio-to-dt-sql-parser`,
      value: commonRate.value / peerCommonRate,
      unit: 'x',
    }),
  )
  console.log(
    benchLine({ name: `sql-parser.${name}.accepted`, value: r.coverage.accepted.length, unit: 'statements' }),
  )
  console.log(
    benchLine({ name: `sql-parser.${name}.faithful`, value: r.coverage.faithful.length, unit: 'statements' }),
  )
  console.log(
    benchLine({
      name: `sql-parser.${name}.errors-exact`,
      value: r.errors.filter((e) => e.exact).length,
      unit: 'of 6',
    }),
  )
  console.log(benchLine({ name: `sql-parser.${name}.import-ms`, value: r.loaded.importMs, unit: 'ms' }))
  console.log(
    benchLine({ name: `sql-parser.${name}.first-parse-ms`, value: r.loaded.firstParseMs, unit: 'ms' }),
  )
  console.log(
    benchLine({ name: `sql-parser.${name}.installed-bytes`, value: r.facts.installedBytes, unit: 'bytes' }),
  )
}

const names = results.map((r) => r.loaded.candidate.name)
const row = (label: string, f: (r: Result) => string): string[] => [label, ...results.map(f)]
console.log(
  `\n${VALID.length} valid and ${INVALID.length} invalid statements; ${flags.runs} runs of ${flags.passes} passes\n`,
)
console.log(
  table([
    ['', ...names],
    row('version', (r) => r.facts.version),
    row('accepted (no error)', (r) => `${r.coverage.accepted.length}/${VALID.length}`),
    row('accepted, every construct shown', (r) => `${r.coverage.faithful.length}/${VALID.length}`),
    row(
      'invalid: error at the exact line:col',
      (r) => `${r.errors.filter((e) => e.exact).length}/${INVALID.length}`,
    ),
    row(
      'invalid: error on the right line',
      (r) => `${r.errors.filter((e) => e.sameLine).length}/${INVALID.length}`,
    ),
    row('statements/s, whole corpus (median, warm)', (r) => formatRate(median(r.rates))),
    row('ratio to dt-sql-parser', (r) => (median(r.rates) / peerRate).toFixed(2)),
    row(`statements/s, the ${commonSql.length} all accept`, (r) => formatRate(median(r.commonRates))),
    row('ratio to dt-sql-parser ', (r) => (median(r.commonRates) / peerCommonRate).toFixed(2)),
    row('import ms', (r) => r.loaded.importMs.toFixed(0)),
    row('first parse ms', (r) => r.loaded.firstParseMs.toFixed(0)),
    row('installed size MB', (r) => (r.facts.installedBytes / 1e6).toFixed(1)),
    row('dependencies (transitive)', (r) => String(r.facts.dependencies.length)),
    row('license', (r) => r.facts.license),
    row('types', (r) => r.facts.types),
    row('plain Node ESM import', (r) => r.facts.nodeEsmImport),
    row('latest release', (r) => r.facts.registry?.latestDate ?? '-'),
    row('releases in the year to it', (r) => String(r.facts.registry?.releasesInYear ?? '-')),
  ]),
)

const constructs = [...new Set(VALID.flatMap((s) => s.constructs))]
console.log('\nConstruct shown / statements exercising it\n')
console.log(
  table([
    ['construct', ...names],
    ...constructs.map((c) => [
      c,
      ...results.map((r) => {
        const e = r.coverage.constructs.get(c)!
        return `${e.shown}/${e.total}`
      }),
    ]),
  ]),
)

console.log('\nInvalid statements: expected line:col, first error reported\n')
for (const statement of INVALID) {
  console.log(`${statement.id} (${statement.fault}), expected ${statement.line}:${statement.column}`)
  for (const r of results) {
    const e = r.errors.find((x) => x.id === statement.id)!
    console.log(
      `  ${r.loaded.candidate.name.padEnd(16)} ${e.exact ? 'exact' : e.sameLine ? 'line ' : 'off  '} ${e.got}`,
    )
  }
}

console.log('\nDependencies')
for (const r of results) console.log(`  ${r.facts.name}: ${r.facts.dependencies.join(', ') || '(none)'}`)

if (flags.verbose) {
  for (const r of results) {
    console.log(`\n${r.loaded.candidate.name} (${r.loaded.candidate.mode})`)
    for (const x of r.coverage.rejected) console.log(`  rejected ${x.id}: ${x.message}`)
    for (const x of r.coverage.missed)
      console.log(`  accepted ${x.id}, not shown: ${x.constructs.join(', ')}`)
  }
}
