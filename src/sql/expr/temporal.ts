/**
 * Dates and times as the runtime holds them (see types.ts): DATE as days since the epoch,
 * TIMESTAMP as wall-clock milliseconds read in UTC, TIMESTAMP_LTZ as epoch milliseconds. Time
 * zones come from Intl; a wall-clock time that a zone skips (spring forward) or repeats (fall back)
 * resolves as Java's `LocalDateTime.atZone` does, which is what Flink uses: a skipped time moves
 * later by the gap, a repeated time takes the earlier instant.
 */

export const MS_PER_DAY = 86_400_000

// -- Civil calendar (proleptic Gregorian, as java.time) --------------------------------------

export interface Civil {
  readonly year: number
  readonly month: number
  readonly day: number
}

/** Days since 1970-01-01 to year, month (1-12), day. */
export function civilFromDays(days: number): Civil {
  const z = days + 719468
  const era = Math.floor(z / 146097)
  const doe = z - era * 146097
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  )
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100))
  const mp = Math.floor((5 * doy + 2) / 153)
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1
  const month = mp < 10 ? mp + 3 : mp - 9
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day }
}

export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year
  const era = Math.floor(y / 400)
  const yoe = y - era * 400
  const mp = month > 2 ? month - 3 : month + 9
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
}

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0
}

export function daysInMonth(year: number, month: number): number {
  return month === 2
    ? isLeapYear(year)
      ? 29
      : 28
    : [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!
}

export function floorDiv(a: number, b: number): number {
  return Math.floor(a / b)
}

export function floorMod(a: number, b: number): number {
  return a - Math.floor(a / b) * b
}

// -- Time zones --------------------------------------------------------------------------------

const FIXED_OFFSET = /^(?:GMT|UTC)?([+-])(\d{1,2})(?::?(\d{2}))?$/

interface Zone {
  offsetMs(instantMs: number): number
}

const zones = new Map<string, Zone>()

/** A zone by Flink's name: an IANA id, `UTC`, `GMT+08:00`, `+08:00`. Throws RangeError if unknown. */
export function zone(name: string): Zone {
  let found = zones.get(name)
  if (found === undefined) {
    found = makeZone(name)
    zones.set(name, found)
  }
  return found
}

function makeZone(name: string): Zone {
  if (name === 'UTC' || name === 'GMT' || name === 'Z' || name === 'Etc/UTC') return { offsetMs: () => 0 }
  const fixed = FIXED_OFFSET.exec(name)
  if (fixed !== null) {
    const offset = (Number(fixed[2]) * 60 + Number(fixed[3] ?? 0)) * 60_000 * (fixed[1] === '-' ? -1 : 1)
    return { offsetMs: () => offset }
  }
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone: name,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
    era: 'short',
  })
  // Offsets change on quarter-hour boundaries at most: cache one per quarter hour.
  const cache = new Map<number, number>()
  return {
    offsetMs(instantMs) {
      const bucket = Math.floor(instantMs / 900_000)
      let offset = cache.get(bucket)
      if (offset === undefined) {
        const at = bucket * 900_000
        const parts: Record<string, string> = {}
        for (const part of format.formatToParts(at)) parts[part.type] = part.value
        const year = parts['era'] === 'BC' ? 1 - Number(parts['year']) : Number(parts['year'])
        const wall =
          daysFromCivil(year, Number(parts['month']), Number(parts['day'])) * MS_PER_DAY +
          ((Number(parts['hour']) * 60 + Number(parts['minute'])) * 60 + Number(parts['second'])) * 1000
        offset = wall - at
        if (cache.size > 100_000) cache.clear()
        cache.set(bucket, offset)
      }
      return offset
    },
  }
}

/** TIMESTAMP_LTZ -> TIMESTAMP: the wall-clock time of an instant in a zone. */
export function instantToWall(instantMs: number, zoneName: string): number {
  return instantMs + zone(zoneName).offsetMs(instantMs)
}

/** TIMESTAMP -> TIMESTAMP_LTZ: the instant of a wall-clock time in a zone (java.time's rules). */
export function wallToInstant(wallMs: number, zoneName: string): number {
  const z = zone(zoneName)
  const before = z.offsetMs(wallMs - MS_PER_DAY)
  const after = z.offsetMs(wallMs + MS_PER_DAY)
  if (before === after) {
    const offset = z.offsetMs(wallMs - before)
    return wallMs - (offset === before ? before : offset)
  }
  if (z.offsetMs(wallMs - before) === before) return wallMs - before
  if (z.offsetMs(wallMs - after) === after) return wallMs - after
  return wallMs - before
}

// -- Flink's default text forms ---------------------------------------------------------------

const TIMESTAMP_TEXT =
  /^\s*(-?\d{1,9})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d{0,9}))?)?)?\s*$/
const DATE_TEXT = /^\s*(-?\d{1,9})-(\d{1,2})-(\d{1,2})\s*$/
const TIME_TEXT = /^\s*(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d{0,9}))?)?\s*$/

function validDate(year: number, month: number, day: number): boolean {
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month)
}

/** `yyyy-MM-dd[( |T)HH:mm[:ss[.fffffffff]]]` to wall-clock ms (fraction cut to ms), or undefined. */
export function parseTimestamp(text: string): number | undefined {
  const m = TIMESTAMP_TEXT.exec(text)
  if (m === null) return undefined
  const year = Number(m[1])
  const month = Number(m[2])
  const day = Number(m[3])
  const hour = Number(m[4] ?? 0)
  const minute = Number(m[5] ?? 0)
  const second = Number(m[6] ?? 0)
  if (!validDate(year, month, day) || hour > 23 || minute > 59 || second > 59) return undefined
  const millis = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'))
  return daysFromCivil(year, month, day) * MS_PER_DAY + ((hour * 60 + minute) * 60 + second) * 1000 + millis
}

export function parseDate(text: string): number | undefined {
  const m = DATE_TEXT.exec(text)
  if (m === null) return undefined
  const year = Number(m[1])
  const month = Number(m[2])
  const day = Number(m[3])
  return validDate(year, month, day) ? daysFromCivil(year, month, day) : undefined
}

export function parseTime(text: string): number | undefined {
  const m = TIME_TEXT.exec(text)
  if (m === null) return undefined
  const hour = Number(m[1])
  const minute = Number(m[2])
  const second = Number(m[3] ?? 0)
  if (hour > 23 || minute > 59 || second > 59) return undefined
  return (
    ((hour * 60 + minute) * 60 + second) * 1000 +
    (m[4] === undefined ? 0 : Number(m[4].slice(0, 3).padEnd(3, '0')))
  )
}

function pad(value: number, width: number): string {
  const text = String(Math.abs(value)).padStart(width, '0')
  return value < 0 ? `-${text}` : text
}

export function formatDate(days: number): string {
  const { year, month, day } = civilFromDays(days)
  return `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}`
}

/** Milliseconds of the day as `HH:mm:ss[.f...]` with `precision` fraction digits. */
export function formatTime(msOfDay: number, precision: number): string {
  const seconds = Math.floor(msOfDay / 1000)
  const text = `${pad(Math.floor(seconds / 3600), 2)}:${pad(Math.floor(seconds / 60) % 60, 2)}:${pad(seconds % 60, 2)}`
  if (precision <= 0) return text
  const fraction = pad(msOfDay % 1000, 3)
    .padEnd(9, '0')
    .slice(0, precision)
  return `${text}.${fraction}`
}

/** A wall-clock timestamp as Flink casts it to STRING: `yyyy-MM-dd HH:mm:ss` plus `precision` digits. */
export function formatTimestamp(wallMs: number, precision: number): string {
  const days = floorDiv(wallMs, MS_PER_DAY)
  return `${formatDate(days)} ${formatTime(wallMs - days * MS_PER_DAY, precision)}`
}

/** Cuts a timestamp to `precision` (0-3) fraction digits, as a cast to TIMESTAMP(p) does. */
export function truncateMillis(ms: number, precision: number): number {
  if (precision >= 3) return ms
  const unit = precision === 2 ? 10 : precision === 1 ? 100 : 1000
  return Math.floor(ms / unit) * unit
}
