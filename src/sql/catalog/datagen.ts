/**
 * Flink 2.2's `datagen` connector: which `fields.<column>.*` options exist depends on the column's
 * type and generator kind, exactly as Flink declares them, so an option that does not apply is an
 * unsupported option.
 */
import type { SqlType } from '../ast.ts'
import { formatType } from '../types/index.ts'
import type { ConnectorContext } from './connectors.ts'
import { IMPLICIT_OPTIONS, type OptionReader } from './options.ts'
import type { DatagenConnector, DatagenField } from './types.ts'

const NUMBERS = new Set(['TINYINT', 'SMALLINT', 'INT', 'BIGINT', 'FLOAT', 'DOUBLE', 'DECIMAL'])
const STRINGS = new Set(['CHAR', 'VARCHAR', 'BINARY', 'VARBINARY'])
const DEFAULT_DATAGEN_LENGTH = 100

/** The `fields.<column>.*` options Flink's datagen accepts for a column of this type and kind. */
function datagenFieldOptions(type: SqlType, kind: 'random' | 'sequence'): string[] {
  if (kind === 'sequence') return sequenceable(type) ? ['kind', 'start', 'end'] : ['kind']
  if (NUMBERS.has(type.kind)) return ['kind', 'min', 'max', 'null-rate']
  if (STRINGS.has(type.kind)) return ['kind', 'length', 'var-len', 'null-rate']
  if (type.kind === 'TIMESTAMP' || type.kind === 'TIMESTAMP_LTZ') return ['kind', 'max-past', 'null-rate']
  if (type.kind === 'ARRAY' || type.kind === 'MULTISET') {
    return ['kind', 'length', 'null-rate', ...nested('element', type.element)]
  }
  if (type.kind === 'MAP') {
    return ['kind', 'length', 'null-rate', ...nested('key', type.key), ...nested('value', type.value)]
  }
  return ['kind', 'null-rate']
}

function sequenceable(type: SqlType): boolean {
  return NUMBERS.has(type.kind) || type.kind === 'CHAR' || type.kind === 'VARCHAR'
}

/** The options of an array's element (`fields.<col>.element.min`) or a map's key and value. */
function nested(name: string, type: SqlType): string[] {
  return datagenFieldOptions(type, 'random')
    .filter((o) => o !== 'kind')
    .map((o) => `${name}.${o}`)
}

export function readDatagen(reader: OptionReader, ctx: ConnectorContext): DatagenConnector {
  // Flink's datagen checks its options itself, without the options every other table accepts.
  reader.undeclare(...IMPLICIT_OPTIONS.filter((k) => k !== 'connector'))
  reader.declare('rows-per-second', 'number-of-rows', 'scan.parallelism')
  const fields: Record<string, DatagenField> = {}
  for (const column of ctx.physical) {
    const prefix = `fields.${column.name}.`
    const kind = reader.string(`${prefix}kind`) ?? 'random'
    if (kind !== 'random' && kind !== 'sequence') return ctx.fail(`Unsupported generator kind: ${kind}`)
    reader.declare(...datagenFieldOptions(column.type, kind).map((o) => prefix + o))
    if (kind === 'sequence') {
      if (!sequenceable(column.type)) {
        // Flink declares no start/end for such a column: they are reported as unsupported first.
        reader.checkUnsupported('datagen')
        ctx.fail(`Unsupported type for a sequence generator: ${column.name} ${formatType(column.type)}`)
      }
      for (const bound of ['start', 'end']) {
        if (!reader.has(prefix + bound)) {
          ctx.fail(`Could not find required property '${prefix}${bound}' for sequence generator.`)
        }
      }
      fields[column.name] = {
        kind,
        start: reader.string(`${prefix}start`)!,
        end: reader.string(`${prefix}end`)!,
        nullRate: 0,
      }
      continue
    }
    const allowed = datagenFieldOptions(column.type, kind)
    const option = (name: string): string | undefined => (allowed.includes(name) ? prefix + name : undefined)
    const read = <T>(name: string, parse: (key: string) => T | undefined): T | undefined => {
      const key = option(name)
      return key === undefined || !reader.has(key) ? undefined : parse(key)
    }
    const random: DatagenField = {
      kind,
      min: read('min', (k) => reader.string(k)),
      max: read('max', (k) => reader.string(k)),
      length:
        read('length', (k) => reader.int(k)) ??
        (allowed.includes('length') ? DEFAULT_DATAGEN_LENGTH : undefined),
      varLen: read('var-len', (k) => reader.boolean(k, false)) ?? false,
      maxPastMs: read('max-past', (k) => reader.durationMs(k)),
      nullRate: read('null-rate', (k) => reader.double(k)) ?? 0,
    }
    fields[column.name] = random
  }
  return {
    kind: 'datagen',
    rowsPerSecond: reader.long('rows-per-second') ?? 10_000,
    numberOfRows: reader.long('number-of-rows'),
    scanParallelism: reader.int('scan.parallelism'),
    fields,
  }
}
