import { parseArgs } from 'node:util'
import { FreshetError } from '../../src/errors/index.ts'

export interface IntFlag {
  kind: 'int'
  default?: number
  min: number
  max?: number
  help: string
}

export interface BoolFlag {
  kind: 'boolean'
  help: string
}

/** A comma-separated list of names, each one of `allowed`, without repeats. */
export interface ListFlag {
  kind: 'list'
  default: readonly string[]
  allowed: readonly string[]
  help: string
}

export type FlagSpec = Record<string, IntFlag | BoolFlag | ListFlag>

export type Flags<S extends FlagSpec> = {
  [K in keyof S]: S[K] extends BoolFlag
    ? boolean
    : S[K] extends ListFlag
      ? string[]
      : S[K] extends { default: number }
        ? number
        : number | undefined
}

export function usage(bench: string, spec: FlagSpec): string {
  const lines = Object.entries(spec).map(([name, flag]) => {
    if (flag.kind === 'list') {
      return `  --${name} A,B  ${flag.help}, of ${flag.allowed.join(', ')} (default ${flag.default.join(',')})`
    }
    const fallback = flag.kind === 'int' && flag.default !== undefined ? ` (default ${flag.default})` : ''
    return `  --${name}${flag.kind === 'int' ? ' N' : ''}  ${flag.help}${fallback}`
  })
  return [`usage: node ${bench} [flags]`, ...lines].join('\n')
}

/**
 * Parses benchmark flags strictly: an unknown flag, a missing value or a number out of range is an
 * error naming the flag and what is allowed. Integers accept `_` separators (1_000_000).
 */
export function parseFlags<S extends FlagSpec>(bench: string, argv: string[], spec: S): Flags<S> {
  const options = Object.fromEntries(
    Object.entries(spec).map(([name, flag]) => [
      name,
      { type: flag.kind === 'boolean' ? 'boolean' : 'string' },
    ]),
  ) as Record<string, { type: 'string' | 'boolean' }>
  let values: Record<string, string | boolean | undefined>
  try {
    values = parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values as Record<
      string,
      string | boolean | undefined
    >
  } catch (error) {
    throw new FreshetError(
      'INVALID_OPTION',
      `${bench}: ${(error as Error).message}; allowed flags: ${Object.keys(spec)
        .map((k) => `--${k}`)
        .join(', ')}`,
    )
  }
  const out: Record<string, number | boolean | string[] | undefined> = {}
  for (const [name, flag] of Object.entries(spec)) {
    const raw = values[name]
    if (flag.kind === 'boolean') {
      out[name] = raw === true
      continue
    }
    if (flag.kind === 'list') {
      out[name] = raw === undefined ? [...flag.default] : parseList(bench, name, String(raw), flag.allowed)
      continue
    }
    if (raw === undefined) {
      out[name] = flag.default
      continue
    }
    const n = Number(String(raw).replaceAll('_', ''))
    const max = flag.max ?? Number.MAX_SAFE_INTEGER
    if (!Number.isInteger(n) || n < flag.min || n > max) {
      throw new FreshetError(
        'INVALID_OPTION',
        `${bench}: --${name} must be an integer in [${flag.min}, ${max}], got ${JSON.stringify(raw)}`,
      )
    }
    out[name] = n
  }
  return out as Flags<S>
}

function parseList(bench: string, name: string, raw: string, allowed: readonly string[]): string[] {
  const items = raw.split(',').map((item) => item.trim())
  const wrong = items.find((item, i) => !allowed.includes(item) || items.indexOf(item) !== i)
  if (wrong !== undefined) {
    throw new FreshetError(
      'INVALID_OPTION',
      `${bench}: --${name} must be a comma-separated list of distinct names of ${allowed.join(', ')}, got ${JSON.stringify(raw)}`,
    )
  }
  return items
}

/**
 * The flags of this process for a benchmark's `main`: a usage error prints the message and the
 * usage and exits 2; `--help` (every benchmark has it) prints the usage and exits 0.
 */
export function flagsOrExit<S extends FlagSpec>(bench: string, spec: S): Flags<S> {
  let flags: Flags<S>
  try {
    flags = parseFlags(bench, process.argv.slice(2), spec)
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${usage(bench, spec)}`)
    process.exit(2)
  }
  if ((flags as Record<string, unknown>).help === true) {
    console.log(usage(bench, spec))
    process.exit(0)
  }
  return flags
}
