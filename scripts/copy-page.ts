/** Copies the dashboard's page (HTML, CSS, JavaScript: no build step of its own) beside the compiled code. */
import { cpSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const from = fileURLToPath(new URL('../src/dashboard/page', import.meta.url))
const to = fileURLToPath(new URL('../dist/dashboard/page', import.meta.url))
cpSync(from, to, { recursive: true })
