/** The schemas a command is pointed at: by `--schema NAME|FILE.avsc` or by `--subject S[:VERSION]`. */
import { FreshetError, isFreshetError } from '../errors/index.ts'
import { parseSubjectVersion, type RegisteredSchema, type RegistryClient } from '../registry/index.ts'
import { knownSchemaNames, loadSchema, readSchemaFile, type TypedSchema } from '../schemas/index.ts'

/**
 * `--schema`: a bundled schema by name (`user_event`, `UserEvent` or its full name), or else the
 * path of an .avsc file (any value ending in `.avsc` or holding a `/`).
 */
export async function schemaFlag(value: string): Promise<TypedSchema<unknown>> {
  if (value.endsWith('.avsc') || value.includes('/')) return readSchemaFile(value)
  try {
    return loadSchema(value)
  } catch (error) {
    if (!isFreshetError(error) || error.code !== 'FRESHET_SCHEMA_NOT_FOUND') throw error
    throw new FreshetError(
      'SCHEMA_NOT_FOUND',
      `--schema ${value}: not a bundled schema (${knownSchemaNames().join(', ')}) nor an .avsc file; ` +
        'give the path of your .avsc file (e.g. ./alert.avsc), or leave --schema out to read with the writer schemas',
      { details: { schema: value } },
    )
  }
}

/** A schema version fetched from the registry, as a TypedSchema whose `source` says where it came from. */
export function registeredSchema(registered: RegisteredSchema): TypedSchema<unknown> {
  const schema = JSON.parse(registered.schema) as TypedSchema<unknown>['schema']
  const named = schema as { name?: unknown; namespace?: unknown }
  const name =
    typeof schema === 'string'
      ? schema
      : typeof named.name === 'string'
        ? named.name.includes('.') || typeof named.namespace !== 'string' || named.namespace === ''
          ? named.name
          : `${named.namespace}.${named.name}`
        : 'schema'
  return { name, source: subjectSource(registered), schema }
}

/** Where a registered schema comes from, as the registry's REST path names it. */
export function subjectSource(registered: { subject: string; version: number }): string {
  return `subjects/${registered.subject}/versions/${registered.version}`
}

/** `--subject S[:VERSION]`: the schema registered there (the latest version by default). */
export async function subjectFlag(client: RegistryClient, value: string): Promise<RegisteredSchema> {
  const { subject, version } = parseSubjectVersion(value)
  return client.getVersion(subject, version)
}
