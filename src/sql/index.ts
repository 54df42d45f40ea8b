export type * from './ast.ts'
export {
  defaultApplicationId,
  isSqlFile,
  planSql,
  planSqlFile,
  sqlWorkerOptions,
  type SqlJobOptions,
} from './job.ts'
export type { PlannedScript } from './plan/planner.ts'
