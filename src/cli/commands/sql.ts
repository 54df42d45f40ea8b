import { readFileSync } from 'node:fs'
import { resolveFlinkOptions, submitSql, type StatementReport } from '../../flink/index.ts'
import { FreshetError } from '../../errors/index.ts'
import { COMMON_HELP, common, parse } from '../args.ts'
import { isSqlFile } from '../../sql/index.ts'
import { ddlCommand } from './ddl.ts'
import { explainCommand } from './explain.ts'
import { sqlClientCommand } from './sql-client.ts'
import { parseSetFlags, runCommand } from './run.ts'

export const sqlHelp = `freshet sql [--init FILE.sql] [--set key=value]... [--no-catalog]
freshet sql run FILE.sql [flags of freshet run] [--set key=value]...
freshet sql explain FILE.sql [--set key=value]... [--json]
freshet sql ddl [TOPIC]... [--json]
freshet sql submit FILE.sql [--flink URL] [--set key=value]...

run: plans every INSERT of FILE.sql onto one freshet pipeline and runs it as a worker, exactly as
freshet run runs a job (same flags, metrics, dead letters, scale-out: the same command again on
another machine shares the partitions). SET 'pipeline.name' names the application id (default
sql-<file name>; --application-id overrides both). See docs/sql.md.

Without an action: the interactive client, like Flink's SQL client. A SELECT shows its live result
as rows arrive, Ctrl-C stops it; the registry's topics are tables already. From a pipe, it runs the
statements it reads. --init runs a file first; --no-catalog leaves the registry out.

ddl: prints a CREATE TABLE for each topic whose value schema is in the registry, with the exact
schema Flink needs to read it (see freshet sql ddl --help).

explain: prints the plan without connecting: the tables read and written, the watermark, then the
topology (sub-topologies, repartition topics, state stores with their changelogs).

submit:
Sends FILE.sql unchanged, statement by statement, through a Flink SQL Gateway: opens a session,
runs each statement, prints each one's line and outcome and the id of each job it submitted
(INSERT INTO ...), then closes the session; the jobs keep running on the cluster. The first
statement Flink refuses stops the file: its error names the file line, and the command exits 1.

  --flink URL        the SQL Gateway's REST API   (env FRESHET_FLINK_GATEWAY_URL,
                     default http://<host>:<gateway port of \`freshet flink up\`>)
  --set key=value    a session property, as SET 'key' = 'value' would set it (repeatable)

With --json: {"file", "gateway", "statements": [...], "jobIds": [...], "failed": ...}.

${COMMON_HELP}`

const KIND = { INSERT: '+I', UPDATE_BEFORE: '-U', UPDATE_AFTER: '+U', DELETE: '-D' } as Record<string, string>

function describe(entry: StatementReport): string {
  const head = `[${entry.index}] line ${entry.line}: ${entry.summary}`
  if (entry.error !== null) return `${head}\n    FAILED ${entry.error}`
  const result = entry.result!
  const cells = (fields: unknown[]): string =>
    fields.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join('\t')
  if (result.isQuery) {
    const rows = result.rows.map((row) => `    ${KIND[row.kind] ?? row.kind} ${cells(row.fields)}`)
    return [
      head,
      `    job ${result.jobId ?? '-'}; ${result.columns.join('\t')}`,
      ...rows,
      ...(result.truncated ? ['    ...'] : []),
    ].join('\n')
  }
  if (result.jobId !== null) return `${head}\n    job ${result.jobId}`
  if (result.resultKind === 'SUCCESS') return `${head}\n    OK`
  return [head, ...result.rows.map((row) => `    ${cells(row.fields)}`)].join('\n')
}

export async function sqlCommand(argv: string[]): Promise<number> {
  const [verb, ...tail] = argv
  if (verb === undefined || (verb.startsWith('-') && !argv.includes('--help') && !argv.includes('-h')))
    return sqlClientCommand(argv)
  if (verb === 'ddl') return ddlCommand(tail)
  if (verb === 'run' || verb === 'explain') {
    const file = tail.find((a) => !a.startsWith('-'))
    if (file === undefined || !isSqlFile(file)) {
      throw new FreshetError('INVALID_OPTION', `sql ${verb}: name one .sql file`, {
        details: { option: 'file' },
      })
    }
    return verb === 'run' ? runCommand(tail) : explainCommand(tail)
  }
  const { values, positionals } = parse(
    argv,
    { flink: { type: 'string' }, set: { type: 'string', multiple: true } },
    true,
  )
  const [action, file, ...rest] = positionals
  if (values.help || action === undefined) return (console.log(sqlHelp), values.help ? 0 : 2)
  if (action !== 'submit')
    throw new FreshetError(
      'INVALID_OPTION',
      `sql: unknown action "${action}"; allowed: run, explain, ddl, submit`,
    )
  if (file === undefined || rest.length > 0)
    throw new FreshetError('INVALID_OPTION', 'sql submit: name one .sql file')
  const c = common(values)
  const properties = parseSetFlags((values.set as unknown as string[] | undefined) ?? [])
  const gatewayUrl =
    (values.flink as string | undefined) ||
    process.env.FRESHET_FLINK_GATEWAY_URL ||
    `http://${c.stack.host}:${resolveFlinkOptions().gatewayPort}`
  let sql: string
  try {
    sql = readFileSync(file, 'utf8')
  } catch (error) {
    throw new FreshetError('INVALID_OPTION', `sql submit: cannot read ${file}: ${(error as Error).message}`)
  }
  const report = await submitSql({
    gatewayUrl,
    sql,
    file,
    properties,
    ...(c.json ? {} : { onStatement: (entry: StatementReport) => console.log(describe(entry)) }),
  })
  if (c.json) console.log(JSON.stringify(report))
  else if (report.failed === null)
    console.log(`${report.statements.length} statements, ${report.jobIds.length} jobs submitted`)
  return report.failed === null ? 0 : 1
}
