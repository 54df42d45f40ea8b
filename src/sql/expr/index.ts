/**
 * The expression compiler: SQL expressions and aggregate calls, compiled once into plain
 * functions with Flink's types and semantics. The planner resolves columns through a `Scope`.
 */
export { compileExpression, isAggregateFunction } from './compile.ts'
export { compileAggregate } from './aggregates.ts'
export { formatType, leastCommonType } from '../types/index.ts'
export type {
  ColumnBinding,
  CompileContext,
  CompiledAggregate,
  CompiledExpression,
  Row,
  Scope,
} from './types.ts'
