/**
 * Rows as Flink's SQL client shows them. In its `tableau` result mode (`StreamingTable`): a framed
 * table whose first column is the row's change (`+I` insert; `-U`/`+U` the old and new row of an
 * updated key), each value as Flink's CAST to STRING writes it, NULL as `<NULL>`, right-aligned,
 * widths by type and long values cut with `...`, each row printed as it arrives. In its `table`
 * mode (`LiveTable`): the result as it is now, one row per key, redrawn in place.
 */
import type { SqlType } from '../ast.ts'
import { stringOf } from '../expr/cast.ts'
import type { CollectPlan } from '../plan/sink.ts'

export type ChangeKind = '+I' | '-U' | '+U'

/** The widest a column gets before its values are cut, as in Flink's client. */
const MAX_COLUMN_WIDTH = 30
const NULL_TEXT = '<NULL>'

/** How wide a value of this type usually prints. */
function typeWidth(type: SqlType): number {
  switch (type.kind) {
    case 'BOOLEAN':
      return 5
    case 'TINYINT':
      return 4
    case 'SMALLINT':
      return 6
    case 'INT':
      return 11
    case 'BIGINT':
    case 'FLOAT':
    case 'DOUBLE':
      return 20
    case 'DECIMAL':
      return type.precision + 2
    case 'DATE':
      return 10
    case 'TIME':
      return type.precision === 0 ? 8 : 9 + type.precision
    case 'TIMESTAMP':
    case 'TIMESTAMP_LTZ':
      return type.precision === 0 ? 19 : 20 + type.precision
    case 'CHAR':
    case 'VARCHAR':
      return Math.min(type.length ?? MAX_COLUMN_WIDTH, MAX_COLUMN_WIDTH)
    default:
      return MAX_COLUMN_WIDTH
  }
}

/** A column's width: its name, its type's usual width or `<NULL>`, whichever is widest. */
function columnWidth(column: { readonly name: string; readonly type: SqlType }): number {
  return Math.max(column.name.length, typeWidth(column.type), NULL_TEXT.length)
}

function fit(text: string, width: number): string {
  const cut = text.length > width ? `${text.slice(0, Math.max(0, width - 3))}...` : text
  return cut.padStart(width)
}

function border(widths: readonly number[]): string {
  return `+${widths.map((w) => '-'.repeat(w + 2)).join('+')}+`
}

function line(cells: readonly string[], widths: readonly number[]): string {
  return `| ${cells.map((c, i) => fit(c, widths[i]!)).join(' | ')} |`
}

/** A finished result (SHOW TABLES, DESCRIBE): widths from the contents. */
export function formatTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const frame = border(widths)
  const out = [frame, line(header, widths), frame, ...rows.map((r) => line(r, widths))]
  if (rows.length > 0) out.push(frame)
  out.push(rows.length === 0 ? 'Empty set' : `${rows.length} row${rows.length === 1 ? '' : 's'} in set`)
  return out.join('\n')
}

/**
 * A streaming result: `header()` once, then `rows(values)` per row as it comes, the lines to
 * print; `footer()` when the query ends. An updating result (a GROUP BY without a window) keeps the
 * last row of each key to print it as `-U` before the new one, as Flink's changelog shows.
 */
export class StreamingTable {
  readonly #plan: CollectPlan
  readonly #text: ReadonlyArray<(value: unknown) => string>
  readonly #widths: readonly number[]
  readonly #latest = new Map<string, readonly unknown[]>()
  #count = 0

  constructor(plan: CollectPlan, localTimeZone: string) {
    this.#plan = plan
    this.#text = cellText(plan, localTimeZone)
    this.#widths = [2, ...plan.columns.map(columnWidth)]
  }

  header(): string[] {
    const frame = border(this.#widths)
    return [frame, line(['op', ...this.#plan.columns.map((c) => c.name)], this.#widths), frame]
  }

  /** The lines for one row of the result. */
  row(values: readonly unknown[]): string[] {
    const keyIndexes = this.#plan.keyIndexes
    let kinds: Array<[ChangeKind, readonly unknown[]]> = [['+I', values]]
    if (this.#plan.updating && keyIndexes !== undefined) {
      const key = JSON.stringify(keyIndexes.map((i) => values[i]))
      const before = this.#latest.get(key)
      this.#latest.set(key, values)
      if (before !== undefined) {
        kinds = [
          ['-U', before],
          ['+U', values],
        ]
      }
    }
    this.#count += kinds.length
    return kinds.map(([kind, row]) => line([kind, ...row.map((v, i) => this.#text[i]!(v))], this.#widths))
  }

  footer(): string[] {
    return [border(this.#widths), `Received a total of ${this.#count} row${this.#count === 1 ? '' : 's'}`]
  }

  get count(): number {
    return this.#count
  }
}

/**
 * Flink's `table` result mode: the result as it is now, redrawn in place on a terminal. An
 * updating result holds one row per key (the latest); an insert-only one its rows in arrival
 * order, the oldest dropped beyond `maxRows`. `render(height)` gives the lines of one screen: the
 * newest rows that fit, and a status line.
 */
export class LiveTable {
  readonly #plan: CollectPlan
  readonly #text: ReadonlyArray<(value: unknown) => string>
  readonly #widths: readonly number[]
  readonly #maxRows: number
  readonly #rows = new Map<string, readonly unknown[]>()
  #appended = 0
  #changes = 0

  constructor(plan: CollectPlan, localTimeZone: string, maxRows = 100_000) {
    this.#plan = plan
    this.#text = cellText(plan, localTimeZone)
    this.#widths = plan.columns.map(columnWidth)
    this.#maxRows = maxRows
  }

  add(values: readonly unknown[]): void {
    this.#changes++
    const keyIndexes = this.#plan.keyIndexes
    if (this.#plan.updating && keyIndexes !== undefined) {
      const key = JSON.stringify(keyIndexes.map((i) => values[i]))
      this.#rows.delete(key) // re-inserted last: the latest change shows at the bottom
      this.#rows.set(key, values)
    } else {
      this.#rows.set(String(this.#appended++), values)
      if (this.#rows.size > this.#maxRows) this.#rows.delete(this.#rows.keys().next().value!)
    }
  }

  /** Rows in the result now. */
  get size(): number {
    return this.#rows.size
  }

  /** Rows received, updates included. */
  get changes(): number {
    return this.#changes
  }

  render(height: number): string[] {
    const frame = border(this.#widths)
    const rows = [...this.#rows.values()]
    const fit = Math.max(1, height - 5)
    const shown = rows.slice(-fit)
    return [
      frame,
      line(
        this.#plan.columns.map((c) => c.name),
        this.#widths,
      ),
      frame,
      ...shown.map((row) =>
        line(
          row.map((v, i) => this.#text[i]!(v)),
          this.#widths,
        ),
      ),
      frame,
      `${rows.length} row${rows.length === 1 ? '' : 's'}` +
        (shown.length < rows.length ? ` (the newest ${shown.length} shown)` : '') +
        `, ${this.#changes} change${this.#changes === 1 ? '' : 's'} received. Ctrl-C stops the query.`,
    ]
  }
}

/** Each column's text: as Flink's CAST to STRING writes the value, NULL as `<NULL>`. */
function cellText(plan: CollectPlan, localTimeZone: string): Array<(value: unknown) => string> {
  return plan.columns.map(({ type }) => {
    const cast = stringOf(type, localTimeZone)
    return (value: unknown) =>
      value === null || value === undefined
        ? NULL_TEXT
        : cast === undefined
          ? JSON.stringify(value)
          : String(cast(value))
  })
}
