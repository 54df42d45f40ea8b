/**
 * Copies beside the compiled code what tsc does not emit: the dashboard's page (HTML, CSS,
 * JavaScript: no build step of its own) and the generated FlinkSQL parser, already JavaScript plus
 * declarations (scripts/sql-grammar/generate.ts).
 */
import { cpSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

for (const dir of ['dashboard/page', 'sql/grammar/generated']) {
  const from = fileURLToPath(new URL(`../src/${dir}`, import.meta.url))
  const to = fileURLToPath(new URL(`../dist/${dir}`, import.meta.url))
  cpSync(from, to, { recursive: true })
}
