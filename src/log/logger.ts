/**
 * Structured logs of the long-running commands: pino, one JSON object per line (for log shippers),
 * or pino-pretty's readable lines for a person at a terminal. The default follows the stream: pretty
 * on a terminal, JSON otherwise. Logs go to stderr; stdout stays for what a command outputs.
 */
import { pino, type Logger, type LevelWithSilent } from 'pino'
import pretty from 'pino-pretty'
import { checks, validateOptions, type Spec } from '../options/index.ts'

export type { Logger } from 'pino'

export const LOG_FORMATS = ['json', 'pretty'] as const
export type LogFormat = (typeof LOG_FORMATS)[number]
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const

export interface LoggerOptions {
  /** The component, in every line (`name`). */
  name: string
  /** Default info. */
  level?: LevelWithSilent
  /** Default: pretty when `stream` is a terminal, else json. */
  format?: LogFormat
  /** Default process.stderr. */
  stream?: NodeJS.WritableStream & { isTTY?: boolean }
}

const loggerSpec: Spec<LoggerOptions> = {
  name: { check: checks.string() },
  level: { check: checks.oneOf(LOG_LEVELS), default: 'info' },
  format: { check: checks.oneOf(LOG_FORMATS) },
  stream: { check: checks.any<NonNullable<LoggerOptions['stream']>>() },
}

export function createLogger(options: LoggerOptions): Logger {
  const o = validateOptions('createLogger', options, loggerSpec)
  const stream = o.stream ?? process.stderr
  const format = o.format ?? (stream.isTTY === true ? 'pretty' : 'json')
  const base = { name: o.name, level: o.level ?? 'info', base: { pid: process.pid } }
  if (format === 'json') return pino({ ...base, timestamp: pino.stdTimeFunctions.isoTime }, stream)
  return pino(
    base,
    pretty({
      destination: stream,
      sync: true,
      colorize: stream.isTTY === true,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname',
      singleLine: true,
    }),
  )
}
