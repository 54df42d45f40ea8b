/**
 * SQL types as Flink spells them in DDL, and back: `formatType` writes what `CREATE TABLE` accepts
 * and what Flink prints in its schemas (`STRING` for VARCHAR(2147483647), `BYTES` for
 * VARBINARY(2147483647), field names in back-quotes); `parseType` reads that spelling, and Flink's
 * serializable one (`VARCHAR(2147483647)`, `TIMESTAMP(3) WITH LOCAL TIME ZONE`), into a `SqlType`.
 */
import { FreshetError } from '../../errors/index.ts'
import type { RowField, SqlType } from '../ast.ts'

/** Flink's largest CHAR/VARCHAR/BINARY/VARBINARY length: VARCHAR of it is STRING. */
export const MAX_LENGTH = 2147483647

/** `a` -> `` `a` ``, with back-quotes inside doubled, as Flink quotes identifiers. */
export function quoteIdentifier(name: string): string {
  return '`' + name.replaceAll('`', '``') + '`'
}

export interface FormatTypeOptions {
  /** How ROW field names are written; default: always in back-quotes, as Flink prints them. */
  readonly fieldName?: ((name: string) => string) | undefined
}

/** The type in Flink's DDL spelling, with ` NOT NULL` when it is not nullable. */
export function formatType(t: SqlType, options: FormatTypeOptions = {}): string {
  return formatBare(t, options) + (t.nullable ? '' : ' NOT NULL')
}

function formatBare(t: SqlType, options: FormatTypeOptions): string {
  const field = options.fieldName ?? quoteIdentifier
  switch (t.kind) {
    case 'CHAR':
      return `CHAR(${t.length ?? 1})`
    case 'VARCHAR':
      return t.length === undefined || t.length === MAX_LENGTH ? 'STRING' : `VARCHAR(${t.length})`
    case 'BINARY':
      return `BINARY(${t.length ?? 1})`
    case 'VARBINARY':
      return t.length === undefined || t.length === MAX_LENGTH ? 'BYTES' : `VARBINARY(${t.length})`
    case 'DECIMAL':
      return `DECIMAL(${t.precision}, ${t.scale})`
    case 'TIMESTAMP':
    case 'TIMESTAMP_LTZ':
    case 'TIME':
      return `${t.kind}(${t.precision})`
    case 'ARRAY':
    case 'MULTISET':
      return `${t.kind}<${formatType(t.element, options)}>`
    case 'MAP':
      return `MAP<${formatType(t.key, options)}, ${formatType(t.value, options)}>`
    case 'ROW':
      return `ROW<${t.fields.map((f) => `${field(f.name)} ${formatType(f.type, options)}`).join(', ')}>`
    case 'INTERVAL':
      return t.unit === 'DAY_TIME' ? 'INTERVAL DAY(2) TO SECOND(3)' : 'INTERVAL YEAR(2) TO MONTH'
    case 'NULL':
      return 'NULL'
    default:
      return t.kind
  }
}

/** Same type, nullability included. */
export function typesEqual(a: SqlType, b: SqlType): boolean {
  return formatType(a) === formatType(b)
}

/** Same type, nullability of the outer type aside (ROW fields and elements keep theirs). */
export function sameShape(a: SqlType, b: SqlType): boolean {
  return formatType(withNullable(a, true)) === formatType(withNullable(b, true))
}

/** The type with another nullability (ROW fields and elements keep theirs). */
export function withNullable<T extends SqlType>(t: T, nullable: boolean): T {
  if (t.kind === 'NULL') return t
  return { ...t, nullable } as T
}

// -- Parsing -----------------------------------------------------------------------------------

const SIMPLE = new Set(['BOOLEAN', 'TINYINT', 'SMALLINT', 'INT', 'BIGINT', 'FLOAT', 'DOUBLE', 'DATE'])
const ALIASES: Readonly<Record<string, string>> = { INTEGER: 'INT', DEC: 'DECIMAL', NUMERIC: 'DECIMAL' }

/**
 * Reads a type written as Flink writes it (`ROW<\`a\` INT NOT NULL, \`b\` STRING>`,
 * `TIMESTAMP(3) WITH LOCAL TIME ZONE`, `DECIMAL(10, 2)`). Throws SQL_INVALID on anything else.
 */
export function parseType(text: string): SqlType {
  const tokens = tokenize(text)
  let i = 0
  const peek = (): string | undefined => tokens[i]
  const next = (): string => {
    const token = tokens[i++]
    if (token === undefined) throw bad(text, 'unexpected end')
    return token
  }
  const expect = (token: string): void => {
    const got = next()
    if (got.toUpperCase() !== token) throw bad(text, `expected ${token}, found ${got}`)
  }
  const optionalNumbers = (): number[] => {
    if (peek() !== '(') return []
    next()
    const numbers = [Number(next())]
    while (peek() === ',') {
      next()
      numbers.push(Number(next()))
    }
    expect(')')
    if (numbers.some((n) => !Number.isInteger(n))) throw bad(text, 'a length or precision is not an integer')
    return numbers
  }
  const nullability = (): boolean => {
    if (peek()?.toUpperCase() === 'NOT') {
      next()
      expect('NULL')
      return false
    }
    if (peek()?.toUpperCase() === 'NULL') next()
    return true
  }
  const keywordsFollow = (...words: string[]): boolean =>
    words.every((w, k) => tokens[i + k]?.toUpperCase() === w)

  const type = (): SqlType => {
    const word = next().toUpperCase()
    const name = ALIASES[word] ?? word
    if (SIMPLE.has(name)) {
      return { kind: name as 'INT', nullable: nullability() }
    }
    switch (name) {
      case 'STRING':
        return { kind: 'VARCHAR', nullable: nullability() }
      case 'BYTES':
        return { kind: 'VARBINARY', nullable: nullability() }
      case 'CHAR':
      case 'VARCHAR':
      case 'BINARY':
      case 'VARBINARY': {
        const [n] = optionalNumbers()
        const length = n ?? 1
        const unbounded = length === MAX_LENGTH && (name === 'VARCHAR' || name === 'VARBINARY')
        return { kind: name, ...(unbounded ? {} : { length }), nullable: nullability() }
      }
      case 'DECIMAL': {
        const [precision = 10, scale = 0] = optionalNumbers()
        return { kind: 'DECIMAL', precision, scale, nullable: nullability() }
      }
      case 'TIME':
      case 'TIMESTAMP':
      case 'TIMESTAMP_LTZ': {
        const [precision = name === 'TIME' ? 0 : 6] = optionalNumbers()
        let kind: 'TIME' | 'TIMESTAMP' | 'TIMESTAMP_LTZ' = name
        if (keywordsFollow('WITH', 'LOCAL', 'TIME', 'ZONE')) {
          i += 4
          kind = 'TIMESTAMP_LTZ'
        } else if (keywordsFollow('WITHOUT', 'TIME', 'ZONE')) {
          i += 3
        }
        return { kind, precision, nullable: nullability() }
      }
      case 'ARRAY':
      case 'MULTISET': {
        expect('<')
        const element = type()
        expect('>')
        return { kind: name, element, nullable: nullability() }
      }
      case 'MAP': {
        expect('<')
        const key = type()
        expect(',')
        const value = type()
        expect('>')
        return { kind: 'MAP', key, value, nullable: nullability() }
      }
      case 'ROW': {
        const close = peek() === '(' ? ')' : '>'
        next()
        const fields: RowField[] = []
        while (peek() !== close) {
          if (fields.length > 0) expect(',')
          const fieldName = unquote(next())
          fields.push({ name: fieldName, type: type() })
          // A field description (`'text'`) is ignored.
          if (peek()?.startsWith("'")) next()
        }
        next()
        return { kind: 'ROW', fields, nullable: nullability() }
      }
      case 'NULL':
        return { kind: 'NULL', nullable: true }
      default:
        throw bad(text, `unknown type ${word}`)
    }
  }

  const result = type()
  if (i !== tokens.length) throw bad(text, `unexpected ${tokens[i]}`)
  return result
}

function tokenize(text: string): string[] {
  const tokens: string[] = []
  const re = /\s*(`(?:[^`]|``)*`|'(?:[^']|'')*'|[A-Za-z_][A-Za-z0-9_$]*|\d+|[<>(),])/y
  let at = 0
  while (at < text.length) {
    if (/^\s*$/.test(text.slice(at))) break
    re.lastIndex = at
    const m = re.exec(text)
    if (m === null) throw bad(text, `unexpected character at ${at + 1}`)
    tokens.push(m[1]!)
    at = re.lastIndex
  }
  return tokens
}

function unquote(token: string): string {
  return token.startsWith('`') ? token.slice(1, -1).replaceAll('``', '`') : token
}

function bad(text: string, why: string): FreshetError {
  return new FreshetError('SQL_INVALID', `not a Flink SQL type: ${text} (${why})`, {
    details: { type: text },
  })
}
