/**
 * `freshet sql`: the interactive SQL client, like Flink's SQL client. Statements are read from the
 * terminal (or from stdin when it is not one: a script, statement by statement); a SELECT shows its
 * live result as rows arrive, until Ctrl-C or the end of its bounded inputs.
 *
 *   1. Flags, the session, the registry's catalog (every topic with a value schema is a table),
 *      `--set` properties and the `--init` file.
 *   2. Read lines, cut them into statements, execute each (src/sql/client/session.ts).
 *   3. A SELECT runs as a push query (src/sql/client/push-query.ts), its rows printed as they come.
 * At a terminal an error is shown and the session goes on; from a script the first error stops it
 * with exit code 1, as `sql-client.sh -f` does.
 */
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createInterface, type Interface } from 'node:readline'
import { FreshetError } from '../../errors/index.ts'
import { RegistryClient } from '../../registry/index.ts'
import type { WorkerEvent } from '../../runtime/index.ts'
import { registryTables } from '../../sql/catalog/index.ts'
import {
  LiveTable,
  runPushQuery,
  SqlSession,
  StatementSplitter,
  StreamingTable,
  type ClientResult,
} from '../../sql/client/index.ts'
import { loadSqlParser } from '../../sql/parse/index.ts'
import { COMMON_HELP, common, parse } from '../args.ts'
import { parseSetFlags } from './run.ts'

export const sqlClientHelp = `freshet sql [--init FILE.sql] [--set key=value]... [--no-catalog]

The interactive SQL client. Type Flink SQL statements ending with ';'. A SELECT runs at once on a
worker in this process and shows its result live: on a terminal as a table redrawn in place (one
row per key for an updating result), else each change on a line (+I, -U/+U), as Flink's result
modes table and tableau (SET 'sql-client.execution.result-mode' = 'tableau' chooses). Ctrl-C
stops it and returns to the prompt. CREATE TABLE / VIEW and SET last for the session.
HELP; lists the client's commands; QUIT; or Ctrl-D leaves.

Every topic whose value schema is in the registry is a table already (as \`freshet sql ddl\`
prints it), unless --no-catalog. With stdin not a terminal, the statements are read from it and
the first error stops the client with exit code 1.

  --init FILE.sql    statements to run first (tables, views, SET)
  --set key=value    a session property, as SET 'key' = 'value' (repeatable)
  --no-catalog       do not make the registry's topics into tables

${COMMON_HELP}`

const PROMPT = 'freshet> '
/** How often a `table` result is redrawn while rows come. */
const REDRAW_INTERVAL_MS = 200
const RESULT_MODES = ['table', 'tableau', 'changelog'] as const
const CONTINUATION = '       > '

export async function sqlClientCommand(argv: string[]): Promise<number> {
  // 1.
  const { values, positionals } = parse(
    argv,
    { init: { type: 'string' }, set: { type: 'string', multiple: true }, 'no-catalog': { type: 'boolean' } },
    true,
  )
  if (values.help) return (console.log(sqlClientHelp), 0)
  if (positionals.length > 0) {
    throw new FreshetError(
      'INVALID_OPTION',
      `sql: unknown action "${positionals[0]}"; allowed: run, explain, ddl, submit, or none for the interactive client`,
    )
  }
  const c = common(values)
  const interactive = process.stdin.isTTY === true
  const out = (text: string): void => void process.stdout.write(`${text}\n`)
  const err = (text: string): void => void process.stderr.write(`${text}\n`)

  /** Where the running query's rows go. */
  let onRow: ((values: readonly unknown[]) => void) | undefined
  const session = new SqlSession({
    queryApplicationId: () => `freshet-sql-query-${randomBytes(4).toString('hex')}`,
    collect: ({ values }) => onRow?.(values),
  })
  if (interactive) out("freshet SQL client. Statements end with ';'. HELP; for help, QUIT; to leave.")
  await loadSqlParser()
  if (values['no-catalog'] !== true) {
    try {
      const catalog = await registryTables(new RegistryClient({ url: c.registryUrl }), {
        bootstrapServers: c.brokers.join(','),
        registryUrl: c.registryUrl,
      })
      const errors = await session.addTables(
        catalog.tables.map((t) => t.ddl),
        'registry',
      )
      for (const e of errors) err(`[WARN] a registry table was left out: ${e.message}`)
      if (interactive && catalog.tables.length > 0)
        out(
          `${catalog.tables.length - errors.length} tables from the registry at ${c.registryUrl}: SHOW TABLES;`,
        )
    } catch (error) {
      err(
        `[WARN] no catalog from the registry at ${c.registryUrl} (${(error as Error).message}); --no-catalog skips it`,
      )
    }
  }

  let query: AbortController | undefined
  let quit = false
  const execute = async (text: string): Promise<boolean> => {
    let result: ClientResult
    try {
      result = await session.execute(text)
      switch (result.kind) {
        case 'quit':
          quit = true
          return true
        case 'clear':
          if (interactive) process.stdout.write('\x1b[2J\x1b[H')
          return true
        case 'ok':
          out(result.message)
          return true
        case 'table':
          out(result.text)
          return true
        case 'query': {
          // 3.
          const { planned } = result
          const localTimeZone = planned.properties['table.local-time-zone'] ?? 'UTC'
          const mode = resultMode(planned.properties, process.stdout.isTTY === true)
          query = new AbortController()
          const run = (): Promise<unknown> =>
            runPushQuery(planned, {
              bootstrapBrokers: c.brokers,
              signal: query!.signal,
              onEvent: (event) => report(event, err),
            })
          try {
            if (mode === 'table') {
              // Redrawn in place at most every REDRAW_INTERVAL_MS while rows come.
              const live = new LiveTable(planned.result!, localTimeZone)
              let dirty = true
              const draw = (): void => {
                if (!dirty) return
                dirty = false
                process.stdout.write(`\x1b[H\x1b[2J${live.render(process.stdout.rows ?? 24).join('\n')}\n`)
              }
              onRow = (values) => {
                live.add(values)
                dirty = true
              }
              const timer = setInterval(draw, REDRAW_INTERVAL_MS)
              try {
                draw()
                await run()
              } finally {
                clearInterval(timer)
                dirty = true
                draw()
                out(`Received a total of ${live.changes} row${live.changes === 1 ? '' : 's'}`)
              }
            } else {
              const table = new StreamingTable(planned.result!, localTimeZone)
              out(table.header().join('\n'))
              onRow = (values) => out(table.row(values).join('\n'))
              try {
                await run()
              } finally {
                out(table.footer().join('\n'))
              }
            }
          } finally {
            onRow = undefined
            query = undefined
          }
          return true
        }
      }
    } catch (error) {
      const message = error instanceof FreshetError ? `${error.code}: ${error.message}` : String(error)
      err(`[ERROR] Could not execute SQL statement. Reason:\n${message}`)
      return false
    }
  }

  // 2.
  const rl = createInterface({
    input: process.stdin,
    output: interactive ? process.stdout : undefined,
    terminal: interactive,
  })
  const splitter = new StatementSplitter()
  const interrupt = (): void => {
    if (query !== undefined) return void query.abort()
    if (!interactive) {
      quit = true
      return void rl.close()
    }
    if (splitter.pending) splitter.clear()
    else out('\n(QUIT; or Ctrl-D to leave)')
    prompt(rl, splitter)
  }
  rl.on('SIGINT', interrupt)
  const onSignal = (): void => interrupt()
  // SIGTERM ends the client: the running query first (it cleans up), then the session.
  const onTerminate = (): void => {
    quit = true
    query?.abort()
    rl.close()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onTerminate)
  try {
    const init = values.init as string | undefined
    if (init !== undefined) {
      let text: string
      try {
        text = readFileSync(init, 'utf8')
      } catch (error) {
        throw new FreshetError(
          'INVALID_OPTION',
          `sql: cannot read --init ${init}: ${(error as Error).message}`,
        )
      }
      const statements = new StatementSplitter().push(text)
      for (const statement of statements) if (!(await execute(statement))) return 1
    }
    for (const [key, value] of Object.entries(
      parseSetFlags((values.set as unknown as string[] | undefined) ?? []),
    )) {
      if (!(await execute(`SET '${key.replace(/'/g, "''")}' = '${value.replace(/'/g, "''")}'`))) return 1
    }
    if (interactive) prompt(rl, splitter)
    for await (const line of rl) {
      for (const statement of splitter.push(line)) {
        const ok = await execute(statement)
        if (quit) return 0
        if (!ok && !interactive) return 1
      }
      if (quit) return 0
      if (interactive) prompt(rl, splitter)
    }
    if (quit) return 0
    if (splitter.pending && !interactive) {
      err("[ERROR] the input ended inside a statement: end it with ';'")
      return 1
    }
    return 0
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onTerminate)
    rl.close()
  }
}

function prompt(rl: Interface, splitter: StatementSplitter): void {
  rl.setPrompt(splitter.pending ? CONTINUATION : PROMPT)
  rl.prompt()
}

/**
 * `sql-client.execution.result-mode`, as in Flink: `table` (the result as it is now, redrawn in
 * place; the default on a terminal), `tableau` (every change as a line; the default otherwise) or
 * `changelog` (shown as `tableau`). Without a terminal to redraw, `table` is shown as `tableau`.
 */
function resultMode(properties: Readonly<Record<string, string>>, terminal: boolean): 'table' | 'tableau' {
  const value = properties['sql-client.execution.result-mode']?.toLowerCase()
  if (value !== undefined && !(RESULT_MODES as readonly string[]).includes(value)) {
    throw new FreshetError(
      'INVALID_OPTION',
      `'sql-client.execution.result-mode' must be one of ${RESULT_MODES.join(', ')}, got '${value}'`,
      { details: { option: 'sql-client.execution.result-mode' } },
    )
  }
  return terminal && (value === undefined || value === 'table') ? 'table' : 'tableau'
}

/** What a running query's worker says that the user should know, on stderr. */
function report(event: WorkerEvent, err: (text: string) => void): void {
  switch (event.type) {
    case 'bad-records':
      err(
        `[WARN] ${event.count} record${event.count === 1 ? '' : 's'} ${event.outcome === 'late' ? 'late, not in the result' : 'skipped'} ` +
          `(${event.code}); latest ${event.topic}/${event.partition}@${event.offset}: ${event.reason}`,
      )
      return
    case 'waiting':
      err(`[WARN] waiting for ${event.for === 'kafka' ? 'Kafka' : 'the registry'} (${event.reason})`)
      return
    case 'resumed':
      err(`[INFO] ${event.for === 'kafka' ? 'Kafka' : 'the registry'} answers again`)
      return
    default:
      return
  }
}
