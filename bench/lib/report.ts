/**
 * How benchmarks report: one `BENCH {json}` line per figure on stdout, for machines, and a short
 * table for people. Every figure of a repeated measurement is the median of its runs.
 */
import { cpus, loadavg, totalmem } from 'node:os'

export interface Figure {
  name: string
  value: number
  unit: string
  /** Each run's value, when the figure is a median of several. */
  runs?: number[]
}

export function median(values: number[]): number {
  if (values.length === 0) return NaN
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/**
 * The q-quantile (0 <= q <= 1) of values sorted ascending, by the nearest-rank method: the smallest
 * value with at least q of all values at or below it, so p99 of 100 samples is the 99th smallest.
 */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return NaN
  const rank = Math.max(1, Math.ceil(q * sorted.length))
  return sorted[Math.min(rank, sorted.length) - 1]!
}

/** Rounds to a precision that suits the magnitude: integers from 1000 up, 3 significant digits below. */
export function round(value: number): number {
  if (!Number.isFinite(value)) return value
  if (Math.abs(value) >= 1000) return Math.round(value)
  return Number(value.toPrecision(3))
}

export function benchLine(figure: Figure): string {
  const out: Record<string, unknown> = { name: figure.name, value: round(figure.value), unit: figure.unit }
  if (figure.runs && figure.runs.length > 1) out.runs = figure.runs.map(round)
  return `BENCH ${JSON.stringify(out)}`
}

/** A benchmark's figures: each printed as a BENCH line when reported, and kept for the summary. */
export function figureRecorder(): {
  figures: Figure[]
  report: (name: string, value: number, unit: string) => void
} {
  const figures: Figure[] = []
  return {
    figures,
    report: (name, value, unit) => {
      const figure = { name, value, unit }
      figures.push(figure)
      console.log(benchLine(figure))
    },
  }
}

/** A figure that is the median of per-run values. */
export function medianFigure(name: string, unit: string, runs: number[]): Figure {
  return { name, unit, value: median(runs), runs }
}

export function formatRate(value: number): string {
  return Math.round(value).toLocaleString('en-US')
}

/** A plain-text table with a header row; columns after the first are right-aligned. */
export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)))
  return rows
    .map((row) =>
      row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '),
    )
    .join('\n')
}

/** The machine a run measures on, and its load average: the context every figure needs. */
export function describeMachine(): string {
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')
  return `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, load average ${load}`
}
