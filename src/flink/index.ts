export { flinkDown, flinkStatus, flinkUp, gatewayUrl, restUrl, type FlinkTarget } from './cluster.ts'
export { flinkConfig, flinkDirs, type FlinkDirs } from './config.ts'
export { SqlGatewayClient, statementError, type GatewayOptions, type StatementResult } from './gateway.ts'
export {
  FLINK_KAFKA_CONNECTOR_VERSION,
  FLINK_VERSION,
  flinkHome,
  flinkInstalled,
  installFlink,
} from './install.ts'
export { cancelJob, jobState, waitForJob, type JobOutcome, type TerminalJobState } from './jobs.ts'
export { FLINK_ENV, resolveFlinkOptions, type FlinkOptions, type ResolvedFlinkOptions } from './options.ts'
export { splitStatements, toFilePositions, type SqlStatement } from './statements.ts'
export { submitSql, type StatementReport, type SubmitOptions, type SubmitReport } from './submit.ts'
export { FLINK_SERVICES, type FlinkServiceName, type FlinkServiceStatus, type FlinkState } from './types.ts'
