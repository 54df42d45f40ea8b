/**
 * INTERVAL literals, converted to milliseconds. Day-time only (DAY, HOUR, MINUTE, SECOND and their
 * `x TO y` forms); YEAR and MONTH intervals are refused. As in Flink (Calcite), the leading field
 * has at most 2 digits (`INTERVAL '100' DAY` is an error there too), the other fields stay in range
 * (`'1:75' MINUTE TO SECOND` is an error) and only seconds take a fraction.
 */
import type { IntervalExpr } from '../ast.ts'
import { at, invalid, sourceText, unsupported, type Converter } from './context.ts'
import type {
  IntervalValueContext,
  TimeIntervalExpressionContext,
  UnitToUnitIntervalContext,
} from './grammar.ts'
import { stringValue } from './names.ts'

const UNIT_MS = { DAY: 86_400_000, HOUR: 3_600_000, MINUTE: 60_000, SECOND: 1_000 } as const
type DayTimeUnit = keyof typeof UNIT_MS
const ORDER: readonly DayTimeUnit[] = ['DAY', 'HOUR', 'MINUTE', 'SECOND']
/** Largest value of a field that is not the leading one. */
const FIELD_MAX: Record<DayTimeUnit, number> = { DAY: Infinity, HOUR: 23, MINUTE: 59, SECOND: 59 }
const LEADING_DIGITS = 2
const YEAR_MONTH = new Set(['YEAR', 'QUARTER', 'MONTH'])
const YEAR_MONTH_HINT = 'use a day-time interval (DAY, HOUR, MINUTE, SECOND)'

export function intervalExpr(cv: Converter, ctx: TimeIntervalExpressionContext): IntervalExpr {
  const ms = intervalMs(cv, ctx)
  return { kind: 'interval', ms, text: sourceText(cv, ctx), at: at(ctx) }
}

function intervalMs(cv: Converter, ctx: TimeIntervalExpressionContext): number {
  const multi = ctx.errorCapturingMultiUnitsInterval()
  if (multi) {
    const units = multi.multiUnitsInterval()
    if (multi.unitToUnitInterval() || units.intervalValue().length !== 1) {
      throw unsupported(cv, ctx, 'INTERVAL with several units', "write one unit or a 'x TO y' form")
    }
    return singleUnit(cv, units.intervalValue(0)!, unitName(units.timeIntervalUnit(0)!.getText()))
  }
  const toForm = ctx.errorCapturingUnitToUnitInterval()
  if (toForm) {
    if (toForm.multiUnitsInterval() || toForm.unitToUnitInterval().length > 1) {
      throw invalid(cv, toForm, `malformed INTERVAL ${sourceText(cv, toForm)}`)
    }
    return unitToUnit(cv, toForm.unitToUnitInterval(0)!)
  }
  throw invalid(cv, ctx, 'INTERVAL without a value and a unit')
}

/** MINUTES -> MINUTE: Flink accepts the plural forms. */
function unitName(text: string): string {
  const upper = text.toUpperCase()
  return upper.endsWith('S') && upper !== 'S' ? upper.slice(0, -1) : upper
}

function checkDayTime(cv: Converter, node: IntervalValueContext, unit: string): DayTimeUnit {
  if (YEAR_MONTH.has(unit)) throw unsupported(cv, node, 'year-month INTERVAL', YEAR_MONTH_HINT)
  if (!(unit in UNIT_MS)) throw unsupported(cv, node, `INTERVAL in ${unit}`, YEAR_MONTH_HINT)
  return unit as DayTimeUnit
}

/** The interval's value as written: a quoted string, or (accepted too) a number. */
function valueText(cv: Converter, ctx: IntervalValueContext): string {
  const quoted = ctx.STRING_LITERAL()
  if (quoted) return stringValue(cv, ctx, quoted.getText()).trim()
  return ctx.getText()
}

function singleUnit(cv: Converter, ctx: IntervalValueContext, unitText: string): number {
  const unit = checkDayTime(cv, ctx, unitText)
  const text = valueText(cv, ctx)
  const match = /^([-+])?(\d+)(?:\.(\d+))?$/.exec(text)
  if (!match || (match[3] !== undefined && unit !== 'SECOND')) {
    throw invalid(cv, ctx, `malformed INTERVAL value '${text}' for ${unit}`)
  }
  const sign = match[1] === '-' ? -1 : 1
  checkLeading(cv, ctx, match[2]!, unit)
  return sign * (Number(match[2]) * UNIT_MS[unit] + fractionMs(cv, ctx, match[3]))
}

function checkLeading(cv: Converter, ctx: IntervalValueContext, digits: string, unit: DayTimeUnit): void {
  if (digits.replace(/^0+(?=\d)/, '').length > LEADING_DIGITS) {
    throw invalid(cv, ctx, `Interval field value ${Number(digits)} exceeds precision of ${unit}(2) field`)
  }
}

function fractionMs(cv: Converter, ctx: IntervalValueContext, fraction: string | undefined): number {
  if (fraction === undefined) return 0
  if (/[1-9]/.test(fraction.slice(3))) {
    throw unsupported(cv, ctx, 'INTERVAL finer than a millisecond')
  }
  return Number(fraction.slice(0, 3).padEnd(3, '0'))
}

function unitToUnit(cv: Converter, ctx: UnitToUnitIntervalContext): number {
  const valueCtx = ctx.intervalValue()
  const from = unitName(ctx.timeIntervalUnit(0)!.getText())
  const to = unitName(ctx.timeIntervalUnit(1)!.getText())
  if (YEAR_MONTH.has(from) || YEAR_MONTH.has(to)) {
    throw unsupported(cv, valueCtx, 'year-month INTERVAL', YEAR_MONTH_HINT)
  }
  const first = ORDER.indexOf(checkDayTime(cv, valueCtx, from))
  const last = ORDER.indexOf(checkDayTime(cv, valueCtx, to))
  if (last <= first) throw invalid(cv, ctx, `INTERVAL ${from} TO ${to}: the units are not in order`)
  const units = ORDER.slice(first, last + 1)
  const text = valueText(cv, valueCtx)
  const body = text.replace(/^[-+]/, '')
  const separators = units.slice(1).map((u) => (u === 'HOUR' ? ' ' : ':'))
  const fields = body.split(/[ :]/)
  const wellFormed = fields.every((f) => /^\d+(?:\.\d+)?$/.test(f))
  if (!wellFormed || body.replace(/[^ :]/g, '') !== separators.join('')) {
    throw invalid(cv, valueCtx, `malformed INTERVAL value '${text}' for ${from} TO ${to}`)
  }
  return intervalFields(cv, valueCtx, text.startsWith('-') ? -1 : 1, units, fields)
}

function intervalFields(
  cv: Converter,
  ctx: IntervalValueContext,
  sign: number,
  units: readonly DayTimeUnit[],
  fields: readonly string[],
): number {
  let ms = 0
  units.forEach((unit, i) => {
    const [digits = '', fraction] = fields[i]!.split('.')
    if (fraction !== undefined && unit !== 'SECOND') {
      throw invalid(cv, ctx, `malformed INTERVAL value: only seconds take a fraction`)
    }
    if (i === 0) checkLeading(cv, ctx, digits, unit)
    else if (Number(digits) > FIELD_MAX[unit]) {
      throw invalid(cv, ctx, `INTERVAL field ${unit} out of range: ${digits}`)
    }
    ms += Number(digits) * UNIT_MS[unit] + fractionMs(cv, ctx, fraction)
  })
  return sign * ms
}
