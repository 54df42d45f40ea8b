import { resolve } from 'node:path'
import { FreshetError } from '../../errors/index.ts'
import { runCodegen } from '../../schemas/index.ts'
import { COMMON_HELP, parse } from '../args.ts'

export const schemaHelp = `freshet schema codegen [--schemas DIR] [--out DIR] [--check]
Generate TypeScript types from Avro schemas (.avsc): one module per schema.
--check writes nothing and exits 1 when a generated file is stale.

  --schemas DIR   default schemas
  --out DIR       default src/schemas/generated

${COMMON_HELP}`

export async function schemaCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(
    argv,
    { schemas: { type: 'string' }, out: { type: 'string' }, check: { type: 'boolean' } },
    true,
  )
  if (values.help || positionals[0] === undefined) return (console.log(schemaHelp), values.help ? 0 : 2)
  if (positionals[0] !== 'codegen') {
    throw new FreshetError('INVALID_OPTION', `unknown action "${positionals[0]}"; allowed: codegen`)
  }
  const result = await runCodegen({
    schemasDir: resolve((values.schemas as string | undefined) ?? 'schemas'),
    outDir: resolve((values.out as string | undefined) ?? 'src/schemas/generated'),
    check: values.check === true,
  })
  if (values.check) {
    if (result.stale.length > 0) {
      console.error(`stale generated files (run \`freshet schema codegen\`):\n  ${result.stale.join('\n  ')}`)
      return 1
    }
    console.log('generated types are up to date')
    return 0
  }
  for (const file of result.written) console.log(`wrote ${file}`)
  if (result.written.length === 0) console.log('generated types are up to date')
  return 0
}
