/**
 * Reading a table's WITH options as Flink's `FactoryUtil` does: every key a connector or format
 * declares is "consumed", values are parsed eagerly (so a bad value fails even for an option the
 * table would not use), and whatever is left over is an error listing the unsupported and the
 * supported keys. Value syntax follows Flink's `ConfigurationUtils`: integers as Java parses them,
 * booleans `true`/`false` in any case, enums by their value in any case, lists split at `;`,
 * durations as `TimeUtils.parseDuration` reads them (`500`, `500 ms`, `5 s`, `5s`, `1 min`,
 * `PT5M`).
 */

/** Raises the error of the table being defined (file and position are the caller's). */
export type Fail = (message: string) => never

/** Options every Flink table factory consumes besides its own. */
export const IMPLICIT_OPTIONS: readonly string[] = [
  'connector',
  'property-version',
  'scan.watermark.emit.strategy',
  'scan.watermark.alignment.group',
  'scan.watermark.alignment.max-drift',
  'scan.watermark.alignment.update-interval',
  'scan.watermark.idle-timeout',
]

export class OptionReader {
  readonly #options: Readonly<Record<string, string>>
  readonly #fail: Fail
  readonly #declared = new Set<string>(IMPLICIT_OPTIONS)
  readonly #consumedPrefixes: string[] = []

  constructor(options: Readonly<Record<string, string>>, fail: Fail) {
    this.#options = options
    this.#fail = fail
  }

  get fail(): Fail {
    return this.#fail
  }

  /** Keys this connector or format accepts (listed as "Supported options" in the error). */
  declare(...keys: string[]): void {
    for (const key of keys) this.#declared.add(key)
  }

  /** Takes back keys declared before (datagen does not accept the `scan.watermark.*` options). */
  undeclare(...keys: string[]): void {
    for (const key of keys) this.#declared.delete(key)
  }

  /** Keys starting with `prefix` are accepted unchecked (`properties.`), and not listed. */
  acceptPrefix(prefix: string): void {
    this.#consumedPrefixes.push(prefix)
  }

  keys(): string[] {
    return Object.keys(this.#options)
  }

  has(key: string): boolean {
    return Object.hasOwn(this.#options, key)
  }

  /** The value of `key`, else of the first fallback key present. */
  string(key: string, ...fallbacks: string[]): string | undefined {
    this.declare(key)
    for (const k of [key, ...fallbacks]) {
      if (this.has(k)) return this.#options[k]
    }
    return undefined
  }

  int(key: string): number | undefined {
    return this.#number(key, 2 ** 31)
  }

  long(key: string): number | undefined {
    return this.#number(key, 2 ** 63)
  }

  #number(key: string, limit: number): number | undefined {
    const text = this.string(key)
    if (text === undefined) return undefined
    const value = /^[+-]?\d+$/.test(text) ? Number(text) : Number.NaN
    if (!Number.isFinite(value) || value >= limit || value < -limit) {
      this.#invalid(key, text, limit === 2 ** 31 ? 'an integer' : 'a long integer')
    }
    if (!Number.isSafeInteger(value)) this.#invalid(key, text, 'an integer below 2^53')
    return value
  }

  double(key: string): number | undefined {
    const text = this.string(key)
    if (text === undefined) return undefined
    const value = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?[dDfF]?\s*$/.test(text)
      ? Number.parseFloat(text)
      : Number.NaN
    if (Number.isNaN(value)) this.#invalid(key, text, 'a number')
    return value
  }

  boolean(key: string, defaultValue: boolean): boolean {
    const text = this.string(key)
    if (text === undefined) return defaultValue
    const lower = text.toLowerCase()
    if (lower === 'true') return true
    if (lower === 'false') return false
    return this.#fail(
      `Invalid value for option '${key}': unrecognized option for boolean: ${text}. Expected either true or false (case insensitive).`,
    )
  }

  /** One of `values`, matched in any case, returned as spelled in `values`. */
  enumOf<T extends string>(key: string, values: readonly T[], defaultValue: T): T
  enumOf<T extends string>(key: string, values: readonly T[]): T | undefined
  enumOf<T extends string>(key: string, values: readonly T[], defaultValue?: T): T | undefined {
    const text = this.string(key)
    if (text === undefined) return defaultValue
    const found = values.find((v) => v.toLowerCase() === text.toLowerCase())
    if (found === undefined) {
      this.#fail(
        `Invalid value for option '${key}': could not parse value '${text}'. Expected one of: [${values.join(', ')}].`,
      )
    }
    return found
  }

  durationMs(key: string): number | undefined {
    const text = this.string(key)
    if (text === undefined) return undefined
    const ms = parseDurationMs(text)
    if (typeof ms === 'string') return this.#fail(`Invalid value for option '${key}': ${ms}`)
    return ms
  }

  /** A `;`-separated list (`topic`, `key.fields`). */
  list(key: string): string[] | undefined {
    const text = this.string(key)
    if (text === undefined) return undefined
    return text.split(';').filter((item, i, all) => item !== '' || i < all.length - 1)
  }

  /** Keys neither declared nor under an accepted prefix, sorted. */
  unsupported(): string[] {
    return this.keys()
      .filter((k) => !this.#declared.has(k) && !this.#consumedPrefixes.some((p) => k.startsWith(p)))
      .sort()
  }

  /** Step last: Flink's "Unsupported options found for '<connector>'" for leftover keys. */
  checkUnsupported(identifier: string): void {
    const unsupported = this.unsupported()
    if (unsupported.length === 0) return
    const supported = [...this.#declared].sort()
    this.#fail(
      `Unsupported options found for '${identifier}'.\n\nUnsupported options:\n\n${unsupported.join('\n')}\n\n` +
        `Supported options:\n\n${supported.join('\n')}`,
    )
  }

  #invalid(key: string, text: string, what: string): never {
    return this.#fail(`Invalid value for option '${key}': could not parse value '${text}' as ${what}.`)
  }
}

/** Flink's duration units (`TimeUtils`), each with its length in milliseconds. */
const DURATION_UNITS: ReadonlyArray<{ readonly labels: readonly string[]; readonly ms: number }> = [
  { labels: ['d', 'day', 'days'], ms: 86_400_000 },
  { labels: ['h', 'hour', 'hours'], ms: 3_600_000 },
  { labels: ['min', 'm', 'minute', 'minutes'], ms: 60_000 },
  { labels: ['s', 'sec', 'secs', 'second', 'seconds'], ms: 1000 },
  { labels: ['ms', 'milli', 'millis', 'millisecond', 'milliseconds'], ms: 1 },
  { labels: ['µs', 'micro', 'micros', 'microsecond', 'microseconds'], ms: 0.001 },
  { labels: ['ns', 'nano', 'nanos', 'nanosecond', 'nanoseconds'], ms: 0.000001 },
]

const UNIT_LIST =
  'DAYS: (d | day | days), HOURS: (h | hour | hours), MINUTES: (min | m | minute | minutes), ' +
  'SECONDS: (s | sec | secs | second | seconds), MILLISECONDS: (ms | milli | millis | millisecond | milliseconds), ' +
  'MICROSECONDS: (µs | micro | micros | microsecond | microseconds), NANOSECONDS: (ns | nano | nanos | nanosecond | nanoseconds)'

/**
 * A duration as Flink reads it, in whole milliseconds (truncated, as `Duration.toMillis`), or the
 * reason it is not one: a number with an optional unit (none means milliseconds), spaces allowed
 * around and between, unit in any case; or an ISO-8601 duration (`PT5M`, `P1DT2H`).
 */
export function parseDurationMs(text: string): number | string {
  const trimmed = text.trim()
  if (trimmed === '') return 'argument is an empty- or whitespace-only string'
  if (!/^\d/.test(trimmed)) {
    const iso = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)(?:\.(\d{1,9}))?S)?)?$/i.exec(trimmed)
    if (iso === null || trimmed.toUpperCase() === 'P' || trimmed.toUpperCase().endsWith('T')) {
      return `text does not start with a number, and is not a valid ISO-8601 duration format: ${text}`
    }
    const [, d = '0', h = '0', m = '0', s = '0', fraction = ''] = iso
    const fractionMs = Math.trunc(Number(`0.${fraction || '0'}`) * 1000)
    return ((Number(d) * 24 + Number(h)) * 60 + Number(m)) * 60_000 + Number(s) * 1000 + fractionMs
  }
  const match = /^(\d+)\s*(.*)$/.exec(trimmed)!
  const amount = Number(match[1])
  const label = match[2]!.toLowerCase()
  if (!Number.isSafeInteger(amount)) return `the value '${match[1]}' cannot be represented as a duration`
  if (label === '') return amount
  const unit = DURATION_UNITS.find((u) => u.labels.includes(label))
  if (unit === undefined) {
    return `Time interval unit label '${match[2]}' does not match any of the recognized units: ${UNIT_LIST}`
  }
  return Math.trunc(amount * unit.ms)
}
