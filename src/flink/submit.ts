/**
 * `freshet sql submit`: a .sql file sent unchanged, statement by statement, through the SQL Gateway.
 *
 * Submitting, as numbered steps:
 *   1. Split the file into statements; a file that cannot be split fails before any request.
 *   2. Open a session.
 *   3. Run each statement in order and record what it gave (the job id of an INSERT). The first
 *      statement Flink refuses stops the file: later statements usually need the earlier ones.
 *      Its error names the file line the statement starts on, and parser positions are moved to
 *      file positions.
 *   4. Close the session, whatever happened. Jobs submitted keep running on the cluster.
 */
import { FreshetError } from '../errors/index.ts'
import { SqlGatewayClient, type StatementResult } from './gateway.ts'
import { splitStatements, toFilePositions } from './statements.ts'

export interface StatementReport {
  /** 1-based position of the statement in the file. */
  index: number
  line: number
  /** The statement's first line, for people reading the report. */
  summary: string
  result: StatementResult | null
  error: string | null
}

export interface SubmitReport {
  file: string
  gateway: string
  statements: StatementReport[]
  /** The jobs the file submitted, in order. */
  jobIds: string[]
  /** The first failed statement's report, when one failed (the statements after it did not run). */
  failed: StatementReport | null
}

export interface SubmitOptions {
  gatewayUrl: string
  sql: string
  /** Names the file in errors and reports. */
  file?: string
  /** Session properties, as `SET 'key' = 'value'` would set them. */
  properties?: Record<string, string>
  /** Called after each statement. */
  onStatement?: (report: StatementReport) => void
}

function summary(text: string): string {
  const first = text.split('\n')[0]!.trim()
  return first.length > 80 ? `${first.slice(0, 77)}...` : first
}

export async function submitSql(options: SubmitOptions): Promise<SubmitReport> {
  const file = options.file ?? '<sql>'

  // Step 1
  const statements = splitStatements(options.sql, file)

  // Step 2
  const client = new SqlGatewayClient({ url: options.gatewayUrl })
  const session = await client.openSession({
    name: `freshet sql submit ${file}`,
    ...(options.properties === undefined ? {} : { properties: options.properties }),
  })
  const report: SubmitReport = {
    file,
    gateway: client.url,
    statements: [],
    jobIds: [],
    failed: null,
  }
  try {
    // Step 3
    for (const [i, statement] of statements.entries()) {
      const entry: StatementReport = {
        index: i + 1,
        line: statement.line,
        summary: summary(statement.text),
        result: null,
        error: null,
      }
      try {
        entry.result = await client.run(session, statement.text)
        if (entry.result.jobId !== null) report.jobIds.push(entry.result.jobId)
      } catch (error) {
        if (!(error instanceof FreshetError) || error.code !== 'FRESHET_FLINK_STATEMENT_FAILED') throw error
        entry.error = `${file}:${statement.line}: ${toFilePositions(error.message, statement)}`
        report.failed = entry
      }
      report.statements.push(entry)
      options.onStatement?.(entry)
      if (report.failed) break
    }
  } finally {
    // Step 4
    await client.closeSession(session).catch(() => {})
  }
  return report
}
