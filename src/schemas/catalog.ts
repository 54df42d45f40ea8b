/**
 * The schemas freshet knows: every .avsc under schemas/ (through the generated modules), found by
 * file name (`user_event`), type name (`UserEvent`) or full name (`dev.freshet.events.UserEvent`),
 * and any other .avsc read from disk.
 */
import { readFile } from 'node:fs/promises'
import avro from 'avsc'
import { FreshetError } from '../errors/index.ts'
import { generatedSchemas } from './generated/index.ts'
import type { AvroSchemaJson, TypedSchema } from './types.ts'

export type KnownSchemaName = keyof typeof generatedSchemas
export type KnownSchemas = typeof generatedSchemas

/** The schemas generated from schemas/*.avsc, by file name. */
export const knownSchemas: KnownSchemas = generatedSchemas

const byName = new Map<string, TypedSchema<unknown>>()
for (const [file, schema] of Object.entries(generatedSchemas) as [string, TypedSchema<unknown>][]) {
  byName.set(file, schema)
  byName.set(schema.name, schema)
  byName.set(schema.name.slice(schema.name.lastIndexOf('.') + 1), schema)
}

/** Names `loadSchema` accepts, for messages and CLI help. */
export function knownSchemaNames(): string[] {
  return Object.keys(generatedSchemas)
}

/**
 * A known schema by file, type or full name. Throws FRESHET_SCHEMA_NOT_FOUND naming the known
 * schemas otherwise.
 */
export function loadSchema<N extends KnownSchemaName>(name: N): KnownSchemas[N]
export function loadSchema(name: string): TypedSchema<unknown>
export function loadSchema(name: string): TypedSchema<unknown> {
  const found = byName.get(name)
  if (found === undefined) {
    const known = knownSchemaNames()
    throw new FreshetError('SCHEMA_NOT_FOUND', `unknown schema "${name}"; known: ${known.join(', ')}`, {
      details: { schema: name, known },
    })
  }
  return found
}

/**
 * Reads and validates an .avsc file. Its values are typed `unknown`; use the generated modules for
 * typed access to the schemas under schemas/.
 */
export async function readSchemaFile(path: string): Promise<TypedSchema<unknown>> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    throw new FreshetError('SCHEMA_NOT_FOUND', `cannot read schema file ${path}`, {
      cause: error,
      details: { path },
    })
  }
  let schema: AvroSchemaJson
  let type: avro.Type
  try {
    schema = JSON.parse(text) as AvroSchemaJson
    type = avro.Type.forSchema(schema as avro.Schema)
  } catch (error) {
    throw new FreshetError('SCHEMA_INVALID', `${path}: ${(error as Error).message}`, {
      cause: error,
      details: { path },
    })
  }
  return { name: type.name ?? type.typeName, source: path, schema }
}
