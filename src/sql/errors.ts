/**
 * Errors of the SQL front end, all at a position of the file: `file:line:column: message`, with the
 * file, line, column (and for FRESHET_SQL_UNSUPPORTED the construct's name) in `details`.
 */
import { FreshetError } from '../errors/index.ts'
import type { Position } from './ast.ts'

/** A statement that is wrong in Flink too: syntax, unknown names, type mismatches, bad options. */
export function sqlInvalid(file: string, at: Position, message: string): FreshetError {
  return new FreshetError('SQL_INVALID', `${file}:${at.line}:${at.column}: ${message}`, {
    details: { file, line: at.line, column: at.column },
  })
}

/**
 * Valid Flink SQL that freshet does not run. `construct` is a short, stable name of what was
 * refused (`SESSION window TVF`, `OVER aggregation`, `FULL OUTER JOIN`); `hint` says what works.
 */
export function sqlUnsupported(
  file: string,
  at: Position,
  construct: string,
  hint?: string,
): FreshetError {
  const tail = hint === undefined ? '' : `; ${hint}`
  return new FreshetError(
    'SQL_UNSUPPORTED',
    `${file}:${at.line}:${at.column}: ${construct} is not supported by freshet's SQL${tail}`,
    { details: { file, line: at.line, column: at.column, construct } },
  )
}
