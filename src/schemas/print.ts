/**
 * Printing of TypeScript source in the exact layout prettier gives it under the project's
 * configuration (single quotes, no semicolons, 2-space indent, trailing commas, width 110), so
 * generated files pass `prettier --check` without running prettier at build time. Only the few
 * constructs codegen emits are covered; test/schemas/codegen.test.ts formats every generated file
 * with prettier and compares.
 */
import type { JsonValue } from './types.ts'

export const PRINT_WIDTH = 110
const INDENT = '  '
const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/

/** A string literal, quoted the way prettier picks: single quotes unless that needs more escapes. */
export function quote(text: string): string {
  let singles = 0
  let doubles = 0
  for (const ch of text) {
    if (ch === "'") singles++
    else if (ch === '"') doubles++
  }
  const q = singles > doubles ? '"' : "'"
  let out = q
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0
    if (ch === q || ch === '\\') out += `\\${ch}`
    else if (ch === '\n') out += '\\n'
    else if (ch === '\r') out += '\\r'
    else if (ch === '\t') out += '\\t'
    else if (code < 0x20 || code === 0x2028 || code === 0x2029)
      out += `\\u${code.toString(16).padStart(4, '0')}`
    else out += ch
  }
  return out + q
}

/** An object key: bare when it is an identifier, quoted otherwise. */
export function propertyKey(key: string): string {
  return IDENTIFIER.test(key) ? key : quote(key)
}

/** A number literal in prettier's normal form (`1e21`, not `1e+21`). */
function numberLiteral(value: number): string {
  return JSON.stringify(value).replace('e+', 'e')
}

function isObject(value: JsonValue): value is { readonly [key: string]: JsonValue } {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

/** True when printing `value` always spans lines (an object with keys, or something holding one). */
function alwaysBreaks(value: JsonValue): boolean {
  if (isObject(value)) return Object.keys(value).length > 0
  if (Array.isArray(value)) return value.some((v: JsonValue) => alwaysBreaks(v)) || conciseBreak(value)
  return false
}

/** Prettier breaks an array of two or more arrays/objects that each hold two or more entries. */
function conciseBreak(items: readonly JsonValue[]): boolean {
  return (
    items.length > 1 &&
    items.every((v) => (Array.isArray(v) ? v.length > 1 : isObject(v) && Object.keys(v).length > 1))
  )
}

/** `value` printed on one line (only meaningful when it does not always break). */
function flat(value: JsonValue): string {
  if (value === null || typeof value === 'boolean') return String(value)
  if (typeof value === 'number') return numberLiteral(value)
  if (typeof value === 'string') return quote(value)
  if (Array.isArray(value)) return `[${value.map((v: JsonValue) => flat(v)).join(', ')}]`
  return '{}'
}

/**
 * Prints a JSON value as a TypeScript expression. `indent` is the indentation of the line the value
 * starts on, `column` the column it starts at and `suffix` what follows it on its last line; both
 * decide whether an array fits on one line.
 */
export function printValue(value: JsonValue, indent: string, column: number, suffix: string): string {
  if (isObject(value)) {
    const keys = Object.keys(value)
    if (keys.length === 0) return '{}'
    const inner = indent + INDENT
    const lines = keys.map((key) => {
      const head = `${inner}${propertyKey(key)}: `
      return head + printValue(value[key] as JsonValue, inner, head.length, ',') + ','
    })
    return `{\n${lines.join('\n')}\n${indent}}`
  }
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]'
    if (!alwaysBreaks(value)) {
      const text = flat(value)
      if (column + text.length + suffix.length <= PRINT_WIDTH) return text
    }
    const inner = indent + INDENT
    if (value.every((v: JsonValue) => typeof v === 'number'))
      return fillNumbers(value as readonly number[], indent)
    const lines = value.map((v: JsonValue) => inner + printValue(v, inner, inner.length, ',') + ',')
    return `[\n${lines.join('\n')}\n${indent}]`
  }
  return flat(value)
}

/** Prettier "fills" a broken array of numbers: as many per line as fit. */
function fillNumbers(values: readonly number[], indent: string): string {
  const inner = indent + INDENT
  const lines: string[] = []
  let line = ''
  for (const v of values) {
    const item = numberLiteral(v) + ','
    if (line === '') line = inner + item
    else if (line.length + 1 + item.length <= PRINT_WIDTH) line += ' ' + item
    else {
      lines.push(line)
      line = inner + item
    }
  }
  lines.push(line)
  return `[\n${lines.join('\n')}\n${indent}]`
}

/**
 * A type after `head` (e.g. `export type X = ` or `  field: `): on one line when it fits, else on the
 * next line indented, else (unions only) one member per line, each led by `|`.
 */
export function printUnion(head: string, members: readonly string[], indent: string): string {
  const joined = members.join(' | ')
  if (head.length + joined.length <= PRINT_WIDTH || members.length < 2) return head + joined
  const inner = indent + INDENT
  if (inner.length + joined.length <= PRINT_WIDTH) return `${head.trimEnd()}\n${inner}${joined}`
  return `${head.trimEnd()}\n${members.map((m) => `${inner}| ${m}`).join('\n')}`
}

/** A doc comment at `indent`, on one line when it fits, wrapped at the print width otherwise. */
export function printDoc(doc: string | undefined, indent: string): string {
  if (doc === undefined || doc.trim() === '') return ''
  const text = doc.replaceAll('*/', '*\\/').replace(/\s+/g, ' ').trim()
  const single = `${indent}/** ${text} */`
  if (single.length <= PRINT_WIDTH) return single + '\n'
  const lines: string[] = []
  let line = ''
  for (const word of text.split(' ')) {
    if (line !== '' && indent.length + 3 + line.length + 1 + word.length > PRINT_WIDTH) {
      lines.push(line)
      line = word
    } else line = line === '' ? word : `${line} ${word}`
  }
  if (line !== '') lines.push(line)
  return `${indent}/**\n${lines.map((l) => `${indent} * ${l}`).join('\n')}\n${indent} */\n`
}
