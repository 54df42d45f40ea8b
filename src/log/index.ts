/** Structured logging (pino) for the long-running commands (docs/operations.md#logs). */
export {
  createLogger,
  LOG_FORMATS,
  LOG_LEVELS,
  type LogFormat,
  type Logger,
  type LoggerOptions,
} from './logger.ts'
export { RateLimitedReports } from './rate-limited.ts'
