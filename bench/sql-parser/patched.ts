/**
 * freshet's patched FlinkSQL parser (src/sql/grammar) against dt-sql-parser 4.5.1's generated one,
 * on the corpus of decision 0009. Both run through the same set-up code (tokens read ahead, SLL
 * prediction, an error listener), so the figures compare the grammars, not the wrappers.
 *
 *   1. Cold start, each parser alone in a fresh Node process (`--runs` times, median): importing
 *      its modules and the first parse, in which ANTLR deserializes the ATN and starts its
 *      prediction cache; antlr4ng itself is imported first, outside the figure.
 *   2. Warm speed over the statements both accept: two passes each, then `--runs` runs of
 *      `--passes` passes, alternating stock and patched runs so that machine noise hits both;
 *      statements per second, median over runs, and the patched/stock ratio.
 *   3. Per statement, the median warm time of each and their ratio (smallest, median, largest).
 *   4. The statements only the patched parser accepts, warm.
 *   5. Size of the generated files, stock against patched.
 */
import { spawnSync } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { flagsOrExit } from '../lib/args.ts'
import { benchLine, median, medianFigure } from '../lib/report.ts'
import { VALID } from './corpus.ts'
import { registerDtSqlParserResolution } from './resolve-hook.ts'

const BENCH = 'bench/sql-parser/patched.ts'
const spec = {
  runs: { kind: 'int', default: 7, min: 1, max: 50, help: 'measured runs; speed figures are medians' },
  passes: { kind: 'int', default: 10, min: 1, help: 'passes over the statements per run' },
  help: { kind: 'boolean', help: 'print this help' },
} as const
const flags = flagsOrExit(BENCH, spec)
const root = new URL('../../', import.meta.url).pathname

type Parse = (sql: string) => number

// Step 1
const antlr = await import('antlr4ng')
registerDtSqlParserResolution()

interface GeneratedParser {
  new (input: InstanceType<typeof antlr.CommonTokenStream>): InstanceType<typeof antlr.Parser> & {
    program(): InstanceType<typeof antlr.ParserRuleContext>
  }
}
type GeneratedLexer = new (
  input: ReturnType<typeof antlr.CharStreams.fromString>,
) => InstanceType<typeof antlr.Lexer>

/** Parses with the given generated classes, set up as dt-sql-parser does; returns the error count. */
function parser(Lexer: GeneratedLexer, Parser: GeneratedParser): Parse {
  return (sql) => {
    let errors = 0
    const listener = new (class extends antlr.BaseErrorListener {
      override syntaxError(): void {
        errors++
      }
    })()
    const lexer = new Lexer(antlr.CharStreams.fromString(sql))
    lexer.removeErrorListeners()
    lexer.addErrorListener(listener)
    const tokens = new antlr.CommonTokenStream(lexer)
    tokens.fill()
    const p = new Parser(tokens)
    p.interpreter.predictionMode = antlr.PredictionMode.SLL
    p.removeErrorListeners()
    p.addErrorListener(listener)
    p.program()
    return errors
  }
}

async function load(
  importIt: () => Promise<{ FlinkSqlLexer: unknown; FlinkSqlParser: unknown }>,
): Promise<{ parse: Parse; coldMs: number }> {
  const started = performance.now()
  const m = await importIt()
  const parse = parser(m.FlinkSqlLexer as GeneratedLexer, m.FlinkSqlParser as GeneratedParser)
  parse(VALID[0]!.sql)
  return { parse, coldMs: performance.now() - started }
}

const stockDir = 'dt-sql-parser/dist/lib/flink'
const loaders = {
  stock: async () => ({
    ...(await import(`${stockDir}/FlinkSqlLexer.js`)),
    ...(await import(`${stockDir}/FlinkSqlParser.js`)),
  }),
  patched: () => import('../../src/sql/grammar/index.ts'),
}

// A child run of this file: load one parser cold, print the milliseconds, exit.
const coldOnly = process.env.SQL_GRAMMAR_BENCH_COLD as keyof typeof loaders | undefined
if (coldOnly) {
  process.stdout.write(String((await load(loaders[coldOnly])).coldMs))
  process.exit(0)
}

function coldMs(which: keyof typeof loaders): number[] {
  return Array.from({ length: flags.runs }, () => {
    const child = spawnSync(process.execPath, [import.meta.filename], {
      env: { ...process.env, SQL_GRAMMAR_BENCH_COLD: which },
      encoding: 'utf8',
    })
    if (child.status !== 0) throw new Error(`${BENCH}: cold run of ${which} failed: ${child.stderr}`)
    return Number(child.stdout)
  })
}

const stock = await load(loaders.stock)
const patched = await load(loaders.patched)
const stockCold = coldMs('stock')
const patchedCold = coldMs('patched')

const both = VALID.filter((s) => stock.parse(s.sql) === 0)
const onlyPatched = VALID.filter((s) => stock.parse(s.sql) > 0 && patched.parse(s.sql) === 0)
for (const s of both)
  if (patched.parse(s.sql) > 0) throw new Error(`${BENCH}: patched parser rejects ${s.id}`)

// Step 2
function run(parse: Parse, statements: readonly string[]): number {
  const started = performance.now()
  for (let p = 0; p < flags.passes; p++) for (const sql of statements) parse(sql)
  return (statements.length * flags.passes) / ((performance.now() - started) / 1000)
}

const bothSql = both.map((s) => s.sql)
for (let i = 0; i < 2; i++) {
  run(stock.parse, bothSql)
  run(patched.parse, bothSql)
}
const stockRates: number[] = []
const patchedRates: number[] = []
for (let r = 0; r < flags.runs; r++) {
  stockRates.push(run(stock.parse, bothSql))
  patchedRates.push(run(patched.parse, bothSql))
}

// Step 3
function perStatementMs(parse: Parse, sql: string): number {
  const times: number[] = []
  for (let r = 0; r < flags.runs * flags.passes; r++) {
    const started = performance.now()
    parse(sql)
    times.push(performance.now() - started)
  }
  return median(times)
}
const ratios = both
  .map((s) => perStatementMs(patched.parse, s.sql) / perStatementMs(stock.parse, s.sql))
  .sort((a, b) => a - b)

// Step 4
const onlyRates: number[] = []
for (let r = 0; r < flags.runs; r++)
  onlyRates.push(
    run(
      patched.parse,
      onlyPatched.map((s) => s.sql),
    ),
  )

// Step 5
function bytes(dir: string, keep: (name: string) => boolean): number {
  return readdirSync(dir)
    .filter(keep)
    .reduce((sum, name) => sum + statSync(join(dir, name)).size, 0)
}
const stockPath = join(root, 'node_modules', stockDir)
const patchedPath = join(root, 'src/sql/grammar/generated')
const js = (n: string): boolean => n.endsWith('.js')
const dts = (n: string): boolean => n.endsWith('.d.ts')

const stockRate = medianFigure('sql-grammar.stock.statements-per-s', 'statements/s', stockRates)
const patchedRate = medianFigure('sql-grammar.patched.statements-per-s', 'statements/s', patchedRates)
const figures = [
  { name: 'sql-grammar.statements.both-accept', value: both.length, unit: 'statements' },
  { name: 'sql-grammar.statements.only-patched-accepts', value: onlyPatched.length, unit: 'statements' },
  medianFigure('sql-grammar.stock.cold-ms', 'ms', stockCold),
  medianFigure('sql-grammar.patched.cold-ms', 'ms', patchedCold),
  stockRate,
  patchedRate,
  { name: 'sql-grammar.patched.ratio-to-stock', value: patchedRate.value / stockRate.value, unit: 'x' },
  { name: 'sql-grammar.stock.us-per-statement', value: 1e6 / stockRate.value, unit: 'us' },
  { name: 'sql-grammar.patched.us-per-statement', value: 1e6 / patchedRate.value, unit: 'us' },
  { name: 'sql-grammar.per-statement-time-ratio.min', value: ratios[0]!, unit: 'x' },
  { name: 'sql-grammar.per-statement-time-ratio.median', value: median(ratios), unit: 'x' },
  { name: 'sql-grammar.per-statement-time-ratio.max', value: ratios.at(-1)!, unit: 'x' },
  medianFigure('sql-grammar.patched.only-patched.statements-per-s', 'statements/s', onlyRates),
  { name: 'sql-grammar.stock.js-bytes', value: bytes(stockPath, js), unit: 'bytes' },
  { name: 'sql-grammar.patched.js-bytes', value: bytes(patchedPath, js), unit: 'bytes' },
  { name: 'sql-grammar.stock.dts-bytes', value: bytes(stockPath, dts), unit: 'bytes' },
  { name: 'sql-grammar.patched.dts-bytes', value: bytes(patchedPath, dts), unit: 'bytes' },
]
for (const f of figures) console.log(benchLine(f))
