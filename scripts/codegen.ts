/**
 * Regenerates src/schemas/generated/ from schemas/*.avsc (run by `npm run build`).
 * With --check nothing is written and the exit code is 1 when a generated file is stale.
 */
import { join } from 'node:path'
import { runCodegen } from '../src/schemas/codegen.ts'

const root = join(import.meta.dirname, '..')
const args = process.argv.slice(2)
const unknown = args.filter((a) => a !== '--check')
if (unknown.length > 0) {
  console.error(`codegen: unknown argument ${unknown.join(' ')}; usage: node scripts/codegen.ts [--check]`)
  process.exit(2)
}
const check = args.includes('--check')

try {
  const result = await runCodegen({
    schemasDir: join(root, 'schemas'),
    outDir: join(root, 'src/schemas/generated'),
    check,
  })
  const rel = (p: string): string => p.slice(root.length + 1)
  if (check) {
    if (result.stale.length > 0) {
      console.error(
        `codegen: stale generated files (run \`freshet schema codegen\`):\n  ${result.stale.map(rel).join('\n  ')}`,
      )
      process.exitCode = 1
    } else console.log('codegen: generated files are up to date')
  } else {
    for (const p of result.written) console.log(`codegen: wrote ${rel(p)}`)
    for (const p of result.removed) console.log(`codegen: removed ${rel(p)}`)
    if (result.written.length + result.removed.length === 0)
      console.log('codegen: generated files are up to date')
  }
} catch (error) {
  console.error(`codegen: ${(error as Error).message}`)
  process.exitCode = 1
}
