/**
 * Number helpers with Java's semantics, as Flink's generated code has them: integer wrap-around,
 * BigDecimal HALF_UP rounding of the decimal a double prints as, and Java's `Double.toString`.
 */
import type { IntegerKind } from './typing.ts'

/** Wraps an exact integer result to the two's complement range of its type, as Java does. */
export function wrapper(kind: IntegerKind): (value: number) => number {
  switch (kind) {
    case 'TINYINT':
      return (value) => (value << 24) >> 24
    case 'SMALLINT':
      return (value) => (value << 16) >> 16
    case 'INT':
      return (value) => value | 0
    case 'BIGINT':
      // Beyond 2^53 values are out of range already (see types.ts): no wrap at 2^63.
      return (value) => value
  }
}

export const INTEGER_RANGE: Record<IntegerKind, readonly [number, number]> = {
  TINYINT: [-128, 127],
  SMALLINT: [-32768, 32767],
  INT: [-2147483648, 2147483647],
  BIGINT: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
}

const POW10: number[] = Array.from({ length: 40 }, (_, i) => 10 ** i)

function pow10(exponent: number): number {
  return exponent >= 0 && exponent < POW10.length ? (POW10[exponent] as number) : 10 ** exponent
}

/**
 * Rounds HALF_UP to `scale` digits after the point (negative: before), on the shortest decimal
 * that prints as `value` (Java's `BigDecimal.valueOf(double)`), so 1.005 rounds to 1.01.
 */
export function roundHalfUp(value: number, scale: number): number {
  if (!Number.isFinite(value) || value === 0) return value
  const abs = Math.abs(value)
  const factor = pow10(scale)
  const scaled = abs * factor
  if (scaled >= 2 ** 52) return value
  const floor = Math.floor(scaled)
  const fraction = scaled - floor
  let rounded: number
  if (Math.abs(fraction - 0.5) > 1e-6) rounded = fraction > 0.5 ? floor + 1 : floor
  else rounded = decimalDigits(abs, scale, true)
  const result = scale >= 0 ? rounded / factor : rounded * pow10(-scale)
  return value < 0 ? -result : result
}

/**
 * The printed decimal digits of `abs` cut to `scale` places, as an integer (the value times
 * 10^scale), rounded HALF_UP or truncated.
 */
function decimalDigits(abs: number, scale: number, halfUp: boolean): number {
  const text = abs.toString()
  const e = text.indexOf('e')
  const mantissa = e < 0 ? text : text.slice(0, e)
  const exponent = e < 0 ? 0 : Number(text.slice(e + 1))
  const dot = mantissa.indexOf('.')
  const digits = dot < 0 ? mantissa : mantissa.slice(0, dot) + mantissa.slice(dot + 1)
  const point = (dot < 0 ? mantissa.length : dot) + exponent
  const keep = point + scale
  if (keep < 0) return 0
  if (keep >= digits.length) return Math.round(abs * pow10(scale))
  const kept = keep === 0 ? 0 : Number(digits.slice(0, keep))
  return halfUp && digits.charCodeAt(keep) >= 53 ? kept + 1 : kept
}

/** Truncates toward zero to `scale` digits of the printed decimal (TRUNCATE): 1.15 stays 1.15. */
export function truncateTo(value: number, scale: number): number {
  if (!Number.isFinite(value) || value === 0) return value
  const abs = Math.abs(value)
  const scaled = abs * pow10(scale)
  if (scaled >= 2 ** 52) return value
  const floor = Math.floor(scaled)
  const fraction = scaled - floor
  // Near a whole number the product may be off by one ulp (1.15 * 100 = 114.99999999999999).
  const whole = fraction > 1e-6 && fraction < 1 - 1e-6 ? floor : decimalDigits(abs, scale, false)
  const result = scale >= 0 ? whole / pow10(scale) : whole * pow10(-scale)
  return value < 0 ? -result : result
}

/** Whether a DECIMAL(precision, scale) value fits its precision (Flink gives NULL when not). */
export function fitsDecimal(value: number, precision: number, scale: number): boolean {
  return Math.abs(value) < pow10(precision - scale)
}

/** Java's `Double.toString`: `1.0`, `0.001`, `1.0E-4`, `1.0E7`, `NaN`, `Infinity`. */
export function javaDoubleString(value: number): string {
  return javaFloatingString(value, value.toString())
}

/** Java's `Float.toString` (shortest digits that read back as the same float). */
export function javaFloatString(value: number): string {
  if (!Number.isFinite(value) || value === 0) return javaDoubleString(value)
  let digits = value.toString()
  for (let precision = 1; precision <= 9; precision++) {
    const candidate = value.toPrecision(precision)
    if (Math.fround(Number(candidate)) === value) {
      digits = Number(candidate).toString()
      break
    }
  }
  return javaFloatingString(value, digits)
}

function javaFloatingString(value: number, shortest: string): string {
  if (Number.isNaN(value)) return 'NaN'
  if (value === Infinity) return 'Infinity'
  if (value === -Infinity) return '-Infinity'
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0'
  const abs = Math.abs(value)
  const sign = value < 0 ? '-' : ''
  const text = shortest.replace('-', '')
  if (abs >= 1e-3 && abs < 1e7) {
    const plain = text.includes('e') ? Number(text).toFixed(20).replace(/0+$/, '') : text
    return sign + (plain.includes('.') ? plain.replace(/\.$/, '.0') : `${plain}.0`)
  }
  const e = text.indexOf('e')
  let mantissa = e < 0 ? text : text.slice(0, e)
  let exponent = e < 0 ? 0 : Number(text.slice(e + 1))
  // Normalise to one digit before the point.
  const digits = mantissa.replace('.', '').replace(/^0+/, '')
  const dot = mantissa.indexOf('.')
  const intDigits = dot < 0 ? mantissa.length : dot
  const leadingZeros = mantissa.replace('.', '').length - mantissa.replace('.', '').replace(/^0+/, '').length
  exponent += intDigits - 1 - leadingZeros
  const rest = digits.slice(1).replace(/0+$/, '')
  mantissa = `${digits[0]}.${rest === '' ? '0' : rest}`
  return `${sign}${mantissa}E${exponent}`
}

/** A DECIMAL(p, s) as Flink prints it: exactly `s` digits after the point. */
export function decimalString(value: number, scale: number): string {
  const text = value.toFixed(scale)
  return text === `-${(0).toFixed(scale)}` ? text.slice(1) : text
}
