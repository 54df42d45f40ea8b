/**
 * Date-time patterns as Flink takes them (DATE_FORMAT, TO_TIMESTAMP, UNIX_TIMESTAMP,
 * FROM_UNIXTIME): Java's DateTimeFormatter letters, compiled once per pattern into a list of
 * printers and readers. Supported letters: y u (year), M L (month; MMM, MMMM names), d, D (day of
 * year), H k K h (hours), m, s, S (fraction), E (day name), a (AM/PM), Z X x (offset), and
 * quoted text. Other letters are refused with a RangeError.
 */
import { civilFromDays, daysFromCivil, daysInMonth, floorDiv, MS_PER_DAY } from './temporal.ts'

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
]
const DAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday']

interface Fields {
  year: number
  month: number
  day: number
  dayOfYear: number
  /** 1 = Monday, as java.time. */
  dayOfWeek: number
  hour: number
  minute: number
  second: number
  millis: number
  offsetMs: number
}

interface Parsed {
  year: number
  month: number
  day: number
  hour: number
  minute: number
  second: number
  millis: number
  pm: boolean | undefined
  hour12: boolean
}

type Token =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'field'; readonly letter: string; readonly count: number }

export interface DatePattern {
  /** The pattern prints an offset (Z, X, x): the caller must pass the real one. */
  readonly needsOffset: boolean
  /** Formats a wall-clock time; `offsetMs` is what Z/X/x print. */
  format(wallMs: number, offsetMs: number): string
  /** Reads a wall-clock time, or undefined when the text does not match the whole pattern. */
  parse(text: string): number | undefined
}

const SUPPORTED = new Set([
  'y',
  'u',
  'M',
  'L',
  'd',
  'D',
  'H',
  'k',
  'K',
  'h',
  'm',
  's',
  'S',
  'E',
  'a',
  'Z',
  'X',
  'x',
])
const cache = new Map<string, DatePattern>()

/** Compiles a pattern (cached). Throws RangeError for a letter outside the supported set. */
export function datePattern(pattern: string): DatePattern {
  let compiled = cache.get(pattern)
  if (compiled === undefined) {
    compiled = compile(tokenize(pattern))
    if (cache.size > 1000) cache.clear()
    cache.set(pattern, compiled)
  }
  return compiled
}

function tokenize(pattern: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  while (i < pattern.length) {
    const c = pattern[i] as string
    if (c === "'") {
      let j = i + 1
      let text = ''
      while (j < pattern.length) {
        if (pattern[j] === "'") {
          if (pattern[j + 1] === "'") {
            text += "'"
            j += 2
            continue
          }
          break
        }
        text += pattern[j]
        j++
      }
      tokens.push({ kind: 'text', text: j === i + 1 ? "'" : text })
      i = j + 1
    } else if (/[a-zA-Z]/.test(c)) {
      if (!SUPPORTED.has(c)) throw new RangeError(`unsupported pattern letter '${c}' in '${pattern}'`)
      let j = i
      while (pattern[j] === c) j++
      tokens.push({ kind: 'field', letter: c, count: j - i })
      i = j
    } else {
      tokens.push({ kind: 'text', text: c })
      i++
    }
  }
  return tokens
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0')
}

function offsetText(offsetMs: number, letter: string, count: number): string {
  if (offsetMs === 0 && letter === 'X') return 'Z'
  const sign = offsetMs < 0 ? '-' : '+'
  const minutes = Math.abs(offsetMs) / 60_000
  const hh = pad(Math.floor(minutes / 60), 2)
  const mm = pad(minutes % 60, 2)
  if (letter === 'Z') return `${sign}${hh}${mm}`
  if (count === 1) return minutes % 60 === 0 ? `${sign}${hh}` : `${sign}${hh}${mm}`
  return count === 2 ? `${sign}${hh}${mm}` : `${sign}${hh}:${mm}`
}

function printer(token: Token): (f: Fields) => string {
  if (token.kind === 'text') return () => token.text
  const { letter, count } = token
  switch (letter) {
    case 'y':
    case 'u':
      return count === 2 ? (f) => pad(((f.year % 100) + 100) % 100, 2) : (f) => pad(f.year, count)
    case 'M':
    case 'L':
      if (count === 3) return (f) => MONTHS[f.month - 1]!.slice(0, 3)
      if (count >= 4) return (f) => MONTHS[f.month - 1]!
      return (f) => pad(f.month, count)
    case 'd':
      return (f) => pad(f.day, count)
    case 'D':
      return (f) => pad(f.dayOfYear, count)
    case 'H':
      return (f) => pad(f.hour, count)
    case 'k':
      return (f) => pad(f.hour === 0 ? 24 : f.hour, count)
    case 'K':
      return (f) => pad(f.hour % 12, count)
    case 'h':
      return (f) => pad(f.hour % 12 === 0 ? 12 : f.hour % 12, count)
    case 'm':
      return (f) => pad(f.minute, count)
    case 's':
      return (f) => pad(f.second, count)
    case 'S':
      return (f) => pad(f.millis, 3).padEnd(9, '0').slice(0, count)
    case 'E':
      return count >= 4 ? (f) => DAYS[f.dayOfWeek - 1]! : (f) => DAYS[f.dayOfWeek - 1]!.slice(0, 3)
    case 'a':
      return (f) => (f.hour < 12 ? 'AM' : 'PM')
    default:
      return (f) => offsetText(f.offsetMs, letter, count)
  }
}

function fieldsOf(wallMs: number, offsetMs: number): Fields {
  const days = floorDiv(wallMs, MS_PER_DAY)
  const msOfDay = wallMs - days * MS_PER_DAY
  const { year, month, day } = civilFromDays(days)
  return {
    year,
    month,
    day,
    dayOfYear: days - daysFromCivil(year, 1, 1) + 1,
    dayOfWeek: ((((days + 3) % 7) + 7) % 7) + 1,
    hour: Math.floor(msOfDay / 3_600_000),
    minute: Math.floor(msOfDay / 60_000) % 60,
    second: Math.floor(msOfDay / 1000) % 60,
    millis: msOfDay % 1000,
    offsetMs,
  }
}

const NUMERIC = new Set(['y', 'u', 'M', 'L', 'd', 'D', 'H', 'k', 'K', 'h', 'm', 's', 'S'])

function isNumericField(token: Token | undefined): boolean {
  return token !== undefined && token.kind === 'field' && NUMERIC.has(token.letter) && token.count < 3
}

function compile(tokens: Token[]): DatePattern {
  const printers = tokens.map(printer)
  return {
    needsOffset: tokens.some(
      (t) => t.kind === 'field' && (t.letter === 'Z' || t.letter === 'X' || t.letter === 'x'),
    ),
    format(wallMs, offsetMs) {
      const fields = fieldsOf(wallMs, offsetMs)
      let out = ''
      for (const print of printers) out += print(fields)
      return out
    },
    parse(text) {
      const p: Parsed = {
        year: 1970,
        month: 1,
        day: 1,
        hour: 0,
        minute: 0,
        second: 0,
        millis: 0,
        pm: undefined,
        hour12: false,
      }
      let at = 0
      for (let i = 0; i < tokens.length; i++) {
        const token = tokens[i] as Token
        if (token.kind === 'text') {
          if (!text.startsWith(token.text, at)) return undefined
          at += token.text.length
          continue
        }
        const read = readField(text, at, token, isNumericField(tokens[i + 1]), p)
        if (read < 0) return undefined
        at = read
      }
      if (at !== text.length) return undefined
      let hour = p.hour
      if (p.hour12) hour = (hour % 12) + (p.pm === true ? 12 : 0)
      else if (p.pm === true && hour < 12) hour += 12
      if (p.month < 1 || p.month > 12 || p.day < 1 || p.day > daysInMonth(p.year, p.month)) return undefined
      if (hour > 23 || p.minute > 59 || p.second > 59) return undefined
      return (
        daysFromCivil(p.year, p.month, p.day) * MS_PER_DAY +
        ((hour * 60 + p.minute) * 60 + p.second) * 1000 +
        p.millis
      )
    },
  }
}

/** Reads one field at `at`; returns the index after it, or -1. */
function readField(
  text: string,
  at: number,
  token: Token & { kind: 'field' },
  adjacent: boolean,
  p: Parsed,
): number {
  const { letter, count } = token
  if ((letter === 'M' || letter === 'L') && count >= 3) {
    for (let i = 0; i < 12; i++) {
      const name = count === 3 ? MONTHS[i]!.slice(0, 3) : MONTHS[i]!
      if (text.slice(at, at + name.length).toLowerCase() === name.toLowerCase()) {
        p.month = i + 1
        return at + name.length
      }
    }
    return -1
  }
  if (letter === 'E') {
    for (const day of DAYS) {
      const name = count >= 4 ? day : day.slice(0, 3)
      if (text.slice(at, at + name.length).toLowerCase() === name.toLowerCase()) return at + name.length
    }
    return -1
  }
  if (letter === 'a') {
    const marker = text.slice(at, at + 2).toUpperCase()
    if (marker !== 'AM' && marker !== 'PM') return -1
    p.pm = marker === 'PM'
    return at + 2
  }
  if (letter === 'Z' || letter === 'X' || letter === 'x') return -1
  const max = letter === 'S' || adjacent ? count : letter === 'y' || letter === 'u' ? 9 : Math.max(count, 2)
  let end = at
  while (end < text.length && end - at < max && text.charCodeAt(end) >= 48 && text.charCodeAt(end) <= 57)
    end++
  if (end === at || (adjacent && end - at !== count)) return -1
  const value = Number(text.slice(at, end))
  switch (letter) {
    case 'y':
    case 'u':
      p.year = count === 2 && end - at === 2 ? 2000 + value : value
      break
    case 'M':
    case 'L':
      p.month = value
      break
    case 'd':
      p.day = value
      break
    case 'H':
    case 'k':
      p.hour = letter === 'k' && value === 24 ? 0 : value
      break
    case 'h':
    case 'K':
      p.hour = value
      p.hour12 = true
      break
    case 'm':
      p.minute = value
      break
    case 's':
      p.second = value
      break
    case 'S':
      p.millis = Number(text.slice(at, end).padEnd(3, '0').slice(0, 3))
      break
    default:
      return -1
  }
  return end
}
