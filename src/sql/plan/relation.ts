/** A relation while a query is planned: a stream of row objects and the columns they carry. */
import type { Position, SqlType } from '../ast.ts'
import type { Row } from '../expr/types.ts'
import type { Stream } from '../../stream/index.ts'
import type { RelationColumn } from './scope.ts'

/** A window TVF's windows, waiting for the window aggregation that consumes them. */
export interface WindowSpec {
  readonly fn: 'TUMBLE' | 'HOP' | 'CUMULATE' | 'SESSION'
  readonly sizeMs: number
  /** HOP's slide, CUMULATE's step. */
  readonly slideMs?: number | undefined
  /** The window offset (TUMBLE, HOP, CUMULATE's last argument): starts shift by it. */
  readonly offsetMs?: number | undefined
  /** SESSION's gap. */
  readonly gapMs?: number | undefined
  /** SESSION's PARTITION BY columns. */
  readonly partitionBy: readonly string[]
  /** The time attribute named in DESCRIPTOR(...). */
  readonly timeColumn: string
  readonly timeType: SqlType
  readonly at: Position
}

export interface Relation {
  readonly stream: Stream<Row>
  readonly columns: readonly RelationColumn[]
  /** The time attribute column (a rowtime): each row's event time is its value. */
  readonly timeColumn?: string | undefined
  /** Set after a window TVF: the window columns exist once a window aggregation has run. */
  readonly windows?: WindowSpec | undefined
  /**
   * The rows of a window aggregation, with window_start and window_end still as it wrote them:
   * each row's event time is its window's window_time, kept or not (what a window Top-N needs).
   */
  readonly windowed?: boolean | undefined
  /**
   * The rows are updates (a GROUP BY without a window, Flink's changelog): a later row replaces the
   * earlier one with the same `upsertKey`. Only an `upsert-kafka` table can take them.
   */
  readonly updating?: boolean | undefined
  /** The columns that identify an updating row; undefined when a projection dropped one of them. */
  readonly upsertKey?: readonly string[] | undefined
  /**
   * An upsert-kafka table: each row is a new version of its PRIMARY KEY's row, or its deletion
   * (`isDeletion`, source.ts). Only a temporal join reads it (`FOR SYSTEM_TIME AS OF`).
   */
  readonly versioned?: { readonly primaryKey: readonly string[] } | undefined
}

/** The names Flink gives a window TVF's extra columns. */
export const WINDOW_START = 'window_start'
export const WINDOW_END = 'window_end'
export const WINDOW_TIME = 'window_time'
