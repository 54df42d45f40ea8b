/**
 * String functions (Flink's "String Functions"). Lengths and positions count Unicode code points,
 * as Flink's BinaryStringData does; regular expressions are JavaScript's, which read Java's common
 * syntax the same way (a leading `(?i)`-style flag group is turned into flags).
 */
import { createHash } from 'node:crypto'
import { anyNullable } from '../expr/typing.ts'
import { constantArgument, returns, type FunctionCall, type FunctionTable, type Impl } from './registry.ts'

const SURROGATE = /[\uD800-\uDFFF]/

function length(s: string): number {
  return SURROGATE.test(s) ? Array.from(s).length : s.length
}

/** Code-point slice [start, end) of `s`. */
function slice(s: string, start: number, end?: number): string {
  return SURROGATE.test(s) ? Array.from(s).slice(start, end).join('') : s.slice(start, end)
}

/** Code-point index of the UTF-16 index `i` in `s`. */
function codePointIndex(s: string, i: number): number {
  return SURROGATE.test(s) ? Array.from(s.slice(0, i)).length : i
}

/** Flink's substringSQL: 1-based start, negative counts from the end, a negative length gives ''. */
function substring(s: string, pos: number, count?: number): string {
  const n = length(s)
  const start = pos > 0 ? pos - 1 : pos < 0 ? n + pos : 0
  const end = count === undefined ? n : start + count
  const from = Math.max(start, 0)
  return from >= end ? '' : slice(s, from, end)
}

const regexCache = new Map<string, RegExp | null>()

/** A Java regular expression as a JavaScript RegExp (cached), or null when it does not compile. */
export function javaRegex(source: string, global = false): RegExp | null {
  const key = `${global ? 'g' : '-'}${source}`
  let found = regexCache.get(key)
  if (found === undefined) {
    let flags = global ? 'g' : ''
    let body = source
    const inline = /^\(\?([imsx]+)\)/.exec(body)
    if (inline !== null && !inline[1]!.includes('x')) {
      flags += inline[1]
      body = body.slice(inline[0].length)
    }
    try {
      found = new RegExp(body, flags)
    } catch {
      found = null
    }
    if (regexCache.size > 1000) regexCache.clear()
    regexCache.set(key, found)
  }
  return found
}

function pad(left: boolean): (call: FunctionCall) => Impl {
  return () => (base: string, len: number, filler: string) => {
    if (len < 0 || filler === '') return null
    const baseChars = Array.from(base)
    const padChars = Array.from(filler)
    const padding = Math.max(len - baseChars.length, 0)
    let fill = ''
    for (let i = 0; i < padding; i++) fill += padChars[i % padChars.length]
    const kept = baseChars.slice(0, len - padding).join('')
    return left ? fill + kept : kept + fill
  }
}

function hash(algorithm: string): (call: FunctionCall) => Impl {
  return () => (s: string) => createHash(algorithm).update(s, 'utf8').digest('hex')
}

const STRING = returns('VARCHAR')
const STRING_OR_NULL = returns('VARCHAR', true)
const INT = returns('INT')

function trimmer(which: 'both' | 'leading' | 'trailing', chars: string): (s: string) => string {
  const set = new Set(Array.from(chars))
  return (s) => {
    const cs = Array.from(s)
    let start = 0
    let end = cs.length
    if (which !== 'trailing') while (start < end && set.has(cs[start]!)) start++
    if (which !== 'leading') while (end > start && set.has(cs[end - 1]!)) end--
    return start === 0 && end === cs.length ? s : cs.slice(start, end).join('')
  }
}

const SPACES = /^ +| +$/g

/**
 * TRIM as the parser passes it: `TRIM(s)`, or `TRIM(flag, chars, s)` / `TRIM(flag, s)` where flag is
 * the BOTH / LEADING / TRAILING keyword.
 */
function trimCall(call: FunctionCall): { flag: 'both' | 'leading' | 'trailing'; withChars: boolean } {
  const first = call.constants[0]
  const flagged =
    call.types.length > 1 &&
    (call.call.args[0] as { symbol?: boolean }).symbol === true &&
    typeof first === 'string'
  if (!flagged) {
    if (call.types.length !== 1) call.invalid('TRIM takes TRIM([BOTH | LEADING | TRAILING] [chars] FROM s)')
    return { flag: 'both', withChars: false }
  }
  const flag = (first as string).toLowerCase()
  if (flag !== 'both' && flag !== 'leading' && flag !== 'trailing')
    call.invalid(`unknown TRIM flag ${String(first)}`)
  return { flag, withChars: call.types.length === 3 }
}

export const STRING_FUNCTIONS: FunctionTable = {
  UPPER: { params: ['string'], returns: STRING, strict: () => (s: string) => s.toUpperCase() },
  LOWER: { params: ['string'], returns: STRING, strict: () => (s: string) => s.toLowerCase() },
  CHAR_LENGTH: { params: ['string'], returns: INT, strict: () => length },
  CHARACTER_LENGTH: { params: ['string'], returns: INT, strict: () => length },
  TRIM: {
    params: ['string'],
    optional: ['string', 'string'],
    returns: (call) => ({
      kind: 'VARCHAR',
      nullable: anyNullable(call.types.slice(trimCall(call).withChars ? 1 : 0)),
    }),
    strict: (call) => {
      const { flag, withChars } = trimCall(call)
      if (call.types.length === 1) return (s: string) => s.replace(SPACES, '')
      if (!withChars) {
        const trim = trimmer(flag, ' ')
        return (_flag: string, s: string) => trim(s)
      }
      const chars = call.constants[1]
      if (typeof chars === 'string') {
        const trim = trimmer(flag, chars)
        return (_flag: string, _chars: string, s: string) => trim(s)
      }
      return (_flag: string, c: string, s: string) => trimmer(flag, c)(s)
    },
  },
  LTRIM: { params: ['string'], returns: STRING, strict: () => (s: string) => s.replace(/^ +/, '') },
  RTRIM: { params: ['string'], returns: STRING, strict: () => (s: string) => s.replace(/ +$/, '') },
  CONCAT: {
    params: ['string'],
    variadic: 'string',
    returns: STRING,
    strict:
      () =>
      (...parts: string[]) =>
        parts.join(''),
  },
  CONCAT_WS: {
    params: ['string', 'string'],
    variadic: 'string',
    returns: (call) => ({ kind: 'VARCHAR', nullable: call.types[0]!.nullable }),
    lazy:
      (_call, _type, [separator, ...parts]) =>
      (row) => {
        const sep = separator!(row)
        if (sep === null) return null
        let out: string | undefined
        for (const part of parts) {
          const value = part(row)
          if (value === null) continue
          out = out === undefined ? (value as string) : out + (sep as string) + (value as string)
        }
        return out ?? ''
      },
  },
  SUBSTRING: {
    params: ['string', 'integer'],
    optional: ['integer'],
    returns: STRING,
    strict: () => substring,
  },
  SUBSTR: { params: ['string', 'integer'], optional: ['integer'], returns: STRING, strict: () => substring },
  REPLACE: {
    params: ['string', 'string', 'string'],
    returns: STRING,
    // Java's String.replace: an empty search inserts the replacement around every character.
    strict: () => (s: string, search: string, replacement: string) => s.replaceAll(search, () => replacement),
  },
  POSITION: {
    params: ['string', 'string'],
    returns: INT,
    strict: () => (needle: string, haystack: string) =>
      codePointIndex(haystack, haystack.indexOf(needle)) + 1,
  },
  LOCATE: {
    params: ['string', 'string'],
    optional: ['integer'],
    returns: INT,
    strict: () => (needle: string, haystack: string, start?: number) => {
      if (start !== undefined && start < 1) return 0
      const from = start === undefined ? 0 : slice(haystack, 0, start - 1).length
      const at = haystack.indexOf(needle, from)
      return at < 0 ? 0 : codePointIndex(haystack, at) + 1
    },
  },
  INSTR: {
    params: ['string', 'string'],
    returns: INT,
    strict: () => (s: string, sub: string) => {
      const at = s.indexOf(sub)
      return at < 0 ? 0 : codePointIndex(s, at) + 1
    },
  },
  INITCAP: {
    params: ['string'],
    returns: STRING,
    strict: () => (s: string) => {
      let out = ''
      let start = true
      for (const c of s) {
        const word = /[\p{L}\p{N}]/u.test(c)
        out += word ? (start ? c.toUpperCase() : c.toLowerCase()) : c
        start = !word
      }
      return out
    },
  },
  LPAD: { params: ['string', 'integer', 'string'], returns: STRING_OR_NULL, strict: pad(true) },
  RPAD: { params: ['string', 'integer', 'string'], returns: STRING_OR_NULL, strict: pad(false) },
  REPEAT: {
    params: ['string', 'integer'],
    returns: STRING,
    strict: () => (s: string, n: number) => (n <= 0 ? '' : s.repeat(n)),
  },
  REVERSE: {
    params: ['string'],
    returns: STRING,
    strict: () => (s: string) => Array.from(s).reverse().join(''),
  },
  SPLIT_INDEX: {
    params: ['string', 'string', 'integer'],
    returns: STRING_OR_NULL,
    strict: () => (s: string, separator: string, index: number) => {
      if (index < 0 || s === '') return null
      const parts = separator === '' ? s.trim().split(/\s+/) : s.split(separator)
      return parts[index] ?? null
    },
  },
  LEFT: {
    params: ['string', 'integer'],
    returns: STRING,
    strict: () => (s: string, n: number) => (n <= 0 ? '' : slice(s, 0, n)),
  },
  RIGHT: {
    params: ['string', 'integer'],
    returns: STRING,
    strict: () => (s: string, n: number) => (n <= 0 ? '' : slice(s, Math.max(length(s) - n, 0))),
  },
  REGEXP: {
    params: ['string', 'string'],
    returns: returns('BOOLEAN'),
    strict: () => (s: string, regex: string) => {
      if (regex === '') return false
      const re = javaRegex(regex)
      return re === null ? false : re.test(s)
    },
  },
  REGEXP_REPLACE: {
    params: ['string', 'string', 'string'],
    returns: STRING_OR_NULL,
    strict: () => (s: string, regex: string, replacement: string) => {
      const re = javaRegex(regex, true)
      // Flink quotes the replacement: `$1` is literal text.
      return re === null ? null : s.replace(re, () => replacement)
    },
  },
  REGEXP_EXTRACT: {
    params: ['string', 'string'],
    optional: ['integer'],
    returns: STRING_OR_NULL,
    strict:
      () =>
      (s: string, regex: string, index = 0) => {
        const re = javaRegex(regex)
        if (re === null || index < 0) return null
        const match = re.exec(s)
        return match === null || index >= match.length ? null : (match[index] ?? null)
      },
  },
  MD5: { params: ['string'], returns: STRING, strict: hash('md5') },
  SHA1: { params: ['string'], returns: STRING, strict: hash('sha1') },
  SHA224: { params: ['string'], returns: STRING, strict: hash('sha224') },
  SHA256: { params: ['string'], returns: STRING, strict: hash('sha256') },
  SHA384: { params: ['string'], returns: STRING, strict: hash('sha384') },
  SHA512: { params: ['string'], returns: STRING, strict: hash('sha512') },
  SHA2: {
    params: ['string', 'integer'],
    returns: STRING_OR_NULL,
    strict: (call) => {
      const bits = constantArgument(call, 1, 'hash length')
      if (bits !== null && ![224, 256, 384, 512].includes(bits as number)) {
        call.invalid(`SHA2 hash length must be 224, 256, 384 or 512, not ${String(bits)}`)
      }
      return (s: string, n: number) => createHash(`sha${n}`).update(s, 'utf8').digest('hex')
    },
  },
  TO_BASE64: {
    params: ['string'],
    returns: STRING,
    strict: () => (s: string) => Buffer.from(s, 'utf8').toString('base64'),
  },
  FROM_BASE64: {
    params: ['string'],
    returns: STRING,
    strict: () => (s: string) => Buffer.from(s, 'base64').toString('utf8'),
  },
  ASCII: {
    params: ['string'],
    returns: INT,
    strict: () => (s: string) => (s === '' ? 0 : Buffer.from(s, 'utf8')[0]!),
  },
  CHR: {
    params: ['integer'],
    returns: STRING_OR_NULL,
    strict: () => (n: number) => (n < 0 ? null : String.fromCharCode(n % 256)),
  },
}
