/**
 * Validation of options where they enter freshet (constructors, CLI parsing). Each concept's
 * `options.ts` describes its options with these checks; unknown keys are rejected with a message
 * naming the key and the allowed ones.
 */
import { FreshetError } from '../errors/index.ts'

export type Check<T> = (where: string, key: string, value: unknown) => T

function invalid(where: string, key: string, expected: string, value: unknown): FreshetError {
  return new FreshetError(
    'INVALID_OPTION',
    `${where}: option "${key}" must be ${expected}, got ${JSON.stringify(value)}`,
    {
      details: { option: key, expected },
    },
  )
}

export const checks = {
  string: (): Check<string> => (where, key, value) => {
    if (typeof value !== 'string' || value.length === 0)
      throw invalid(where, key, 'a non-empty string', value)
    return value
  },
  boolean: (): Check<boolean> => (where, key, value) => {
    if (typeof value !== 'boolean') throw invalid(where, key, 'a boolean', value)
    return value
  },
  int:
    (min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): Check<number> =>
    (where, key, value) => {
      if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
        throw invalid(where, key, `an integer in [${min}, ${max}]`, value)
      }
      return value
    },
  number:
    (min = -Infinity, max = Infinity): Check<number> =>
    (where, key, value) => {
      if (typeof value !== 'number' || Number.isNaN(value) || value < min || value > max) {
        throw invalid(where, key, `a number in [${min}, ${max}]`, value)
      }
      return value
    },
  oneOf:
    <const T extends string>(allowed: readonly T[]): Check<T> =>
    (where, key, value) => {
      if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
        throw invalid(where, key, `one of ${allowed.join(', ')}`, value)
      }
      return value as T
    },
  stringList: (): Check<string[]> => (where, key, value) => {
    if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || v.length === 0)) {
      throw invalid(where, key, 'a list of non-empty strings', value)
    }
    return value as string[]
  },
  func:
    <F>(expected = 'a function'): Check<F> =>
    (where, key, value) => {
      if (typeof value !== 'function') throw invalid(where, key, expected, value)
      return value as F
    },
  any:
    <T>(): Check<T> =>
    (_where, _key, value) =>
      value as T,
} as const

export type Spec<T> = {
  [K in keyof T]-?: { check: Check<Exclude<T[K], undefined>>; default?: Exclude<T[K], undefined> }
}

/** Options after validation: every key with a default is present. */
export type Resolved<T, D extends keyof T> = Omit<T, D> & Required<Pick<T, D>>

/**
 * Validates `input` against `spec`: rejects unknown keys, checks each given value, fills defaults.
 * `where` names the surface (e.g. "produce" or "RegistryServer") for the error message.
 */
export function validateOptions<T extends object>(where: string, input: unknown, spec: Spec<T>): T {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new FreshetError('INVALID_OPTION', `${where}: options must be an object`)
  }
  const allowed = Object.keys(spec)
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(input)) {
    if (!allowed.includes(key)) {
      throw new FreshetError(
        'INVALID_OPTION',
        `${where}: unknown option "${key}"; allowed: ${allowed.join(', ')}`,
        {
          details: { option: key, allowed },
        },
      )
    }
    if (value === undefined) continue
    const entry = spec[key as keyof T]
    out[key] = entry.check(where, key, value)
  }
  for (const key of allowed) {
    const entry = spec[key as keyof T]
    if (out[key] === undefined && entry.default !== undefined) out[key] = entry.default
  }
  return out as T
}

/** Throws when any of `keys` is missing from already-validated options, naming the first one. */
export function requireOptions<T extends object>(
  where: string,
  options: T,
  keys: readonly (keyof T & string)[],
): void {
  for (const key of keys) {
    if (options[key] === undefined) {
      throw new FreshetError('INVALID_OPTION', `${where}: option "${key}" is required`, {
        details: { option: key },
      })
    }
  }
}
