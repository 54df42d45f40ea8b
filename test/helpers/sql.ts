import { readFileSync } from 'node:fs'
import { join } from 'node:path'

/**
 * A seed analytics file of sql/ pointed at a test's topics, broker and registry: its tables name
 * the local stack's (`user-events`, `event-analytics`, `purchases` or `funnel`, 127.0.0.1:9092,
 * http://127.0.0.1:8081).
 * With `bounded`, its source table reads up to the offsets the topic has when the job starts.
 */
export function seedSqlFile(
  name: 'event-counts' | 'revenue' | 'top-users' | 'sessions' | 'dedup-purchases' | 'funnel',
  at: {
    input: string
    output: string
    bootstrap: string
    registryUrl: string
    applicationId?: string
    bounded?: boolean
  },
): string {
  let text = readFileSync(join(import.meta.dirname, `../../sql/${name}.sql`), 'utf8')
    .replace("'topic' = 'user-events'", `'topic' = '${at.input}'`)
    .replace("'topic' = 'event-analytics'", `'topic' = '${at.output}'`)
    .replace("'topic' = 'purchases'", `'topic' = '${at.output}'`)
    .replace("'topic' = 'funnel'", `'topic' = '${at.output}'`)
    .replaceAll("'127.0.0.1:9092'", `'${at.bootstrap}'`)
    .replaceAll("'http://127.0.0.1:8081'", `'${at.registryUrl}'`)
  if (at.bounded === true) {
    text = text.replace(
      "'scan.startup.mode' = 'earliest-offset',",
      "'scan.startup.mode' = 'earliest-offset',\n  'scan.bounded.mode' = 'latest-offset',",
    )
  }
  if (at.applicationId !== undefined) {
    text = text.replace(`'pipeline.name' = 'sql-${name}'`, `'pipeline.name' = '${at.applicationId}'`)
  }
  return text
}
