/**
 * Parsing of Avro schema text into a type (to judge compatibility) and a canonical string (to store,
 * compare and hash). Two texts that describe the same schema with different whitespace, key order
 * or `{"type": "int"}` spelled out get the same canonical string, so they get the same id.
 */
import avro from 'avsc'
import type { Type } from 'avsc'
import { FreshetError } from '../errors/index.ts'

export interface ParsedSchema {
  /** Minified JSON with the keys of every schema node in a fixed order; all attributes kept. */
  canonical: string
  type: Type
}

const PRIMITIVES = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string'])

/** Key order per node, after which any other attributes follow in alphabetical order. */
const KEY_ORDER: Record<string, readonly string[]> = {
  record: ['type', 'name', 'namespace', 'doc', 'fields'],
  error: ['type', 'name', 'namespace', 'doc', 'fields'],
  enum: ['type', 'name', 'namespace', 'doc', 'symbols', 'default'],
  fixed: ['type', 'name', 'namespace', 'doc', 'size'],
  array: ['type', 'items'],
  map: ['type', 'values'],
  field: ['name', 'type', 'doc', 'default', 'order', 'aliases'],
}
const PRIMITIVE_ORDER = ['type']

/** The error the registry answers for unparseable schemas (Confluent's 42201). */
export function invalidSchema(message: string, cause?: unknown): FreshetError {
  return new FreshetError('SCHEMA_INVALID', message, {
    ...(cause === undefined ? {} : { cause }),
    details: { errorCode: 42201 },
  })
}

function ordered(
  node: Record<string, unknown>,
  order: readonly string[],
  convert: (key: string, v: unknown) => unknown,
): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const key of order) if (key in node) out[key] = convert(key, node[key])
  for (const key of Object.keys(node).sort()) if (!(key in out)) out[key] = convert(key, node[key])
  return out
}

function canonicalNode(node: unknown): unknown {
  if (typeof node === 'string') return node
  if (Array.isArray(node)) return node.map(canonicalNode)
  if (node === null || typeof node !== 'object') return node
  const obj = node as Record<string, unknown>
  const typeName = obj.type
  if (typeof typeName === 'string' && PRIMITIVES.has(typeName)) {
    // {"type": "int"} is "int"; with attributes (a logicalType, say) it stays an object.
    if (Object.keys(obj).length === 1) return typeName
    return ordered(obj, PRIMITIVE_ORDER, (_k, v) => v)
  }
  if (typeof typeName !== 'string') {
    // {"type": {...}} or {"type": [...]}: a wrapped schema, as some writers produce.
    return ordered(obj, PRIMITIVE_ORDER, (k, v) => (k === 'type' ? canonicalNode(v) : v))
  }
  const order = KEY_ORDER[typeName] ?? PRIMITIVE_ORDER
  return ordered(obj, order, (key, value) => {
    if (key === 'fields' && Array.isArray(value)) {
      return value.map((field: unknown) =>
        field !== null && typeof field === 'object' && !Array.isArray(field)
          ? ordered(field as Record<string, unknown>, KEY_ORDER.field ?? [], (k, v) =>
              k === 'type' ? canonicalNode(v) : v,
            )
          : field,
      )
    }
    if (key === 'items' || key === 'values') return canonicalNode(value)
    return value
  })
}

/** Canonical text of an already parsed JSON schema. */
export function canonicalText(json: unknown): string {
  return JSON.stringify(canonicalNode(json))
}

/**
 * Parses Avro schema text. Throws SCHEMA_INVALID (42201) when it is not JSON or not a valid Avro
 * schema (unknown types, bad names, defaults that do not match their field's type).
 */
export function parseSchema(text: string): ParsedSchema {
  if (typeof text !== 'string' || text.trim().length === 0)
    throw invalidSchema('Invalid schema: empty schema')
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    throw invalidSchema(`Invalid schema: not JSON (${(error as Error).message})`, error)
  }
  let type: Type
  try {
    type = avro.Type.forSchema(json as avro.Schema)
  } catch (error) {
    throw invalidSchema(`Invalid schema: ${(error as Error).message}`, error)
  }
  return { canonical: canonicalText(json), type }
}

/** The canonical text of stored schema text, or the text itself when it does not parse. */
export function canonicalOrRaw(text: string): string {
  try {
    return canonicalText(JSON.parse(text))
  } catch {
    return text
  }
}
