/** Turning the schema forms the serde accepts into avsc types. */
import avro from 'avsc'
import { FreshetError } from '../errors/index.ts'
import type { AvroSchemaJson, TypedSchema } from '../schemas/types.ts'
import type { SchemaInput } from './types.ts'

/**
 * Options for every avsc type the serde builds. Record values are plain data (no avsc methods on
 * their prototype); unions stay unwrapped where avsc can tell their branches apart, which is what
 * the generated TypeScript types assume. A new object per call: avsc keeps its registry of named
 * types in the options, and a shared one would make the second schema's names "duplicates".
 */
function typeOptions(): Partial<avro.ForSchemaOptions> {
  return { omitRecordMethods: true }
}

export interface ParsedSchema {
  type: avro.Type
  /** The schema as JSON text, as registered. */
  text: string
  /** Full name of the top-level type, or its type name for unnamed schemas. */
  name: string
}

function isTypedSchema(input: unknown): input is TypedSchema<unknown> {
  return (
    input !== null &&
    typeof input === 'object' &&
    !Array.isArray(input) &&
    'schema' in input &&
    'source' in input &&
    !('type' in input)
  )
}

/** Builds the avsc type for a schema given as TypedSchema, JSON value or JSON text. */
export function parseSchemaInput(input: SchemaInput<unknown>, where: string): ParsedSchema {
  let json: AvroSchemaJson = isTypedSchema(input) ? input.schema : input
  if (typeof json === 'string') {
    // JSON text of a schema, or the bare name of a primitive ("string").
    try {
      json = JSON.parse(json) as AvroSchemaJson
    } catch {
      // Not JSON: avsc judges it as a type name below.
    }
  }
  let type: avro.Type
  try {
    type = avro.Type.forSchema(json as avro.Schema, typeOptions())
  } catch (error) {
    throw new FreshetError('SCHEMA_INVALID', `${where}: invalid Avro schema: ${(error as Error).message}`, {
      cause: error,
    })
  }
  return { type, text: JSON.stringify(json), name: type.name ?? type.typeName }
}

/** Builds the avsc type of a writer schema fetched from the registry. */
export function parseRegistrySchema(text: string, schemaId: number): avro.Type {
  try {
    return avro.Type.forSchema(JSON.parse(text) as avro.Schema, typeOptions())
  } catch (error) {
    throw new FreshetError(
      'SCHEMA_INVALID',
      `schema id ${schemaId} from the registry is not a valid Avro schema: ${(error as Error).message}`,
      { cause: error, details: { schemaId } },
    )
  }
}

/**
 * The first place `value` breaks `type`, as a dotted path (`data.amount`, `items.2.quantity`) with
 * the schema expected there, or undefined if avsc finds the value valid.
 */
export function firstInvalidPath(
  type: avro.Type,
  value: unknown,
): { path: string; expected: string; actual: string } | undefined {
  let found: { path: string; expected: string; actual: string } | undefined
  type.isValid(value, {
    errorHook: (path: string[], actual: unknown, at: avro.Type) => {
      found ??= {
        path: path.length === 0 ? '(value)' : path.join('.'),
        expected: at.name ?? JSON.stringify(at.schema()),
        actual: describe(actual),
      }
    },
  })
  return found
}

/** A short description of a value for an error message, without its content (it may be personal data). */
function describe(value: unknown): string {
  if (value === null) return 'null'
  if (value === undefined) return 'undefined (missing)'
  if (Array.isArray(value)) return 'an array'
  if (Buffer.isBuffer(value)) return 'a Buffer'
  if (typeof value === 'number' && !Number.isSafeInteger(value))
    return Number.isInteger(value) ? 'an unsafe integer' : 'a fractional number'
  return `a ${typeof value}`
}
