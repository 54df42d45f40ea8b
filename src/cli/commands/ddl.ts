/**
 * `freshet sql ddl [TOPIC]...`: the catalog of the schema registry as Flink SQL. For every topic
 * whose value subject (`<topic>-value`) is registered, a CREATE TABLE with the columns of its
 * latest schema, its event time and watermark, and the exact schema as `'avro-confluent.schema'`
 * (so that Flink reads Avro enums as STRING), ready for `freshet sql run` and for Flink.
 */
import { FreshetError } from '../../errors/index.ts'
import { RegistryClient } from '../../registry/index.ts'
import { registryTables } from '../../sql/catalog/index.ts'
import { COMMON_HELP, common, parse } from '../args.ts'

export const ddlHelp = `freshet sql ddl [TOPIC]... [--watermark-delay SECONDS] [--json]

Prints a Flink CREATE TABLE for each topic whose value schema is in the registry (all of them when
no topic is named): columns from the latest schema, NOT NULL where it has no null, the event time
and its WATERMARK from a timestamp field, and 'avro-confluent.schema' set to the exact schema.
The tables name the broker and registry the command connects to (--bootstrap, --registry-url).

  --watermark-delay SECONDS   how far the watermark stays behind the event time (default 5)

With --json: {"tables": [{"topic", "subject", "schemaId", "version", "table", "ddl"}], "skipped": [...]}.

${COMMON_HELP}`

export async function ddlCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { 'watermark-delay': { type: 'string' } }, true)
  if (values.help) return (console.log(ddlHelp), 0)
  const c = common(values)
  const delay = values['watermark-delay'] as string | undefined
  const watermarkDelaySeconds = delay === undefined ? 5 : Number(delay)
  if (!Number.isInteger(watermarkDelaySeconds) || watermarkDelaySeconds < 0) {
    throw new FreshetError(
      'INVALID_OPTION',
      `--watermark-delay must be a whole number of seconds >= 0, got ${delay}`,
      {
        details: { option: 'watermark-delay' },
      },
    )
  }
  const catalog = await registryTables(new RegistryClient({ url: c.registryUrl }), {
    bootstrapServers: c.brokers.join(','),
    registryUrl: c.registryUrl,
    watermarkDelaySeconds,
  })
  const wanted = new Set(positionals)
  const tables = catalog.tables.filter((t) => wanted.size === 0 || wanted.has(t.topic))
  for (const topic of wanted) {
    if (!tables.some((t) => t.topic === topic)) {
      const skipped = catalog.skipped.find((s) => s.subject === `${topic}-value`)
      throw new FreshetError(
        'SCHEMA_NOT_FOUND',
        skipped === undefined
          ? `sql ddl: no subject ${topic}-value in the registry at ${c.registryUrl}`
          : `sql ddl: ${topic}: ${skipped.reason}`,
        { topic },
      )
    }
  }
  if (c.json) {
    const rows = tables.map(({ topic, subject, schemaId, version, table, ddl }) => ({
      topic,
      subject,
      schemaId,
      version,
      table,
      ddl,
    }))
    console.log(JSON.stringify({ tables: rows, skipped: catalog.skipped }))
    return 0
  }
  console.log(
    tables
      .map((t) => `-- ${t.subject}, version ${t.version} (schema id ${t.schemaId})\n${t.ddl}`)
      .join('\n\n'),
  )
  for (const s of catalog.skipped) console.error(`skipped ${s.subject}: ${s.reason}`)
  return 0
}
