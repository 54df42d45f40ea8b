/**
 * Errors raised while evaluating a compiled expression on a row: where Flink's job fails
 * (ArithmeticException on integer division by zero, a CAST of a string that does not parse), the
 * evaluator throws FRESHET_OPERATOR_FAILED with the position of the expression in the file.
 */
import { FreshetError } from '../../errors/index.ts'
import type { Position } from '../ast.ts'

export type Fail = (message: string) => never

/** A thrower bound to a position, built at compile time so that the row path only calls it. */
export function runtimeFailure(file: string, at: Position): Fail {
  return (message) => {
    throw new FreshetError('OPERATOR_FAILED', `${file}:${at.line}:${at.column}: ${message}`, {
      details: { file, line: at.line, column: at.column },
    })
  }
}
