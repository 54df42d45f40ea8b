/**
 * `freshet sql explain FILE.sql`: the plan of a SQL file without connecting to anything: the tables
 * it reads (topic, format, time attribute and watermark delay) and writes, then the topology.
 */
import { COMMON_HELP, common, parse } from '../args.ts'
import { planSqlFile } from '../../sql/index.ts'
import { parseSetFlags } from './run.ts'

export const explainHelp = `freshet sql explain FILE.sql [--set key=value]... [--application-id ID] [--json]

${COMMON_HELP}`

export async function explainCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(
    argv,
    { set: { type: 'string', multiple: true }, 'application-id': { type: 'string' } },
    true,
  )
  if (values.help) return (console.log(explainHelp), 0)
  const c = common(values)
  const planned = await planSqlFile(positionals[0] as string, {
    applicationId: values['application-id'] as string | undefined,
    properties: parseSetFlags((values.set as unknown as string[] | undefined) ?? []),
  })
  const sources = planned.sources.map((s) => ({
    table: s.table.name,
    topic: s.topic,
    format: s.table.connector.kind === 'kafka' ? s.table.connector.value.format.kind : s.table.connector.kind,
    timeAttribute: s.relation.timeColumn ?? null,
    watermarkDelayMs: s.watermarkDelayMs ?? null,
  }))
  const sinks = planned.sinks.map((s) => ({
    table: s.table.name,
    connector: s.table.connector.kind,
    topic: s.topic ?? null,
    line: s.insert.at.line,
  }))
  if (c.json) {
    console.log(
      JSON.stringify(
        { applicationId: planned.applicationId, sources, sinks, topology: planned.topology.description },
        null,
        2,
      ),
    )
    return 0
  }
  const lines = [`application ${planned.applicationId}`, 'reads:']
  for (const s of sources) {
    const time =
      s.timeAttribute === null
        ? 'no time attribute (record timestamps)'
        : `time attribute ${s.timeAttribute}, watermark ${s.timeAttribute} - ${s.watermarkDelayMs} ms`
    lines.push(`  ${s.table} <- ${s.topic} (${s.format}); ${time}`)
  }
  lines.push('writes:')
  for (const s of sinks) lines.push(`  line ${s.line}: INSERT INTO ${s.table} -> ${s.topic ?? s.connector}`)
  process.stdout.write(`${lines.join('\n')}\n\n${planned.topology.describe()}`)
  return 0
}
