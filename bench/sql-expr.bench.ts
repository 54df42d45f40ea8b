/**
 * SQL expression evaluation: compiled expressions (src/sql/expr) against the same logic written by
 * hand in JavaScript, NULL checks included, on the same rows in the same run. The ratio says what
 * the compiler's closures cost over code a person would write.
 *
 * The run, as numbered steps:
 *   1. Build N rows (numbers, strings; some NULLs) and compile each expression once.
 *   2. For each run, evaluate every row with the compiled expression and with its hand-written
 *      peer, alternating which goes first; keep the rows per second of each.
 *   3. Print a BENCH line per figure (medians over the runs) and the ratio, then a table.
 */
import type { Expr, Position, SqlType } from '../src/sql/ast.ts'
import { compileExpression } from '../src/sql/expr/index.ts'
import type { Scope } from '../src/sql/expr/types.ts'
import { flagsOrExit } from './lib/args.ts'
import { benchLine, formatRate, median, medianFigure, table } from './lib/report.ts'

const spec = {
  rows: { kind: 'int', default: 200_000, min: 1, help: 'rows per measured run' },
  runs: { kind: 'int', default: 7, min: 1, max: 50, help: 'measured runs; figures are medians' },
} as const

interface Row {
  amount: number | null
  fee: number
  status: string
  name: string | null
}

const at: Position = { line: 1, column: 1 }
const INT: SqlType = { kind: 'INT', nullable: true }
const STRING: SqlType = { kind: 'VARCHAR', nullable: true }
const col = (name: string): Expr => ({ kind: 'column', name, at })
const int = (value: number): Expr => ({
  kind: 'literal',
  value,
  type: { kind: 'INT', nullable: false },
  text: String(value),
  at,
})
const str = (value: string): Expr => ({
  kind: 'literal',
  value,
  type: { kind: 'CHAR', length: value.length, nullable: false },
  text: value,
  at,
})
const bin = (op: Extract<Expr, { kind: 'binary' }>['op'], left: Expr, right: Expr): Expr => ({
  kind: 'binary',
  op,
  left,
  right,
  at,
})

const types: Record<string, SqlType> = {
  amount: INT,
  fee: { kind: 'INT', nullable: false },
  status: STRING,
  name: STRING,
}
const scope: Scope = {
  column: (ref) => {
    const type = types[ref.name]
    const name = ref.name as keyof Row
    return type === undefined ? undefined : { type, read: (row) => (row as Row)[name] }
  },
  names: () => Object.keys(types),
}

const cases: Array<{ name: string; expr: Expr; peer: (row: Row) => unknown }> = [
  {
    name: 'arithmetic-filter',
    // amount * 2 + fee > 100 AND status = 'PAID'
    expr: bin(
      'AND',
      bin('>', bin('+', bin('*', col('amount'), int(2)), col('fee')), int(100)),
      bin('=', col('status'), str('PAID')),
    ),
    peer: (row) => {
      const big = row.amount === null ? null : ((Math.imul(row.amount, 2) + row.fee) | 0) > 100
      const paid = row.status === 'PAID'
      if (big === false || !paid) return false
      return big === null ? null : true
    },
  },
  {
    name: 'string-case',
    // CASE WHEN UPPER(name) LIKE 'A%' THEN 'a-list' ELSE 'other' END
    expr: {
      kind: 'case',
      whens: [
        {
          when: {
            kind: 'like',
            operand: { kind: 'call', name: 'UPPER', args: [col('name')], star: false, distinct: false, at },
            pattern: str('A%'),
            negated: false,
            at,
          },
          then: str('a-list'),
        },
      ],
      else: str('other'),
      at,
    },
    peer: (row) => (row.name !== null && row.name.toUpperCase().startsWith('A') ? 'a-list' : 'other'),
  },
]

function measure(rows: Row[], evaluate: (row: Row) => unknown): number {
  let sink = 0
  const start = process.hrtime.bigint()
  for (const row of rows) if (evaluate(row) === true) sink++
  const seconds = Number(process.hrtime.bigint() - start) / 1e9
  if (sink < 0) console.log(sink)
  return rows.length / seconds
}

function main(): void {
  const flags = flagsOrExit('bench/sql-expr.bench.ts', spec)
  // Step 1
  const names = ['anna', 'bob', 'Alice', 'carl', null]
  const rows: Row[] = Array.from({ length: flags.rows }, (_, i) => ({
    amount: i % 17 === 0 ? null : i % 113,
    fee: i % 7,
    status: i % 3 === 0 ? 'PAID' : 'OPEN',
    name: names[i % names.length]!,
  }))
  const out: string[][] = [['expression', 'compiled rows/s', 'hand-written rows/s', 'ratio']]
  for (const c of cases) {
    const compiled = compileExpression(c.expr, { file: 'bench.sql', scope, localTimeZone: 'UTC' }).evaluate
    for (const row of rows.slice(0, 1000)) {
      if (compiled(row) !== c.peer(row))
        throw new Error(`${c.name}: compiled and hand-written disagree on ${JSON.stringify(row)}`)
    }
    // Step 2
    const ours: number[] = []
    const peers: number[] = []
    for (let run = 0; run < flags.runs + 1; run++) {
      let compiledRate: number
      let peerRate: number
      if (run % 2 === 0) {
        compiledRate = measure(rows, compiled)
        peerRate = measure(rows, c.peer)
      } else {
        peerRate = measure(rows, c.peer)
        compiledRate = measure(rows, compiled)
      }
      if (run === 0) continue // warm-up
      ours.push(compiledRate)
      peers.push(peerRate)
    }
    // Step 3
    const ratio = median(ours) / median(peers)
    console.log(benchLine(medianFigure(`sql-expr.${c.name}.compiled`, 'rows/s', ours)))
    console.log(benchLine(medianFigure(`sql-expr.${c.name}.hand-written`, 'rows/s', peers)))
    console.log(benchLine({ name: `sql-expr.${c.name}.ratio`, value: ratio, unit: 'x' }))
    out.push([c.name, formatRate(median(ours)), formatRate(median(peers)), ratio.toFixed(2)])
  }
  console.log(table(out))
}

main()
