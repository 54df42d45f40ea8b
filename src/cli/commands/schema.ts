import { resolve } from 'node:path'
import { FreshetError } from '../../errors/index.ts'
import { RegistryClient } from '../../registry/index.ts'
import { runCodegen, subjectModuleName, type CodegenSchema } from '../../schemas/index.ts'
import type { AvroSchemaJson } from '../../schemas/index.ts'
import { COMMON_HELP, common, parse } from '../args.ts'
import { subjectFlag, subjectSource } from '../schemas.ts'

export const schemaHelp = `freshet schema codegen [--schemas DIR] [--subject S[:VERSION]]... [--out DIR] [--check]
Generate TypeScript types from Avro schemas: one module per schema, from the .avsc files of a
folder, from subjects of the schema registry (--registry-url), or both.
--check writes nothing and exits 1 when a generated file is stale.

  --schemas DIR          folder of .avsc files (default schemas, unless --subject is given)
  --subject S[:VERSION]  a subject's latest version, or the one given; repeatable. The module is
                         named after the subject (payments-value -> payments_value.ts)
  --out DIR              default src/schemas/generated

${COMMON_HELP}`

export async function schemaCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(
    argv,
    {
      schemas: { type: 'string' },
      subject: { type: 'string', multiple: true },
      out: { type: 'string' },
      check: { type: 'boolean' },
    },
    true,
  )
  if (values.help || positionals[0] === undefined) return (console.log(schemaHelp), values.help ? 0 : 2)
  if (positionals[0] !== 'codegen') {
    throw new FreshetError('INVALID_OPTION', `unknown action "${positionals[0]}"; allowed: codegen`)
  }
  const subjects = (values.subject as unknown as string[] | undefined) ?? []
  const schemasDir = (values.schemas as string | undefined) ?? (subjects.length > 0 ? undefined : 'schemas')
  const result = await runCodegen({
    ...(schemasDir === undefined ? {} : { schemasDir: resolve(schemasDir) }),
    ...(subjects.length === 0 ? {} : { schemas: await fromRegistry(common(values).registryUrl, subjects) }),
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

/** The schemas of `subjects` (`S` or `S:VERSION`), fetched from the registry at `url`. */
async function fromRegistry(url: string, subjects: string[]): Promise<CodegenSchema[]> {
  const client = new RegistryClient({ url })
  const schemas: CodegenSchema[] = []
  for (const subject of subjects) {
    const registered = await subjectFlag(client, subject)
    schemas.push({
      file: subjectModuleName(registered.subject),
      source: subjectSource(registered),
      schema: JSON.parse(registered.schema) as AvroSchemaJson,
    })
  }
  return schemas
}
