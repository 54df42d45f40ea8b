/**
 * JSON functions (Flink's "JSON Functions"): JSON_VALUE, JSON_EXISTS, JSON_QUERY with Flink's
 * defaults (NULL ON EMPTY and NULL ON ERROR; FALSE ON ERROR for JSON_EXISTS; JSON_QUERY WITHOUT
 * ARRAY WRAPPER). Paths are SQL/JSON paths: `$`, `.name`, `."name"`, `['name']`, `[n]`, `[*]`, `.*`,
 * after an optional mode, `lax` or `strict`. As in Flink 2.2 (Calcite), a path without a mode is
 * **strict** (measured with Flink's TableEnvironment):
 *
 * - strict: a missing member, an index past the end, a member of a non-object, a JSON null and a
 *   non-scalar where JSON_VALUE wants a scalar are errors (`ON ERROR`);
 * - lax: the same select nothing (`ON EMPTY`).
 */
import type { JsonValueBehavior, SqlType } from '../ast.ts'
import { compileExpression } from '../expr/compile.ts'
import { caster } from '../expr/cast.ts'
import { javaDoubleString } from '../expr/numeric.ts'
import { formatType } from '../types/index.ts'
import { constantArgument, type FunctionCall, type FunctionTable } from './registry.ts'

type Step =
  | { readonly kind: 'member'; readonly name: string }
  | { readonly kind: 'index'; readonly index: number }
  | { readonly kind: 'any' }

interface JsonPath {
  readonly strict: boolean
  readonly steps: readonly Step[]
}

/** Parses a path; undefined when it is not one freshet reads. */
export function parseJsonPath(path: string): JsonPath | undefined {
  let text = path.trim()
  const mode = /^(lax|strict)\s+/i.exec(text)
  if (mode !== null) text = text.slice(mode[0].length)
  const strict = mode === null || mode[1]!.toLowerCase() === 'strict'
  if (!text.startsWith('$')) return undefined
  const steps: Step[] = []
  let i = 1
  while (i < text.length) {
    const rest = text.slice(i)
    let m: RegExpExecArray | null
    if ((m = /^\.([A-Za-z_$][\w$]*)/.exec(rest)) !== null) steps.push({ kind: 'member', name: m[1]! })
    else if ((m = /^\."((?:[^"\\]|\\.)*)"/.exec(rest)) !== null)
      steps.push({ kind: 'member', name: m[1]!.replace(/\\(.)/g, '$1') })
    else if ((m = /^\[\s*'((?:[^'\\]|\\.)*)'\s*\]/.exec(rest)) !== null)
      steps.push({ kind: 'member', name: m[1]!.replace(/\\(.)/g, '$1') })
    else if ((m = /^\[\s*"((?:[^"\\]|\\.)*)"\s*\]/.exec(rest)) !== null)
      steps.push({ kind: 'member', name: m[1]!.replace(/\\(.)/g, '$1') })
    else if ((m = /^\[\s*(\d+)\s*\]/.exec(rest)) !== null) steps.push({ kind: 'index', index: Number(m[1]) })
    else if ((m = /^(?:\[\s*\*\s*\]|\.\*)/.exec(rest)) !== null) steps.push({ kind: 'any' })
    else return undefined
    i += m[0].length
  }
  return { strict, steps }
}

/** A strict path met a missing member, an index past the end or a member of a non-object. */
const STRICT_ERROR = Symbol('strict path error')

/**
 * The items a path selects. Lax: a missing member selects nothing. Strict: returns STRICT_ERROR
 * instead.
 */
function select(root: unknown, path: JsonPath): unknown[] | typeof STRICT_ERROR {
  let items: unknown[] = [root]
  for (const step of path.steps) {
    const next: unknown[] = []
    for (const item of items) {
      if (step.kind === 'member') {
        if (
          item !== null &&
          typeof item === 'object' &&
          !Array.isArray(item) &&
          Object.hasOwn(item, step.name)
        ) {
          next.push((item as Record<string, unknown>)[step.name])
        } else if (path.strict) return STRICT_ERROR
      } else if (step.kind === 'index') {
        if (Array.isArray(item) && step.index < item.length) next.push(item[step.index])
        else if (path.strict) return STRICT_ERROR
      } else if (Array.isArray(item)) next.push(...item)
      else if (item !== null && typeof item === 'object') next.push(...Object.values(item))
      else if (path.strict) return STRICT_ERROR
    }
    items = next
  }
  return items
}

const NOT_JSON = Symbol('not json')
let lastText: string | undefined
let lastParsed: unknown = NOT_JSON

/** JSON.parse with a one-entry memo: several JSON functions on one column of one row parse once. */
function parse(text: string): unknown {
  if (text !== lastText) {
    lastText = text
    try {
      lastParsed = JSON.parse(text)
    } catch {
      lastParsed = NOT_JSON
    }
  }
  return lastParsed
}

function pathArgument(call: FunctionCall): JsonPath {
  const path = constantArgument(call, 1, 'JSON path')
  if (typeof path !== 'string') return call.invalid(`${call.name} expects a JSON path string`)
  return parseJsonPath(path) ?? call.invalid(`invalid JSON path '${path}'`)
}

/** A scalar JSON value as the text JSON_VALUE returns by default. */
function scalarText(value: unknown): string | null {
  if (typeof value === 'string') return value
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : javaDoubleString(value)
  if (typeof value === 'boolean') return String(value)
  return null
}

const STRING: SqlType = { kind: 'VARCHAR', nullable: true }

/**
 * What JSON_VALUE gives when the path selects nothing (`ON EMPTY`) or the value cannot be read as
 * the RETURNING type (`ON ERROR`): NULL (Flink's default), a constant DEFAULT cast to that type, or
 * a failure of the row (`ERROR`).
 */
function behaviour(
  call: FunctionCall,
  type: SqlType,
  spec: JsonValueBehavior | undefined,
  on: 'EMPTY' | 'ERROR',
): () => unknown {
  if (spec === undefined || spec.kind === 'NULL') return () => null
  if (spec.kind === 'ERROR') {
    const message =
      on === 'EMPTY'
        ? 'JSON_VALUE: the path selects no value (ERROR ON EMPTY)'
        : 'JSON_VALUE: the value cannot be read (ERROR ON ERROR)'
    return () => call.fail(message)
  }
  const compiled = compileExpression(spec.value, call.context)
  if (!compiled.constant) call.invalid(`JSON_VALUE: the DEFAULT of ON ${on} must be a constant`)
  const value = compiled.evaluate(null)
  const cast =
    value === null ? null : caster(compiled.type, type, call.context.localTimeZone, (m) => call.invalid(m))
  const result = cast === null || cast === undefined ? value : cast(value)
  return () => result
}

export const JSON_FUNCTIONS: FunctionTable = {
  JSON_VALUE: {
    params: ['string', 'string'],
    returns: (call) => {
      const returning = call.call.returning
      return returning === undefined ? STRING : ({ ...returning, nullable: true } as SqlType)
    },
    strict: (call, type) => {
      const path = pathArgument(call)
      const convert =
        type.kind === 'VARCHAR' && type.length === undefined
          ? undefined
          : caster(STRING, type, call.context.localTimeZone, (message) => {
              throw new Error(message)
            })
      if (type.kind !== 'VARCHAR' && convert === undefined) {
        call.invalid(`JSON_VALUE cannot return ${formatType(type)}`)
      }
      const onEmpty = behaviour(call, type, call.call.onEmpty, 'EMPTY')
      const onError = behaviour(call, type, call.call.onError, 'ERROR')
      return (json: string) => {
        const root = parse(json)
        if (root === NOT_JSON) return onError()
        const items = select(root, path)
        if (items === STRICT_ERROR) return onError()
        const text = items.length === 1 ? scalarText(items[0]) : null
        // Nothing, a JSON null, several items, an object or an array where a scalar is asked for:
        // empty in lax mode, an error in strict mode, as in Flink 2.2.
        if (text === null) return path.strict ? onError() : onEmpty()
        if (convert === undefined) return text
        try {
          return convert(text)
        } catch {
          return onError()
        }
      }
    },
  },
  JSON_EXISTS: {
    params: ['string', 'string'],
    returns: (call) => ({ kind: 'BOOLEAN', nullable: call.types[0]!.nullable }),
    strict: (call) => {
      const path = pathArgument(call)
      return (json: string) => {
        const root = parse(json)
        if (root === NOT_JSON) return false
        const items = select(root, path)
        return items !== STRICT_ERROR && items.length > 0
      }
    },
  },
  JSON_QUERY: {
    params: ['string', 'string'],
    returns: () => STRING,
    strict: (call) => {
      const path = pathArgument(call)
      return (json: string) => {
        const root = parse(json)
        if (root === NOT_JSON) return null
        const items = select(root, path)
        if (items === STRICT_ERROR || items.length !== 1) return null
        const item = items[0]
        return item !== null && typeof item === 'object' ? JSON.stringify(item) : null
      }
    },
  },
}
