export type * from './ast.ts'
export { defaultApplicationId, isSqlFile, planSql, planSqlFile, type SqlJobOptions } from './job.ts'
export type { PlannedScript } from './plan/planner.ts'
