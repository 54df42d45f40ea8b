/**
 * JSON functions (Flink's "JSON Functions"): JSON_VALUE, JSON_EXISTS, JSON_QUERY with Flink's
 * defaults (NULL ON EMPTY and NULL ON ERROR; FALSE ON ERROR for JSON_EXISTS; JSON_QUERY WITHOUT
 * ARRAY WRAPPER). Paths are SQL/JSON paths in lax mode: `$`, `.name`, `."name"`, `['name']`, `[n]`,
 * `[*]`, `.*`; a `strict` prefix is accepted and read as lax.
 */
import type { SqlType } from '../ast.ts'
import { caster } from '../expr/cast.ts'
import { javaDoubleString } from '../expr/numeric.ts'
import { formatType } from '../types/index.ts'
import { constantArgument, type FunctionCall, type FunctionTable } from './registry.ts'

type Step =
  | { readonly kind: 'member'; readonly name: string }
  | { readonly kind: 'index'; readonly index: number }
  | { readonly kind: 'any' }

/** Parses a path; undefined when it is not one freshet reads. */
export function parseJsonPath(path: string): Step[] | undefined {
  let text = path.trim()
  const mode = /^(lax|strict)\s+/i.exec(text)
  if (mode !== null) text = text.slice(mode[0].length)
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
  return steps
}

/** The items a path selects (lax: a missing member selects nothing). */
function select(root: unknown, steps: readonly Step[]): unknown[] {
  let items: unknown[] = [root]
  for (const step of steps) {
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
        }
      } else if (step.kind === 'index') {
        if (Array.isArray(item) && step.index < item.length) next.push(item[step.index])
      } else if (Array.isArray(item)) next.push(...item)
      else if (item !== null && typeof item === 'object') next.push(...Object.values(item))
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

function pathArgument(call: FunctionCall): Step[] {
  const path = constantArgument(call, 1, 'JSON path')
  if (typeof path !== 'string') return call.invalid(`${call.name} expects a JSON path string`)
  const steps = parseJsonPath(path)
  return steps ?? call.invalid(`invalid JSON path '${path}'`)
}

/** A scalar JSON value as the text JSON_VALUE returns by default. */
function scalarText(value: unknown): string | null {
  if (typeof value === 'string') return value
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : javaDoubleString(value)
  if (typeof value === 'boolean') return String(value)
  return null
}

const STRING: SqlType = { kind: 'VARCHAR', nullable: true }

export const JSON_FUNCTIONS: FunctionTable = {
  JSON_VALUE: {
    params: ['string', 'string'],
    returns: (call) => {
      const returning = call.call.returning
      return returning === undefined ? STRING : ({ ...returning, nullable: true } as SqlType)
    },
    strict: (call, type) => {
      const steps = pathArgument(call)
      const convert =
        type.kind === 'VARCHAR' && type.length === undefined
          ? undefined
          : caster(STRING, type, call.context.localTimeZone, (message) => {
              throw new Error(message)
            })
      if (type.kind !== 'VARCHAR' && convert === undefined) {
        call.invalid(`JSON_VALUE cannot return ${formatType(type)}`)
      }
      return (json: string) => {
        const root = parse(json)
        if (root === NOT_JSON) return null
        const items = select(root, steps)
        if (items.length !== 1) return null
        const text = scalarText(items[0])
        if (text === null || convert === undefined) return text
        try {
          return convert(text)
        } catch {
          return null
        }
      }
    },
  },
  JSON_EXISTS: {
    params: ['string', 'string'],
    returns: (call) => ({ kind: 'BOOLEAN', nullable: call.types[0]!.nullable }),
    strict: (call) => {
      const steps = pathArgument(call)
      return (json: string) => {
        const root = parse(json)
        return root !== NOT_JSON && select(root, steps).length > 0
      }
    },
  },
  JSON_QUERY: {
    params: ['string', 'string'],
    returns: () => STRING,
    strict: (call) => {
      const steps = pathArgument(call)
      return (json: string) => {
        const root = parse(json)
        if (root === NOT_JSON) return null
        const items = select(root, steps)
        if (items.length !== 1) return null
        const item = items[0]
        return item !== null && typeof item === 'object' ? JSON.stringify(item) : null
      }
    },
  },
}
